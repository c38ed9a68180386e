"""to_channels_last and sink_transposes: NHWC ops, and transposes only at the graph's edges."""
from __future__ import annotations

import numpy as np
import pytest

from edgec.ir.graph import Graph
from edgec.ir.verify import verify
from edgec.ops.conv import ConvAttrs
from edgec.ops.elementwise import BinaryAttrs, PointwiseAttrs
from edgec.ops.matmul import GemmAttrs
from edgec.ops.movement import ConcatAttrs, ReshapeAttrs, TransposeAttrs
from edgec.ops.pool import LrnAttrs, PoolAttrs
from edgec.ops.reduce import ReduceAttrs, SoftmaxAttrs
from edgec.passes.pipeline import run_pipeline
from edgec.passes.sink_transposes import sink_transposes
from edgec.passes.to_channels_last import to_channels_last
from tests.ir.build import GraphBuilder, assert_same_result, count_ops, ops

PW, BIN = PointwiseAttrs(), BinaryAttrs()
POOL = PoolAttrs(kernel=(2, 2), strides=(2, 2))


def _conv(b: GraphBuilder, x, oc: int, name: str, k: int = 3):
    w = b.rand(f"{name}_w", (oc, x.shape[1], k, k))
    p = k // 2
    return b.op("conv", [x, w, b.rand(f"{name}_b", (oc,))], ConvAttrs(kernel=(k, k), pads=(p, p, p, p)), name=name)


def _layout(g: Graph) -> Graph:
    out = sink_transposes(to_channels_last(g))
    verify(out, "layout")
    assert_same_result(g, out, rtol=1e-4, atol=1e-5)
    return out


def test_to_channels_last_wraps_conv_pool_and_lrn():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 6, 6))
    c = _conv(b, x, 4, "c")
    p = b.op("avg_pool", [c], POOL, name="p")
    g = b.graph(b.op("lrn", [p], LrnAttrs(size=3), name="y"))
    out = to_channels_last(g)
    verify(out)
    assert ops(out) == [o for op in ("conv", "avg_pool", "lrn") for o in ("transpose", op, "transpose")]
    assert all(n.attrs.channels_last for n in out.nodes if n.op != "transpose")
    assert_same_result(g, out, rtol=1e-4)


def test_conv_relu_maxpool_conv_chain_keeps_two_transposes():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 8, 8))
    c = b.op("relu", [_conv(b, x, 4, "c1")], PW, name="r1")
    p = b.op("max_pool", [c], POOL, name="p")
    g = b.graph(_conv(b, p, 5, "c2"))
    out = run_pipeline(g)
    assert ops(out) == ["transpose", "conv", "max_pool", "conv", "transpose"]
    assert out.nodes[0].inputs[0] is x and out.nodes[-1].outputs[0] is g.outputs[0]
    assert_same_result(g, out, rtol=1e-4)


def test_unfused_activation_between_pools_does_not_keep_transposes():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 8, 8))
    p = b.op("max_pool", [x], POOL, name="p1")
    r = b.op("tanh", [p], PW, name="t")
    r = b.op("add", [r, b.rand("bias", (2, 1, 1))], BIN, name="shift")
    g = b.graph(b.op("avg_pool", [r], POOL, name="y"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 2


def test_residual_add_keeps_two_transposes():
    b = GraphBuilder()
    x = b.input("x", (1, 4, 6, 6))
    c1 = b.op("relu", [_conv(b, x, 4, "c1")], PW, name="r1")
    h = b.op("relu", [_conv(b, c1, 4, "c2")], PW, name="r2")
    s = b.op("add", [_conv(b, h, 4, "c3"), c1], BIN, name="res")
    g = b.graph(b.op("relu", [s], PW, name="y"))
    out = run_pipeline(g)
    assert count_ops(out, "transpose") == 2
    assert_same_result(g, out, rtol=1e-4)


def test_concat_of_convs_keeps_two_transposes():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 6, 6))
    cat = b.op("concat", [_conv(b, x, 2, "a", 1), _conv(b, x, 3, "b")], ConcatAttrs(1), name="cat")
    g = b.graph(_conv(b, cat, 4, "c"))
    out = run_pipeline(g)
    assert count_ops(out, "transpose") == 2
    assert next(n for n in out.nodes if n.op == "concat").attrs.axis == 3
    assert_same_result(g, out, rtol=1e-4)


