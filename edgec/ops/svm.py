"""Kernel SVM ops, computed the way libsvm (scikit-learn's SVC/SVR) computes them.

svm_kernel: x [N, F] against support vectors [S, F] (a constant input) -> K [N, S]:
  linear  x.sv                        poly    (gamma * x.sv + coef0) ** degree (libsvm's powi)
  rbf     exp(-gamma * sum((x - sv)^2))  (the difference form, as libsvm's k_function; the
                                          expanded |x|^2 + |sv|^2 - 2 x.sv cancels badly)
  sigmoid tanh(gamma * x.sv + coef0)
svm_ovo_decision: K [N, S], dual coefficients [C-1, S], intercepts [P] -> one-vs-one decision
  values [N, P], P = C(C-1)/2 pairs (i < j) in libsvm's order; pair (i, j) sums class i's support
  vectors weighted by row j-1 then class j's weighted by row i, then adds the intercept (-rho).
ovo_vote: decision values [N, P] -> votes per class [N, C] (float counts): pair (i, j) votes for
  i when its value is > 0 (libsvm's predict; `zero_to_first` makes that >= 0, scikit-learn's
  decision_function_shape='ovr' rule), else for j. arg_max of the votes then keeps the first
  class with the most votes, as libsvm does.
svm_dual_sum: x [N, F], support vectors [S, F], coef [S] (, intercept [1]) -> [N, 1] =
  sum_v coef[v] K(x, sv_v) + intercept, the kernel and the sum computed in double from float32
  operands (gamma and coef0 stay double: rounding gamma to float32 alone costs 2e-5 relative). Regressors need it: with a large C the dual sum cancels terms hundreds of times its
  value, and float32 kernel values alone miss scikit-learn's 1e-5 relative bar (classifiers only
  need the sign, which the float32 ops above keep).
svm_ovo_dual: x, support vectors, dual coefficients, intercepts -> the svm_ovo_decision values
  with the kernel and the sums in double, for classifiers whose dual sums cancel too much for
  float32 (chosen at compile time by measuring the float32 path on the support vectors).
svm_pair_proba: one-vs-one decision values [N, P] -> predict_proba [N, C] of SVC(probability=True):
  per pair libsvm's Platt sigmoid clamped to [1e-7, 1 - 1e-7], then libsvm's iterative pairwise
  coupling (also for two classes, as scikit-learn's libsvm does), all in double (the coupling's
  stopping test would otherwise move with float32 rounding).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgec.errors import ShapeError, UnsupportedOpError
from edgec.ir.graph import DType, TensorType
from edgec.ops.base import OpDef, f32, register

KERNELS = ("linear", "poly", "rbf", "sigmoid")


@dataclass(frozen=True)
class SvmKernelAttrs:
    kind: str
    gamma: float = 1.0
    coef0: float = 0.0
    degree: int = 3


def _kernel_infer(attrs: SvmKernelAttrs, types: list[TensorType]) -> list[TensorType]:
    x, sv = types[0], types[1]
    if attrs.kind not in KERNELS:
        raise ShapeError(f"svm_kernel: unknown kernel '{attrs.kind}' (one of {', '.join(KERNELS)})")
    if x.rank != 2 or sv.rank != 2 or x.shape[1] != sv.shape[1]:
        raise ShapeError(f"svm_kernel needs x [N, F] and support vectors [S, F], got {x} and {sv}")
    return [TensorType((x.shape[0], sv.shape[0]), DType.F32)]


def powi(base: np.ndarray, times: int) -> np.ndarray:
    """libsvm's powi: base ** times by repeated squaring (float32 here)."""
    tmp, ret = f32(base), np.ones_like(f32(base))
    t = times
    while t > 0:
        if t % 2 == 1:
            ret = f32(ret * tmp)
        tmp = f32(tmp * tmp)
        t //= 2
    return ret


def kernel_ref(attrs: SvmKernelAttrs, x: np.ndarray, sv: np.ndarray) -> np.ndarray:
    x, sv = f32(x), f32(sv)
    g, c = np.float32(attrs.gamma), np.float32(attrs.coef0)
    if attrs.kind == "rbf":
        d = x[:, None, :] - sv[None, :, :]
        return f32(np.exp(-g * f32((d * d).sum(-1))))
    dot = f32(x @ sv.T)
    if attrs.kind == "linear":
        return dot
    if attrs.kind == "poly":
        return powi(f32(g * dot) + c, attrs.degree)
    return f32(np.tanh(f32(g * dot) + c))


