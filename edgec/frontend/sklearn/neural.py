"""MLPClassifier / MLPRegressor -> one gemm per layer with its activation fused in.

Hidden layers apply `activation`; the output layer applies scikit-learn's out_activation_:
logistic (binary classifier: one unit, probability of the second class), softmax (multiclass),
identity or exp (regressors). predict of a classifier is the arg max of the last layer's
pre-activation scores (binary: [-z, z]), which orders classes exactly as the probabilities do.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.blocks import binary_proba, concat, unary
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.neural_network import MLPClassifier, MLPRegressor

# scikit-learn activation name -> IR op (None: identity)
HIDDEN = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": None}


def _layers(ctx: SkContext, est: Any, x: Value) -> Value:
    """The last layer's pre-activation output, hidden activations applied on the way."""
    name = type(est).__name__
    if est.activation not in HIDDEN:
        raise UnsupportedOpError(name, "activation", f"activation={est.activation!r} is not supported")
    n = len(est.coefs_)
    for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        x = ctx.linear(x, np.asarray(w).T, b, f"layer{i}")
        if i < n - 1 and HIDDEN[est.activation] is not None:
            x = unary(ctx, HIDDEN[est.activation], x, f"layer{i}_{est.activation}")
    return x


@converter(MLPClassifier)
def mlp_classifier(ctx: SkContext, est: Any, x: Value) -> Outputs:
    from edgec.ops.reduce import SoftmaxAttrs
    z = _layers(ctx, est, x)
    classes = est.classes_
    if est.out_activation_ == "softmax":
        proba = ctx.node("softmax", [z], SoftmaxAttrs(1), "proba")
        return Outputs(label=ctx.argmax_label(z, classes), proba=proba, classes=classes)
    if est.out_activation_ == "logistic" and len(classes) == 2 and est.n_outputs_ == 1:
        proba = binary_proba(ctx, unary(ctx, "sigmoid", z, "sigmoid"))
        label = ctx.argmax_label(concat(ctx, [unary(ctx, "neg", z, "neg"), z], "pair"), classes)
        return Outputs(label=label, proba=proba, classes=classes)
    raise UnsupportedOpError("MLPClassifier", "out_activation_", f"{est.out_activation_} output with "
                             f"{est.n_outputs_} outputs (multilabel) is not supported")


@converter(MLPRegressor)
def mlp_regressor(ctx: SkContext, est: Any, x: Value) -> Outputs:
    z = _layers(ctx, est, x)
    if est.out_activation_ == "exp":
        z = unary(ctx, "exp", z, "exp")
    elif est.out_activation_ != "identity":
        raise UnsupportedOpError("MLPRegressor", "out_activation_", f"{est.out_activation_} is not supported")
    return Outputs(value=z)
