"""int8 quantization: fixed-point arithmetic, calibration observers, the quantization pass."""
