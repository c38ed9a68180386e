"""ONNX-ML (domain ai.onnx.ml) importers: linear models, preprocessing, ZipMap and the ArgMax /
ArrayFeatureExtractor glue converters emit. Trees are in `onnx_ml_trees`, SVMs in `onnx_ml_svm`.

Everything lands on the ops the scikit-learn route uses (gemm, arg_max with class labels,
sigmoid / softmax, tree_ensemble), so both routes compile to the same C.
"""
from __future__ import annotations

import numpy as np

from edgec.frontend import onnx_ml_trees  # noqa: F401  (registers its importers)
from edgec.frontend.onnx_ml_svm import compare
from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import (ML, argmax_label, binary_scores, class_labels, classifier_outputs,
                                           float_rows, int32_label_source, labels_of, mark_int32, post_transform)
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ir.graph import DType
from edgec.ops.movement import ReshapeAttrs
from edgec.ops.reduce import ReduceAttrs


def _gemm(ctx: ImportContext, node, x, coef: np.ndarray, intercept: np.ndarray, name: str):
    from edgec.ops.matmul import GemmAttrs
    w = ctx.const(np.asarray(coef, np.float32), f"{name}_weight")
    b = ctx.const(np.asarray(intercept, np.float32), f"{name}_bias")
    return ctx.emit("gemm", [x, w, b], GemmAttrs(), name)[0]


def _coefficients(ctx: ImportContext, node, x, n_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(ctx.attr(node, "coefficients", []), np.float64)
    nf = x.shape[-1]
    if coef.size == 0 or coef.size % nf:
        raise ctx.unsupported(node, f"{coef.size} coefficients for {nf} features")
    coef = coef.reshape(-1, nf)
    icpt = np.asarray(ctx.attr(node, "intercepts", []) or [], np.float64)
    if icpt.size == 0:
        icpt = np.zeros(coef.shape[0])
    if icpt.size != coef.shape[0]:
        raise ctx.unsupported(node, f"{icpt.size} intercepts for {coef.shape[0]} coefficient rows")
    return coef, icpt


@importer(f"{ML}.LinearRegressor")
def _linear_regressor(ctx: ImportContext, node) -> None:
    x = float_rows(ctx, node, ctx.input(node, 0))
    if ctx.attr(node, "post_transform", "NONE") != "NONE":
        raise ctx.unsupported(node, f"post_transform {ctx.attr(node, 'post_transform')} (NONE is supported)")
    coef, icpt = _coefficients(ctx, node, x)
    targets = int(ctx.attr(node, "targets", 1))
    if coef.shape[0] != targets:
        raise ctx.unsupported(node, f"{coef.shape[0]} coefficient rows for {targets} targets")
    ctx.bind(node, [_gemm(ctx, node, x, coef, icpt, node.name or node.output[0])])


@importer(f"{ML}.LinearClassifier")
def _linear_classifier(ctx: ImportContext, node) -> None:
    """Scores X @ coef.T + intercepts; one score for two classes is onnxruntime's binary case
    (class 1 when the score is > 0; scores [-s, s], through LOGISTIC if asked)."""
    x = float_rows(ctx, node, ctx.input(node, 0))
    classes = class_labels(ctx, node)
    coef, icpt = _coefficients(ctx, node, x)
    transform = ctx.attr(node, "post_transform", "NONE")
    name = node.name or node.output[0]
    scores = _gemm(ctx, node, x, coef, icpt, f"{name}_scores")
    if coef.shape[0] == 1 and len(classes) == 2:
        label, proba = binary_scores(ctx, node, scores, classes, transform, all_positive=False)
        classifier_outputs(ctx, node, label, proba, classes)
        return
    if coef.shape[0] != len(classes):
        raise ctx.unsupported(node, f"{coef.shape[0]} score rows for {len(classes)} classes")
    label = argmax_label(ctx, scores, classes, f"{name}_label")
    classifier_outputs(ctx, node, label, post_transform(ctx, node, scores, transform), classes)


@importer(f"{ML}.Scaler")
def _scaler(ctx: ImportContext, node) -> None:
    """(x - offset) * scale, offset and scale per feature or one for all."""
    x = float_rows(ctx, node, ctx.input(node, 0))
    nf = x.shape[-1]
    out = x
    for attr, op in (("offset", "sub"), ("scale", "mul")):
        v = np.asarray(ctx.attr(node, attr, []) or [], np.float32).reshape(-1)
        if v.size == 0:
            continue
        if v.size not in (1, nf):
            raise ctx.unsupported(node, f"{v.size} {attr} values for {nf} features")
        if op == "sub" and not np.any(v):
            continue
        out = ctx.emit(op, [out, ctx.const(np.broadcast_to(v, (1, nf)).copy(), f"{node.name}_{attr}")], BinaryAttrs(),
                       f"{node.name}_{attr}")[0]
    if out is x:
        out = ctx.emit("identity", [x], None, node.name)[0]
    ctx.bind(node, [out])


@importer(f"{ML}.Normalizer")
def _normalizer(ctx: ImportContext, node) -> None:
    """x / norm(x) per row: MAX (the largest value), L1 (sum of |x|) or L2."""
    x = float_rows(ctx, node, ctx.input(node, 0))
    norm = ctx.attr(node, "norm", "MAX")
    red = lambda v, kind, hint: ctx.emit("reduce", [v], ReduceAttrs(kind, (1,), True), f"{node.name}_{hint}")[0]
    if norm == "MAX":
        d = red(x, "max", "max")
    elif norm == "L1":
        d = red(ctx.emit("abs", [x], PointwiseAttrs(), f"{node.name}_abs")[0], "sum", "l1")
    elif norm == "L2":
        sq = ctx.emit("mul", [x, x], BinaryAttrs(), f"{node.name}_sq")[0]
        d = ctx.emit("sqrt", [red(sq, "sum", "sumsq")], PointwiseAttrs(), f"{node.name}_l2")[0]
    else:
        raise ctx.unsupported(node, f"norm {norm} (MAX, L1, L2 are supported)")
    ctx.bind(node, ctx.emit("div", [x, d], BinaryAttrs(), node.name))


@importer(f"{ML}.Binarizer")
def _binarizer(ctx: ImportContext, node) -> None:
    """x > threshold -> 1.0 else 0.0, built as one single-split tree per feature (the tree test
    `x <= t` is exact in float32, and NaN gives 0 as in onnxruntime)."""
    x = float_rows(ctx, node, ctx.input(node, 0))
    t = float(ctx.attr(node, "threshold", 0.0))
    ctx.bind(node, [compare(ctx, x, np.full(x.shape[-1], t), "gt", node.name or node.output[0])])


@importer(f"{ML}.ZipMap")
def _zipmap(ctx: ImportContext, node) -> None:
    """A list of {class: probability} maps in ONNX; here the probability tensor itself."""
    ctx.alias(node, ctx.input(node, 0))


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


__all__ = ["labels_of", "is_int32_index"]
