"""Index-table movement: slice, pad, tile, expand and resize (nearest).

Every op here is a *separable remap*: output element (i_0, .., i_r) reads input element offset
sum_d table_d[i_d], or a fill value where some table entry is -1 (padding, extrapolation). The
compiler builds the per-dim tables (and transpose's, in `movement`), turns arithmetic ones into
strides (only pad, tile and resize dims keep a table in flash), merges dims that stay
contiguous, and one C kernel, ec_remap_f32, runs them all. Gather has its own kernel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, register

MAX_RANK = 6


def norm_axis(axis: int, rank: int) -> int:
    """An axis in [-rank, rank) as a non-negative one."""
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def elem_strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major strides in elements."""
    strides, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = acc
        acc *= shape[d]
    return strides


def tables_for(in_shape: tuple[int, ...], index: list[tuple[int | None, np.ndarray]]) -> list[np.ndarray]:
    """Offset tables from, per output dim, (input dim or None for a broadcast dim, index array).

    Index entries < 0 mean "fill value here" and stay -1 in the table.
    """
    strides = elem_strides(in_shape)
    tables = []
    for axis, idx in index:
        idx = np.asarray(idx, np.int64)
        stride = 0 if axis is None else strides[axis]
        tables.append(np.where(idx < 0, -1, idx * stride))
    return tables


def _step(t: np.ndarray) -> int | None:
    """The constant step of an arithmetic table without fill entries (None if not one)."""
    if (t < 0).any():
        return None
    if len(t) == 1:
        return 0
    d = np.diff(t)
    return int(d[0]) if (d == d[0]).all() else None


@dataclass
class RemapDim:
    """One output dim of a remap: affine (offset i * stride) or looked up in `table`."""

    n: int
    stride: int = 0
    table: np.ndarray | None = None


def plan_remap(tables: list[np.ndarray]) -> tuple[int, list[RemapDim]]:
    """(base offset, dims): arithmetic tables become strides and fold their start into the base;
    size-1 dims go; neighbouring affine dims that stay contiguous merge (fewer C loops)."""
    base, dims = 0, []
    for t in tables:
        t = np.asarray(t, np.int64)
        step = _step(t)
        if step is None:
            dims.append(RemapDim(len(t), 0, t))
        elif len(t) > 1:
            base += int(t[0])
            dims.append(RemapDim(len(t), step))
        else:
            base += int(t[0])
    merged: list[RemapDim] = []
    for d in dims:
        prev = merged[-1] if merged else None
        if prev is not None and prev.table is None and d.table is None and prev.stride == d.stride * d.n:
            merged[-1] = RemapDim(prev.n * d.n, d.stride)
        else:
            merged.append(d)
    return base, merged or [RemapDim(1, 0)]


def emit_remap(ctx, node, tables: list[np.ndarray], value: float = 0.0) -> None:
    """One ec_remap_f32 call: output 0 from input 0 through per-dim offset tables."""
    out = node.outputs[0]
    if out.type.size == 0:
        return
    base, dims = plan_remap(tables)
    if len(dims) > MAX_RANK:
        raise UnsupportedOpError(node.op, node.name, f"needs {len(dims)} dims after merging, max {MAX_RANK}")
    looked_up = [d.table for d in dims if d.table is not None]
    padded = any((t < 0).any() for t in looked_up)
    int8_fill = out.type.dtype == DType.I8 and float(value).is_integer() and -128 <= value <= 127
    if padded and value != 0.0 and out.type.dtype != DType.F32 and not int8_fill:
        raise UnsupportedOpError(node.op, node.name, f"non-zero fill value for {out.type.dtype.value} data")
    if node.inputs[0].type.size >= 2 ** 31:
        raise UnsupportedOpError(node.op, node.name, "input too large for 32-bit offsets")
    starts, at = [], 0
    for d in dims:
        starts.append(-1 if d.table is None else at)
        at += 0 if d.table is None else d.n
    fill = [0] * (MAX_RANK - len(dims))
    p = ctx.struct("ec_remap_params", {
        "rank": len(dims), "shape": [d.n for d in dims] + fill, "stride": [d.stride for d in dims] + fill,
        "map_start": starts + fill, "offset": base, "elem_size": out.type.dtype.itemsize,
        "value": float(value), "fill_s8": int(value) if int8_fill else 0}, node.op)
    maps = ctx.ints(np.concatenate(looked_up).astype(np.int32), f"{node.name}_map") if looked_up else "NULL"
    ctx.call("ec_remap_f32", p, maps, ctx.ptr(node.inputs[0]), ctx.ptr(out))


def _permuted(values: tuple, perm: tuple[int, ...]) -> tuple:
    """values indexed by the op's (transposed) input dims -> indexed by the original dims."""
    out = [None] * len(perm)
    for i, p in enumerate(perm):
        out[p] = values[i]
    return tuple(out)


