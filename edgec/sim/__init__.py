"""Numpy simulator of the IR."""
