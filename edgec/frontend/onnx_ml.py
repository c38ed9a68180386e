"""ONNX-ML (domain ai.onnx.ml) importers: linear models, preprocessing and ZipMap. Trees are in
`onnx_ml_trees`, SVMs in `onnx_ml_svm`, the ArgMax / Equal / Less ... glue in `onnx_ml_glue`.

Everything lands on the ops the scikit-learn route uses (gemm, arg_max with class labels,
sigmoid / softmax, tree_ensemble), so both routes compile to the same C.
"""
from __future__ import annotations

import numpy as np

from edgec.frontend import onnx_ml_svm, onnx_ml_trees  # noqa: F401  (register their importers)
from edgec.frontend.onnx_ml_glue import compare
from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import (ML, argmax_label, binary_scores, class_labels, classifier_outputs,
                                           float_rows, post_transform)
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
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
