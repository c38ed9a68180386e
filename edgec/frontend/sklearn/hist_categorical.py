"""HistGradientBoosting categorical features as ordinary `x <= t` nodes.

scikit-learn (1.9) first encodes each categorical column with an OrdinalEncoder fitted on the
training data (category value -> code, unknown values and NaN -> NaN) and moves the categorical
columns in front of the numerical ones. A categorical node then sends a code left when it is in
the node's left bitset, right when it is another known code, and NaN the missing-value way. Over
the raw value that is a step function: each category value is a point going left or right and
everything between (unknown categories) goes the missing way. Each categorical node becomes a
small balanced tree of float32 comparisons (x <= prev(v) and x <= v isolate the point v) whose
leaves continue into the node's left or right subtree. Those subtrees are emitted once and
shared by the comparison leaves, so such a tree is a DAG (copies would grow exponentially with
nested categorical splits); the canonical walk (leaves_reached, the table kernel) only follows
child ids and is unchanged. No new op; the raw columns are read directly (no encoder in C).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.sklearn.core import estimator_name

_MAX_GROWTH = 64   # expanded nodes per original node before we give up


def _in_bitset(bitset: np.ndarray, c: int) -> bool:
    return bool((int(bitset[c // 32]) >> (c % 32)) & 1)


def _pieces(categories: np.ndarray, left_bits: np.ndarray, known_bits: np.ndarray,
            missing_left: bool) -> list[tuple[float, bool]]:
    """[(float32 upper bound t, goes left)] pieces of the line for `x <= t` tests, merged; the
    last bound is +inf. categories: the encoder's sorted category values (code = position)."""
    pieces: list[tuple[float, bool]] = []

    def push(bound: float, d: bool) -> None:
        if pieces and pieces[-1][1] == d:
            pieces[-1] = (bound, d)
        else:
            pieces.append((bound, d))

    for code, v in enumerate(np.asarray(categories, np.float64)):
        v32 = np.float32(v)
        d = True if _in_bitset(left_bits, code) else (False if _in_bitset(known_bits, code) else missing_left)
        push(float(np.nextafter(v32, np.float32(-np.inf))), missing_left)   # below the category
        push(float(v32), d)                                                 # the category itself
    push(np.inf, missing_left)
    return pieces


def raw_column_of(est: Any) -> np.ndarray:
    """Encoded column j -> the raw input column it comes from (categorical columns go first)."""
    cat = np.asarray(est.is_categorical_, bool)
    return np.concatenate([np.flatnonzero(cat), np.flatnonzero(~cat)])


def expand_hist_tree(est: Any, predictor: Any, threshold: Callable[[np.ndarray], np.ndarray]) -> dict[str, np.ndarray]:
    """Canonical arrays (see trees.tree_arrays) of one predictor with categorical nodes expanded."""
    n = predictor.nodes
    enc = est._preprocessor.named_transformers_["encoder"]
    n_cat = int(np.count_nonzero(est.is_categorical_))
    if len(enc.categories_) != n_cat or any(np.asarray(c).dtype.kind not in "iuf" for c in enc.categories_):
        raise UnsupportedOpError(type(est).__name__, estimator_name(est), "non-numeric categories are not supported")
    col = raw_column_of(est)
    known, fmap = est._bin_mapper.make_known_categories_bitsets()
    raw = predictor.raw_left_cat_bitsets
    num_thr = threshold(n["num_threshold"])
    cols: dict[str, list] = {k: [] for k in ("feature", "threshold", "left", "right", "missing_left", "is_leaf", "values")}
    budget = _MAX_GROWTH * len(n) + 1024

    def add(feature, thr, missing_left, is_leaf, value) -> int:
        if len(cols["feature"]) >= budget:
            raise UnsupportedOpError(type(est).__name__, estimator_name(est),
                                     "categorical splits expand into too many comparison nodes")
        for k, v in zip(("feature", "threshold", "left", "right", "missing_left", "is_leaf", "values"),
                        (feature, thr, 0, 0, missing_left, is_leaf, value)):
            cols[k].append(v)
        return len(cols["feature"]) - 1

    def emit(i: int) -> int:
        node = n[i]
        if node["is_leaf"]:
            return add(-1, 0.0, False, True, float(node["value"]))
        if not node["is_categorical"]:
            j = add(int(col[node["feature_idx"]]), float(num_thr[i]), bool(node["missing_go_to_left"]), False, 0.0)
            cols["left"][j] = emit(int(node["left"]))
            cols["right"][j] = emit(int(node["right"]))
            return j
        f = int(node["feature_idx"])   # encoded column; categorical ones come first, in order
        cats = np.asarray(enc.categories_[f], np.float64)
        cats = cats[~np.isnan(cats)]
        pieces = _pieces(cats, raw[int(node["bitset_idx"])], known[int(fmap[f])], bool(node["missing_go_to_left"]))
        children: dict[bool, int] = {}   # each child subtree emitted once, shared by the pieces
        return steps(i, int(col[f]), pieces, children)

    def steps(i: int, f: int, pieces: list[tuple[float, bool]], children: dict[bool, int]) -> int:
        if len(pieces) == 1:
            d = pieces[0][1]
            if d not in children:
                children[d] = emit(int(n[i]["left"] if d else n[i]["right"]))
            return children[d]
        mid = len(pieces) // 2
        # NaN always goes left, down to the first piece (below every category): the missing way
        j = add(f, pieces[mid - 1][0], True, False, 0.0)
        cols["left"][j] = steps(i, f, pieces[:mid], children)
        cols["right"][j] = steps(i, f, pieces[mid:], children)
        return j

    emit(0)
    leaf = np.asarray(cols["is_leaf"], bool)
    return {"feature": np.asarray(cols["feature"], np.int64), "threshold": np.asarray(cols["threshold"], np.float64),
            "left": np.asarray(cols["left"], np.int64), "right": np.asarray(cols["right"], np.int64),
            "missing_left": np.asarray(cols["missing_left"], bool) & ~leaf, "is_leaf": leaf,
            "values": np.asarray(cols["values"], np.float64).reshape(-1, 1)}