def _kernel_emit(ctx, node) -> None:
    x, sv, y = node.inputs[0], node.inputs[1], node.outputs[0]
    a: SvmKernelAttrs = node.attrs
    if x.type.dtype != DType.F32 or sv.type.dtype != DType.F32:
        raise UnsupportedOpError(node.op, node.name, "the C kernel is float32 only")
    p = ctx.struct("ec_svm_kernel_params", {
        "kind": f"EC_SVM_{a.kind.upper()}", "n_sv": sv.shape[0], "n_features": sv.shape[1],
        "degree": int(a.degree), "gamma": float(a.gamma), "coef0": float(a.coef0)}, "svm_kernel")
    from edgec.ops.matmul import pack_fc_weights   # blocks of EC_SVM_BLOCK == FC_BLOCK vectors
    packed = ctx.prepared(sv, pack_fc_weights, f"{sv.name}_packed", DType.F32)
    ctx.call("ec_svm_kernel_f32", p, ctx.ptr(x), str(x.shape[0]), packed, ctx.ptr(y))


def _kernel_macs(attrs, ins, outs) -> int:
    return outs[0].size * ins[0].shape[1]


register(OpDef("svm_kernel", _kernel_infer, lambda a, xs: [kernel_ref(a, xs[0], xs[1])], _kernel_emit,
               ("ec_svm_kernel_f32",), macs=_kernel_macs))


# -- one-vs-one decision values -------------------------------------------------------------------
@dataclass(frozen=True)
class SvmOvoAttrs:
    """n_support: support vectors per class, in the order of the K columns."""

    n_support: tuple[int, ...]


def pairs(n_classes: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]


