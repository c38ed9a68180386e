"""Data-movement ops: identity, copy, fill, reshape, transpose, concat and gather.

None of them computes; they move elements. Refs work on any dtype (int64 too) because the
importer folds shape arithmetic (Shape -> Gather -> Concat -> Reshape) with them. Transpose runs
on the separable-remap kernel that `movement_index` (slice, pad, tile, expand, resize) defines.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, keep_attrs, register, same_as_input
from edgec.ops.movement_index import emit_remap, tables_for  # also registers slice, pad, ...


# -- identity / copy / fill ----------------------------------------------------------------------
def emit_copy(ctx, node) -> None:
    """Copies input 0 to output 0 byte for byte (any dtype)."""
    out = node.outputs[0]
    if out.type.nbytes == 0:
        return
    p = ctx.struct("ec_copy_params", {"nbytes": out.type.nbytes}, "copy")
    ctx.call("ec_copy_f32", p, ctx.ptr(node.inputs[0]), ctx.ptr(out))


def _emit_alias(ctx, node) -> None:
    """An alias op costs nothing when the planner gave input and output the same buffer."""
    if not ctx.same_buffer(node.inputs[0], node.outputs[0]):
        emit_copy(ctx, node)


def _identity_ref(attrs, xs):
    return [np.asarray(xs[0])]


register(OpDef("identity", same_as_input, _identity_ref, _emit_alias, ("ec_copy_f32",), alias=True,
               permute=keep_attrs))
register(OpDef("copy", same_as_input, _identity_ref, emit_copy, ("ec_copy_f32",), permute=keep_attrs))


@dataclass(frozen=True)
class FillAttrs:
    """Every element of a float32 tensor of `shape` equals `value`."""

    value: float
    shape: tuple[int, ...]


def _fill_infer(attrs: FillAttrs, types):
    return [TensorType(tuple(attrs.shape), DType.F32)]


def _fill_ref(attrs: FillAttrs, xs):
    return [np.full(attrs.shape, attrs.value, np.float32)]


def _fill_emit(ctx, node) -> None:
    out = node.outputs[0]
    p = ctx.struct("ec_fill_params", {"size": out.type.size, "value": float(node.attrs.value)}, "fill")
    ctx.call("ec_fill_f32", p, ctx.ptr(out))


register(OpDef("fill", _fill_infer, _fill_ref, _fill_emit, ("ec_fill_f32",)))


# -- reshape ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReshapeAttrs:
    """The output shape, fully resolved (no 0 or -1); same element count as the input."""

    shape: tuple[int, ...]


def _reshape_infer(attrs: ReshapeAttrs, types):
    shape = tuple(int(d) for d in attrs.shape)
    if any(d < 0 for d in shape) or int(np.prod(shape, dtype=np.int64)) != types[0].size:
        raise ShapeError(f"cannot reshape {list(types[0].shape)} to {list(shape)}")
    return [TensorType(shape, types[0].dtype)]


def _reshape_ref(attrs: ReshapeAttrs, xs):
    return [np.asarray(xs[0]).reshape(attrs.shape)]


register(OpDef("reshape", _reshape_infer, _reshape_ref, _emit_alias, ("ec_copy_f32",), alias=True))


# -- transpose -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransposeAttrs:
    """Output dim d is input dim perm[d] (numpy.transpose)."""

    perm: tuple[int, ...]


def _transpose_infer(attrs: TransposeAttrs, types):
    shape = types[0].shape
    if sorted(attrs.perm) != list(range(len(shape))):
        raise ShapeError(f"perm {list(attrs.perm)} does not fit rank {len(shape)}")
    return [TensorType(tuple(shape[p] for p in attrs.perm), types[0].dtype)]


def _transpose_ref(attrs: TransposeAttrs, xs):
    return [np.ascontiguousarray(np.transpose(np.asarray(xs[0]), attrs.perm))]


def _transpose_emit(ctx, node):
    x = node.inputs[0]
    index = [(p, np.arange(x.shape[p])) for p in node.attrs.perm]
    emit_remap(ctx, node, tables_for(x.shape, index))


def _transpose_permute(attrs: TransposeAttrs, perm, in_types):
    """transpose(transpose(x, perm), q) == transpose(transpose(x, perm o q o perm^-1), perm)."""
    inv = np.argsort(perm)
    return TransposeAttrs(tuple(int(perm[attrs.perm[inv[j]]]) for j in range(len(perm))))


register(OpDef("transpose", _transpose_infer, _transpose_ref, _transpose_emit, ("ec_remap_f32",),
               permute=_transpose_permute))


# -- concat --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConcatAttrs:
    """Concatenation axis (>= 0)."""

    axis: int


def _concat_infer(attrs: ConcatAttrs, types):
    first = types[0].shape
    for t in types[1:]:
        if t.rank != len(first) or any(a != b for d, (a, b) in enumerate(zip(t.shape, first)) if d != attrs.axis):
            raise ShapeError(f"cannot concat {list(t.shape)} to {list(first)} on axis {attrs.axis}")
    if attrs.axis >= len(first):
        raise ShapeError(f"concat axis {attrs.axis} out of range for rank {len(first)}")
    n = sum(t.shape[attrs.axis] for t in types)
    return [TensorType(first[:attrs.axis] + (n,) + first[attrs.axis + 1:], types[0].dtype)]


def _concat_ref(attrs: ConcatAttrs, xs):
    return [np.concatenate([np.asarray(x) for x in xs], axis=attrs.axis)]


def _concat_emit(ctx, node):
    """One block copy per input: its rows go to its column slot of every output row."""
    out, axis = node.outputs[0], node.attrs.axis
    outer = int(np.prod(out.shape[:axis], dtype=np.int64))
    out_row = out.type.nbytes // max(outer, 1)
    offset = 0
    for x in node.inputs:
        row = x.type.nbytes // max(outer, 1)
        if x.type.size:
            p = ctx.struct("ec_concat_params", {"outer": outer, "row_bytes": row, "y_row_bytes": out_row,
                                                "y_offset": offset}, "concat")
            ctx.call("ec_concat_f32", p, ctx.ptr(x), ctx.ptr(out))
        offset += row


def _concat_permute(attrs: ConcatAttrs, perm, in_types):
    return ConcatAttrs(perm[attrs.axis])


register(OpDef("concat", _concat_infer, _concat_ref, _concat_emit, ("ec_concat_f32",), permute=_concat_permute))


# -- gather --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GatherAttrs:
    """ONNX Gather along `axis` (>= 0). Constant indices live here (flattened, any sign, with
    their shape) and the op has one input; indices=None: input 1 holds int64 run-time indices."""

    axis: int
    indices: tuple[int, ...] | None = None
    indices_shape: tuple[int, ...] = ()


def _gather_indices(attrs: GatherAttrs, xs) -> np.ndarray:
    if attrs.indices is None:
        return np.asarray(xs[1], np.int64)
    return np.asarray(attrs.indices, np.int64).reshape(attrs.indices_shape)


def _gather_infer(attrs: GatherAttrs, types):
    data = types[0].shape
    if attrs.axis >= len(data):
        raise ShapeError(f"gather axis {attrs.axis} out of range for {list(data)}")
    n = data[attrs.axis]
    if attrs.indices is None:
        ishape = types[1].shape
    else:
        ishape = tuple(attrs.indices_shape)
        if any(not -n <= i < n for i in attrs.indices):
            raise ShapeError(f"gather indices out of range [{-n}, {n})")
    return [TensorType(data[:attrs.axis] + ishape + data[attrs.axis + 1:], types[0].dtype)]


def _gather_ref(attrs: GatherAttrs, xs):
    x = np.asarray(xs[0])
    idx = _gather_indices(attrs, xs)
    n = x.shape[attrs.axis]
    return [np.take(x, np.where(idx < 0, idx + n, idx), axis=attrs.axis)]


def _gather_emit(ctx, node):
    x, out, a = node.inputs[0], node.outputs[0], node.attrs
    if out.type.size == 0:
        return
    n = x.shape[a.axis]
    if a.indices is None:
        if node.inputs[1].type.dtype != DType.I64:
            raise UnsupportedOpError(node.op, node.name, "run-time indices must be int64")
        idx = ctx.ptr(node.inputs[1])
        count = node.inputs[1].type.size
    else:
        table = np.asarray(a.indices, np.int64)
        idx = ctx.const(np.where(table < 0, table + n, table), f"{node.name}_idx", DType.I64)
        count = len(table)
    p = ctx.struct("ec_gather_params", {
        "outer": int(np.prod(x.shape[:a.axis], dtype=np.int64)), "axis_dim": n, "count": count,
        "inner": int(np.prod(x.shape[a.axis + 1:], dtype=np.int64)), "elem_size": x.type.dtype.itemsize},
        "gather")
    ctx.call("ec_gather_f32", p, ctx.ptr(x), idx, ctx.ptr(out))


def _gather_permute(attrs: GatherAttrs, perm, in_types):
    if attrs.indices is None or len(attrs.indices_shape) != 1:
        return None
    return GatherAttrs(perm[attrs.axis], attrs.indices, attrs.indices_shape)


register(OpDef("gather", _gather_infer, _gather_ref, _gather_emit, ("ec_gather_f32",), permute=_gather_permute))
