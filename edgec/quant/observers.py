"""Calibration observers: each watches one tensor over the calibration data and proposes the
real range [lo, hi] its int8 encoding should cover. Pluggable: register more in OBSERVERS."""
from __future__ import annotations

from typing import Callable

import numpy as np


class Observer:
    """Accumulates statistics of one tensor; `range()` gives the float range to quantize."""

    def observe(self, x: np.ndarray) -> None:
        raise NotImplementedError

    def range(self) -> tuple[float, float]:
        raise NotImplementedError


class MinMaxObserver(Observer):
    """The smallest and largest value ever seen (TFLite's default for activations)."""

    def __init__(self) -> None:
        self.lo, self.hi = np.inf, -np.inf

    def observe(self, x: np.ndarray) -> None:
        if x.size:
            self.lo = min(self.lo, float(np.min(x)))
            self.hi = max(self.hi, float(np.max(x)))

    def range(self) -> tuple[float, float]:
        if self.lo > self.hi:
            return 0.0, 0.0
        return self.lo, self.hi


OBSERVERS: dict[str, Callable[[], Observer]] = {"minmax": MinMaxObserver}
