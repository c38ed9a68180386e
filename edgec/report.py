"""Comparing compiled outputs with the float reference: the numbers `edgec verify` reports."""
from __future__ import annotations

import math

import numpy as np

SQNR_IDENTICAL_DB = 300.0   # reported when the signal has no error at all


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """Signal-to-quantisation-noise ratio in dB; SQNR_IDENTICAL_DB when identical."""
    ref = ref.astype(np.float64)
    noise = float(np.sum((got.astype(np.float64) - ref) ** 2))
    signal = float(np.sum(ref ** 2))
    if noise == 0.0:
        return SQNR_IDENTICAL_DB
    if signal == 0.0:
        return -SQNR_IDENTICAL_DB
    return min(SQNR_IDENTICAL_DB, 10.0 * math.log10(signal / noise))


def looks_like_scores(shape: tuple[int, ...]) -> bool:
    """Class scores: one axis of >= 2 entries, every other axis 1."""
    big = [d for d in shape if d != 1]
    return len(big) == 1 and big[0] >= 2


def compare_output(ref: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> dict:
    """ref, got: [samples, *shape] arrays. Returns the per-output report fields."""
    ref = ref.astype(np.float32).reshape(got.shape)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    within = bool(np.all(err <= atol + rtol * np.abs(ref)))
    top1 = None
    if looks_like_scores(got.shape[1:]):
        r = ref.reshape(ref.shape[0], -1).argmax(axis=1)
        g = got.reshape(got.shape[0], -1).argmax(axis=1)
        top1 = float(np.mean(r == g))
    return {"max_abs_err": float(err.max()) if err.size else 0.0, "sqnr_db": round(sqnr_db(ref, got), 2),
            "top1_agreement": top1, "within_tolerance": within}


def format_table(outputs: dict[str, dict]) -> str:
    rows = [("output", "max_abs_err", "SQNR dB", "top-1 agree", "ok")]
    for name, r in outputs.items():
        t = "-" if r["top1_agreement"] is None else f"{100 * r['top1_agreement']:.1f}%"
        rows.append((name, f"{r['max_abs_err']:.3g}", f"{r['sqnr_db']:.1f}", t, "yes" if r["within_tolerance"] else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)
