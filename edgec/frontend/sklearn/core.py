"""Importing fitted scikit-learn estimators: the converter table and what converters share.

A converter turns one estimator applied to an IR value `x` (float32 [1, features]) into IR
nodes and says what it computed (`Outputs`). Meta-estimators (Pipeline, voting, stacking)
convert their members through `SkContext.convert` and combine the results, so every model is
one graph of ordinary IR ops that the simulator, the quantizer and the C back end all know.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from edgec.errors import EdgecError, UnsupportedOpError
from edgec.frontend.importer import ImportContext
from edgec.ir.graph import DType, Graph, TensorType, Value

Converter = Callable[["SkContext", Any, Value], "Outputs"]
CONVERTERS: dict[type, Converter] = {}


def converter(*classes: type):
    """Registers the decorated function as the converter of the estimator `classes`."""
    def deco(fn: Converter) -> Converter:
        for c in classes:
            CONVERTERS[c] = fn
        return fn
    return deco


@dataclass
class Outputs:
    """IR values an estimator computes for one sample (each [1, k] float32 unless noted).

    label: int32 [1] predicted class label (classifiers; `classes` says which labels exist).
    value: regressor prediction [1, targets]. proba: predict_proba [1, classes].
    decision: decision_function [1, k]. score: score_samples [1, 1]. transform: a transformer's
    output [1, features'].
    """

    label: Value | None = None
    value: Value | None = None
    proba: Value | None = None
    decision: Value | None = None
    score: Value | None = None
    transform: Value | None = None
    classes: np.ndarray | None = None


# graph output name -> Outputs field, in output order (predict first)
METHODS = (("predict", "label"), ("predict", "value"), ("predict_proba", "proba"),
           ("decision_function", "decision"), ("score_samples", "score"), ("transform", "transform"))


@dataclass
class SklearnInfo:
    """What the C API of an imported estimator offers (see backend/api.py)."""

    kind: str                                  # classifier | regressor | transformer | outlier
    methods: tuple[str, ...]                   # graph output names, in order
    classes: tuple | None = None               # scikit-learn's classes_ (any dtype)
    labels: tuple[int, ...] | None = None      # the int32 `predict` writes per class
    class_names: tuple[str, ...] | None = None  # when classes are not integers
    n_features: int = 0
    estimator: str = ""


class SkContext(ImportContext):
    """ImportContext plus estimator dispatch and the building blocks converters share."""

    def __init__(self):
        super().__init__(opset=21)

    def convert(self, est: Any, x: Value) -> Outputs:
        fn = lookup(est)
        try:
            return fn(self, est, x)
        except EdgecError:
            raise
        except (AttributeError, ValueError, IndexError, TypeError, KeyError) as e:
            raise UnsupportedOpError(type(est).__name__, estimator_name(est), f"cannot convert: {e}") from None

    # -- building blocks ---------------------------------------------------------------------
    def node(self, op: str, inputs: list[Value | None], attrs: Any = None, hint: str = "") -> Value:
        """Adds one node; attrs None means the op's defaults (pointwise, binary or none)."""
        if attrs is None:
            from edgec.ops.elementwise import BINARY, POINTWISE, BinaryAttrs, PointwiseAttrs
            attrs = PointwiseAttrs() if op in POINTWISE else BinaryAttrs() if op in BINARY else None
        return self.emit(op, inputs, attrs, name=self.fresh(hint or op))[0]

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def linear(self, x: Value, coef: np.ndarray, intercept: np.ndarray | float | None, hint: str = "linear") -> Value:
        """x @ coef.T + intercept as one gemm; coef [outputs, inputs]."""
        from edgec.ops.matmul import GemmAttrs
        coef = np.atleast_2d(np.asarray(coef, np.float64))
        b = None
        if intercept is not None:
            b = self.const(np.broadcast_to(np.asarray(intercept, np.float64), (coef.shape[0],)).astype(np.float32),
                           f"{hint}_bias")
        return self.node("gemm", [x, self.const(coef.astype(np.float32), f"{hint}_weight"), b], GemmAttrs(), hint)

    def argmax_label(self, scores: Value, classes: np.ndarray, hint: str = "predict") -> Value:
        """classes[argmax(scores)] as int32 (class indices when classes are not integers)."""
        from edgec.ops.select import ArgMaxAttrs
        return self.node("arg_max", [scores], ArgMaxAttrs(labels_of(classes)), hint)


def labels_of(classes: np.ndarray) -> tuple[int, ...]:
    """The int32 `predict` writes for each class: the class itself when it is an integer."""
    c = np.asarray(classes)
    if c.dtype.kind in "iub" or (c.dtype.kind == "f" and np.all(np.mod(c, 1) == 0)):
        vals = c.astype(np.int64)
        if vals.min(initial=0) >= -2 ** 31 and vals.max(initial=0) < 2 ** 31:
            return tuple(int(v) for v in vals)
    return tuple(range(len(c)))


def estimator_name(est: Any) -> str:
    return type(est).__name__


def lookup(est: Any) -> Converter:
    for cls in type(est).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
    _load_converters()
    for cls in type(est).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
    supported = sorted({c.__name__ for c in CONVERTERS})
    raise UnsupportedOpError(type(est).__name__, "estimator",
                             "no converter for this estimator type", supported)


def _load_converters() -> None:
    from edgec.frontend.sklearn import families  # noqa: F401  (registers every converter)


def check_fitted(est: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted
    try:
        check_is_fitted(est)
    except NotFittedError:
        raise EdgecError(f"{type(est).__name__} is not fitted; call fit() before compiling it") from None
    except TypeError:
        pass


def n_features_of(est: Any) -> int:
    n = getattr(est, "n_features_in_", None)
    if n is None:
        raise EdgecError(f"{type(est).__name__}: cannot tell the number of input features (no n_features_in_)")
    return int(n)


def import_sklearn(est: Any, name: str = "model") -> tuple[Graph, SklearnInfo]:
    """A fitted estimator -> IR graph with input 'X' [1, features] and one output per method."""
    check_fitted(est)
    nf = n_features_of(est)
    ctx = SkContext()
    x = Value("X", TensorType((1, nf), DType.F32))
    out = ctx.convert(est, x)
    values, methods = [], []
    for method, fld in METHODS:
        v = getattr(out, fld)
        if v is None or method in methods:
            continue
        if v.is_const:
            raise UnsupportedOpError(type(est).__name__, "estimator", f"{method} does not depend on the input")
        if v in values:   # the same value under two methods: copy so each output has a buffer
            v = ctx.node("copy", [v], None, method)
        v.name = method
        values.append(v)
        methods.append(method)
    if out.label is not None:
        kind = "classifier"
    elif out.value is not None:
        kind = "regressor"
    elif out.score is not None:
        kind = "outlier"
    else:
        kind = "transformer"
    classes = labels = names = None
    if out.classes is not None:
        classes = tuple(np.asarray(out.classes).tolist())
        labels = labels_of(out.classes)
        if labels == tuple(range(len(classes))) and not (np.asarray(out.classes).dtype.kind in "iub"):
            names = tuple(str(c) for c in classes)
    g = Graph(name, [x], values, ctx.nodes)
    return g, SklearnInfo(kind, tuple(methods), classes, labels, names, nf, type(est).__name__)


def is_sklearn_estimator(model: Any) -> bool:
    try:
        from sklearn.base import BaseEstimator
    except ImportError:   # pragma: no cover - scikit-learn is a dependency
        return False
    return isinstance(model, BaseEstimator)
