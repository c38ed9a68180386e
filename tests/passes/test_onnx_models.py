"""The pass pipeline on small ONNX models: same numbers before and after (numpy simulator, and
onnxruntime), the expected structure, and the compiled C agrees (edgec.testing.check_onnx)."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.printer import dump
from edgec.ir.verify import verify
from edgec.passes.pipeline import DEFAULT_PIPELINE, run_pipeline
from edgec.testing import check_onnx
from tests.ir.build import assert_same_result, count_ops, ops


class _Model:
    """Collects ONNX nodes and random initializers; build() gives an opset-17 model."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def w(self, name: str, shape, lo: float = -1.0, hi: float = 1.0) -> str:
        self.inits.append(numpy_helper.from_array(self.rng.uniform(lo, hi, shape).astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], out: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x: str, ic: int, oc: int, out: str, k: int = 3, spatial: int = 2) -> str:
        ks = (k,) * spatial
        return self.node("Conv", [x, self.w(f"{out}_w", (oc, ic) + ks), self.w(f"{out}_b", (oc,))], out,
                         pads=[k // 2] * (2 * spatial))

    def bn(self, x: str, c: int, out: str) -> str:
        ins = [self.w(f"{out}_{n}", (c,), lo, hi) for n, lo, hi in
               (("gamma", 0.5, 1.5), ("beta", -1, 1), ("mean", -1, 1), ("var", 0.5, 2.0))]
        return self.node("BatchNormalization", [x] + ins, out, epsilon=1e-3)

    def build(self, inputs: dict[str, tuple[int, ...]], output: str) -> onnx.ModelProto:
        g = helper.make_graph(self.nodes, "m", [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s))
                                                for n, s in inputs.items()],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], self.inits)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 9
        return model


def conv_bn_relu_pool_conv() -> onnx.ModelProto:
    m = _Model()
    y = m.node("Relu", [m.bn(m.conv("x", 3, 8, "c1"), 8, "bn1")], "r1")
    y = m.node("MaxPool", [y], "p", kernel_shape=[2, 2], strides=[2, 2])
    return m.build({"x": (1, 3, 8, 8)}, m.conv(y, 8, 4, "y", k=1))


def gemm_bn() -> onnx.ModelProto:
    m = _Model(1)
    y = m.node("Gemm", ["x", m.w("fc_w", (6, 5)), m.w("fc_b", (6,))], "fc", transB=1)
    return m.build({"x": (3, 5)}, m.node("Relu", [m.bn(y, 6, "bn")], "y"))


def residual() -> onnx.ModelProto:
    m = _Model(2)
    a = m.node("Relu", [m.bn(m.conv("x", 3, 4, "c1"), 4, "bn1")], "r1")
    h = m.node("Relu", [m.bn(m.conv(a, 4, 4, "c2"), 4, "bn2")], "r2")
    s = m.node("Add", [m.bn(m.conv(h, 4, 4, "c3"), 4, "bn3"), a], "sum")
    return m.build({"x": (1, 3, 6, 6)}, m.node("Relu", [s], "y"))


def concat() -> onnx.ModelProto:
    m = _Model(3)
    a = m.node("Relu", [m.conv("x", 3, 2, "a", k=1)], "ra")
    b = m.node("MaxPool", [m.conv("x", 3, 3, "b")], "pb", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    cat = m.node("Concat", [a, b], "cat", axis=1)
    return m.build({"x": (1, 3, 6, 6)}, m.conv(cat, 5, 4, "y"))


def conv1d() -> onnx.ModelProto:
    m = _Model(4)
    y = m.node("Relu", [m.bn(m.conv("x", 2, 4, "c1", spatial=1), 4, "bn1")], "r1")
    y = m.node("Relu", [m.bn(m.conv(y, 4, 3, "c2", spatial=1), 3, "bn2")], "r2")
    return m.build({"x": (1, 2, 16)}, m.conv(y, 3, 2, "y", spatial=1))


MODELS = {"conv_bn_relu_pool_conv": conv_bn_relu_pool_conv, "gemm_bn": gemm_bn, "residual": residual,
          "concat": concat, "conv1d": conv1d}


def _feeds(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {vi.name: rng.standard_normal([d.dim_value for d in vi.type.tensor_type.shape.dim]).astype(np.float32)
            for vi in model.graph.input}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_pipeline_keeps_float_result(name):
    model = MODELS[name]()
    g = import_onnx(model)
    out = run_pipeline(g)
    assert_same_result(g, out, rtol=1e-4, atol=1e-5)
    feeds = _feeds(model)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    from edgec.sim.interpreter import run_graph
    np.testing.assert_allclose(run_graph(out, feeds)[out.outputs[0].name], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_pass_keeps_float_result_and_leaves_its_input_alone(name):
    g = import_onnx(MODELS[name]())
    for pass_name, fn in DEFAULT_PIPELINE:
        before = dump(g)
        out = fn(g)
        verify(out, pass_name)
        assert dump(g) == before, f"{pass_name} changed its input graph"
        assert_same_result(g, out, rtol=1e-4, atol=1e-5)
        g = out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_pipeline_folds_every_batchnorm_and_fuses_every_relu(name):
    out = run_pipeline(import_onnx(MODELS[name]()))
    left = [op for op in ops(out) if op in ("mul", "relu")]
    assert left == [], f"{name}: unfused {left}"
    if name == "residual":
        assert [n.attrs.act.kind for n in out.nodes if n.op == "add"] == ["relu"]


@pytest.mark.parametrize("name", ["conv_bn_relu_pool_conv", "residual", "concat", "conv1d"])
def test_pipeline_leaves_transposes_only_at_input_and_output(name):
    out = run_pipeline(import_onnx(MODELS[name]()))
    assert count_ops(out, "transpose") == 2
    assert ops(out)[0] in ("transpose", "reshape") and ops(out)[-1] in ("transpose", "reshape")


def test_gemm_bn_becomes_one_gemm():
    out = run_pipeline(import_onnx(gemm_bn()))
    assert ops(out) == ["gemm"] and out.nodes[0].attrs.act.kind == "relu"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_compiled_c_matches_onnxruntime(name):
    model = MODELS[name]()
    check_onnx(model, _feeds(model))


LIGHT_TRANSPOSES = {"light_resnet50": 1, "light_inception_v1": 1, "light_squeezenet": 1, "light_shufflenet": 17}


@pytest.mark.parametrize("name", sorted(LIGHT_TRANSPOSES))
def test_model_zoo_architectures_keep_few_transposes(name):
    """Only the input's NCHW -> NHWC transpose survives (plus one per channel shuffle); the
    network's tail (global pool -> flatten -> gemm) needs none."""
    from tests.e2e.onnx_cases import DATA
    out = run_pipeline(import_onnx(onnx.load(str(DATA / "light" / f"{name}.onnx"))))
    assert count_ops(out, "transpose") == LIGHT_TRANSPOSES[name]