@pytest.mark.parametrize("attrs", [ReduceAttrs("mean", (2, 3), True), ReduceAttrs("max", (1,), True)])
def test_reduce_with_keepdims_passes_transposes(attrs):
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)), 4, "c")
    g = b.graph(b.op("reduce", [c], attrs, name="y"))
    out = _layout(g)
    assert ops(out)[-2:] == ["reduce", "transpose"] or ops(out)[-2:] == ["reduce", "reshape"]


def test_global_pool_flatten_gemm_needs_no_transpose_at_the_end():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 5, 5)), 4, "c")
    m = b.op("reduce", [c], ReduceAttrs("mean", (2, 3), True), name="gap")
    f = b.op("reshape", [m], ReshapeAttrs((1, 4)), name="flat")
    g = b.graph(b.op("gemm", [f, b.rand("fw", (2, 4))], GemmAttrs(), name="y"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 1 and ops(out)[-1] == "gemm"


def test_softmax_over_channels_follows_the_transpose():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (1, 3, 4, 4)), 4, "c")
    g = b.graph(b.op("softmax", [c], SoftmaxAttrs(1), name="y"))
    out = _layout(g)
    assert next(n for n in out.nodes if n.op == "softmax").attrs.axis == 3
    assert count_ops(out, "transpose") == 2


def test_binary_with_non_transposed_operand_blocks_sinking():
    b = GraphBuilder()
    x = b.input("x", (1, 3, 4, 4))
    g = b.graph(b.op("add", [_conv(b, x, 3, "c"), x], BIN, name="y"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 2 and ops(out)[-1] == "add"


def test_same_transpose_on_both_operands_moves_below():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 3, 4))
    t = b.op("transpose", [x], TransposeAttrs((0, 3, 1, 2)), name="t")
    g = b.graph(b.op("mul", [t, t], BIN, name="y"))
    out = _layout(g)
    assert ops(out) == ["mul", "transpose"]


def test_transpose_to_a_graph_output_stays():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 3, 4))
    t = b.op("transpose", [x], TransposeAttrs((0, 3, 1, 2)), name="t")
    g = b.graph(t, b.op("relu", [t], PW, name="y"))
    out = _layout(g)
    assert ops(out) == ["transpose", "relu"]


