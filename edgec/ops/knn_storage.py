"""knn_storage: the smallest exact form of a knn op's training rows, and its C block layout.

Every form gives back each stored float32 (up to the sign of zero, which no distance sees):
verified here, with numpy doing the C's exact operations, before a form is chosen.
- f32: the floats themselves.
- codes8: a uint8 code per value into its feature's distinct values (<= 256 per feature): one load.
- codes16: a uint16 code k per value. Measurements recorded as ADC counts or in fixed decimals,
  then standardised (an affine map), lie on a grid: the value is (float)(a_f + b_f * (double)k)
  for per-feature doubles a_f, b_f, found as the centre of the (a, b) region whose lines pass
  through every value's float32 rounding interval. The few values off the grid (a data-entry slip,
  small values written with more decimals) and the features on no grid use codes past the grid's
  into a dictionary.
The C reads rows in blocks of BLOCK (the last one padded with copies of the last row), each block
stored [feature][BLOCK] so its rows' sums run side by side (see ec_neighbors.h).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BLOCK = 8          # rows per block; must equal EC_KNN_BLOCK in ec_neighbors.h
_F32 = np.float32
MAX_GRID_VALUES = 4096
FIT_ROUNDS = 64    # values taken off a grid, one a round, before it is given up


@dataclass(frozen=True, eq=False)
class TrainStorage:
    """`kind`: f32 | codes8 | codes16 (the C function ec_knn_block_<kind> reads it); `data`: values
    or codes [rows, features]. Codes of feature j from dict_index[j, 0] on are dictionary entries,
    the value dict_values[dict_index[j, 1] + code]; those below (codes16) are grid points, grid[j] =
    (a, b) float64, the value (float)(a + b * (double)code)."""

    kind: str
    data: np.ndarray
    grid: np.ndarray | None = None
    dict_index: np.ndarray | None = None
    dict_values: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        grid = self.grid if self.kind == "codes16" else None
        extra = sum(a.nbytes for a in (grid, self.dict_index, self.dict_values) if a is not None)
        return blocked(self.data).nbytes + extra

    def decode(self) -> np.ndarray:
        """The float32 rows the C reads back (numpy doing the C's operations)."""
        if self.kind == "f32":
            return self.data
        code = self.data.astype(np.int64)
        out = (self.grid[None, :, 0] + self.grid[None, :, 1] * code.astype(np.float64)).astype(_F32)
        if self.dict_index is not None:
            from_, at = self.dict_index[None, :, 0], self.dict_index[None, :, 1]
            listed = code >= from_
            out[listed] = self.dict_values[(at + code)[listed]]
        return out


def blocked(data: np.ndarray) -> np.ndarray:
    """[blocks, features, BLOCK]: rows padded to whole blocks with the last row, each block transposed."""
    pad = -data.shape[0] % BLOCK
    rows = np.concatenate([data, np.repeat(data[-1:], pad, axis=0)]) if pad else data
    return np.ascontiguousarray(rows.reshape(-1, BLOCK, data.shape[1]).transpose(0, 2, 1))


def _same(back: np.ndarray, train: np.ndarray) -> bool:
    """Equal floats (so -0.0 == 0.0, which no distance tells apart) and no NaN."""
    return bool(np.all(back == train))


def _grid_points(u: np.ndarray, step: float) -> np.ndarray:
    """Grid positions k of the sorted distinct values u (float64) on a grid of about `step` from
    u[0] (-1: off the grid). Each value is placed from the last one placed: its gap must be a
    near-integer multiple of the step, which is refined as (u_i - u_0) / k_i as the values go by
    (the floats' rounding errors shrink against a longer span)."""
    k = np.full(u.size, -1, np.int64)
    k[0], last = 0, 0
    for i in range(1, u.size):
        q = (u[i] - u[last]) / step
        n = round(q)
        if n < 1 or abs(q - n) > 0.25 or k[last] + n > 65535:
            continue
        k[i], last = k[last] + n, i
        step = (u[i] - u[0]) / k[i]
    return k


def _grid_candidates(u: np.ndarray, tries: int = 4) -> list[np.ndarray]:
    """Grid positions for steps of the few smallest gaps divided by m = 1..8 (a gap between two
    values off the grid, or of several steps, is no step), fewest values off the grid first."""
    found = []
    for gap in np.unique(np.diff(u))[:tries]:
        for m in range(1, 9):
            k = _grid_points(u, gap / m)
            found.append(k)
            if np.all(k >= 0):
                return [k]
    return sorted(found, key=lambda k: int(np.sum(k < 0)))


def _round_interval(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reals that round to each float32 in u, shrunk a little: their midpoints to the neighbours."""
    f = u.astype(_F32)
    up = np.nextafter(f, _F32(np.inf)).astype(np.float64)
    down = np.nextafter(f, _F32(-np.inf)).astype(np.float64)
    width = (up - down) / 4
    return u - width * 0.999, u + width * 0.999


def _short(lo: float, hi: float) -> float:
    """The number of [lo, hi] with the fewest significant bits (its centre when none has < 53)."""
    top = max(abs(lo), abs(hi))
    if lo <= 0.0 <= hi or top == 0.0:
        return 0.0
    for bits in range(1, 53):
        scale = 2.0 ** (bits - 1 - math.frexp(top)[1] + 1)
        c = math.ceil(lo * scale) / scale
        if c <= hi:
            return c
    return (lo + hi) / 2


def _significant_bits(v: float) -> int:
    m, _ = math.frexp(abs(v))
    n = 0
    while m != int(m):
        m, n = m * 2, n + 1
    return n


def _fit_line(k: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[float, float] | None:
    """(a, b) with lo <= a + b*k <= hi for every i: b from the middle half of the feasible segment
    of b (every pair of constraints bounds b; for a b inside all of them the a-intervals meet, by
    Helly in one dimension), with the fewest significant bits there, so that b * k is exact in
    double for 16-bit k (then a fused multiply-add gives the same value); a the centre of its
    interval. None when infeasible."""
    b_lo, b_hi = -np.inf, np.inf
    for i in range(k.size - 1):     # row by row: memory stays O(n)
        dk = k[i + 1:] - k[i]
        b_lo = max(b_lo, float(np.max((lo[i + 1:] - hi[i]) / dk)))
        b_hi = min(b_hi, float(np.min((hi[i + 1:] - lo[i]) / dk)))
    if not b_lo <= b_hi:
        return None
    quarter = (b_hi - b_lo) / 4
    b = _short(b_lo + quarter, b_hi - quarter)
    if _significant_bits(b) + int(k.max()).bit_length() > 53:
        return None                  # b * k would round: a contracted a + b*k could differ
    a_lo, a_hi = np.max(lo - b * k), np.min(hi - b * k)
    return ((a_lo + a_hi) / 2, b) if a_lo <= a_hi else None


def _decode_grid(line: tuple[float, float], k: np.ndarray) -> np.ndarray:
    return (np.float64(line[0]) + np.float64(line[1]) * k.astype(np.float64)).astype(_F32)


def _feature_grid(col: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(codes, [a, b], values off the grid) of one feature: the values on the grid
    have their grid positions as codes, the others (at most a quarter: a data-entry slip, small
    values recorded with more decimals) the codes after the last grid position, in order. Verified:
    every code gives back its value. None when no grid fits or the feature has more than
    MAX_GRID_VALUES distinct values (the fit looks at every pair of them)."""
    u, inv = np.unique(col.astype(np.float64), return_inverse=True)
    most_off = u.size // 4
    if u.size > MAX_GRID_VALUES:
        return None
    if u.size == 1:
        return np.zeros(col.size, np.int64), np.asarray([u[0], 0.0]), np.zeros(0, _F32)
    lo, hi = _round_interval(u)
    for k in _grid_candidates(u)[:4]:
        on = k >= 0
        for _ in range(FIT_ROUNDS):
            if np.sum(~on) > most_off or np.sum(on) < 2:
                break
            fit = _fit_line(k[on].astype(np.float64), lo[on], hi[on])
            if fit is not None:    # every value the line gives back is on the grid, only those
                on = (k >= 0) & (_decode_grid(fit, k) == u.astype(_F32))
                if np.sum(~on) > most_off:
                    break
                top = int(k[on].max()) + 1
                codes = k.copy()
                codes[~on] = top + np.arange(np.sum(~on))
                return codes[inv.reshape(-1)], np.asarray(fit, np.float64), u[~on].astype(_F32)
            # the value farthest from the least-squares line leaves the grid
            a, b = np.polynomial.polynomial.polyfit(k[on], u[on], 1)
            on[int(np.argmax(np.where(on, np.abs(u - a - b * k), -1.0)))] = False
    return None


def _feature_dictionary(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct float32 values in bit order) of one feature: exact whatever the values."""
    u, inv = np.unique(col.view(np.uint32), return_inverse=True)
    return inv.reshape(-1), u.view(_F32)


def coded_storage(train: np.ndarray, top: int = 65535) -> TrainStorage | None:
    """A code <= top per value. Byte codes (top 255) index each feature's dictionary of distinct
    values (one load: faster than a grid's double arithmetic, and at most 1 KB a feature); 16-bit
    codes put a feature on a verified grid (see the module doc) with a few values off it in a
    dictionary, or when no grid fits, wholly in a dictionary. None when a dictionary needs more than
    top + 1 entries or the rows are not finite."""
    if not np.all(np.isfinite(train)):
        return None
    n = train.shape[1]
    codes, grid = np.zeros(train.shape, np.int64), np.zeros((n, 2))
    index, values, used = np.tile(np.asarray([[top + 1, 0]], np.int32), (n, 1)), [], 0
    for j in range(n):
        found = _feature_grid(train[:, j]) if top > 255 else None
        if found is not None:
            codes[:, j], grid[j], off = found
            first = int(codes[:, j].max()) + 1 - off.size
        else:
            codes[:, j], off = _feature_dictionary(train[:, j])
            first = 0
        if off.size:
            index[j] = (first, used - first)
            used += off.size
            values.append(off)
    if codes.max(initial=0) > top:
        return None
    narrow = top <= 255
    st = TrainStorage("codes8" if narrow else "codes16", codes.astype(np.uint8 if narrow else np.uint16), grid,
                      index if values else None, np.concatenate(values) if values else None)
    return st if _same(st.decode(), train) else None


def train_storage(train: np.ndarray, grid: bool = True) -> TrainStorage:
    """The smallest exact storage of the training rows: floats, byte codes (features whose grid is
    longer than 256 points become dictionaries) or, when `grid`, 16-bit codes (their decode is
    double arithmetic: cheap on hosts and cores with a double-precision FPU, a library call per
    value elsewhere, e.g. 24x the instructions of floats for wine's KNN on a Cortex-M4)."""
    coded = [f for f in (coded_storage(train, 255), coded_storage(train) if grid else None) if f is not None]
    return min([TrainStorage("f32", train), *coded], key=lambda f: f.nbytes)
