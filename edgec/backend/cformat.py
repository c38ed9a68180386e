"""Formatting numbers and arrays as C99 literals, exactly and deterministically."""
from __future__ import annotations

import math

import numpy as np


def c_float(v: float) -> str:
    """A float32 literal that parses back to the same float32 (9 significant digits)."""
    f = float(np.float32(v))
    if math.isnan(f):
        return "NAN"
    if math.isinf(f):
        return "INFINITY" if f > 0 else "(-INFINITY)"
    return "%.8ef" % f


def c_int(v: int, ctype: str = "int32_t") -> str:
    v = int(v)
    if ctype == "int64_t":
        return f"INT64_C({v})" if v != -(2 ** 63) else "INT64_MIN"
    if ctype == "int32_t" and v == -(2 ** 31):
        return "INT32_MIN"
    return str(v)


def c_array_body(arr: np.ndarray, per_line: int = 8) -> str:
    """The `{...}` initializer body for a flat array, one line per `per_line` values."""
    flat = np.ascontiguousarray(arr).reshape(-1)
    if flat.dtype.kind == "f":
        f = flat.astype(np.float32)
        if np.all(np.isfinite(f)):
            items = np.char.mod("%.8ef", f.astype(np.float64))
        else:
            items = np.array([c_float(x) for x in f])
    elif flat.dtype == np.int64:
        items = np.array([c_int(x, "int64_t") for x in flat])
    elif flat.dtype == np.int32:
        items = np.array([c_int(x, "int32_t") for x in flat]) if (flat == -(2 ** 31)).any() \
            else np.char.mod("%d", flat)
    else:
        items = np.char.mod("%d", flat.astype(np.int64))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "    " + ",\n    ".join(lines)


def c_value(v) -> str:
    """A struct field initializer from a Python value: int, float, str (verbatim) or a sequence."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return c_int(int(v))
    if isinstance(v, (float, np.floating)):
        return c_float(float(v))
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(c_value(x) for x in v) + "}" if len(v) else "{0}"
    raise TypeError(f"cannot format {type(v).__name__} as C")