def test_identity_constant_and_duplicate_transposes_disappear():
    b = GraphBuilder()
    x = b.input("x", (2, 3))
    i = b.op("transpose", [x], TransposeAttrs((0, 1)), name="ident")
    k = b.op("transpose", [b.rand("k", (3, 2))], TransposeAttrs((1, 0)), name="kt")
    t1 = b.op("transpose", [x], TransposeAttrs((1, 0)), name="t1")
    t2 = b.op("transpose", [x], TransposeAttrs((1, 0)), name="t2")
    s = b.op("add", [t1, t2], BIN, name="s")
    g = b.graph(b.op("add", [i, k], BIN, name="y"), b.op("neg", [s], PW, name="z"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 1


def test_unit_dim_reshapes_between_1d_convs_cancel():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 1, 9))
    c = b.op("conv", [x, b.rand("w1", (3, 2, 1, 3)), None], ConvAttrs(kernel=(1, 3)), name="c1")
    c = b.op("reshape", [c], ReshapeAttrs((1, 3, 7)), name="sq")
    c = b.op("tanh", [c], PW, name="t")
    c = b.op("reshape", [c], ReshapeAttrs((1, 3, 1, 7)), name="unsq")
    g = b.graph(b.op("conv", [c, b.rand("w2", (4, 3, 1, 3)), None], ConvAttrs(kernel=(1, 3)), name="y"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 2
    fused = run_pipeline(g)   # tanh fuses into c1, then the two reshapes cancel too
    assert ops(fused) == ["transpose", "conv", "conv", "transpose"]
    assert_same_result(g, fused, rtol=1e-4)


def test_multi_consumer_transpose_moves_only_if_all_consumers_take_it():
    b = GraphBuilder()
    x = b.input("x", (1, 4, 1, 1))
    t = b.op("transpose", [x], TransposeAttrs((0, 2, 3, 1)), name="t")
    r = b.op("relu", [t], PW, name="r")
    f = b.op("reshape", [t], ReshapeAttrs((2, 2)), name="flat")
    g = b.graph(r, f)
    out = _layout(g)
    assert_same_result(g, out)


def test_sinking_is_deterministic():
    def build():
        b = GraphBuilder()
        x = b.input("x", (1, 4, 6, 6))
        c1 = _conv(b, x, 4, "c1")
        return b.graph(b.op("add", [_conv(b, c1, 4, "c2"), c1], BIN, name="y"))
    from edgec.ir.printer import dump
    assert dump(_layout(build())) == dump(_layout(build()))


def test_transposed_constant_operand_is_permuted_once():
    b = GraphBuilder()
    x = b.input("x", (1, 2, 3, 3))
    c1 = _conv(b, x, 4, "c1")
    k = b.rand("k", (4, 1, 1))
    s1 = b.op("add", [c1, k], BIN, name="s1")
    s2 = b.op("mul", [s1, k], BIN, name="s2")
    g = b.graph(_conv(b, s2, 2, "c2"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 2
    consts = {id(v) for n in out.nodes if n.op in ("add", "mul") for v in n.inputs if v.is_const}
    assert len(consts) == 1
    assert np.asarray(out.constants()[0].data).ndim >= 1


def test_channel_shuffle_between_convs_keeps_one_transpose_per_shuffle():
    b = GraphBuilder()
    x = b.input("x", (1, 4, 5, 5))
    c = b.op("conv", [x, b.rand("w1", (6, 2, 1, 1)), None], ConvAttrs(kernel=(1, 1), group=2), name="c1")
    c = b.op("reshape", [c], ReshapeAttrs((1, 2, 3, 5, 5)), name="split")
    c = b.op("transpose", [c], TransposeAttrs((0, 2, 1, 3, 4)), name="shuffle")
    c = b.op("reshape", [c], ReshapeAttrs((1, 6, 5, 5)), name="merge")
    g = b.graph(b.op("conv", [c, b.rand("w2", (4, 3, 3, 3)), None],
                     ConvAttrs(kernel=(3, 3), pads=(1, 1, 1, 1), group=2), name="y"))
    out = run_pipeline(g)
    assert count_ops(out, "transpose") == 3
    assert_same_result(g, out, rtol=1e-4)


def _regroup(shape: tuple[int, ...], rng) -> tuple[int, ...]:
    """A random reshape target: dims merged with neighbours or split into factors, 1s inserted."""
    out: list[int] = []
    for d in shape:
        if out and rng.random() < 0.3:
            out[-1] *= d
        elif d % 2 == 0 and d > 2 and rng.random() < 0.4:
            out += [2, d // 2]
        else:
            out.append(d)
        if rng.random() < 0.2:
            out.append(1)
    return tuple(out)


def test_reshape_before_transpose_is_exact_whenever_it_answers():
    from edgec.passes.layout_math import reshape_before_transpose
    rng = np.random.default_rng(0)
    answered = 0
    for _ in range(400):
        shape = tuple(int(d) for d in rng.choice([1, 2, 3, 4, 6], size=rng.integers(1, 5)))
        perm = tuple(int(i) for i in rng.permutation(len(shape)))
        out_shape = _regroup(tuple(shape[i] for i in perm), rng)
        found = reshape_before_transpose(shape, perm, out_shape)
        if found is None:
            continue
        answered += 1
        m, q = found
        x = rng.standard_normal(shape)
        np.testing.assert_array_equal(np.transpose(x.reshape(m), q), np.transpose(x, perm).reshape(out_shape))
    assert answered > 100


def test_is_relabel_only_for_transposes_that_keep_non_unit_order():
    from edgec.passes.layout_math import is_relabel
    assert is_relabel((1, 1, 1, 8), (0, 3, 1, 2))
    assert is_relabel((2, 1, 3), (1, 0, 2))
    assert not is_relabel((1, 2, 2, 8), (0, 3, 1, 2))


def test_reduce_dropping_axes_needs_no_transpose_before_gemm():
    b = GraphBuilder()
    c = _conv(b, b.input("x", (2, 3, 5, 5)), 4, "c")
    m = b.op("reduce", [c], ReduceAttrs("mean", (2, 3), False), name="gap")
    g = b.graph(b.op("gemm", [m, b.rand("fw", (3, 4))], GemmAttrs(), name="y"))
    out = _layout(g)
    assert count_ops(out, "transpose") == 1 and ops(out)[-1] == "gemm"
