"""The small kernels chosen at emit time (ec_dense_f32, ec_<op>2d_f32, ec_sum_rows_f32) give the
same bits as the general kernels they replace, and are chosen only where the shapes allow."""
from __future__ import annotations

import numpy as np
import pytest

from edgec.artifact import Artifact
from edgec.backend.c import emit_c
from edgec.frontend.sklearn.core import SkContext
from edgec.ir.graph import DType, Graph, TensorType, Value
from edgec.ops import elementwise, matmul, reduce as reduce_ops
from edgec.ops.base import Activation
from edgec.ops.elementwise import BinaryAttrs
from edgec.ops.matmul import GemmAttrs
from edgec.ops.reduce import ReduceAttrs

RNG = np.random.default_rng(11)


def _graph(op, x_shape, consts, attrs, swap=False):
    ctx = SkContext()
    xv = Value("x", TensorType(x_shape, DType.F32))
    cs = [ctx.const(c, f"c{i}") for i, c in enumerate(consts)]
    ins = (cs + [xv]) if swap else ([xv] + cs)
    y = ctx.node(op, ins, attrs, "y")
    y.name = "y"
    return Graph("t", [xv], [y], ctx.nodes)


def _c(g: Graph, x: np.ndarray, name: str):
    c = emit_c(g, name)
    art = Artifact(name, g, g, c, None, quant="float", float_graph=g)
    return art.run({"x": x})["y"], set(c.files)


def _both(monkeypatch, g, x, flag_owner, flag, generic_value):
    small, files_small = _c(g, x, "small")
    monkeypatch.setattr(flag_owner, flag, generic_value)
    general, files_general = _c(g, x, "general")
    monkeypatch.undo()
    assert small.tobytes() == general.tobytes()   # bit for bit, NaN and -0.0 included
    return files_small, files_general


@pytest.mark.parametrize("k,n,act", [(4, 3, None), (64, 10, None), (30, 7, "relu"), (4, 32, "relu"), (256, 5, None)])
def test_dense_is_bit_identical_to_fully_connected(monkeypatch, k, n, act):
    x = RNG.standard_normal((1, k)).astype(np.float32) * 3
    w = RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    g = _graph("gemm", (1, k), [w, b], GemmAttrs(Activation(act) if act else None))
    monkeypatch.setattr(matmul, "use_inline", lambda node: False)   # the kernels, not expressions
    small, general = _both(monkeypatch, g, x, matmul, "use_dense", lambda *a: False)
    assert "ec_dense_f32.c" in small and "ec_fully_connected_f32.c" not in small
    assert "ec_fully_connected_f32.c" in general


def test_large_or_activated_gemm_keeps_the_general_kernel():
    assert not matmul.use_dense(300, 3, None)          # more than one k chunk
    assert matmul.use_dense(64, 32, None)              # a small layer
    assert not matmul.use_dense(128, 64, None)         # bigger: the general kernel's blocking pays
    assert not matmul.use_dense(8, 3, Activation("tanh"))
    assert matmul.use_dense(4, 32, Activation("relu"))  # tiny layer


def _three_ways(monkeypatch, g, x, module, inline_flag, small_flag, small_off):
    """(files) of the inline form, the small kernel and the general kernel; asserts equal bits."""
    inline, f_inline = _c(g, x, "inl")
    monkeypatch.setattr(module, inline_flag, 0)
    small, f_small = _c(g, x, "small")
    monkeypatch.setattr(module, small_flag, small_off)
    general, f_general = _c(g, x, "general")
    monkeypatch.undo()
    assert inline.tobytes() == small.tobytes() == general.tobytes()   # bit for bit, NaN and -0.0 included
    return f_inline, f_small, f_general


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "max", "min"])
@pytest.mark.parametrize("x_shape,c_shape,swap", [((1, 4), (3, 4), False), ((3, 4), (3, 4), True),
                                                  ((1, 5), (1, 1), False), ((2, 6), (6,), True),
                                                  ((1, 9), (4, 9), False)])
