"""ONNX-ML SVMClassifier / SVMRegressor -> the kernel SVM ops of the scikit-learn route
(`svm_kernel`, `svm_ovo_decision`, `ovo_vote` in edgec/ops/svm.py), plus the comparisons
(Less, Greater, ...) skl2onnx's one-vs-rest glue applies to the SVM scores.

onnxruntime's SVMClassifier: kernel values against every support vector, one decision value per
class pair (i, j) = class i's vectors weighted by coefficient row j-1 + class j's by row i + rho,
a vote for i when it is > 0 else for j, the label of the first class with most votes. The ops
compute exactly that (in float32 where onnxruntime accumulates the pair sums in double).
"""
from __future__ import annotations

import numpy as np

from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import ML, argmax_label, class_labels, classifier_outputs, concat1, float_rows
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.tree_ensemble import TreeEnsembleAttrs, make_ensemble

_KERNELS = {"LINEAR": "linear", "POLY": "poly", "RBF": "rbf", "SIGMOID": "sigmoid"}


def _svm_ops(ctx: ImportContext, node):
    try:
        from edgec.ops import svm
    except ImportError:   # the kernel-SVM ops come with the scikit-learn SVC converter
        raise ctx.unsupported(node, "kernel SVMs need the svm_kernel ops (edgec/ops/svm.py)") from None
    return svm


def _kernel(ctx: ImportContext, node, x, n_vectors: int):
    svm = _svm_ops(ctx, node)
    kind = _KERNELS.get(ctx.attr(node, "kernel_type", "LINEAR"))
    if kind is None:
        raise ctx.unsupported(node, f"kernel_type {ctx.attr(node, 'kernel_type')} (LINEAR, POLY, RBF, SIGMOID are supported)")
    params = list(ctx.attr(node, "kernel_params", []) or []) + [0.0, 0.0, 0.0]
    gamma, coef0, degree = float(params[0]), float(params[1]), params[2]
    if kind == "poly" and (degree != int(degree) or degree < 0):
        raise ctx.unsupported(node, f"polynomial degree {degree} (a non-negative integer is supported)")
    sv = np.asarray(ctx.attr(node, "support_vectors", []), np.float32)
    nf = x.shape[-1]
    if n_vectors <= 0 or sv.size != n_vectors * nf:
        raise ctx.unsupported(node, f"{sv.size} support-vector values for {n_vectors} vectors of {nf} features")
    attrs = svm.SvmKernelAttrs(kind, gamma, coef0, int(degree))
    return ctx.emit("svm_kernel", [x, ctx.const(sv.reshape(n_vectors, nf), f"{node.name}_sv")], attrs,
                    f"{node.name}_kernel")[0]


@importer(f"{ML}.SVMClassifier")
def _svm_classifier(ctx: ImportContext, node) -> None:
    x = float_rows(ctx, node, ctx.input(node, 0))
    classes = class_labels(ctx, node)
    c = len(classes)
    if ctx.attr(node, "prob_a"):
        raise ctx.unsupported(node, "probability estimates (prob_a / prob_b, Platt scaling) are not supported")
    per_class = [int(v) for v in ctx.attr(node, "vectors_per_class", []) or []]
    if not per_class:
        raise ctx.unsupported(node, "the linear mode (no vectors_per_class) is not supported")
    if len(per_class) != c or c < 2:
        raise ctx.unsupported(node, f"vectors_per_class has {len(per_class)} entries for {c} classes")
    svm = _svm_ops(ctx, node)
    n = sum(per_class)
    k = _kernel(ctx, node, x, n)
    coef = np.asarray(ctx.attr(node, "coefficients", []), np.float32)
    rho = np.asarray(ctx.attr(node, "rho", []), np.float32)
    pairs = c * (c - 1) // 2
    if coef.size != (c - 1) * n or rho.size != pairs:
        raise ctx.unsupported(node, f"{coef.size} coefficients / {rho.size} rho for {c} classes and {n} vectors")
    dec = ctx.emit("svm_ovo_decision", [k, ctx.const(coef.reshape(c - 1, n), f"{node.name}_coef"),
                                        ctx.const(rho, f"{node.name}_rho")], svm.SvmOvoAttrs(tuple(per_class)),
                   f"{node.name}_ovo")[0]
    votes = ctx.emit("ovo_vote", [dec], svm.OvoVoteAttrs(c), f"{node.name}_votes")[0]
    label = argmax_label(ctx, votes, classes, f"{node.name}_label")
    transform = ctx.attr(node, "post_transform", "NONE")
    if c == 2:   # onnxruntime writes [-s, s] (NONE) or [1 - s, s] (any transform, not applied)
        if transform == "NONE":
            first = ctx.emit("neg", [dec], PointwiseAttrs(), f"{node.name}_neg")[0]
        else:
            one = ctx.const(np.ones((1, 1), np.float32), f"{node.name}_one")
            first = ctx.emit("sub", [one, dec], BinaryAttrs(), f"{node.name}_q")[0]
        scores = concat1(ctx, [first, dec], f"{node.name}_scores")
    else:
        if transform != "NONE":
            raise ctx.unsupported(node, f"post_transform {transform} of the pairwise SVM scores")
        scores = dec
    classifier_outputs(ctx, node, label, scores, classes)


@importer(f"{ML}.SVMRegressor")
def _svm_regressor(ctx: ImportContext, node) -> None:
    """sum(coef * K) + rho; one_class: +1 / -1 by its sign (> 0 is +1, as onnxruntime)."""
    from edgec.ops.matmul import GemmAttrs
    x = float_rows(ctx, node, ctx.input(node, 0))
    if ctx.attr(node, "post_transform", "NONE") != "NONE":
        raise ctx.unsupported(node, f"post_transform {ctx.attr(node, 'post_transform')} (NONE is supported)")
    n = int(ctx.attr(node, "n_supports", 0))
    coef = np.asarray(ctx.attr(node, "coefficients", []), np.float32)
    rho = np.asarray(ctx.attr(node, "rho", [0.0]) or [0.0], np.float32)[:1]
    if n > 0:
        k = _kernel(ctx, node, x, n)
    else:   # linear mode: the coefficients are feature weights
        k, n = x, x.shape[-1]
    if coef.size != n:
        raise ctx.unsupported(node, f"{coef.size} coefficients for {n} support vectors / features")
    y = ctx.emit("gemm", [k, ctx.const(coef.reshape(1, n), f"{node.name}_coef"), ctx.const(rho, f"{node.name}_rho")],
                 GemmAttrs(), f"{node.name}_value")[0]
    if ctx.attr(node, "one_class", 0):
        # 1.0 when y > 0 else -1.0: 2 * (y > 0) - 1
        pos = compare(ctx, y, np.zeros(1), "gt", f"{node.name}_pos")
        y = ctx.emit("affine", [pos], PointwiseAttrs(2.0, -1.0), node.name)[0]
    ctx.bind(node, [y])


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
    ctx.bind(node, [compare(ctx, a, t.reshape(-1), op, node.name or node.output[0])])
