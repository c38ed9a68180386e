"""ONNX importers: reshape-like ops, transposes, concat, slicing, pads, gathers, tile, expand.

Constants and shape arithmetic (Constant, Shape, Cast, ...) are in `onnx_shape`, Resize and
Upsample in `onnx_resize`; both are registered by importing this module.
"""
from __future__ import annotations

import numpy as np

from edgec.errors import ShapeError
from edgec.frontend import onnx_resize, onnx_shape  # noqa: F401  (registers their importers)
from edgec.frontend.importer import ImportContext, importer
from edgec.ir.graph import DType
from edgec.ops.base import NoAttrs
from edgec.ops.movement import ConcatAttrs, GatherAttrs, ReshapeAttrs, TransposeAttrs
from edgec.ops.movement_index import PAD_MODES, ExpandAttrs, PadAttrs, SliceAttrs, TileAttrs, norm_axis


def reshape(ctx: ImportContext, node, x, shape, suffix: str = ""):
    """Emits (or folds) a reshape of x to a fully resolved shape; returns the output value."""
    return ctx.emit("reshape", [x], ReshapeAttrs(tuple(int(d) for d in shape)), node.name + suffix)[0]


def _resolve_shape(ctx, node, in_shape, spec, allowzero: bool) -> tuple[int, ...]:
    """ONNX Reshape's target: 0 copies the input dim (unless allowzero), one -1 is inferred."""
    dims = [int(d) for d in spec]
    if not allowzero:
        dims = [in_shape[i] if d == 0 and i < len(in_shape) else d for i, d in enumerate(dims)]
    if dims.count(-1) > 1:
        raise ctx.unsupported(node, "more than one -1 in the shape")
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        total = int(np.prod(in_shape, dtype=np.int64))
        if known == 0 or total % known:
            raise ctx.unsupported(node, f"cannot reshape {list(in_shape)} to {dims}")
        dims[dims.index(-1)] = total // known
    return tuple(dims)


@importer("Reshape")
def _reshape(ctx, node):
    x = ctx.input(node, 0)
    spec = ctx.const_input(node, 1, "shape")
    shape = _resolve_shape(ctx, node, x.shape, np.asarray(spec).reshape(-1), bool(ctx.attr(node, "allowzero", 0)))
    ctx.bind(node, [reshape(ctx, node, x, shape)])


@importer("Flatten")
def _flatten(ctx, node):
    x = ctx.input(node, 0)
    axis = ctx.attr(node, "axis", 1)
    axis = axis + x.type.rank if axis < 0 else axis
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    ctx.bind(node, [reshape(ctx, node, x, (outer, int(np.prod(x.shape[axis:], dtype=np.int64))))])


@importer("Squeeze")
def _squeeze(ctx, node):
    x = ctx.input(node, 0)
    axes = ctx.attr_or_input(node, "axes", 1)
    r = x.type.rank
    if axes is None:
        drop = {i for i, d in enumerate(x.shape) if d == 1}
    else:
        drop = {a + r if a < 0 else a for a in axes}
        if any(x.shape[a] != 1 for a in drop):
            raise ctx.unsupported(node, f"squeezing a dim that is not 1 (shape {list(x.shape)}, axes {axes})")
    ctx.bind(node, [reshape(ctx, node, x, [d for i, d in enumerate(x.shape) if i not in drop])])


@importer("Unsqueeze")
def _unsqueeze(ctx, node):
    x = ctx.input(node, 0)
    axes = ctx.attr_or_input(node, "axes", 1)
    r = x.type.rank + len(axes)
    ins = sorted(a + r if a < 0 else a for a in axes)
    dims = list(x.shape)
    for a in ins:
        dims.insert(a, 1)
    ctx.bind(node, [reshape(ctx, node, x, dims)])


@importer("Identity", "Dropout")
def _identity(ctx, node):
    x = ctx.input(node, 0)
    if node.op_type == "Dropout":
        training = ctx.const_input(node, 2, "training_mode")
        if training is not None and bool(np.asarray(training).reshape(-1)[0]):
            raise ctx.unsupported(node, "training_mode is true")
    out = [ctx.emit("identity", [x], NoAttrs(), node.name)[0]]
    if len(node.output) > 1 and node.output[1]:
        out.append(ctx.const(np.ones(x.shape, np.bool_), node.output[1]))
    ctx.bind(node, out)


@importer("Transpose")
def _transpose(ctx, node):
    x = ctx.input(node, 0)
    perm = ctx.attr(node, "perm", None)
    perm = tuple(range(x.type.rank))[::-1] if perm is None else tuple(norm_axis(p, x.type.rank) for p in perm)
    ctx.bind(node, ctx.emit("transpose", [x], TransposeAttrs(perm), node.name))


@importer("Concat")
def _concat(ctx, node):
    xs = ctx.inputs(node)
    axis = norm_axis(ctx.attr(node, "axis", 0), xs[0].type.rank)
    if len(xs) == 1:
        ctx.bind(node, ctx.emit("identity", xs, NoAttrs(), node.name))
        return
    ctx.bind(node, ctx.emit("concat", xs, ConcatAttrs(axis), node.name))