def test_binary2d_is_bit_identical_to_binary(monkeypatch, op, x_shape, c_shape, swap):
    x = RNG.standard_normal(x_shape).astype(np.float32)
    x.flat[0] = np.nan
    x.flat[-1] = -0.0
    c = RNG.standard_normal(c_shape).astype(np.float32)
    c.flat[-1] = 0.0
    g = _graph(op, x_shape, [c], BinaryAttrs(), swap)
    f_inline, f_small, f_general = _three_ways(monkeypatch, g, x, elementwise, "INLINE_MAX_ELEMENTS",
                                               "SMALL_BINARY", ())
    out = g.outputs[0].type.size
    assert (f"ec_{op}2d_f32.c" in f_inline) == (out > elementwise.INLINE_MAX_ELEMENTS)
    assert f"ec_{op}2d_f32.c" in f_small and "ec_binary_f32.c" not in f_small
    assert "ec_binary_f32.c" in f_general


@pytest.mark.parametrize("kind", ["sum", "mean"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 7), (2, 300), (1, 17), (5, 1000)])
def test_sum_rows_is_bit_identical_to_reduce(monkeypatch, kind, shape):
    x = (RNG.standard_normal(shape) * 100).astype(np.float32)
    x[0, :] = -0.0
    g = _graph("reduce", shape, [], ReduceAttrs(kind, (1,), False))
    f_inline, f_small, f_general = _three_ways(monkeypatch, g, x, reduce_ops, "SUM_LANES",
                                               "_contiguous_rows", lambda *a: False)
    assert ("ec_sum_rows_f32.c" in f_inline) == (shape[1] >= 8)
    assert "ec_sum_rows_f32.c" in f_small and "ec_reduce_f32.c" not in f_small
    assert "ec_reduce_f32.c" in f_general


def test_reduce_over_a_leading_axis_keeps_the_general_kernel():
    plan = reduce_ops.reduce_plan((3, 4), (0,))
    assert not reduce_ops._contiguous_rows("sum", plan)
    assert not reduce_ops._contiguous_rows("max", reduce_ops.reduce_plan((3, 4), (1,)))


@pytest.mark.parametrize("k,n,act,zeros", [(4, 3, None, False), (6, 4, "relu", False), (30, 1, None, False),
                                           (8, 3, None, False), (4, 3, None, True), (5, 2, "relu", True)])
def test_inline_gemm_is_bit_identical_to_the_kernels(monkeypatch, k, n, act, zeros):
    x = RNG.standard_normal((1, k)).astype(np.float32) * 3
    x[0, 0] = -0.0
    w = RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    if zeros:   # signed zeros everywhere: the sums the dropped 0.0f additions could have changed
        x[:] = -0.0
        b[0], b[1] = -0.0, 0.0
    g = _graph("gemm", (1, k), [w, b], GemmAttrs(Activation(act) if act else None))
    small, general = _both(monkeypatch, g, x, matmul, "use_inline", lambda node: False)
    assert not any(f.startswith("ec_dense") or f.startswith("ec_fully") for f in small)
    assert "ec_dense_f32.c" in general
    assert not matmul.use_inline(_graph("gemm", (1, 65), [np.ones((1, 65), np.float32)], GemmAttrs()).nodes[0])
    assert matmul.use_inline(_graph("gemm", (1, 64), [np.ones((1, 64), np.float32)], GemmAttrs()).nodes[0])
    assert not matmul.use_inline(_graph("gemm", (1, 13), [np.ones((3, 13), np.float32)], GemmAttrs()).nodes[0])


@pytest.mark.parametrize("op", ["sigmoid", "tanh", "relu", "exp", "abs"])
def test_inline_unary_is_bit_identical_to_the_kernel(monkeypatch, op):
    from edgec.ops.elementwise import PointwiseAttrs
    x = (RNG.standard_normal((1, 7)) * 4).astype(np.float32)
    x[0, 0] = -0.0
    g = _graph(op, (1, 7), [], PointwiseAttrs())
    inline, f_inline = _c(g, x, "inl")
    monkeypatch.setattr(elementwise, "INLINE_MAX_ELEMENTS", 0)
    kernel, f_kernel = _c(g, x, "kern")
    assert inline.tobytes() == kernel.tobytes()
    assert "ec_unary_f32.c" not in f_inline and "ec_unary_f32.c" in f_kernel
