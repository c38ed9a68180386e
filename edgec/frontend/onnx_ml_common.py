"""What the ONNX-ML importers share: attributes, class labels, score post-processing, and the
estimator-style API a classifier- or regressor-shaped ONNX-ML model gets.

Class labels (int64 or string in ONNX) become int32 values in the IR, as on the scikit-learn
route: the class itself when it is an integer that fits, else the class index (the names are kept
for the C API). `ctx.int32_labels` remembers such values so the int64 Casts converters emit after
them keep them int32.
"""
from __future__ import annotations

import numpy as np

from edgec.frontend.importer import ImportContext
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ir.graph import DType, Value

ML = "ai.onnx.ml"
REGRESSORS = ("TreeEnsembleRegressor", "LinearRegressor", "SVMRegressor", "TreeEnsemble")


def ml_attr(ctx: ImportContext, node, name: str):
    """`name`, or `name_as_tensor` (the double form opset 3 added), or None."""
    v = ctx.attr(node, name)
    if v is None or (hasattr(v, "__len__") and len(v) == 0):
        t = ctx.attr(node, f"{name}_as_tensor")
        if t is not None:
            return np.asarray(t, np.float64).reshape(-1)
    return v


def float_rows(ctx: ImportContext, node, x: Value) -> Value:
    """The operator's input as float32 [rows, features] ([features] is one row)."""
    if x.type.dtype != DType.F32:
        raise ctx.unsupported(node, f"{x.type.dtype.value} input (float and double inputs are supported)")
    if x.type.rank == 1:
        from edgec.ops.movement import ReshapeAttrs
        return ctx.emit("reshape", [x], ReshapeAttrs((1, x.shape[0])), f"{node.name}_rows")[0]
    if x.type.rank != 2:
        raise ctx.unsupported(node, f"input of rank {x.type.rank} (rank 2 [rows, features] expected)")
    return x


def class_labels(ctx: ImportContext, node) -> np.ndarray:
    """classlabels_int64s / classlabels_ints or classlabels_strings, as a numpy array."""
    for name in ("classlabels_int64s", "classlabels_ints"):
        v = ctx.attr(node, name)
        if v is not None and len(v):
            return np.asarray(v, np.int64)
    v = ctx.attr(node, "classlabels_strings")
    if v is not None and len(v):
        return np.asarray([str(s) for s in v])
    raise ctx.unsupported(node, "no class labels (classlabels_int64s or classlabels_strings)")


def labels_of(classes: np.ndarray) -> tuple[int, ...]:
    from edgec.frontend.sklearn.core import labels_of as sk_labels_of
    return sk_labels_of(classes)


def mark_int32(ctx: ImportContext, v: Value, classes: np.ndarray | None) -> None:
    """`v` is int32 where ONNX says int64 (labels of `classes`, or plain indices when None)."""
    ctx.int32_labels[id(v)] = classes


def int32_label_source(ctx: ImportContext, v: Value):
    """(True, classes) when `v` is a marked int32 label or index, possibly reshaped; else (False, None)."""
    labels = ctx.int32_labels
    producers = None
    seen = 0
    while seen < 64:
        if id(v) in labels:
            return True, labels[id(v)]
        if producers is None:
            producers = {id(o): n for n in ctx.nodes for o in n.outputs}
        n = producers.get(id(v))
        if n is None or n.op not in ("reshape", "identity", "copy"):
            return False, None
        v, seen = n.inputs[0], seen + 1
    return False, None


def argmax_label(ctx: ImportContext, scores: Value, classes: np.ndarray, name: str) -> Value:
    """int32 label of the first largest score (onnxruntime and numpy keep the first maximum)."""
    from edgec.ops.select import ArgMaxAttrs
    label = ctx.emit("arg_max", [scores], ArgMaxAttrs(labels_of(classes)), name)[0]
    mark_int32(ctx, label, classes)
    return label


def concat1(ctx: ImportContext, parts: list[Value], name: str) -> Value:
    from edgec.ops.movement import ConcatAttrs
    return ctx.emit("concat", parts, ConcatAttrs(1), name)[0]


