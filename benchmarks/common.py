"""Shared benchmark helpers: timing and table printing (measurements, not assertions)."""
from __future__ import annotations

import time
from typing import Callable


def time_per_call(fn: Callable[[], object], min_seconds: float = 0.3, min_calls: int = 20) -> float:
    """Median-of-5 seconds per call of `fn`."""
    fn()
    results = []
    for _ in range(5):
        calls, t0 = 0, time.perf_counter()
        while calls < min_calls or time.perf_counter() - t0 < min_seconds / 5:
            fn()
            calls += 1
        results.append((time.perf_counter() - t0) / calls)
    return sorted(results)[2]


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(f"\n## {title}\n")
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
