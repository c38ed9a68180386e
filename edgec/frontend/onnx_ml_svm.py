"""ONNX-ML SVMClassifier / SVMRegressor -> the kernel SVM ops of the scikit-learn route
(`svm_kernel`, `svm_ovo_decision`, `ovo_vote` in edgec/ops/svm.py).

onnxruntime's SVMClassifier: kernel values against every support vector, one decision value per
class pair (i, j) = class i's vectors weighted by coefficient row j-1 + class j's by row i + rho,
a vote for i when it is > 0 else for j, the label of the first class with most votes. The ops
compute exactly that (in float32 where onnxruntime accumulates the pair sums in double). With
prob_a / prob_b (SVC(probability=True)) the scores are `svm_pair_proba`: Platt sigmoids per pair
and libsvm's pairwise coupling, which onnxruntime and scikit-learn both compute.
"""
from __future__ import annotations

import numpy as np

from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import ML, argmax_label, class_labels, classifier_outputs, concat1, float_rows
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs

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
    per_class = [int(v) for v in ctx.attr(node, "vectors_per_class", []) or []]
    if not per_class:
        raise ctx.unsupported(node, "the linear mode (no vectors_per_class) is not supported")
    if len(per_class) != c or c < 2:
        raise ctx.unsupported(node, f"vectors_per_class has {len(per_class)} entries for {c} classes")
    pairs = c * (c - 1) // 2
    transform = ctx.attr(node, "post_transform", "NONE")
    prob_a, prob_b = ctx.attr(node, "prob_a", []) or [], ctx.attr(node, "prob_b", []) or []
    if (prob_a or prob_b) and (len(prob_a) != pairs or len(prob_b) != pairs or transform != "NONE"):
        raise ctx.unsupported(node, f"{len(prob_a)} prob_a / {len(prob_b)} prob_b for {pairs} class pairs "
                              f"with post_transform {transform} (one each per pair and NONE are supported)")
    svm = _svm_ops(ctx, node)
    n = sum(per_class)
    k = _kernel(ctx, node, x, n)
    coef = np.asarray(ctx.attr(node, "coefficients", []), np.float32)
    rho = np.asarray(ctx.attr(node, "rho", []), np.float32)
    if coef.size != (c - 1) * n or rho.size != pairs:
        raise ctx.unsupported(node, f"{coef.size} coefficients / {rho.size} rho for {c} classes and {n} vectors")
    dec = ctx.emit("svm_ovo_decision", [k, ctx.const(coef.reshape(c - 1, n), f"{node.name}_coef"),
                                        ctx.const(rho, f"{node.name}_rho")], svm.SvmOvoAttrs(tuple(per_class)),
                   f"{node.name}_ovo")[0]
    votes = ctx.emit("ovo_vote", [dec], svm.OvoVoteAttrs(c), f"{node.name}_votes")[0]
    label = argmax_label(ctx, votes, classes, f"{node.name}_label")
    if prob_a or prob_b:   # Platt sigmoids per pair + libsvm's pairwise coupling, as onnxruntime
        if not hasattr(svm, "SvmPairProbaAttrs"):
            raise ctx.unsupported(node, "probability estimates (prob_a / prob_b) need the svm_pair_proba op")
        attrs = svm.SvmPairProbaAttrs(c, tuple(float(v) for v in prob_a), tuple(float(v) for v in prob_b))
        proba = ctx.emit("svm_pair_proba", [dec], attrs, f"{node.name}_proba")[0]
        classifier_outputs(ctx, node, label, proba, classes)
        return
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
        from edgec.frontend.onnx_ml_glue import compare
        pos = compare(ctx, y, np.zeros(1), "gt", f"{node.name}_pos")
        y = ctx.emit("affine", [pos], PointwiseAttrs(2.0, -1.0), node.name)[0]
    ctx.bind(node, [y])