def binary_scores(ctx: ImportContext, node, s: Value, classes: np.ndarray, transform: str,
                  all_positive: bool) -> tuple[Value, Value]:
    """onnxruntime's two-class case with one score s [rows, 1]: (label, [rows, 2] scores).

    All weights >= 0: scores [1 - s, s], class 1 when s > 0.5 (no transform is applied, as in
    onnxruntime). Mixed signs: [-s, s] (LOGISTIC: both through the sigmoid), class 1 when s > 0.
    argmax of the pair is that test exactly: 1 - s is exact for s >= 0.25, ties pick class 0.
    """
    if transform == "PROBIT":
        raise ctx.unsupported(node, "post_transform PROBIT is not supported")
    if all_positive:
        one = ctx.const(np.ones((1, 1), np.float32), f"{node.name}_one")
        q = ctx.emit("sub", [one, s], BinaryAttrs(), f"{node.name}_q")[0]
        pair = concat1(ctx, [q, s], f"{node.name}_pair")
        return argmax_label(ctx, pair, classes, f"{node.name}_label"), pair
    if transform not in ("NONE", "LOGISTIC"):
        raise ctx.unsupported(node, f"post_transform {transform} with one score for two classes")
    pair = concat1(ctx, [ctx.emit("neg", [s], PointwiseAttrs(), f"{node.name}_neg")[0], s], f"{node.name}_pair")
    label = argmax_label(ctx, pair, classes, f"{node.name}_label")
    if transform == "LOGISTIC":
        return label, ctx.emit("sigmoid", [pair], PointwiseAttrs(), f"{node.name}_proba")[0]
    return label, pair


def post_transform(ctx: ImportContext, node, scores: Value, transform: str) -> Value:
    """NONE, LOGISTIC (per score) or SOFTMAX (over the classes) of [rows, classes] scores."""
    from edgec.ops.reduce import SoftmaxAttrs
    if transform == "NONE":
        return scores
    if transform == "LOGISTIC":
        return ctx.emit("sigmoid", [scores], PointwiseAttrs(), f"{node.name}_logistic")[0]
    if transform == "SOFTMAX":
        return ctx.emit("softmax", [scores], SoftmaxAttrs(scores.type.rank - 1), f"{node.name}_softmax")[0]
    raise ctx.unsupported(node, f"post_transform {transform} is not supported (NONE, LOGISTIC, SOFTMAX are)")


def classifier_outputs(ctx: ImportContext, node, label: Value, scores: Value, classes: np.ndarray) -> None:
    """Binds (label, scores) to the node's two outputs and notes the model is a classifier."""
    ctx.bind(node, [label, scores])
    mark_int32(ctx, label, classes)


def api_info(ctx: ImportContext, outputs: list[Value], ml_ops: list[str], n_features: int):
    """SklearnInfo for a model whose outputs are (label, scores) or one regression value;
    None when the outputs do not look like an estimator's (the plain `run` API stays)."""
    from edgec.frontend.sklearn.core import SklearnInfo
    if not ml_ops:
        return None
    sources = [int32_label_source(ctx, v) for v in outputs]
    label_outs = [(v, classes) for v, (ok, classes) in zip(outputs, sources) if ok and classes is not None]
    if len(label_outs) == 1:
        label, classes = label_outs[0]
        methods = []
        for v in outputs:
            if v is label:
                methods.append("predict")
            elif v.type.dtype == DType.F32 and v.type.shape[-1:] == (len(classes),) and "predict_proba" not in methods:
                methods.append("predict_proba")
            else:
                return None
        lab = labels_of(classes)
        names = tuple(str(c) for c in classes.tolist()) if lab == tuple(range(len(classes))) and \
            classes.dtype.kind not in "iub" else None
        return SklearnInfo("classifier", tuple(methods), tuple(classes.tolist()), lab, names, n_features,
                           f"onnx:{'+'.join(dict.fromkeys(ml_ops))}")
    if not label_outs and len(outputs) == 1 and outputs[0].type.dtype == DType.F32 \
            and any(op in REGRESSORS for op in ml_ops):
        return SklearnInfo("regressor", ("predict",), n_features=n_features,
                           estimator=f"onnx:{'+'.join(dict.fromkeys(ml_ops))}")
    return None
