"""Integer forms of the distance models in the int16/int8 modes: NearestCentroid, GaussianNB and
rbf-kernel SVMs read the quantized features through `sq_distance_q`, KNeighbors* (uniform
weights) through `knn_q`, instead of the float X.

Recognised float patterns (what the front ends emit), after any per-feature affine steps
x' = a x + b (scalers) from X:
  sub(x', centres[C, F]) -> mul(d, d) | abs(d) -> [div | mul by per-term constants u] -> reduce sum
  -> reshape [1, C]  = D, then per-class affine steps (neg, mul, add, sub, affine) V = alpha D + beta
      (NearestCentroid: V = -D or -D + 2 log prior)
  gaussian_nb_jll (x', theta, var, log prior, norm): V = (log prior + norm) - 0.5 D with u = 1/var
  svm_kernel / svm_dual_sum (x', SV) with the rbf kernel: K = exp(-gamma D) (then, for the dual
      sum of regressors and OneClassSVM, a float32 gemm with the dual coefficients)
  knn(x') with uniform weights: knn_q (training rows as codes, integer distances, int32 votes)
With x = s (q - z) per feature, x' - c = a s (q - c_q) where c_q = z + round((c - b) / (a s)) is
the centre on the features' own grid, so the difference is an exact integer and
V = alpha * sum_f u[c, f] (a s)^2 (q - c_q)^2 + beta: integer weights w = u (a s)^2 / s_w, integer
bias beta / (|alpha| s_w), one int64 sum, int32 scores of scale |alpha| s_w 2^shift. arg_max then
reads the scores (no float). The rbf kernel keeps exp and the dual sums in float32 (a float island
after an integer distance): the one-vs-one decision values are differences of sums of kernel
values spanning many orders of magnitude, and a fixed-point exp with dual sums would need its own
accuracy study; the distance, the part that grows with the feature count, is integer.
Anything else (poly/sigmoid kernels, svm_ovo_dual: the double-precision path of ill-conditioned
SVCs, a zero affine factor) stays a float island reading X.
"""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.classic_q import INT_TYPES, FeatureQuantAttrs, ScaleAttrs, feature_quantize_ref, qrange
from edgec.ops.distance_q import SqDistanceQAttrs, distance_acc
from edgec.ops.elementwise import PointwiseAttrs

_SUM_BUDGET = 1 << 61          # |weighted sum| and |bias| each stay below this: int64 cannot overflow
_WEIGHT_MAX = 1 << 30          # int32 weights
_MIN_WEIGHT_CODES = 1 << 12    # resolution kept for the median weight (GaussianNB's wide 1/var range)
_CALIBRATION_ROWS = 512
_EXP_CUTOFF = 60.0             # exp(-60) ~ 1e-26: distances beyond it may saturate


def integer_distances(g: Graph, x: Value, xq: Value, scale: np.ndarray, zp: np.ndarray, bits: int,
                      sample: np.ndarray, consumers) -> dict[int, list[Node]]:
    """{id(last float node replaced): integer nodes computing its output} for every distance
    pattern reading x."""
    from edgec.quant.sklearn_int import FeatureAffine
    codes = feature_quantize_ref(FeatureQuantAttrs(scale, zp, bits), sample[:_CALIBRATION_ROWS].astype(np.float32))
    out: dict[int, list[Node]] = {}
    f = x.shape[1]
    for end, aff, v in _readers(g, x, FeatureAffine(np.ones(f), np.zeros(f)), consumers):
        if end.op in ("svm_kernel", "svm_dual_sum", "knn"):
            new = (_knn_node(end, aff, xq, scale, zp, bits) if end.op == "knn" else
                   _svm_node(end, aff, xq, scale, zp, bits, codes))
            if new is not None:
                out[id(end)] = new
            continue
        m = _match_gnb(end) if end.op == "gaussian_nb_jll" else _match_distance(g, end, v, consumers)
        if m is None:
            continue
        last, centers, kind, u, alpha, beta = m
        new = _class_scores(last, aff, centers, kind, u, alpha, beta, xq, scale, zp, bits, codes)
        if new is not None:
            out[id(last)] = new
    return out


def _readers(g: Graph, v: Value, aff, consumers, depth: int = 0):
    """(node, affine from x, value it reads) for each first non-affine reader of v, following
    per-feature affine chains through fan-out (a scaled x read by two distance sums)."""
    from edgec.quant.sklearn_int import FeatureAffine, _affine_chain
    for u in list({id(n): n for n in consumers.get(v, [])}.values()):
        chain, end, step = _affine_chain(g, u, v, consumers)
        total = FeatureAffine(step.a * aff.a, step.a * aff.b + step.b)
        if end is not None:
            yield end, total, end.inputs[0]
        elif not chain:
            yield u, total, v
        elif depth < 8 and chain[-1].outputs[0] not in g.outputs:
            yield from _readers(g, chain[-1].outputs[0], total, consumers, depth + 1)


