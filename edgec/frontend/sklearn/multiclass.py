"""OneVsRestClassifier over any supported binary member.

Each member gives one score, as scikit-learn's `_predict_binary` takes it: decision_function
when the member has one, else predict_proba[:, 1]. Multiclass predict is the first arg max of
the scores; with two classes (one member) it is classes_[score > threshold], the threshold being
0 for a decision function and 0.5 for a probability.
"""
from __future__ import annotations

from typing import Any

from sklearn.multiclass import OneVsRestClassifier

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import Outputs, SkContext, converter
from edgec.frontend.sklearn.linear import binary_label, concat1, normalise_rows, two_column_proba
from edgec.ir.graph import Value


def _column(ctx: SkContext, v: Value, col: int, hint: str) -> Value:
    from edgec.ops.movement_index import SliceAttrs
    return ctx.node("slice", [v], SliceAttrs((col,), (col + 1,), (1,), (1,)), hint)


def _member_score(ctx: SkContext, out: Outputs, name: str) -> tuple[Value, float]:
    if out.decision is not None:
        if out.decision.shape[1] != 1:
            raise UnsupportedOpError("OneVsRestClassifier", name, "a member's decision_function is not binary")
        return out.decision, 0.0
    if out.proba is not None and out.proba.shape[1] == 2:
        return _column(ctx, out.proba, 1, "positive"), 0.5
    raise UnsupportedOpError("OneVsRestClassifier", name, "a member has neither a binary decision_function "
                             "nor a binary predict_proba")


@converter(OneVsRestClassifier)
def one_vs_rest(ctx: SkContext, est: Any, x: Value) -> Outputs:
    if est.label_binarizer_.y_type_ not in ("multiclass", "binary"):
        raise UnsupportedOpError("OneVsRestClassifier", "y", f"{est.label_binarizer_.y_type_} targets")
    outs = [ctx.convert(e, x) for e in est.estimators_]
    scored = [_member_score(ctx, o, f"estimators_[{i}]") for i, o in enumerate(outs)]
    if len({t for _, t in scored}) != 1:
        raise UnsupportedOpError("OneVsRestClassifier", "estimators_", "members mix decision and probability scores")
    classes = est.classes_
    have_decision = all(o.decision is not None for o in outs)
    have_proba = all(o.proba is not None and o.proba.shape[1] == 2 for o in outs)
    if len(outs) == 1:
        score, thr = scored[0]
        label = binary_label(ctx, score, classes, thr)
        proba = two_column_proba(ctx, _column(ctx, outs[0].proba, 1, "positive")) if have_proba else None
        decision = outs[0].decision if have_decision else None
        return Outputs(label=label, proba=proba, decision=decision, classes=classes)
    scores = ctx.node("concat", [s for s, _ in scored], concat1(), "ovr_scores")
    proba = decision = None
    if have_proba:
        pos = ctx.node("concat", [_column(ctx, o.proba, 1, "positive") for o in outs], concat1(), "ovr_pos")
        proba = normalise_rows(ctx, pos)
    if have_decision:
        decision = scores if scored[0][1] == 0.0 else ctx.node("concat", [o.decision for o in outs], concat1(), "dec")
    return Outputs(label=ctx.argmax_label(scores, classes), proba=proba, decision=decision, classes=classes)
