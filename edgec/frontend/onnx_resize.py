"""ONNX Resize (and Upsample) with mode "nearest", resolved at import time into per-dim source
index tables (ResizeAttrs).

Coordinates are computed with onnxruntime's float32 arithmetic, and a coordinate within 1e-6 of
k + 0.5 counts as a tie for the round_* modes, as onnxruntime rounds (checked against it over
grids of lengths and scales in the tests). A dim whose length does not change maps one to one.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edgec.frontend.importer import ImportContext, importer
from edgec.ops.movement_index import ResizeAttrs, norm_axis

F32 = np.float32
COORD_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
               "tf_half_pixel_for_nn", "tf_crop_and_resize")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
TIE_TOLERANCE = 1e-6


def source_coords(mode: str, n_in: int, n_out: int, scale: float, roi: tuple[float, float]) -> np.ndarray:
    """Input coordinate (float32) of every output index along one dim."""
    x, s = np.arange(n_out, dtype=F32), F32(scale)
    half = F32(0.5)
    if mode == "half_pixel":
        return (x + half) / s - half
    if mode == "half_pixel_symmetric":
        adjustment = F32(n_out) / (s * F32(n_in))
        offset = F32(n_in) / F32(2) * (F32(1) - adjustment)
        return (np.float64(offset) + (x + 0.5) / np.float64(s) - 0.5).astype(F32)
    if mode == "pytorch_half_pixel":
        return (x + half) / s - half if n_out > 1 else np.zeros(n_out, F32)
    if mode == "align_corners":
        return x * F32(n_in - 1) / F32(n_out - 1) if n_out > 1 else np.zeros(n_out, F32)
    if mode == "asymmetric":
        return x / s
    if mode == "tf_half_pixel_for_nn":
        return (x + half) / s
    lo, hi = F32(roi[0]), F32(roi[1])
    if n_out > 1:
        return lo * F32(n_in - 1) + x * (hi - lo) * F32(n_in - 1) / F32(n_out - 1)
    return np.full(n_out, half * (lo + hi) * F32(n_in - 1), F32)


def nearest_index(coords: np.ndarray, nearest_mode: str, n_in: int, extrapolate: bool) -> np.ndarray:
    """Rounds coordinates to input indices, clamped into range (or -1 outside with `extrapolate`)."""
    floor = np.floor(coords)
    tie = np.abs(coords - (floor + F32(0.5))) <= TIE_TOLERANCE
    if nearest_mode == "round_prefer_floor":
        idx = np.where(tie, floor, np.round(coords))
    elif nearest_mode == "round_prefer_ceil":
        idx = np.where(tie, floor + 1, np.round(coords))
    elif nearest_mode == "floor":
        idx = floor
    else:
        idx = np.ceil(coords)
    idx = np.clip(idx, 0, n_in - 1).astype(np.int64)
    if extrapolate:
        idx = np.where((coords < 0) | (coords > F32(n_in - 1)), -1, idx)
    return idx


def _targets(ctx, node, shape, scales, sizes, axes) -> tuple[list[float], list[int]]:
    """Per-dim scale and output length from either `scales` or `sizes` (+ keep_aspect_ratio_policy)."""
    r = len(shape)
    axes = list(range(r)) if axes is None else [norm_axis(a, r) for a in axes]
    scale, out = [1.0] * r, list(shape)
    if sizes is not None:
        want = {a: int(s) for a, s in zip(axes, sizes)}
        ratio = {a: F32(want[a]) / F32(shape[a]) for a in axes}
        policy = ctx.attr(node, "keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            if policy not in ("not_larger", "not_smaller"):
                raise ctx.unsupported(node, f"keep_aspect_ratio_policy '{policy}'")
            s = (min if policy == "not_larger" else max)(ratio.values())
            ratio = {a: s for a in axes}
            want = {a: int(np.floor(F32(s) * F32(shape[a]) + F32(0.5))) for a in axes}
        for a in axes:
            scale[a], out[a] = float(ratio[a]), want[a]
    else:
        for a, s in zip(axes, scales):
            scale[a], out[a] = float(s), int(np.floor(F32(s) * F32(shape[a])))
    return scale, out


def _resize_tables(ctx, node, shape, scales, sizes, roi) -> ResizeAttrs:
    mode = ctx.attr(node, "coordinate_transformation_mode", "half_pixel")
    nearest_mode = ctx.attr(node, "nearest_mode", "round_prefer_floor")
    if mode not in COORD_MODES or nearest_mode not in NEAREST_MODES:
        raise ctx.unsupported(node, f"coordinate_transformation_mode '{mode}', nearest_mode '{nearest_mode}'")
    axes = ctx.attr(node, "axes")
    scale, out = _targets(ctx, node, shape, scales, sizes, axes)
    r = len(shape)
    full_roi = [(0.0, 1.0)] * r
    if roi is not None and mode == "tf_crop_and_resize":
        ax = list(range(r)) if axes is None else [norm_axis(a, r) for a in axes]
        for k, a in enumerate(ax):
            full_roi[a] = (float(roi[k]), float(roi[len(ax) + k]))
    elif mode == "tf_crop_and_resize":
        raise ctx.unsupported(node, "tf_crop_and_resize without roi")
    index = []
    for d, n in enumerate(shape):
        if out[d] == n and mode != "tf_crop_and_resize":
            index.append(tuple(range(n)))
            continue
        coords = source_coords(mode, n, out[d], scale[d], full_roi[d])
        index.append(tuple(int(i) for i in nearest_index(coords, nearest_mode, n, mode == "tf_crop_and_resize")))
    return ResizeAttrs(tuple(index), float(ctx.attr(node, "extrapolation_value", 0.0)))


def restore_legacy_resize(model: onnx.ModelProto) -> None:
    """Gives converted pre-opset-11 Upsample/Resize nodes their old meaning back, in place.

    Before opset 11 nearest resize used asymmetric coordinates and onnxruntime rounds them down
    when upsampling and up when downsampling; onnx's version converter leaves the opset-11
    defaults (half_pixel, round_prefer_floor) instead. A node mixing up- and downsampling dims
    gets "floor".
    """
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    for n in model.graph.node:
        if n.op_type != "Resize" or any(a.name == "coordinate_transformation_mode" for a in n.attribute):
            continue
        scales = consts.get(n.input[2]) if len(n.input) > 2 else None
        down = scales is not None and np.all(scales <= 1) and np.any(scales < 1)
        n.attribute.extend([helper.make_attribute("coordinate_transformation_mode", "asymmetric"),
                            helper.make_attribute("nearest_mode", "ceil" if down else "floor")])


def _optional(ctx, node, i: int, what: str):
    data = ctx.const_input(node, i, what)
    return None if data is None or np.size(data) == 0 else np.asarray(data).reshape(-1).tolist()


@importer("Resize", "Upsample")
def _resize(ctx: ImportContext, node) -> None:
    x = ctx.input(node, 0)
    mode = ctx.attr(node, "mode", "nearest")
    if mode != "nearest":
        raise ctx.unsupported(node, f"mode '{mode}' (only nearest)")
    if node.op_type == "Upsample":
        scales, sizes, roi = _optional(ctx, node, 1, "scales"), None, None
    else:
        roi, scales, sizes = (_optional(ctx, node, i, w) for i, w in ((1, "roi"), (2, "scales"), (3, "sizes")))
    if scales is None and sizes is None:
        raise ctx.unsupported(node, "neither scales nor sizes given")
    attrs = _resize_tables(ctx, node, x.shape, scales, sizes, roi)
    ctx.bind(node, ctx.emit("resize", [x], attrs, node.name))
