"""int8 NN path for classical models with hidden layers: per-feature input normalisation folded
into the first layer, the int8 kernels after it, labels from the int8 logits."""
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from edgec.backend.build import CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import DType, Graph, TensorType, Value
from edgec.ops.base import Activation
from edgec.ops.matmul import GemmAttrs
from edgec.ops.reduce import SoftmaxAttrs
from edgec.quant.sklearn_nn import has_hidden_layers, nn_int8
from edgec.sim.interpreter import run_graph


def mlp_graph(est, n_features):
    """The float graph an MLPClassifier converter builds (relu hidden layer, softmax)."""
    ctx = SkContext()
    x = Value("X", TensorType((1, n_features), DType.F32))
    h = ctx.node("gemm", [x, ctx.const(est.coefs_[0].T), ctx.const(est.intercepts_[0])], GemmAttrs(Activation("relu")))
    z = ctx.node("gemm", [h, ctx.const(est.coefs_[1].T), ctx.const(est.intercepts_[1])], GemmAttrs())
    proba = ctx.node("softmax", [z], SoftmaxAttrs(1))
    label = ctx.argmax_label(proba, est.classes_)
    label.name, proba.name = "predict", "predict_proba"
    return Graph("mlp", [x], [label, proba], ctx.nodes)


@pytest.mark.parametrize("load", [load_digits, load_wine], ids=["digits", "wine"])
def test_mlp_int8_agrees_and_is_bit_exact(load):
    X, y = load(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(Xtr, ytr)
    g = mlp_graph(est, X.shape[1])
    assert has_hidden_layers(g)
    q, islands = nn_int8(g, Xtr)
    assert islands == []
    ops = [n.op for n in q.nodes]
    assert ops[0] == "feature_quantize" and ops.count("fully_connected_s8") == 2 and "gemm" not in ops
    arg = next(n for n in q.nodes if n.op == "arg_max")
    assert arg.inputs[0].type.dtype == DType.I8       # labels from int8 logits, not the softmax
    c = emit_c(q, "mlp")
    model = CompiledModel(c.signature(), build_shared(c.files))
    rows = Xte.astype(np.float32)
    got = np.array([model.run({"X": rows[i:i + 1]})["predict"][0] for i in range(len(rows))])
    sim = np.array([run_graph(q, {"X": rows[i:i + 1]})["predict"][0] for i in range(len(rows))])
    np.testing.assert_array_equal(got, sim)
    assert np.mean(got == est.predict(Xte)) >= 0.99


def test_unfoldable_first_layer_falls_back():
    ctx = SkContext()
    x = Value("X", TensorType((1, 3), DType.F32))
    h = ctx.node("tanh", [x])
    z = ctx.node("gemm", [h, ctx.const(np.ones((2, 3), np.float32)), None], GemmAttrs())
    z2 = ctx.node("gemm", [z, ctx.const(np.ones((2, 2), np.float32)), None], GemmAttrs())
    z2.name = "predict"
    g = Graph("g", [x], [z2], ctx.nodes)
    assert nn_int8(g, np.random.default_rng(0).normal(size=(20, 3))) is None


@pytest.mark.parametrize("load", [load_breast_cancer, load_wine], ids=["binary", "multiclass"])
def test_mlp_pipeline_int8_through_the_converter(load):
    """The real converter's graph (scaler folded, binary label as z > 0) takes the NN path whole."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from edgec.testing import check_sklearn
    X, y = load(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0)).fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, quant="int8", sample=Xtr, min_agreement=0.99)
    assert art.float_islands == []
    assert not {n.op for n in art.graph.nodes} & {"gemm", "neg", "sub", "div"}