def _single_user(g: Graph, v: Value, consumers) -> Node | None:
    users = list({id(u): u for u in consumers.get(v, [])}.values())   # mul(d, d) lists d twice
    return users[0] if len(users) == 1 and v not in g.outputs else None


def _const_of(n: Node, v: Value) -> np.ndarray | None:
    other = [i for i in n.inputs if i is not v]
    if len(n.inputs) != 2 or len(other) != 1 or other[0] is None or not other[0].is_const:
        return None
    return np.asarray(other[0].data, np.float64)


def _match_distance(g: Graph, sub: Node, v: Value, consumers):
    """(last node, centres [C, F], kind, u [C or 1, F], alpha, beta [C]) or None."""
    f = v.shape[1]
    if sub.op != "sub" or sub.inputs[0] is not v or not (sub.inputs[1] is not None and sub.inputs[1].is_const):
        return None
    centers = np.asarray(sub.inputs[1].data, np.float64)
    if centers.ndim != 2 or centers.shape[1] != f or sub.outputs[0].shape != centers.shape:
        return None
    c = centers.shape[0]
    d = sub.outputs[0]
    t_node = _single_user(g, d, consumers)
    if t_node is None:
        return None
    if t_node.op == "mul" and t_node.inputs[0] is d and t_node.inputs[1] is d:
        kind = "sq"
    elif t_node.op == "abs":
        kind = "abs"
    else:
        return None
    t, u = t_node.outputs[0], np.ones((1, f))
    nxt = _single_user(g, t, consumers)
    if nxt is not None and nxt.op in ("div", "mul"):
        k = _const_of(nxt, t)
        if k is None or (nxt.op == "div" and nxt.inputs[0] is not t) or k.size not in (1, f, c * f):
            return None
        k = np.broadcast_to(k.reshape(-1, f) if k.size > 1 else k.reshape(1, 1), (c, f))
        if nxt.op == "div":
            if np.any(k <= 0):
                return None
            k = 1.0 / k
        if np.any(k < 0):
            return None
        u = k.copy()
        t = nxt.outputs[0]
        nxt = _single_user(g, t, consumers)
    if nxt is None or nxt.op != "reduce" or nxt.attrs.kind != "sum" or tuple(nxt.attrs.axes) != (1,):
        return None
    last = nxt
    val = nxt.outputs[0]
    r = _single_user(g, val, consumers)
    if r is not None and r.op == "reshape" and r.outputs[0].shape == (1, c):
        last, val = r, r.outputs[0]
    elif val.shape != (1, c):
        return None
    alpha, beta = 1.0, np.zeros(c)
    while True:
        n = _single_user(g, val, consumers)
        if n is None:
            break
        if n.op == "neg":
            alpha, beta = -alpha, -beta
        elif n.op == "affine":
            alpha, beta = alpha * n.attrs.alpha, beta * n.attrs.alpha + n.attrs.beta
        elif n.op in ("mul", "add", "sub"):
            k = _const_of(n, val)
            if k is None or k.size not in (1, c) or n.outputs[0].shape != val.shape:
                break
            k = np.broadcast_to(k.reshape(-1), (c,))
            if n.op == "mul":
                if k.size > 1 and not np.all(k == k[0]):
                    break
                alpha, beta = alpha * float(k[0]), beta * k
            elif n.op == "add":
                beta = beta + k
            elif n.inputs[0] is val:
                beta = beta - k
            else:
                alpha, beta = -alpha, k - beta
        else:
            break
        last, val = n, n.outputs[0]
    if alpha == 0 or not np.all(np.isfinite(beta)):
        return None
    return last, centers, kind, u, float(alpha), np.asarray(beta, np.float64)


def _match_gnb(n: Node):
    """gaussian_nb_jll as the same tuple as _match_distance: V = (log prior + norm) - 0.5 D with
    u = 1/var (None when an input is computed or a variance is not positive)."""
    if not all(v is not None and v.is_const for v in n.inputs[1:]):
        return None
    theta, var, prior, norm = (np.asarray(v.data, np.float64) for v in n.inputs[1:])
    if np.any(var <= 0):
        return None
    return n, theta, "sq", 1.0 / var, -0.5, prior + norm


