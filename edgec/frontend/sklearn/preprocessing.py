"""Preprocessing transformers -> element-wise ops, in scikit-learn's own order of operations.

Each step is the same float operation scikit-learn applies (StandardScaler subtracts the mean and
then divides by the scale, it does not multiply by a reciprocal), so a value computed in float32
differs from scikit-learn's float64 one only by float32 rounding of the same formula, and a
downstream comparison (a tree threshold, an arg max) flips only for values within that rounding.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.blocks import binary, row, scalar, unary
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.decomposition import PCA
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, Normalizer, RobustScaler, StandardScaler


def _shift_scale(ctx: SkContext, x: Value, center: np.ndarray | None, scale: np.ndarray | None, name: str) -> Value:
    """(x - center) / scale, either part skipped when None."""
    if center is not None:
        x = binary(ctx, "sub", x, row(ctx, center, f"{name}_center"), f"{name}_center")
    if scale is not None:
        x = binary(ctx, "div", x, row(ctx, scale, f"{name}_scale"), f"{name}_scale")
    return x


@converter(StandardScaler)
def standard_scaler(ctx: SkContext, est: Any, x: Value) -> Outputs:
    mean = est.mean_ if est.with_mean else None
    scale = est.scale_ if est.with_std else None
    return Outputs(transform=_shift_scale(ctx, x, mean, scale, "standard"))


@converter(RobustScaler)
def robust_scaler(ctx: SkContext, est: Any, x: Value) -> Outputs:
    center = est.center_ if est.with_centering else None
    scale = est.scale_ if est.with_scaling else None
    return Outputs(transform=_shift_scale(ctx, x, center, scale, "robust"))


@converter(MaxAbsScaler)
def max_abs_scaler(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """x / scale_, then clipped to [-1, 1] when clip=True."""
    y = _shift_scale(ctx, x, None, est.scale_, "maxabs")
    if getattr(est, "clip", False):
        y = unary(ctx, "clip", y, "maxabs_clip", -1.0, 1.0)
    return Outputs(transform=y)


@converter(MinMaxScaler)
def min_max_scaler(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """x * scale_ + min_ (scikit-learn's order), then clipped to feature_range when clip=True."""
    y = binary(ctx, "mul", x, row(ctx, est.scale_, "minmax_scale"), "minmax_scale")
    y = binary(ctx, "add", y, row(ctx, est.min_, "minmax_min"), "minmax_min")
    if est.clip:
        lo, hi = (float(v) for v in est.feature_range)
        y = unary(ctx, "clip", y, "minmax_clip", lo, hi)
    return Outputs(transform=y)


@converter(Normalizer)
def normalizer(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """x / norm(x) per sample; a zero norm divides by the smallest normal float instead of 1,
    which gives the same zeros (a zero norm means an all-zero row)."""
    from edgec.ops.reduce import ReduceAttrs
    norm = est.norm
    if norm == "l1":
        n = ctx.node("reduce", [unary(ctx, "abs", x, "abs")], ReduceAttrs("sum", (1,)), "l1_norm")
    elif norm == "l2":
        sq = binary(ctx, "mul", x, x, "square")
        n = unary(ctx, "sqrt", ctx.node("reduce", [sq], ReduceAttrs("sum", (1,)), "sum_sq"), "l2_norm")
    elif norm == "max":
        n = ctx.node("reduce", [unary(ctx, "abs", x, "abs")], ReduceAttrs("max", (1,)), "max_norm")
    else:
        raise UnsupportedOpError("Normalizer", "norm", f"norm={norm!r} is not supported (l1, l2, max are)")
    tiny = scalar(ctx, float(np.finfo(np.float32).tiny), "tiny")
    n = binary(ctx, "max", n, tiny, "norm_nonzero")
    return Outputs(transform=binary(ctx, "div", x, n, "normalized"))


@converter(PCA)
def pca(ctx: SkContext, est: Any, x: Value) -> Outputs:
    """(x - mean_) @ components_.T, then / sqrt(explained_variance_) when whitening.

    scikit-learn projects first and subtracts the projected mean after, in float64; in float32
    that subtraction cancels (wine's proline is ~1000 while components are ~1), so the sample is
    centred first: the same value in exact arithmetic, 10x closer to scikit-learn's in float32."""
    comp = np.asarray(est.components_, np.float64)
    y = ctx.linear(_shift_scale(ctx, x, est.mean_, None, "pca"), comp, None, "pca")
    if est.whiten:
        scale = np.sqrt(np.asarray(est.explained_variance_, np.float64))
        scale = np.maximum(scale, np.finfo(scale.dtype).eps)
        y = binary(ctx, "div", y, row(ctx, scale, "pca_whiten"), "pca_whiten")
    return Outputs(transform=y)
