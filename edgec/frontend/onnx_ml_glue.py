"""The default-domain glue ONNX-ML converters put around the ML operators, in edgec's terms.

edgec has no boolean tensors and keeps class labels and arg-max indices int32 (ONNX: int64), so:
ArgMax gives an int32 index; ArrayFeatureExtractor(classes, index) becomes an arg_max writing the
labels; comparisons with a constant (Less, Greater, ...) give float 0/1 built from single-split
trees, which are exact in float32; Equal(arg-max index, [0..k-1]) is `arg_max_one_hot`; Where
with constant branches is arithmetic on those 0/1 floats. Casts of these values are no-ops
(see onnx_shape's Cast). Anything else stays a clear UnsupportedOpError.
"""
from __future__ import annotations

import numpy as np

from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import ML, argmax_label, int32_label_source, mark_int32
from edgec.ir.graph import DType
from edgec.ops import vote  # noqa: F401  (registers arg_max_one_hot)
from edgec.ops.elementwise import BinaryAttrs
from edgec.ops.movement import ReshapeAttrs
from edgec.ops.tree_ensemble import TreeEnsembleAttrs, make_ensemble


@importer("ArgMax")
def _argmax(ctx: ImportContext, node) -> None:
    """Index of the first maximum along the last axis, int32 (ONNX says int64; the Casts and
    ArrayFeatureExtractor lookups classifiers put after it keep it int32)."""
    from edgec.ops.select import ArgMaxAttrs
    x = ctx.input(node, 0)
    axis = int(ctx.attr(node, "axis", 0))
    if axis < 0:
        axis += x.type.rank
    if axis != x.type.rank - 1:
        raise ctx.unsupported(node, f"axis {axis} (the last axis is supported)")
    if ctx.attr(node, "select_last_index", 0):
        raise ctx.unsupported(node, "select_last_index=1")
    idx = ctx.emit("arg_max", [x], ArgMaxAttrs(), f"{node.name}_index")[0]
    if ctx.attr(node, "keepdims", 1):
        idx = ctx.emit("reshape", [idx], ReshapeAttrs(x.shape[:-1] + (1,)), node.name)[0]
    mark_int32(ctx, idx, None)
    ctx.bind(node, [idx])


@importer(f"{ML}.ArrayFeatureExtractor")
def _array_feature_extractor(ctx: ImportContext, node) -> None:
    """X[..., Y]. Constant Y: a gather of features. Constant X (class labels) indexed by an
    ArgMax: the arg_max itself, now writing the labels."""
    from edgec.ops.movement import GatherAttrs
    y = ctx.input(node, 1)
    if y.is_const:
        x = ctx.input(node, 0)
        idx = tuple(int(i) for i in np.asarray(y.data).reshape(-1))
        out = ctx.emit("gather", [x], GatherAttrs(x.type.rank - 1, idx, (len(idx),)), node.name)[0]
        ctx.bind(node, [out])
        return
    classes = _constant_table(ctx, node, 0)
    if classes is None:
        raise ctx.unsupported(node, "run-time indices into run-time data")
    scores = _argmax_scores(ctx, y)
    if scores is None:
        raise ctx.unsupported(node, "run-time indices that do not come from an ArgMax")
    label = argmax_label(ctx, scores, np.asarray(classes), f"{node.name}_label")
    table = np.asarray(classes)
    shape = (1, y.type.size) if table.ndim == 1 else table.shape[:-1] + (y.type.size,)
    out = ctx.emit("reshape", [label], ReshapeAttrs(shape), node.name)[0]
    mark_int32(ctx, out, np.asarray(classes))
    ctx.bind(node, [out])


def _constant_table(ctx: ImportContext, node, i: int):
    """Constant input i: numeric data, or the strings the loader keeps aside (string tensors
    have no IR value)."""
    name = node.input[i]
    strings = getattr(ctx, "strings", {})
    if name in strings:
        return strings[name]
    v = ctx.values.get(name)
    return None if v is None or not v.is_const else v.data


def _argmax_scores(ctx: ImportContext, idx):
    """The scores an arg_max index (through reshapes) was computed from, or None."""
    ok, classes = int32_label_source(ctx, idx)
    if not ok or classes is not None:
        return None
    producers = {id(o): n for n in ctx.nodes for o in n.outputs}
    v = idx
    while True:
        n = producers.get(id(v))
        if n is None:
            return None
        if n.op == "arg_max" and n.attrs.labels is None:
            return n.inputs[0]
        if n.op not in ("reshape", "identity", "copy"):
            return None
        v = n.inputs[0]


def is_int32_index(ctx: ImportContext, v) -> bool:
    """For Cast: `v` holds labels or indices ONNX types as int64 (kept int32, see above)."""
    return v.type.dtype == DType.I32 and int32_label_source(ctx, v)[0]



def compare(ctx: ImportContext, x, thresholds: np.ndarray, op: str, name: str):
    """Float 1.0 / 0.0 per feature of x [1, F] for `x <op> t` (lt, le, gt, ge; NaN gives 0),
    built as one stump per feature: the float32 `x <= t'` tree test makes every comparison exact."""
    from edgec.frontend.onnx_ml_trees import below32, round_down32
    nf = x.shape[-1]
    t = np.broadcast_to(np.asarray(thresholds, np.float64).reshape(-1), (nf,))
    thr = below32(t) if op in ("lt", "ge") else round_down32(t)
    true_left = op in ("lt", "le")
    feature, threshold, left, right, leaf = [], [], [], [], []
    for f in range(nf):
        r = 3 * f
        feature += [f, -1, -1]
        threshold += [float(thr[f]), 0.0, 0.0]
        left += [r + 1, 0, 0]
        right += [r + 2, 0, 0]
        leaf += [-1, 2 * f, 2 * f + 1]
    values = np.zeros((2 * nf, nf), np.float32)
    values[2 * np.arange(nf) + (0 if true_left else 1), np.arange(nf)] = 1.0
    # NaN compares false: it goes to the 0 leaf
    t = make_ensemble(feature, threshold, left, right, [not true_left, False, False] * nf, leaf, values,
                      [3 * f for f in range(nf)], np.zeros(nf))
    return ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(t), name)[0]


