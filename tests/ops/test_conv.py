"""Conv and ConvTranspose: float refs vs onnxruntime, NHWC refs vs NCHW refs, C vs onnxruntime."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from edgec.errors import UnsupportedOpError
from edgec.frontend.onnx_loader import import_onnx
from edgec.ir.graph import Node, TensorType, Value
from edgec.ops import REGISTRY
from edgec.ops.base import Activation
from edgec.ops.conv import ConvAttrs, ConvTransposeAttrs
from tests.ops.onnx_single import (assert_ref_matches_ort, node_cases, random_feeds, run_edgec_ref, single_node_model,
                                   with_constant_inputs)

RNG = np.random.default_rng(1234)


def _conv_model(x_shape, w_shape, bias=True, op="Conv", **attrs):
    """A one-node Conv/ConvTranspose model with random constant weights (and bias)."""
    group = attrs.get("group", 1)
    oc = w_shape[0] if op == "Conv" else w_shape[1] * group
    inputs = {"x": tuple(x_shape), "w": RNG.standard_normal(w_shape).astype(np.float32)}
    if bias:
        inputs["b"] = RNG.standard_normal(oc).astype(np.float32)
    return single_node_model(op, inputs, **attrs)


# -- Conv float ref vs onnxruntime ---------------------------------------------------------------
_CONV_GRID = list(itertools.product(
    [(1, 1), (3, 3), (2, 3)],                       # kernel
    [(1, 1), (2, 2), (1, 3)],                       # strides
    [(0, 0, 0, 0), (1, 1, 1, 1), (2, 0, 1, 3)],     # pads
    [(1, 1), (2, 1)],                               # dilations
))


@pytest.mark.parametrize("kernel,strides,pads,dilations", _CONV_GRID)
def test_conv_ref_matches_onnxruntime(kernel, strides, pads, dilations):
    m = _conv_model((2, 3, 9, 10), (4, 3, *kernel), strides=strides, pads=pads, dilations=dilations)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("group,in_c,out_c", [(2, 4, 6), (4, 8, 8), (3, 6, 9), (2, 6, 2)])
def test_grouped_conv_ref_matches_onnxruntime(group, in_c, out_c):
    m = _conv_model((2, in_c, 7, 8), (out_c, in_c // group, 3, 3), group=group, pads=(1, 1, 1, 1),
                    strides=(2, 1))
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("multiplier", [1, 2, 3])
@pytest.mark.parametrize("strides,dilations", [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((1, 2), (2, 2))])
def test_depthwise_conv_ref_matches_onnxruntime(multiplier, strides, dilations):
    c = 5
    m = _conv_model((1, c, 9, 8), (c * multiplier, 1, 3, 3), group=c, strides=strides, dilations=dilations,
                    pads=(1, 1, 1, 1))
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("group", [1, 2])
def test_conv_without_bias_matches_onnxruntime(group):
    m = _conv_model((1, 4, 6, 7), (6, 4 // group, 3, 2), bias=False, group=group, pads=(0, 1, 2, 0))
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


# onnxruntime rejects SAME_* with dilation; the onnx reference evaluator checks those below.
_AUTO_PAD_GRID = [(a, s, d) for a, s, d in itertools.product(
    ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"], [(1, 1), (2, 2), (3, 2)], [(1, 1), (2, 1)])
    if d == (1, 1) or not a.startswith("SAME")]


@pytest.mark.parametrize("auto_pad,strides,dilations", _AUTO_PAD_GRID)
def test_conv_auto_pad_matches_onnxruntime(auto_pad, strides, dilations):
    m = _conv_model((1, 2, 8, 7), (3, 2, 3, 2), auto_pad=auto_pad, strides=strides, dilations=dilations)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
@pytest.mark.parametrize("strides", [(1, 1), (2, 3)])
def test_conv_same_pad_with_dilation_matches_onnx_reference(auto_pad, strides):
    m = _conv_model((1, 2, 9, 8), (3, 2, 3, 2), auto_pad=auto_pad, strides=strides, dilations=(2, 3))
    feeds = random_feeds(m)
    want = ReferenceEvaluator(m).run(None, feeds)[0]
    np.testing.assert_allclose(run_edgec_ref(m, feeds)[0], want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kernel,strides,pads,dilations,group,auto_pad", [
    (3, 1, (1, 1), 1, 1, "NOTSET"),
    (5, 2, (2, 1), 1, 1, "NOTSET"),
    (3, 1, (0, 0), 2, 2, "NOTSET"),
    (3, 2, (0, 0), 1, 4, "SAME_UPPER"),
    (4, 3, (0, 0), 1, 1, "SAME_LOWER"),
    (2, 1, (0, 0), 1, 2, "VALID"),
])
def test_conv_1d_ref_matches_onnxruntime(kernel, strides, pads, dilations, group, auto_pad):
    extra = {"pads": pads} if auto_pad == "NOTSET" else {}
    m = _conv_model((2, 4, 17), (8, 4 // group, kernel), group=group, strides=[strides], dilations=[dilations],
                    auto_pad=auto_pad, **extra)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


def test_conv_resnet_stem_sized_ref_matches_onnxruntime():
    m = _conv_model((1, 3, 224, 224), (64, 3, 7, 7), strides=(2, 2), pads=(3, 3, 3, 3))
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


# -- ConvTranspose float ref vs onnxruntime ------------------------------------------------------
# onnxruntime requires output_padding < stride or dilation per dim.
_CONVT_GRID = [(s, p, op, d) for s, p, op, d in itertools.product(
    [(1, 1), (2, 2), (3, 2)],                       # strides
    [(0, 0, 0, 0), (1, 1, 1, 1), (2, 0, 1, 1)],     # pads
    [(0, 0), (1, 1), (0, 1)],                       # output_padding
    [(1, 1), (2, 1)],                               # dilations
) if all(o < max(a, b) for o, a, b in zip(op, s, d))]


@pytest.mark.parametrize("strides,pads,output_padding,dilations", _CONVT_GRID)
def test_conv_transpose_ref_matches_onnxruntime(strides, pads, output_padding, dilations):
    m = _conv_model((2, 3, 5, 6), (3, 4, 3, 3), op="ConvTranspose", strides=strides, pads=pads,
                    output_padding=output_padding, dilations=dilations)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("group,in_c,out_per_group", [(2, 4, 3), (4, 4, 1), (3, 6, 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_grouped_conv_transpose_ref_matches_onnxruntime(group, in_c, out_per_group, bias):
    m = _conv_model((1, in_c, 4, 5), (in_c, out_per_group, 3, 2), bias=bias, op="ConvTranspose", group=group,
                    strides=(2, 2), pads=(1, 0, 0, 1))
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad", ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("output_shape", [None, (10, 12), (9, 11), (12, 13)])
def test_conv_transpose_auto_pad_and_output_shape_match_onnxruntime(auto_pad, output_shape):
    extra = {} if output_shape is None else {"output_shape": output_shape}
    m = _conv_model((1, 2, 5, 6), (2, 3, 3, 4), op="ConvTranspose", strides=(2, 3) if output_shape is None
                    else (2, 2), auto_pad=auto_pad, **extra)
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("strides,pads,output_padding,group", [(1, (0, 0), 0, 1), (2, (1, 0), 1, 1),
                                                               (3, (1, 2), 2, 2)])
def test_conv_transpose_1d_ref_matches_onnxruntime(strides, pads, output_padding, group):
    m = _conv_model((2, 4, 7), (4, 3, 3), op="ConvTranspose", group=group, strides=[strides], pads=pads,
                    output_padding=[output_padding])
    assert_ref_matches_ort(m, rtol=1e-4, atol=1e-4)


# -- NHWC refs (the layout hook applied by hand) equal NCHW refs ---------------------------------
def _nhwc_matches_nchw(op: str, attrs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> None:
    opdef = REGISTRY[op]
    xv = Value("x", TensorType(x.shape))
    wv, bv = Value("w", TensorType(w.shape), w), None if b is None else Value("b", TensorType(b.shape), b)
    want = opdef.ref(attrs, [x, w, b])[0]
    attrs2, inputs2 = opdef.layout(Node(op, [xv, wv, bv], [], attrs, "n"))
    assert attrs2.channels_last and inputs2[0] is xv and inputs2[2] is bv
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    in_types = [TensorType(x_nhwc.shape), inputs2[1].type] + ([] if b is None else [bv.type])
    assert opdef.infer(attrs2, in_types)[0].shape == want.transpose(0, 2, 3, 1).shape
    got = opdef.ref(attrs2, [x_nhwc, inputs2[1].data, b])[0]
    np.testing.assert_allclose(got, want.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("attrs,in_c,out_c", [
    (ConvAttrs((3, 3), (1, 1), (1, 1, 1, 1)), 3, 5),
    (ConvAttrs((3, 2), (2, 1), (1, 0, 2, 1), (2, 1), group=2), 4, 6),
    (ConvAttrs((3, 3), (2, 2), (1, 1, 1, 1), group=4, act=Activation("relu")), 4, 8),
    (ConvAttrs((1, 1), act=Activation("clip", 0.0, 6.0)), 6, 3),
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_nhwc_ref_equals_nchw_ref(attrs, in_c, out_c, bias):
    x = RNG.standard_normal((2, in_c, 7, 9)).astype(np.float32)
    w = RNG.standard_normal((out_c, in_c // attrs.group, *attrs.kernel)).astype(np.float32)
    _nhwc_matches_nchw("conv", attrs, x, w, RNG.standard_normal(out_c).astype(np.float32) if bias else None)


@pytest.mark.parametrize("attrs,in_c,out_per_group", [
    (ConvTransposeAttrs((3, 3), (2, 2), (1, 1, 1, 1), output_padding=(1, 0)), 3, 5),
    (ConvTransposeAttrs((2, 3), (1, 3), (0, 1, 1, 0), (2, 1), group=2), 4, 3),
    (ConvTransposeAttrs((3, 3), (2, 2), group=4, act=Activation("leaky_relu", 0.1)), 4, 1),
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_nhwc_ref_equals_nchw_ref(attrs, in_c, out_per_group, bias):
    x = RNG.standard_normal((2, in_c, 5, 4)).astype(np.float32)
    w = RNG.standard_normal((in_c, out_per_group, *attrs.kernel)).astype(np.float32)
    b = RNG.standard_normal(out_per_group * attrs.group).astype(np.float32) if bias else None
    _nhwc_matches_nchw("conv_transpose", attrs, x, w, b)


def test_conv_nhwc_weight_is_ohwi():
    w = RNG.standard_normal((4, 3, 2, 5)).astype(np.float32)
    node = Node("conv", [Value("x", TensorType((1, 3, 8, 8))), Value("w", TensorType(w.shape), w)], [],
                ConvAttrs((2, 5)), "n")
    _, (_, w2) = REGISTRY["conv"].layout(node)
    assert w2.shape == (4, 2, 5, 3) and w2.data[1, 0, 3, 2] == w[1, 2, 0, 3]


def test_conv_macs_counts_one_per_weight_tap_and_output():
    attrs = ConvAttrs((3, 3), pads=(1, 1, 1, 1), group=2)
    ins = [TensorType((1, 8, 10, 10)), TensorType((6, 4, 3, 3))]
    outs = REGISTRY["conv"].infer(attrs, ins)
    assert REGISTRY["conv"].macs(attrs, ins, outs) == 6 * 10 * 10 * 4 * 9


# -- importer errors -----------------------------------------------------------------------------
def test_conv_3d_is_unsupported():
    m = _conv_model((1, 2, 4, 5, 6), (3, 2, 2, 2, 2))
    with pytest.raises(UnsupportedOpError, match="3-D"):
        import_onnx(m)


def test_conv_transpose_3d_is_unsupported():
    m = _conv_model((1, 2, 4, 5, 6), (2, 3, 2, 2, 2), op="ConvTranspose")
    with pytest.raises(UnsupportedOpError, match="3-D"):
        import_onnx(m)


def test_conv_with_runtime_weight_is_unsupported():
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5]),
                                        helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 2, 3, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedOpError, match="constant"):
        import_onnx(m)


def test_conv_kernel_shape_that_contradicts_weight_is_unsupported():
    m = _conv_model((1, 2, 6, 6), (3, 2, 3, 3), kernel_shape=(2, 2))
    with pytest.raises(UnsupportedOpError, match="kernel_shape"):
        import_onnx(m)


# -- C kernels vs onnxruntime (compiled end to end) ----------------------------------------------
def _with_activation(m, act_op: str, **attrs):
    """`m` with `act_op` appended to its single output (for fused-activation checks)."""
    g = m.graph
    g.node[0].output[0] = "pre"
    g.node.append(helper.make_node(act_op, ["pre"], ["y0"], **attrs))
    return m


_C_CASES = [
    # x shape, w shape, attrs
    ((1, 3, 9, 10), (4, 3, 3, 3), dict(pads=(1, 1, 1, 1))),
    ((2, 5, 9, 11), (16, 5, 3, 3), dict(pads=(1, 1, 1, 1))),                     # full tiles
    ((1, 8, 11, 13), (24, 8, 3, 2), dict(strides=(2, 3), pads=(2, 0, 1, 3), dilations=(1, 2))),
    ((1, 8, 9, 9), (12, 2, 3, 3), dict(group=4, pads=(1, 1, 1, 1))),              # grouped, OCg = 3
    ((1, 16, 7, 9), (32, 8, 3, 3), dict(group=2, strides=(2, 2))),               # grouped, OCg = 16
    ((1, 6, 10, 9), (6, 1, 3, 3), dict(group=6, pads=(1, 1, 1, 1))),             # depthwise
    ((1, 6, 10, 9), (12, 1, 5, 3), dict(group=6, pads=(2, 1, 2, 1), strides=(2, 1), dilations=(1, 2))),
    ((2, 16, 7, 5), (40, 16, 1, 1), dict()),                                      # 1x1 as matmul
    ((1, 16, 7, 5), (8, 16, 1, 1), dict(strides=(2, 2))),                         # 1x1 strided
    ((1, 3, 32, 32), (8, 3, 7, 7), dict(strides=(2, 2), pads=(3, 3, 3, 3))),
    ((1, 4, 9, 9), (8, 4, 3, 3), dict(auto_pad="SAME_UPPER", strides=(2, 2))),
]


@pytest.mark.parametrize("x_shape,w_shape,attrs", _C_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_c_matches_onnxruntime(x_shape, w_shape, attrs, bias):
    from edgec.testing import check_onnx
    m = _conv_model(x_shape, w_shape, bias=bias, **attrs)
    check_onnx(m, random_feeds(m), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("act_op,act_attrs", [("Relu", {}), ("LeakyRelu", {"alpha": 0.2}), ("Sigmoid", {})])
@pytest.mark.parametrize("w_shape,group", [((8, 4, 3, 3), 1), ((8, 1, 3, 3), 4)])
def test_conv_c_with_fused_activation_matches_onnxruntime(act_op, act_attrs, w_shape, group):
    from edgec.testing import check_onnx
    m = _with_activation(_conv_model((1, 4, 7, 9), w_shape, group=group, pads=(1, 1, 1, 1)), act_op, **act_attrs)
    check_onnx(m, random_feeds(m), rtol=1e-4, atol=1e-4)


def test_conv_1d_c_matches_onnxruntime():
    from edgec.testing import check_onnx
    m = _conv_model((2, 4, 17), (8, 2, 3), group=2, strides=[2], pads=(1, 2))
    check_onnx(m, random_feeds(m), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("x_shape,w_shape,attrs", [
    ((1, 3, 5, 6), (3, 4, 3, 3), dict(strides=(2, 2), pads=(1, 1, 1, 1), output_padding=(1, 0))),
    ((2, 4, 4, 5), (4, 3, 3, 2), dict(group=2, strides=(2, 3), pads=(1, 0, 0, 1), dilations=(1, 2))),
    ((1, 8, 6, 6), (8, 4, 4, 4), dict(strides=(2, 2), pads=(1, 1, 1, 1))),
    ((1, 2, 5, 6), (2, 3, 3, 4), dict(strides=(2, 2), output_shape=(10, 12), auto_pad="SAME_UPPER")),
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose_c_matches_onnxruntime(x_shape, w_shape, attrs, bias):
    from edgec.testing import check_onnx
    m = _conv_model(x_shape, w_shape, bias=bias, op="ConvTranspose", **attrs)
    check_onnx(m, random_feeds(m), rtol=1e-4, atol=1e-4)


def test_conv_c_vgg_sized_layer_matches_onnxruntime():
    from edgec.testing import check_onnx
    m = _conv_model((1, 64, 56, 56), (64, 64, 3, 3), pads=(1, 1, 1, 1))
    check_onnx(m, random_feeds(m), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("op,w_shape,group", [("Conv", (64, 64, 3, 3), 1), ("Conv", (512, 1, 3, 3), 512),
                                              ("ConvTranspose", (64, 64, 3, 3), 1)])
def test_conv_c_with_single_value_weight_filled_at_run_time_matches_onnxruntime(op, w_shape, group):
    from edgec.testing import check_onnx
    w = np.full(w_shape, 0.01, np.float32)   # >= 4096 equal elements: the C fills it at run time
    in_c = w_shape[0] if op == "ConvTranspose" else w_shape[1] * group
    m = single_node_model(op, {"x": (1, in_c, 6, 7), "w": w}, group=group, pads=(1, 1, 1, 1))
    check_onnx(m, random_feeds(m), rtol=1e-4, atol=1e-5)


# -- ONNX's own node test cases (onnx.backend.test.case) ------------------------------------------
@pytest.mark.parametrize("case", node_cases(("Conv", "ConvTranspose")), ids=lambda c: c.name)
def test_onnx_conv_case_matches_in_ref_and_c_or_is_refused_as_3d(case):
    from edgec.testing import check_onnx
    model, feeds, want = with_constant_inputs(case)
    if "3d" in case.name:
        with pytest.raises(UnsupportedOpError, match="3-D"):
            import_onnx(model)
        return
    np.testing.assert_allclose(run_edgec_ref(model, feeds)[0], want[0], rtol=1e-5, atol=1e-5)
    check_onnx(model, feeds, rtol=1e-5, atol=1e-5)
