"""int8 kernels of this family (being written)."""
