"""Pipeline -> its steps chained: each transformer's output feeds the next step.

The pipeline computes what its last step computes (predict, predict_proba, ... or transform);
"passthrough" and None steps are skipped, as scikit-learn does.
"""
from __future__ import annotations

from typing import Any

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.ir.graph import Value

from sklearn.pipeline import Pipeline


def _is_skipped(step: Any) -> bool:
    return step is None or (isinstance(step, str) and step == "passthrough")


@converter(Pipeline)
def pipeline(ctx: SkContext, est: Any, x: Value) -> Outputs:
    steps = [(name, step) for name, step in est.steps]
    out = Outputs(transform=x)
    for k, (name, step) in enumerate(steps):
        if _is_skipped(step):
            continue
        out = ctx.convert(step, x)
        if k < len(steps) - 1:
            if out.transform is None:
                raise UnsupportedOpError("Pipeline", name, f"step {type(step).__name__} is not a transformer")
            x = out.transform
    return out
