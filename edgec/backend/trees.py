"""C emission of tree_ensemble nodes: the node tables and the kernel call."""
from __future__ import annotations

import numpy as np

from edgec.ir.graph import DType


def emit_tree_ensemble(ctx, node) -> None:
    """Flat int32/float32 node tables walked by ec_tree_ensemble_f32."""
    t, x, y = node.attrs.trees, node.inputs[0], node.outputs[0]
    name = node.name
    arr = lambda a, hint, dt: f"{ctx.const(np.asarray(a), f'{name}_{hint}', dt)}"
    p = ctx.struct("ec_tree_table_f32_params", {
        "n_trees": t.n_trees, "n_targets": t.n_targets,
        "roots": arr(t.roots, "roots", DType.I32), "feature": arr(t.feature, "feature", DType.I32),
        "threshold": arr(t.threshold, "threshold", DType.F32), "left": arr(t.left, "left", DType.I32),
        "right": arr(t.right, "right", DType.I32),
        "missing_left": arr(t.missing_left.astype(np.uint8), "missing_left", DType.U8),
        "leaf": arr(t.leaf, "leaf", DType.I32), "leaf_values": arr(t.leaf_values, "leaf_values", DType.F32),
        "base": arr(t.base, "base", DType.F32)}, "trees")
    ctx.call("ec_tree_ensemble_f32", p, ctx.ptr(x), str(x.shape[0]), str(x.shape[1]), ctx.ptr(y))