def _grid(aff, centers, scale, zp, bits, kind):
    """(centre codes int32 [C, F], per-feature factor (a s)^2 or |a s|, largest term per feature)
    or None when a centre cannot sit on the grid."""
    lo, hi = qrange(bits)
    step = aff.a * scale.astype(np.float64)
    if np.any(step == 0) or not np.all(np.isfinite(step)):
        return None
    cq = zp.astype(np.float64) + np.round((centers - aff.b) / step)
    if not np.all(np.isfinite(cq)) or np.abs(cq).max(initial=0) >= 1 << 24:
        return None
    dmax = np.maximum(np.abs(cq - lo), np.abs(hi - cq)).max(axis=0)
    factor = step ** 2 if kind == "sq" else np.abs(step)
    tmax = dmax ** 2 if kind == "sq" else dmax
    return cq.astype(np.int32), factor, tmax


def _weights(w: np.ndarray, tmax: np.ndarray, cap_outliers: bool) -> tuple[np.ndarray, float] | None:
    """Integer weights (int32 [rows, F]) and their scale: the largest as large as the int64 budget
    allows. With `cap_outliers` (GaussianNB, whose 1/var spans many decades where a class has a
    near-constant feature) when that leaves the median weight too coarse, the scale follows the
    median and the few huge weights are capped (still far larger than the rest)."""
    cap = min(_WEIGHT_MAX, int(_SUM_BUDGET // max(1.0, float(tmax.sum()))))
    wmax = float(w.max(initial=0.0))
    if cap < 1 or wmax <= 0:
        return None
    s_w = wmax / cap
    pos = w[w > 0]
    med = float(np.median(pos)) if pos.size else wmax
    if cap_outliers and med / s_w < _MIN_WEIGHT_CODES:
        s_w = med / _MIN_WEIGHT_CODES
    return np.clip(np.round(w / s_w), 0, cap).astype(np.int32), s_w


def _shift_for(limit: float) -> int:
    return max(0, int(max(1.0, limit)).bit_length() - 31)


def _class_scores(last: Node, aff, centers, kind, u, alpha, beta, xq, scale, zp, bits, codes) -> list[Node] | None:
    grid = _grid(aff, centers, scale, zp, bits, kind)
    if grid is None:
        return None
    cq, factor, tmax = grid
    wq = _weights(u * factor[None, :], tmax, cap_outliers=u.shape[0] > 1)
    if wq is None:
        return None
    w, s_w = wq
    if w.shape[0] > 1 and np.all(w == w[:1]):
        w = w[:1]
    unit = abs(alpha) * s_w
    bias = np.clip(np.round(beta / unit), -_SUM_BUDGET, _SUM_BUDGET).astype(np.int64)
    sign = 1 if alpha > 0 else -1
    probe = SqDistanceQAttrs(kind, cq, w, bias, sign, 0, bits, unit)
    acc = distance_acc(probe, codes)
    # the scores that decide: each row's two best classes, with headroom
    top = np.sort(acc, axis=1)[:, -2:] if acc.shape[1] > 1 else acc
    shift = _shift_for(4.0 * float(np.abs(top).max(initial=1)))
    attrs = SqDistanceQAttrs(kind, cq, w, bias, sign, shift, bits, unit * 2.0 ** shift)
    out = last.outputs[0]
    scores = Value(f"{last.name}_scores", TensorType(out.shape, DType.I32))
    q = Node("sq_distance_q", [xq], [scores], attrs, f"{last.name}_q")
    return [q, Node("scale_s32", [scores], [out], ScaleAttrs(float(attrs.scale)), f"{last.name}_float",
                    {"int_scores": scores})]


def _kernel_nodes(n: Node, kernel, aff, xq, scale, zp, bits, codes) -> tuple[list[Node], Value] | None:
    """Nodes computing the float kernel values K [N, S] of `n` (reading x, support vectors input 1)
    from the quantized features: rbf through integer distances. poly and sigmoid stay float: an
    integer dot product (linear_q with the support vectors as weights, one scale for all) loses
    too much where standardised features have outliers (22% agreement on digits in int8), and the
    cube of poly amplifies it."""
    out_shape = (n.inputs[0].shape[0], n.inputs[1].shape[0])
    k = Value(f"{n.name}_kernel", TensorType(out_shape, DType.F32))
    if kernel.kind != "rbf":
        return None
    nodes = _rbf_kernel(n, kernel, aff, xq, scale, zp, bits, codes, k)
    return (nodes, k) if nodes is not None else None


def _rbf_kernel(n: Node, kernel, aff, xq, scale, zp, bits, codes, out: Value) -> list[Node] | None:
    """K = exp(-gamma D) with D the integer squared distance to each support vector."""
    sv = np.asarray(n.inputs[1].data, np.float64)
    grid = _grid(aff, sv, scale, zp, bits, "sq")
    if grid is None:
        return None
    cq, factor, tmax = grid
    wq = _weights(factor[None, :], tmax, cap_outliers=False)
    if wq is None:
        return None
    w, s_w = wq
    gamma = float(kernel.gamma)
    probe = SqDistanceQAttrs("sq", cq, w, np.zeros(sv.shape[0], np.int64), 1, 0, bits, s_w)
    acc = distance_acc(probe, codes)
    limit = 4.0 * float(acc.max(initial=1))
    if gamma > 0:
        limit = min(limit, _EXP_CUTOFF / (gamma * s_w))
    shift = _shift_for(limit)
    attrs = SqDistanceQAttrs("sq", cq, w, probe.bias, 1, shift, bits, s_w * 2.0 ** shift)
    dist = Value(f"{n.name}_dist", TensorType(out.shape, DType.I32))
    arg = Value(f"{n.name}_exponent", TensorType(out.shape, DType.F32))
    return [Node("sq_distance_q", [xq], [dist], attrs, f"{n.name}_q"),
            Node("scale_s32", [dist], [arg], ScaleAttrs(float(-gamma * attrs.scale)), f"{n.name}_exponent"),
            Node("exp", [arg], [out], PointwiseAttrs(), f"{n.name}_exp")]


def _svm_node(n: Node, aff, xq, scale, zp, bits, codes) -> list[Node] | None:
    """svm_kernel -> its K from the integer features; svm_dual_sum (kernel and sum in double on
    the float X) -> K the same way, then the dual sum as a float32 gemm (the int modes' regressors
    are approximate anyway). svm_ovo_dual stays a float island: the float mode chose it because
    the model's one-vs-one sums cancel, and float32 sums of the kernel values would differ between
    C and the simulator by more than their rounding."""
    from edgec.ops.matmul import GemmAttrs
    if not n.inputs[1].is_const:
        return None
    kernel = n.attrs
    made = _kernel_nodes(n, kernel, aff, xq, scale, zp, bits, codes)
    if made is None:
        return None
    nodes, k = made
    if n.op == "svm_kernel":
        nodes[-1].outputs = [n.outputs[0]]
        return nodes
    coef = n.inputs[2]
    if not coef.is_const or (len(n.inputs) > 3 and not n.inputs[3].is_const):
        return None
    w = Value(f"{n.name}_coef_row", TensorType((1, coef.shape[0]), DType.F32), np.asarray(coef.data, np.float32).reshape(1, -1))
    b = n.inputs[3] if len(n.inputs) > 3 else None
    return nodes + [Node("gemm", [k, w, b], n.outputs, GemmAttrs(), n.name)]


def _knn_node(n: Node, aff, xq, scale, zp, bits) -> list[Node] | None:
    """knn -> knn_q (training rows as clamped codes, integer distances, votes or target sums in
    int32) -> scale_s32 (1/k: predict_proba; target scale / k: the mean). weights="distance"
    (1 / distance in float) stays a float island."""
    from edgec.ops.knn_q import KnnQAttrs
    a = n.attrs
    if a.weights != "uniform":
        return None
    lo, hi = qrange(bits)
    kind = "sq" if a.metric == "euclidean" else "abs"
    t = a.table
    grid = _grid(aff, np.asarray(t.train, np.float64), scale, zp, bits, kind)
    if grid is None:
        return None
    codes, factor, _ = grid
    codes = np.clip(codes, lo + 1, hi)            # clamped like the samples they are compared with
    span = np.full(codes.shape[1], float(hi - lo))
    wq = _weights(factor[None, :], span ** 2 if kind == "sq" else span, cap_outliers=False)
    if wq is None:
        return None
    w = wq[0].reshape(-1)
    if t.labels is not None:
        attrs = KnnQAttrs(codes.astype(INT_TYPES[bits].np), w, a.k, kind == "abs", t.labels, t.n_classes, None, bits,
                          1.0 / a.k)
    else:
        tmax = float(np.abs(t.targets).max(initial=0.0))
        s_t = tmax * a.k / 2.0 ** 30 if tmax > 0 else 1.0
        targets = np.round(np.asarray(t.targets, np.float64) / s_t).astype(np.int32)
        attrs = KnnQAttrs(codes.astype(INT_TYPES[bits].np), w, a.k, kind == "abs", None, 0, targets, bits, s_t / a.k)
    out = n.outputs[0]
    y = Value(f"{n.name}_int", TensorType(out.shape, DType.I32))
    return [Node("knn_q", [xq], [y], attrs, f"{n.name}_q"),
            Node("scale_s32", [y], [out], ScaleAttrs(float(attrs.scale)), f"{n.name}_float", {"int_scores": y})]