_COMPARE = {"Less": "lt", "LessOrEqual": "le", "Greater": "gt", "GreaterOrEqual": "ge"}
_FLIPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


@importer(*_COMPARE)
def _compare(ctx: ImportContext, node) -> None:
    """A run-time float tensor against a constant. The result is float 0/1 rather than bool:
    the Cast to float that follows in converters' graphs is then a no-op."""
    a, b = ctx.input(node, 0), ctx.input(node, 1)
    op = _COMPARE[node.op_type]
    if a.is_const and b.is_const:
        fn = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}[op]
        ctx.bind(node, [ctx.const(fn(a.data, b.data), node.output[0])])
        return
    if a.is_const:
        a, b, op = b, a, _FLIPPED[op]
    if b.is_const is False:
        raise ctx.unsupported(node, "both sides computed at run time (one must be a constant)")
    if a.type.dtype.value != "float32":
        raise ctx.unsupported(node, f"{a.type.dtype.value} operands (float is supported)")
    t = np.asarray(b.data, np.float64)
    if a.type.rank != 2 or a.shape[0] != 1 or t.size not in (1, a.shape[-1]) or t.ndim > 2:
        raise ctx.unsupported(node, f"shapes {a.shape} and {t.shape} (a [1, n] tensor against a scalar or [n])")
    out = compare(ctx, a, t.reshape(-1), op, node.name or node.output[0])
    ctx.float_bools.add(id(out))
    ctx.bind(node, [out])


@importer("Equal")
def _equal(ctx: ImportContext, node) -> None:
    """An arg-max index (or class label) against every class: the one-hot of the arg max."""
    a, b = ctx.input(node, 0), ctx.input(node, 1)
    if a.is_const and b.is_const:   # shape arithmetic: folded
        ctx.bind(node, [ctx.const(np.equal(a.data, b.data), node.output[0])])
        return
    if a.is_const:
        a, b = b, a
    if not b.is_const:
        raise ctx.unsupported(node, "only an arg-max index compared with the constant class list is supported")
    ok, classes = int32_label_source(ctx, a)
    scores = _argmax_scores(ctx, a) if ok else None
    if scores is None:
        raise ctx.unsupported(node, "only an arg-max index compared with the constant class list is supported")
    k = scores.shape[-1]
    expect = np.arange(k) if classes is None else np.asarray(labels_of_classes(classes))
    if a.type.size != 1 or np.asarray(b.data).size != k or not np.array_equal(np.asarray(b.data).reshape(-1), expect):
        raise ctx.unsupported(node, f"comparison of an arg-max index with {np.asarray(b.data).reshape(-1)[:8]} "
                              f"(every class, in order, is supported)")
    out = ctx.emit("arg_max_one_hot", [scores], None, node.name or node.output[0])[0]
    ctx.float_bools.add(id(out))
    ctx.bind(node, [out])


def labels_of_classes(classes) -> tuple[int, ...]:
    from edgec.frontend.onnx_ml_common import labels_of
    return labels_of(np.asarray(classes))


@importer("Where")
def _where(ctx: ImportContext, node) -> None:
    """cond ? a : b for a 0/1 float cond and constant a, b: b + cond * (a - b), when that is
    exact for the constants (always for the 1/0 of a vote)."""
    c, a, b = (ctx.input(node, i) for i in range(3))
    if c.is_const and a.is_const and b.is_const:
        ctx.bind(node, [ctx.const(np.where(np.asarray(c.data, bool), a.data, b.data), node.output[0])])
        return
    if id(c) not in ctx.float_bools:
        raise ctx.unsupported(node, "the condition must come from a comparison edgec imports (Less, Equal, ...)")
    if not (a.is_const and b.is_const) or a.type.dtype != DType.F32 or b.type.dtype != DType.F32:
        raise ctx.unsupported(node, "only constant float branches are supported")
    av, bv = np.asarray(a.data, np.float32), np.asarray(b.data, np.float32)
    d = (av - bv).astype(np.float32)
    if not np.array_equal((d + bv).astype(np.float32), np.broadcast_to(av, np.broadcast_shapes(av.shape, bv.shape))):
        raise ctx.unsupported(node, "branches whose difference is not exact in float32")
    name = node.name or node.output[0]
    out = c
    if not np.all(d == 1):
        out = ctx.emit("mul", [out, ctx.const(d, f"{name}_diff")], BinaryAttrs(), f"{name}_scaled")[0]
    if np.any(bv != 0):
        out = ctx.emit("add", [out, ctx.const(bv, f"{name}_else")], BinaryAttrs(), name)[0]
    target = np.broadcast_shapes(c.shape, av.shape, bv.shape)
    if out.shape != target:
        out = ctx.emit("expand", [out], _expand_attrs(target), f"{name}_expand")[0]
    elif out is c:
        out = ctx.emit("identity", [c], None, name)[0]
    ctx.bind(node, [out])


def _expand_attrs(shape):
    from edgec.ops.movement_index import ExpandAttrs
    return ExpandAttrs(tuple(shape))
