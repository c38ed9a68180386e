"""int8 mode of classical models with hidden layers (MLPs): the int8 NN path, fed per feature.

The NN path (calibrate + quantize_graph) quantizes its input per tensor, which would crush
features of small range next to large ones. So the features are first normalised per feature,
xn = (x - c) / h, with that affine folded into the first layer's weights; the int8 graph is built
for xn, and its input quantization becomes one per-feature `feature_quantize` step (scale h*s,
zero point z - c/(h*s), rounded to an integer code shift). Float outputs other than labels are
dequantized at the end so the C API keeps float probabilities.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.classic_q import FeatureQuantAttrs
from edgec.ops.quant_io import AffineAttrs
from edgec.quant.sklearn_int import MARGIN, FeatureAffine, _affine_chain


def has_hidden_layers(g: Graph) -> bool:
    """More than one gemm on a path: what the per-feature integer rewrite leaves in float."""
    return sum(n.op == "gemm" for n in g.nodes) > 1 and all(n.op not in ("tree_ensemble",) for n in g.nodes)


def _normaliser(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(center, half range) per feature, widened like the integer modes' ranges."""
    lo, hi = np.nanmin(sample, axis=0), np.nanmax(sample, axis=0)
    pad = (hi - lo) * MARGIN[8]
    lo, hi = lo - pad, hi + pad
    half = (hi - lo) / 2.0
    return (hi + lo) / 2.0, np.where(half > 0, half, np.maximum(np.abs(lo), 1.0))


def fold_normalised_input(g: Graph, center: np.ndarray, half: np.ndarray) -> Graph | None:
    """`g` with input xn = (x - center) / half, folded into every first layer (None when a
    consumer of x is not an affine chain ending in a constant gemm)."""
    from edgec.ops.matmul import GemmAttrs
    x = g.inputs[0]
    xn = Value(f"{x.name}_norm", TensorType(x.shape, DType.F32))
    consumers = g.consumers()
    replace: dict[int, Node] = {}
    for n in consumers.get(x, []):
        _, end, aff = _affine_chain(g, n, x, consumers)
        if end is None or end.op != "gemm" or not end.inputs[1].is_const or \
                (len(end.inputs) > 2 and end.inputs[2] is not None and not end.inputs[2].is_const):
            return None
        # x' = a x + b with x = half * xn + center
        total = FeatureAffine(aff.a * half, aff.a * center + aff.b)
        w = end.inputs[1].data.astype(np.float64)
        b = np.zeros(w.shape[0]) if len(end.inputs) < 3 or end.inputs[2] is None else end.inputs[2].data.astype(np.float64)
        wv = Value(f"{end.name}_wn", TensorType(w.shape, DType.F32), (w * total.a).astype(np.float32))
        bv = Value(f"{end.name}_bn", TensorType((w.shape[0],), DType.F32), (b + w @ total.b).astype(np.float32))
        replace[id(end)] = Node("gemm", [xn, wv, bv], end.outputs, end.attrs if isinstance(end.attrs, GemmAttrs) else GemmAttrs(),
                                end.name)
    nodes = [replace.get(id(n), n) for n in g.nodes]
    from edgec.passes.eliminate_dead_code import eliminate_dead_code
    out = eliminate_dead_code(Graph(g.name, [xn], g.outputs, nodes))
    return out if x not in {v for n in out.nodes for v in n.inputs} else None


def argmax_of_logits(g: Graph) -> Graph:
    """arg_max(softmax(z)) -> arg_max(z): the same class, and int8 logits tie less than an int8
    softmax (whose fixed 1/256 step merges close probabilities). The binary form
    arg_max(concat(-z, z)) -> arg_max(concat(0, z)): the same test z > 0, with no negation (which
    has no int8 kernel)."""
    from edgec.ops.movement import ConcatAttrs
    prod = g.producers()
    g = g.copy()
    extra: dict[int, Node] = {}
    for n in g.nodes:
        p = prod.get(n.inputs[0]) if n.op == "arg_max" else None
        if p is not None and p.op == "softmax" and p.attrs.axis == p.inputs[0].type.rank - 1:
            n.inputs = [p.inputs[0]]
        elif p is not None and p.op == "concat" and len(p.inputs) == 2 and p.inputs[1].shape[-1] == 1:
            neg = prod.get(p.inputs[0])
            if neg is not None and neg.op == "neg" and neg.inputs[0] is p.inputs[1] and p.attrs.axis == p.outputs[0].type.rank - 1:
                z = p.inputs[1]
                zero = Value(f"{n.name}_zero", z.type, np.zeros(z.shape, np.float32))
                pair = Value(f"{n.name}_pair", p.outputs[0].type)
                extra[id(n)] = Node("concat", [zero, z], [pair], ConcatAttrs(p.attrs.axis), f"{n.name}_pair")
                n.inputs = [pair]
    g.nodes = [m for n in g.nodes for m in ([extra[id(n)], n] if id(n) in extra else [n])]
    return g


def nn_int8(g: Graph, sample: np.ndarray, verify_each: bool = True) -> tuple[Graph, list[str]] | None:
    """The int8 NN-path graph of `g` (float input x, per-feature quantized), or None when the
    first layers cannot take the per-feature normalisation."""
    from edgec.quant.calibrate import calibrate
    from edgec.quant.quantize import quantize_graph
    x = g.inputs[0]
    center, half = _normaliser(np.asarray(sample, np.float64))
    gn = fold_normalised_input(argmax_of_logits(g), center, half)
    if gn is None:
        return None
    rows = ((np.asarray(sample, np.float64) - center) / half).astype(np.float32)
    feeds = [{gn.inputs[0].name: rows[i:i + 1]} for i in range(rows.shape[0])]
    result = quantize_graph(gn, calibrate(gn, feeds, "minmax", len(feeds), progress=None), allow_float=True)
    q = result.graph
    xq = q.inputs[0]
    qp = xq.type.qparams
    s_in, z_in = float(qp.scale[0]), int(qp.zero_point[0])
    scale = (half * s_in).astype(np.float32)
    zp = (z_in - np.round(center / (half * s_in))).astype(np.int32)
    nodes = [Node("feature_quantize", [x], [xq], FeatureQuantAttrs(scale, zp, 8), "feature_quantize")] + q.nodes
    outputs = []
    for v in q.outputs:
        if v.type.dtype == DType.I8:
            fv = Value(v.name, TensorType(v.shape, DType.F32))
            v.name = f"{v.name}_q"
            nodes.append(Node("dequantize", [v], [fv], AffineAttrs(v.type.qparams.scale[0], v.type.qparams.zero_point[0]),
                              f"{fv.name}_dequantize"))
            v = fv
        outputs.append(v)
    return Graph(g.name, [x], outputs, nodes), result.float_islands