# -- slice ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SliceAttrs:
    """Per listed axis (sorted, unique, >= 0): a valid start index, an end (exclusive; -1 with a
    negative step means "through index 0") and a non-zero step."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    axes: tuple[int, ...]
    steps: tuple[int, ...]


def slice_count(start: int, end: int, step: int) -> int:
    """Elements in range(start, end, step), end already clamped."""
    return len(range(start, end, step))


def _slice_index(attrs: SliceAttrs, shape: tuple[int, ...]) -> list[np.ndarray]:
    idx = [np.arange(n) for n in shape]
    for a, s, e, st in zip(attrs.axes, attrs.starts, attrs.ends, attrs.steps):
        idx[a] = np.arange(s, e, st)
    return idx


def _slice_infer(attrs: SliceAttrs, types):
    shape = list(types[0].shape)
    for a, s, e, st in zip(attrs.axes, attrs.starts, attrs.ends, attrs.steps):
        if a >= len(shape) or st == 0:
            raise ShapeError(f"bad slice axis {a} / step {st} for shape {list(types[0].shape)}")
        shape[a] = slice_count(s, e, st)
    return [TensorType(tuple(shape), types[0].dtype)]


def _slice_ref(attrs: SliceAttrs, xs):
    x = np.asarray(xs[0])
    return [x[np.ix_(*_slice_index(attrs, x.shape))] if x.ndim else x]


def _slice_emit(ctx, node):
    x = node.inputs[0]
    idx = _slice_index(node.attrs, x.shape)
    emit_remap(ctx, node, tables_for(x.shape, list(enumerate(idx))))


def _slice_permute(attrs: SliceAttrs, perm, in_types):
    order = sorted(range(len(attrs.axes)), key=lambda k: perm[attrs.axes[k]])
    pick = lambda vals: tuple(vals[k] for k in order)  # noqa: E731
    return SliceAttrs(pick(attrs.starts), pick(attrs.ends), tuple(perm[attrs.axes[k]] for k in order),
                      pick(attrs.steps))


register(OpDef("slice", _slice_infer, _slice_ref, _slice_emit, ("ec_remap_f32",), permute=_slice_permute))


# -- pad -----------------------------------------------------------------------------------------
PAD_MODES = ("constant", "reflect", "edge", "wrap")


@dataclass(frozen=True)
class PadAttrs:
    """pads = (begin_0, .., begin_r-1, end_0, .., end_r-1), negative crops; mode in PAD_MODES
    (reflect mirrors without repeating the edge, like numpy; wrap is periodic)."""

    pads: tuple[int, ...]
    mode: str = "constant"
    value: float = 0.0


def pad_index(n: int, begin: int, end: int, mode: str) -> np.ndarray:
    """Input index of each output index along one dim (-1: the constant value).

    Negative pads crop first; the other side is then padded from the cropped range.
    """
    lo = max(-begin, 0)
    m = n - lo - max(-end, 0)
    j = np.arange(-max(begin, 0), m + max(end, 0), dtype=np.int64)
    if mode == "constant":
        idx = np.where((j >= 0) & (j < m), j, -1)
    elif mode == "wrap":
        idx = j % m
    elif mode == "edge" or m == 1:
        idx = np.clip(j, 0, m - 1)
    else:
        period = 2 * (m - 1)
        j = np.abs(j) % period
        idx = np.where(j >= m, period - j, j)
    return np.where(idx < 0, -1, idx + lo)


def _pad_infer(attrs: PadAttrs, types):
    shape, r = types[0].shape, types[0].rank
    if len(attrs.pads) != 2 * r or attrs.mode not in PAD_MODES:
        raise ShapeError(f"pads {list(attrs.pads)} / mode {attrs.mode} do not fit rank {r}")
    out = tuple(n + b + e for n, b, e in zip(shape, attrs.pads[:r], attrs.pads[r:]))
    if any(d < 0 for d in out):
        raise ShapeError(f"pads {list(attrs.pads)} crop {list(shape)} below zero")
    return [TensorType(out, types[0].dtype)]


def _pad_ref(attrs: PadAttrs, xs):
    x = np.asarray(xs[0])
    r = x.ndim
    begin, end = attrs.pads[:r], attrs.pads[r:]
    x = x[tuple(slice(max(-b, 0), n - max(-e, 0)) for n, b, e in zip(x.shape, begin, end))]
    width = [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)]
    if attrs.mode == "constant":
        return [np.pad(x, width, mode="constant", constant_values=np.asarray(attrs.value, x.dtype))]
    return [np.pad(x, width, mode=attrs.mode)]


def _pad_emit(ctx, node):
    x, a = node.inputs[0], node.attrs
    r = x.type.rank
    idx = [pad_index(n, a.pads[d], a.pads[r + d], a.mode) for d, n in enumerate(x.shape)]
    emit_remap(ctx, node, tables_for(x.shape, list(enumerate(idx))), a.value)


def _pad_permute(attrs: PadAttrs, perm, in_types):
    r = len(perm)
    pads = _permuted(attrs.pads[:r], perm) + _permuted(attrs.pads[r:], perm)
    return PadAttrs(pads, attrs.mode, attrs.value)


register(OpDef("pad", _pad_infer, _pad_ref, _pad_emit, ("ec_remap_f32",), permute=_pad_permute))


# -- tile / expand -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TileAttrs:
    """Repeat count per dim (>= 0)."""

    repeats: tuple[int, ...]


def _tile_infer(attrs: TileAttrs, types):
    if len(attrs.repeats) != types[0].rank or min(attrs.repeats, default=0) < 0:
        raise ShapeError(f"repeats {list(attrs.repeats)} do not fit shape {list(types[0].shape)}")
    return [TensorType(tuple(n * k for n, k in zip(types[0].shape, attrs.repeats)), types[0].dtype)]


def _tile_ref(attrs: TileAttrs, xs):
    return [np.tile(np.asarray(xs[0]), attrs.repeats)]


def _tile_emit(ctx, node):
    x = node.inputs[0]
    idx = [np.arange(n * k) % max(n, 1) for n, k in zip(x.shape, node.attrs.repeats)]
    emit_remap(ctx, node, tables_for(x.shape, list(enumerate(idx))))


def _tile_permute(attrs: TileAttrs, perm, in_types):
    return TileAttrs(_permuted(attrs.repeats, perm))


register(OpDef("tile", _tile_infer, _tile_ref, _tile_emit, ("ec_remap_f32",), permute=_tile_permute))


@dataclass(frozen=True)
class ExpandAttrs:
    """The output shape: the input broadcast to it (numpy rules, input aligned to the right)."""

    shape: tuple[int, ...]


def _expand_infer(attrs: ExpandAttrs, types):
    try:
        out = tuple(np.broadcast_shapes(types[0].shape, attrs.shape))
    except ValueError:
        raise ShapeError(f"cannot expand {list(types[0].shape)} to {list(attrs.shape)}") from None
    if out != tuple(attrs.shape):
        raise ShapeError(f"expand shape {list(attrs.shape)} is not the broadcast result {list(out)}")
    return [TensorType(out, types[0].dtype)]


def _expand_ref(attrs: ExpandAttrs, xs):
    return [np.array(np.broadcast_to(np.asarray(xs[0]), attrs.shape))]


def _expand_emit(ctx, node):
    x, out = node.inputs[0], node.attrs.shape
    lead = len(out) - x.type.rank
    index: list = []
    for d, n in enumerate(out):
        src = d - lead
        if src < 0 or x.shape[src] == 1:
            index.append((None, np.zeros(n, np.int64)))
        else:
            index.append((src, np.arange(n)))
    emit_remap(ctx, node, tables_for(x.shape, index))


def _expand_permute(attrs: ExpandAttrs, perm, in_types):
    if len(attrs.shape) != len(perm):
        return None
    return ExpandAttrs(_permuted(attrs.shape, perm))


register(OpDef("expand", _expand_infer, _expand_ref, _expand_emit, ("ec_remap_f32",), permute=_expand_permute))


# -- resize (nearest) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ResizeAttrs:
    """Nearest-neighbour resize with the source index of every output index per dim, resolved by
    the front end from its coordinate rules; -1 means `value` (tf_crop_and_resize extrapolation)."""

    index: tuple[tuple[int, ...], ...]
    value: float = 0.0


def _resize_infer(attrs: ResizeAttrs, types):
    shape = types[0].shape
    if len(attrs.index) != len(shape) or any(max(t, default=-1) >= n for t, n in zip(attrs.index, shape)):
        raise ShapeError(f"resize tables do not fit shape {list(shape)}")
    return [TensorType(tuple(len(t) for t in attrs.index), types[0].dtype)]


def _resize_ref(attrs: ResizeAttrs, xs):
    x = np.asarray(xs[0])
    for d, t in enumerate(attrs.index):
        t = np.asarray(t, np.int64)
        pad = t < 0
        x = np.take(x, np.where(pad, 0, t), axis=d)
        if pad.any():
            shape = [1] * x.ndim
            shape[d] = len(t)
            x = np.where(pad.reshape(shape), np.asarray(attrs.value, x.dtype), x)
    return [x]


def _resize_emit(ctx, node):
    x = node.inputs[0]
    emit_remap(ctx, node, tables_for(x.shape, list(enumerate(node.attrs.index))), node.attrs.value)


def _resize_permute(attrs: ResizeAttrs, perm, in_types):
    return ResizeAttrs(_permuted(attrs.index, perm), attrs.value)


register(OpDef("resize", _resize_infer, _resize_ref, _resize_emit, ("ec_remap_f32",), permute=_resize_permute))