def _ovo_infer(attrs: SvmOvoAttrs, types: list[TensorType]) -> list[TensorType]:
    k, coef, b = types
    c, s = len(attrs.n_support), sum(attrs.n_support)
    if c < 2 or k.rank != 2 or k.shape[1] != s or coef.shape != (c - 1, s) or b.shape != (c * (c - 1) // 2,):
        raise ShapeError(f"svm_ovo_decision: K {k}, dual coef {coef}, intercept {b} do not fit "
                         f"{c} classes with {s} support vectors")
    return [TensorType((k.shape[0], c * (c - 1) // 2), DType.F32)]


def ovo_ref(attrs: SvmOvoAttrs, k: np.ndarray, coef: np.ndarray, b: np.ndarray) -> np.ndarray:
    k, coef, b = f32(k), f32(coef), f32(b)
    start = np.concatenate([[0], np.cumsum(attrs.n_support)]).astype(int)
    out = np.zeros((k.shape[0], len(b)), np.float32)
    for p, (i, j) in enumerate(pairs(len(attrs.n_support))):
        acc = np.zeros(k.shape[0], np.float32)
        for cls, row in ((i, j - 1), (j, i)):
            for s in range(start[cls], start[cls + 1]):
                acc = f32(acc + f32(coef[row, s] * k[:, s]))
        out[:, p] = f32(acc + b[p])
    return out


def _ovo_emit(ctx, node) -> None:
    k, coef, b = node.inputs
    a: SvmOvoAttrs = node.attrs
    start = np.concatenate([[0], np.cumsum(a.n_support)]).astype(np.int32)
    p = ctx.struct("ec_svm_ovo_params", {
        "n_classes": len(a.n_support), "n_sv": int(start[-1]),
        "start": ctx.ints(start, f"{node.name}_start")}, "svm_ovo")
    ctx.call("ec_svm_ovo_decision_f32", p, ctx.ptr(k), str(k.shape[0]), ctx.ptr(coef), ctx.ptr(b),
             ctx.ptr(node.outputs[0]))


register(OpDef("svm_ovo_decision", _ovo_infer, lambda a, xs: [ovo_ref(a, *xs)], _ovo_emit,
               ("ec_svm_ovo_decision_f32",)))


# -- one-vs-one voting ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OvoVoteAttrs:
    n_classes: int
    zero_to_first: bool = False


def _vote_infer(attrs: OvoVoteAttrs, types: list[TensorType]) -> list[TensorType]:
    d = types[0]
    c = attrs.n_classes
    if c < 2 or d.rank != 2 or d.shape[1] != c * (c - 1) // 2 or d.dtype != DType.F32:
        raise ShapeError(f"ovo_vote: {d} is not float32 [N, {c * (c - 1) // 2}] for {c} classes")
    return [TensorType((d.shape[0], c), DType.F32)]


def vote_ref(attrs: OvoVoteAttrs, dec: np.ndarray) -> np.ndarray:
    dec = f32(dec)
    votes = np.zeros((dec.shape[0], attrs.n_classes), np.float32)
    for p, (i, j) in enumerate(pairs(attrs.n_classes)):
        first = dec[:, p] >= 0 if attrs.zero_to_first else dec[:, p] > 0
        votes[:, i] += first
        votes[:, j] += ~first
    return votes


def _vote_emit(ctx, node) -> None:
    d, a = node.inputs[0], node.attrs
    ctx.call("ec_ovo_vote_f32", ctx.ptr(d), str(d.shape[0]), str(a.n_classes), "1" if a.zero_to_first else "0",
             ctx.ptr(node.outputs[0]))


register(OpDef("ovo_vote", _vote_infer, lambda a, xs: [vote_ref(a, xs[0])], _vote_emit, ("ec_ovo_vote_f32",)))


# -- single-output dual sum in double (regressors, one-class) ------------------------------------
def _dual_infer(attrs: SvmKernelAttrs, types: list[TensorType]) -> list[TensorType]:
    x, sv, coef = types[0], types[1], types[2]
    _kernel_infer(attrs, types[:2])
    if coef.shape != (sv.shape[0],) or (len(types) > 3 and types[3].shape != (1,)):
        raise ShapeError(f"svm_dual_sum: coef {coef} / intercept do not fit {sv.shape[0]} support vectors")
    return [TensorType((x.shape[0], 1), DType.F32)]


def kernel64(attrs: SvmKernelAttrs, x, sv) -> np.ndarray:
    """[N, S] kernel values in float64 from float32-rounded operands (ec_svm_kernel_f64)."""
    x, sv = (np.asarray(a, np.float32).astype(np.float64) for a in (x, sv))
    g, c = float(attrs.gamma), float(attrs.coef0)
    if attrs.kind == "rbf":
        return np.exp(-g * ((x[:, None, :] - sv[None, :, :]) ** 2).sum(-1))
    dot = x @ sv.T
    return {"linear": lambda: dot, "poly": lambda: (g * dot + c) ** attrs.degree,
            "sigmoid": lambda: np.tanh(g * dot + c)}[attrs.kind]()


def dual_sum_ref(attrs: SvmKernelAttrs, x, sv, coef, intercept=None) -> np.ndarray:
    """sum_v coef[v] * K(x, sv_v) (+ intercept), all in float64 from the float32 operands."""
    k = kernel64(attrs, x, sv)
    y = k @ np.asarray(coef, np.float32).astype(np.float64)
    if intercept is not None:
        y = y + float(np.asarray(intercept, np.float32).reshape(-1)[0])
    return f32(y.reshape(-1, 1))


def _dual_emit(ctx, node) -> None:
    x, sv, coef = node.inputs[:3]
    b = node.inputs[3] if len(node.inputs) > 3 and node.inputs[3] is not None else None
    a: SvmKernelAttrs = node.attrs
    p = ctx.struct("ec_svm_dual_params", {
        "kind": f"EC_SVM_{a.kind.upper()}", "n_sv": sv.shape[0], "n_features": sv.shape[1],
        "degree": int(a.degree), "gamma": "%.17g" % float(a.gamma), "coef0": "%.17g" % float(a.coef0)},
        "svm_dual")
    from edgec.ops.matmul import pack_fc_weights   # blocks of EC_SVM_BLOCK == FC_BLOCK vectors
    packed = ctx.prepared(sv, pack_fc_weights, f"{sv.name}_packed", DType.F32)
    ctx.call("ec_svm_dual_sum_f32", p, ctx.ptr(x), str(x.shape[0]), packed, ctx.ptr(coef),
             ctx.ptr(b) if b is not None else "NULL", ctx.ptr(node.outputs[0]))


register(OpDef("svm_dual_sum", _dual_infer, lambda a, xs: [dual_sum_ref(a, *xs)], _dual_emit,
               ("ec_svm_dual_sum_f32", "ec_svm_kernel_f64"), macs=_kernel_macs))


# -- one-vs-one decision values in double (ill-conditioned classifiers) ---------------------------
@dataclass(frozen=True)
class SvmOvoDualAttrs:
    kernel: SvmKernelAttrs
    n_support: tuple[int, ...]


def _ovo_dual_infer(attrs: SvmOvoDualAttrs, types: list[TensorType]) -> list[TensorType]:
    _kernel_infer(attrs.kernel, types[:2])
    k = TensorType((types[0].shape[0], types[1].shape[0]), DType.F32)
    return _ovo_infer(SvmOvoAttrs(attrs.n_support), [k] + list(types[2:]))


def ovo_dual_ref(attrs: SvmOvoDualAttrs, x, sv, coef, b) -> np.ndarray:
    """svm_ovo_decision of float64 kernel values, summed in float64 in libsvm's order."""
    k = kernel64(attrs.kernel, x, sv)
    coef = np.asarray(coef, np.float32).astype(np.float64)
    b = np.asarray(b, np.float32).astype(np.float64)
    start = np.concatenate([[0], np.cumsum(attrs.n_support)]).astype(int)
    out = np.zeros((k.shape[0], len(b)))
    for p, (i, j) in enumerate(pairs(len(attrs.n_support))):
        acc = np.zeros(k.shape[0])
        for cls, row in ((i, j - 1), (j, i)):
            for s in range(start[cls], start[cls + 1]):
                acc = acc + coef[row, s] * k[:, s]
        out[:, p] = acc + b[p]
    return f32(out)


def _ovo_dual_emit(ctx, node) -> None:
    x, sv, coef, b = node.inputs
    a: SvmOvoDualAttrs = node.attrs
    start = np.concatenate([[0], np.cumsum(a.n_support)]).astype(np.int32)
    p = ctx.struct("ec_svm_dual_params", {
        "kind": f"EC_SVM_{a.kernel.kind.upper()}", "n_sv": sv.shape[0], "n_features": sv.shape[1],
        "degree": int(a.kernel.degree), "gamma": "%.17g" % float(a.kernel.gamma),
        "coef0": "%.17g" % float(a.kernel.coef0)}, "svm_dual")
    ctx.call("ec_svm_ovo_dual_f32", p, ctx.ints(start, f"{node.name}_start"), str(len(a.n_support)), ctx.ptr(x),
             str(x.shape[0]), ctx.ptr(sv), ctx.ptr(coef), ctx.ptr(b), ctx.scratch(), ctx.ptr(node.outputs[0]))


def _ovo_dual_scratch(attrs: SvmOvoDualAttrs, ins, outs) -> int:
    c = len(attrs.n_support)
    return 8 * (c * (c - 1) // 2)


register(OpDef("svm_ovo_dual", _ovo_dual_infer, lambda a, xs: [ovo_dual_ref(a, *xs)], _ovo_dual_emit,
               ("ec_svm_ovo_dual_f32", "ec_svm_kernel_f64"), macs=lambda a, i, o: _kernel_macs(a, i, [
                   TensorType((i[0].shape[0], i[1].shape[0]), DType.F32)]), scratch=_ovo_dual_scratch))


# -- Platt probabilities + pairwise coupling (SVC(probability=True).predict_proba) ----------------
@dataclass(frozen=True)
class SvmPairProbaAttrs:
    """prob_a / prob_b: libsvm's Platt sigmoid per pair (scikit-learn's _probA / _probB)."""

    n_classes: int
    prob_a: tuple[float, ...]
    prob_b: tuple[float, ...]


def _pair_proba_infer(attrs: SvmPairProbaAttrs, types: list[TensorType]) -> list[TensorType]:
    d, c = types[0], attrs.n_classes
    p = c * (c - 1) // 2
    if c < 2 or d.rank != 2 or d.shape[1] != p or len(attrs.prob_a) != p or len(attrs.prob_b) != p:
        raise ShapeError(f"svm_pair_proba: {d} and {len(attrs.prob_a)} sigmoids do not fit {c} classes")
    return [TensorType((d.shape[0], c), DType.F32)]


def _platt(dec: float, a: float, b: float) -> float:
    f = dec * a + b
    if f >= 0:
        e = float(np.exp(-f))
        return e / (1.0 + e)
    return 1.0 / (1.0 + float(np.exp(f)))


def couple(k: int, r: list[list[float]]) -> list[float]:
    """Wu, Lin and Weng's method 2 as libsvm iterates it (max(100, k) sweeps, stop at 0.005 / k)."""
    p = [1.0 / k] * k
    q = [[0.0] * k for _ in range(k)]
    for t in range(k):
        for j in range(t):
            q[t][t] += r[j][t] * r[j][t]
            q[t][j] = q[j][t]
        for j in range(t + 1, k):
            q[t][t] += r[j][t] * r[j][t]
            q[t][j] = -r[j][t] * r[t][j]
    eps = 0.005 / k
    for _ in range(max(100, k)):
        qp = [0.0] * k
        pqp = 0.0
        for t in range(k):
            for j in range(k):
                qp[t] += q[t][j] * p[j]
            pqp += p[t] * qp[t]
        if max(abs(qp[t] - pqp) for t in range(k)) < eps:
            break
        for t in range(k):
            diff = (-qp[t] + pqp) / q[t][t]
            p[t] += diff
            pqp = (pqp + diff * (diff * q[t][t] + 2 * qp[t])) / (1 + diff) / (1 + diff)
            for j in range(k):
                qp[j] = (qp[j] + diff * q[t][j]) / (1 + diff)
                p[j] /= 1 + diff
    return p


def split_double(v) -> np.ndarray:
    """[n] float64 -> [n, 2] float32 (hi, lo) with hi + lo == v to ~48 bits: the C has no double
    constants, so each Platt parameter travels as two floats and is rebuilt in double."""
    v = np.asarray(v, np.float64).reshape(-1)
    hi = v.astype(np.float32)
    return np.stack([hi, (v - hi.astype(np.float64)).astype(np.float32)], axis=1)


def _joined(hi_lo: np.ndarray) -> list[float]:
    return [float(h) + float(lo) for h, lo in hi_lo.astype(np.float64)]


def pair_proba_ref(attrs: SvmPairProbaAttrs, dec: np.ndarray) -> np.ndarray:
    k = attrs.n_classes
    pa, pb = _joined(split_double(attrs.prob_a)), _joined(split_double(attrs.prob_b))
    out = np.zeros((dec.shape[0], k), np.float32)
    for s, row in enumerate(np.asarray(dec, np.float32).astype(np.float64)):
        r = [[0.0] * k for _ in range(k)]
        for p, (i, j) in enumerate(pairs(k)):
            r[i][j] = min(max(_platt(row[p], pa[p], pb[p]), 1e-7), 1 - 1e-7)
            r[j][i] = 1 - r[i][j]
        out[s] = couple(k, r)
    return out


def _pair_proba_scratch(attrs: SvmPairProbaAttrs, ins, outs) -> int:
    k = attrs.n_classes
    return 8 * (2 * k * k + 2 * k)


def _pair_proba_emit(ctx, node) -> None:
    d, a = node.inputs[0], node.attrs
    sig = np.concatenate([split_double(a.prob_a), split_double(a.prob_b)], axis=1)   # [pairs, 4]
    p = ctx.struct("ec_svm_proba_params", {
        "n_classes": a.n_classes, "sigmoid": ctx.const(sig, f"{node.name}_sigmoid", DType.F32)}, "svm_proba")
    ctx.call("ec_svm_pair_proba_f32", p, ctx.ptr(d), str(d.shape[0]), ctx.scratch(), ctx.ptr(node.outputs[0]))


register(OpDef("svm_pair_proba", _pair_proba_infer, lambda a, xs: [pair_proba_ref(a, xs[0])], _pair_proba_emit,
               ("ec_svm_pair_proba_f32",), scratch=_pair_proba_scratch))
