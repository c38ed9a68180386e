"""Cortex-M: cross-builds of generated models, their size, and runs on emulated cores (QEMU)."""