def slice_attrs(shape, starts, ends, axes, steps) -> SliceAttrs:
    """ONNX Slice's clamping rules applied once, so the IR op holds valid indices only."""
    rank = len(shape)
    axes = list(range(len(starts))) if axes is None else [norm_axis(a, rank) for a in axes]
    steps = [1] * len(starts) if steps is None else list(steps)
    if len(set(axes)) != len(axes) or 0 in steps:
        raise ShapeError(f"bad Slice axes {axes} / steps {steps}")
    per_axis = {}
    for a, s, e, st in zip(axes, starts, ends, steps):
        n = shape[a]
        s, e = s + n if s < 0 else s, e + n if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), n), min(max(e, 0), n)
        else:
            s, e = min(max(s, 0), n - 1), min(max(e, -1), n - 1)
        per_axis[a] = (int(s), int(e), int(st))
    order = sorted(per_axis)
    return SliceAttrs(tuple(per_axis[a][0] for a in order), tuple(per_axis[a][1] for a in order),
                      tuple(order), tuple(per_axis[a][2] for a in order))


@importer("Slice")
def _slice(ctx, node):
    x = ctx.input(node, 0)
    starts, ends = ctx.attr_or_input(node, "starts", 1), ctx.attr_or_input(node, "ends", 2)
    axes, steps = ctx.attr_or_input(node, "axes", 3), ctx.attr_or_input(node, "steps", 4)
    try:
        attrs = slice_attrs(x.shape, starts, ends, axes, steps)
    except ShapeError as e:
        raise ctx.unsupported(node, str(e)) from None
    ctx.bind(node, ctx.emit("slice", [x], attrs, node.name))


def split_sizes(ctx, node, n: int) -> list[int]:
    """Split's part lengths: the `split` input/attribute, else equal parts (last one smaller)."""
    split = ctx.attr_or_input(node, "split", 1)
    if split:
        if sum(split) != n:
            raise ctx.unsupported(node, f"split {split} does not add up to {n}")
        return [int(s) for s in split]
    parts = ctx.attr(node, "num_outputs", len(node.output))
    chunk = -(-n // parts)
    sizes = [min(chunk, n - k * chunk) for k in range(parts)]
    if min(sizes) < 0 or (ctx.attr(node, "num_outputs") is None and n % parts):
        raise ctx.unsupported(node, f"cannot split {n} into {parts} parts")
    return sizes


@importer("Split")
def _split(ctx, node):
    x = ctx.input(node, 0)
    axis = norm_axis(ctx.attr(node, "axis", 0), x.type.rank)
    outs, begin = [], 0
    for k, size in enumerate(split_sizes(ctx, node, x.shape[axis])):
        attrs = slice_attrs(x.shape, [begin], [begin + size], [axis], [1])
        outs.append(ctx.emit("slice", [x], attrs, f"{node.name or node.output[0]}_{k}")[0])
        begin += size
    ctx.bind(node, outs)


@importer("Pad")
def _pad(ctx, node):
    x = ctx.input(node, 0)
    r = x.type.rank
    mode = ctx.attr(node, "mode", "constant")
    if mode not in PAD_MODES:
        raise ctx.unsupported(node, f"mode '{mode}'")
    pads = ctx.attr_or_input(node, "pads", 1)
    value = ctx.const_input(node, 2, "constant_value")
    value = float(np.asarray(value).reshape(-1)[0]) if value is not None and np.size(value) else 0.0
    axes = ctx.attr_or_input(node, "axes", 3)
    if axes is not None:
        full = [0] * (2 * r)
        for k, a in enumerate(norm_axis(a, r) for a in axes):
            full[a], full[r + a] = pads[k], pads[len(axes) + k]
        pads = full
    if len(pads) != 2 * r:
        raise ctx.unsupported(node, f"{len(pads)} pads for rank {r}")
    ctx.bind(node, ctx.emit("pad", [x], PadAttrs(tuple(int(p) for p in pads), mode, value), node.name))


@importer("Gather")
def _gather(ctx, node):
    x, idx = ctx.input(node, 0), ctx.input(node, 1)
    axis = norm_axis(ctx.attr(node, "axis", 0), x.type.rank)
    if idx.is_const:
        flat = tuple(int(i) for i in np.asarray(idx.data).reshape(-1))
        out = ctx.emit("gather", [x], GatherAttrs(axis, flat, idx.shape), node.name)
    elif idx.type.dtype == DType.I64:
        out = ctx.emit("gather", [x, idx], GatherAttrs(axis), node.name)
    else:
        raise ctx.unsupported(node, f"run-time indices of type {idx.type.dtype.value} (int64 only)")
    ctx.bind(node, out)


@importer("Tile")
def _tile(ctx, node):
    x = ctx.input(node, 0)
    repeats = tuple(int(r) for r in np.asarray(ctx.const_input(node, 1, "repeats")).reshape(-1))
    ctx.bind(node, ctx.emit("tile", [x], TileAttrs(repeats), node.name))


@importer("Expand")
def _expand(ctx, node):
    x = ctx.input(node, 0)
    shape = [int(d) for d in np.asarray(ctx.const_input(node, 1, "shape")).reshape(-1)]
    try:
        out = tuple(np.broadcast_shapes(x.shape, tuple(shape)))
    except ValueError:
        raise ctx.unsupported(node, f"cannot expand {list(x.shape)} to {shape}") from None
    if out == x.shape:
        ctx.bind(node, ctx.emit("identity", [x], NoAttrs(), node.name))
        return
    ctx.bind(node, ctx.emit("expand", [x], ExpandAttrs(out), node.name))
