"""ONNX-ML tree ensembles (TreeEnsembleClassifier/Regressor, opsets 1 and 3; TreeEnsemble, opset 5)
-> the canonical `tree_ensemble` op the scikit-learn route builds.

ONNX trees branch on BRANCH_LEQ/LT/GTE/GT with float or double thresholds; edgec's trees only
test `x <= t` in float32. Each mode is rewritten exactly for every float32 x: `x < t` becomes
`x <= t'` with t' the largest float32 below t, `x > t` / `x >= t` swap the children of the
`<=` / `<` test, and NaN goes to the true branch exactly when missing_value_tracks_true is set
(onnxruntime's rule). Leaves carry their summed weights; the score post-processing (base values,
averaging, the one-column binary case, LOGISTIC / SOFTMAX) follows onnxruntime's kernels.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from edgec.errors import UnsupportedOpError
from edgec.frontend.importer import ImportContext, importer
from edgec.frontend.onnx_ml_common import (ML, classifier_outputs, class_labels, post_transform, ml_attr)
from edgec.ops.elementwise import BinaryAttrs
from edgec.ops.tree_ensemble import TreeEnsembleAttrs, float32_threshold, make_ensemble

_MODES_V5 = {0: "BRANCH_LEQ", 1: "BRANCH_LT", 2: "BRANCH_GTE", 3: "BRANCH_GT", 4: "BRANCH_EQ",
             5: "BRANCH_NEQ", 6: "BRANCH_MEMBER"}
# how many canonical nodes the trees may grow to when shared subtrees (BRANCH_EQ / NEQ false
# sides, DAGs) are copied: each BRANCH_EQ in a chain doubles what follows it
_MAX_NODES = 1 << 20


round_down32 = float32_threshold   # largest float32 <= t: `x <= t` == `x <= result` for float32 x


def below32(t: np.ndarray) -> np.ndarray:
    """Largest float32 < t (so `x < t` == `x <= result` for every float32 x)."""
    t = np.asarray(t, np.float64)
    t32 = round_down32(t)
    same = t32.astype(np.float64) == t
    t32[same] = np.nextafter(t32[same], np.float32(-np.inf))
    return t32


class _Trees:
    """ONNX node tuples of one operator, grouped per tree, turned into canonical flat arrays."""

    def __init__(self, op: str, name: str, treeids, nodeids, featureids, values, modes, true_ids, false_ids,
                 missing_true):
        self.op, self.name = op, name
        n = len(nodeids)
        if not all(len(a) == n for a in (treeids, featureids, values, modes, true_ids, false_ids)):
            raise UnsupportedOpError(op, name, "the nodes_* attributes differ in length")
        self.nodes: dict[tuple[int, int], int] = {}
        for i, (t, k) in enumerate(zip(treeids, nodeids)):
            if (int(t), int(k)) in self.nodes:
                raise UnsupportedOpError(op, name, f"node {k} of tree {t} is defined twice")
            self.nodes[(int(t), int(k))] = i
        self.order = list(dict.fromkeys(int(t) for t in treeids))   # tree ids, first appearance
        self.tree, self.feature = np.asarray(treeids, np.int64), np.asarray(featureids, np.int64)
        self.value = np.asarray(values, np.float64)
        self.mode = [m if isinstance(m, str) else str(m) for m in modes]
        self.true_id, self.false_id = np.asarray(true_ids, np.int64), np.asarray(false_ids, np.int64)
        self.missing_true = np.zeros(n, bool) if missing_true is None or len(missing_true) == 0 \
            else np.asarray(missing_true).astype(bool)
        if len(self.missing_true) != n:
            raise UnsupportedOpError(op, name, "nodes_missing_value_tracks_true differs in length from the nodes")
        bad = sorted({m for m in self.mode} - {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT",
                                                 "BRANCH_EQ", "BRANCH_NEQ", "LEAF"})
        if bad:
            raise UnsupportedOpError(op, name, f"node mode {bad[0]} is not supported "
                                     "(BRANCH_LEQ/LT/GTE/GT/EQ/NEQ and LEAF are)")
        self.weights: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # (node, target, weight)

    def add_weights(self, treeids, nodeids, ids, weights, what: str) -> None:
        if not (len(treeids) == len(nodeids) == len(ids) == len(weights)):
            raise UnsupportedOpError(self.op, self.name, f"the {what}_* attributes differ in length")
        idx = np.asarray([self.nodes.get((int(t), int(k)), -1) for t, k in zip(treeids, nodeids)], np.int64)
        for j in np.flatnonzero(idx < 0)[:1]:
            raise UnsupportedOpError(self.op, self.name, f"a weight names node {nodeids[j]} of tree {treeids[j]}, "
                                     "which does not exist")
        for j in [j for j, i in enumerate(idx) if self.mode[i] != "LEAF"][:1]:
            raise UnsupportedOpError(self.op, self.name, f"a weight is attached to branch node {nodeids[j]} "
                                     f"of tree {treeids[j]}")
        self.weights.append((idx, np.asarray(ids, np.int64).reshape(-1), np.asarray(weights, np.float64).reshape(-1)))

    def _leaf_values(self, leaf_rows: dict[int, int], n_targets: int) -> np.ndarray:
        """[leaves, targets]: each reached leaf's weights summed per target (float64)."""
        rows = np.full(len(self.mode), -1, np.int64)
        rows[list(leaf_rows)] = list(leaf_rows.values())
        values = np.zeros((len(leaf_rows), n_targets), np.float64)
        for idx, target, w in self.weights:
            bad = (target < 0) | (target >= n_targets)
            if bad.any():
                raise UnsupportedOpError(self.op, self.name, f"weight for target/class {target[bad][0]} of {n_targets}")
            r = rows[idx]
            np.add.at(values, (r[r >= 0], target[r >= 0]), w[r >= 0])
        return values

    def roots(self) -> list[int]:
        """The root node of each tree (the node no other node of its tree points at)."""
        children = set()
        for i, m in enumerate(self.mode):
            if m != "LEAF":
                children.add((int(self.tree[i]), int(self.true_id[i])))
                children.add((int(self.tree[i]), int(self.false_id[i])))
        per_tree: dict[int, list[int]] = defaultdict(list)
        for (tt, k), i in self.nodes.items():
            if (tt, k) not in children:
                per_tree[tt].append(i)
        roots = []
        for t in self.order:
            cands = per_tree.get(t, [])
            if len(cands) != 1:
                raise UnsupportedOpError(self.op, self.name, f"tree {t} has {len(cands)} roots")
            roots.append(cands[0])
        return roots

    def ensemble(self, n_targets: int, base: np.ndarray):
        """Canonical flat arrays (one float32 `x <= t` test per internal node)."""
        feat, thr, left, right, miss, leaf, roots = [], [], [], [], [], [], []
        leaf_rows: dict[int, int] = {}
        le_thr, lt_thr = round_down32(self.value), below32(self.value)   # x <= t and x < t as x <= t'

        def new_node() -> int:
            feat.append(-1), thr.append(0.0), left.append(0), right.append(0), miss.append(False), leaf.append(-1)
            if len(feat) > _MAX_NODES:
                raise UnsupportedOpError(self.op, self.name, f"the trees grow past {_MAX_NODES} nodes once the "
                                         "subtrees BRANCH_EQ / NEQ or shared nodes reach twice are copied")
            return len(feat) - 1

        def child(i: int, which: np.ndarray) -> int:
            j = self.nodes.get((int(self.tree[i]), int(which[i])))
            if j is None:
                raise UnsupportedOpError(self.op, self.name, f"node {which[i]} of tree {self.tree[i]} does not exist")
            return j

        def set_test(k: int, f: int, t: float, lo: int, hi: int, nan_lo: bool) -> None:
            feat[k], thr[k], left[k], right[k], miss[k] = f, t, lo, hi, nan_lo

        # The C forms walk trees, so a subtree reached twice (a DAG in the ONNX, the false side of
        # BRANCH_EQ) is copied; a path longer than the node count means a cycle.
        stack: list[tuple[int, int, int]] = []
        depth = 0

        def ref(i: int) -> int:
            k = new_node()
            stack.append((i, k, depth + 1))
            return k

        def eq_chain(i: int, k: int) -> bool:
            """A run of BRANCH_EQ tests on one feature (x == v1 -> T1, else x == v2 -> T2, ...,
            else F) as a balanced search over the intervals the values cut the line into: F is
            copied once per value, where test-by-test lowering would copy it 2^values times.
            False when NaN's target has no interval (then the tests are lowered one by one)."""
            f, cur, firsts, nan_to = int(self.feature[i]), i, {}, None
            for _ in range(len(self.mode)):
                if self.mode[cur] != "BRANCH_EQ" or int(self.feature[cur]) != f:
                    break
                firsts.setdefault(float(self.value[cur]), child(cur, self.true_id))   # first test wins
                if nan_to is None and self.missing_true[cur]:
                    nan_to = child(cur, self.true_id)
                cur = child(cur, self.false_id)
            else:
                raise UnsupportedOpError(self.op, self.name, "a tree has a cycle")
            other = cur
            nan_to = other if nan_to is None else nan_to
            bounds: list[float] = []
            regions = [other]                 # regions[j] is (bounds[j-1], bounds[j]]
            for v in sorted(firsts):
                for t, target in ((float(below32([v])[0]), firsts[v]), (float(round_down32([v])[0]), other)):
                    if bounds and t <= bounds[-1]:
                        regions[-1] = target  # the region before t is empty
                    elif regions[-1] != target:
                        bounds.append(t)
                        regions.append(target)
            if nan_to not in regions:
                return False

            def build(lo: int, hi: int, k: int) -> None:
                if lo == hi:
                    stack.append((regions[lo], k, depth + 1))
                    return
                mid = (lo + hi) // 2
                a, b = new_node(), new_node()
                set_test(k, f, bounds[mid], a, b, nan_to in regions[lo:mid + 1])
                build(lo, mid, a)
                build(mid + 1, hi, b)

            build(0, len(regions) - 1, k)
            return True

        for r in self.roots():
            depth = 0
            roots.append(ref(r))
            while stack:
                i, k, depth = stack.pop()
                if depth > len(self.mode):
                    raise UnsupportedOpError(self.op, self.name, "a tree has a cycle")
                mode = self.mode[i]
                if mode == "LEAF":
                    leaf_rows.setdefault(i, len(leaf_rows))
                    leaf[k] = leaf_rows[i]
                    continue
                f, tracks = int(self.feature[i]), bool(self.missing_true[i])
                le, lt = float(le_thr[i]), float(lt_thr[i])
                if f < 0:
                    raise UnsupportedOpError(self.op, self.name, f"negative feature id {f}")
                yes, no = child(i, self.true_id), child(i, self.false_id)
                if mode == "BRANCH_EQ" and eq_chain(i, k):
                    continue
                if mode in ("BRANCH_EQ", "BRANCH_NEQ"):
                    if mode == "BRANCH_NEQ":   # NaN != t is true: NaN always takes `yes`
                        yes, no, tracks = no, yes, False
                    # x == t: not (x <= below(t)) and (x <= t); the false subtree is needed twice
                    k2 = new_node()
                    set_test(k, f, lt, ref(no), k2, not tracks)
                    set_test(k2, f, le, ref(yes), ref(no), tracks)
                elif mode == "BRANCH_LEQ":
                    set_test(k, f, le, ref(yes), ref(no), tracks)
                elif mode == "BRANCH_LT":
                    set_test(k, f, lt, ref(yes), ref(no), tracks)
                elif mode == "BRANCH_GT":     # x > t  ==  not (x <= t)
                    set_test(k, f, le, ref(no), ref(yes), not tracks)
                else:                         # BRANCH_GTE: x >= t  ==  not (x < t)
                    set_test(k, f, lt, ref(no), ref(yes), not tracks)
        values = self._leaf_values(leaf_rows, n_targets)
        return make_ensemble(feat, thr, left, right, miss, leaf, values.astype(np.float32), roots, base)


def _list(ctx: ImportContext, node, name: str, default=None):
    """An attribute that may also come as `<name>_as_tensor` (double), as a flat list."""
    v = ml_attr(ctx, node, name)
    return default if v is None else np.asarray(v).reshape(-1)


def _trees_v1(ctx: ImportContext, node) -> _Trees:
    label = node.name or node.output[0]
    modes = ctx.attr(node, "nodes_modes", [])
    return _Trees(node.op_type, label, ctx.attr(node, "nodes_treeids", []), ctx.attr(node, "nodes_nodeids", []),
                  ctx.attr(node, "nodes_featureids", []), _list(ctx, node, "nodes_values", []), modes,
                  ctx.attr(node, "nodes_truenodeids", []), ctx.attr(node, "nodes_falsenodeids", []),
                  ctx.attr(node, "nodes_missing_value_tracks_true", None))


def _input(ctx: ImportContext, node):
    from edgec.frontend.onnx_ml_common import float_rows
    return float_rows(ctx, node, ctx.input(node, 0))


@importer(f"{ML}.TreeEnsembleRegressor")
def _tree_regressor(ctx: ImportContext, node) -> None:
    trees = _trees_v1(ctx, node)
    n_targets = int(ctx.attr(node, "n_targets", 1))
    trees.add_weights(ctx.attr(node, "target_treeids", []), ctx.attr(node, "target_nodeids", []),
                      ctx.attr(node, "target_ids", []), _list(ctx, node, "target_weights", []), "target")
    aggregate = ctx.attr(node, "aggregate_function", "SUM")
    base = _list(ctx, node, "base_values", None)
    _regressor(ctx, node, trees, n_targets, aggregate, base, ctx.attr(node, "post_transform", "NONE"))


def _regressor(ctx, node, trees: _Trees, n_targets: int, aggregate: str, base, transform: str) -> None:
    if aggregate not in ("SUM", "AVERAGE"):
        raise ctx.unsupported(node, f"aggregate_function {aggregate} (SUM and AVERAGE are supported)")
    if transform != "NONE":
        raise ctx.unsupported(node, f"post_transform {transform} on a regressor (NONE is supported)")
    b = np.zeros(n_targets) if base is None or len(base) == 0 else np.asarray(base, np.float64)
    if len(b) == 1 and n_targets > 1:
        b = np.full(n_targets, b[0])
    if len(b) != n_targets:
        raise ctx.unsupported(node, f"{len(b)} base_values for {n_targets} targets")
    x = _input(ctx, node)
    if aggregate == "SUM":
        y = ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(trees.ensemble(n_targets, b)), node.name)[0]
    else:   # onnxruntime: sum / number of trees + base
        t = trees.ensemble(n_targets, np.zeros(n_targets))
        s = ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(t), f"{node.name}_sum")[0]
        y = ctx.emit("div", [s, ctx.const(np.float32(t.n_trees), "n_trees")], BinaryAttrs(), f"{node.name}_mean")[0]
        if np.any(b != 0):
            y = ctx.emit("add", [y, ctx.const(b.astype(np.float32).reshape(1, -1), "base")], BinaryAttrs(), node.name)[0]
    ctx.bind(node, [y])


@importer(f"{ML}.TreeEnsembleClassifier")
def _tree_classifier(ctx: ImportContext, node) -> None:
    trees = _trees_v1(ctx, node)
    classes = class_labels(ctx, node)
    ids = ctx.attr(node, "class_ids", [])
    weights = _list(ctx, node, "class_weights", [])
    trees.add_weights(ctx.attr(node, "class_treeids", []), ctx.attr(node, "class_nodeids", []), ids, weights, "class")
    base = _list(ctx, node, "base_values", None)
    transform = ctx.attr(node, "post_transform", "NONE")
    x = _input(ctx, node)
    used = sorted(set(int(i) for i in ids))
    n = len(classes)
    cols = 1 if n == 2 and used == [0] else n
    if _is_averaged_forest(trees, cols, base, transform, weights):
        _averaged_forest(ctx, node, x, trees, classes, cols)
        return
    if cols == 1:
        # onnxruntime's binary case: one score s; class 1 when s > 0.5 (all weights >= 0) or s > 0
        b = 0.0 if base is None or len(base) == 0 else float(base[0])
        if base is not None and len(base) == 2:
            raise ctx.unsupported(node, "two base_values with weights for one class")
        s = ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(trees.ensemble(1, np.array([b]))), f"{node.name}_score")[0]
        from edgec.frontend.onnx_ml_common import binary_scores
        label, proba = binary_scores(ctx, node, s, classes, transform, all_positive=bool(np.all(np.asarray(weights) >= 0)))
        classifier_outputs(ctx, node, label, proba, classes)
        return
    b = np.zeros(n) if base is None or len(base) == 0 else np.asarray(base, np.float64)
    if len(b) != n:
        raise ctx.unsupported(node, f"{len(b)} base_values for {n} classes")
    scores = ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(trees.ensemble(n, b)), f"{node.name}_scores")[0]
    from edgec.frontend.onnx_ml_common import argmax_label
    label = argmax_label(ctx, scores, classes, f"{node.name}_label")
    classifier_outputs(ctx, node, label, post_transform(ctx, node, scores, transform), classes)


def _is_averaged_forest(trees: _Trees, cols: int, base, transform: str, weights) -> bool:
    """A random forest / extra trees / bagging as converters write it: every leaf a class
    distribution divided by the number of trees, no base values, no transform."""
    if transform != "NONE" or (base is not None and np.any(np.asarray(base) != 0)) or np.any(np.asarray(weights) < 0):
        return False
    n_trees = len(trees.order)
    if n_trees < 2:
        return False
    t = trees.ensemble(cols, np.zeros(cols))
    return bool(np.all(t.leaf_values.astype(np.float64).sum(axis=1) * n_trees <= 1.0 + 1e-5))


def _averaged_forest(ctx: ImportContext, node, x, trees: _Trees, classes, cols: int) -> None:
    """Sums the trees' own distributions (weights x number of trees: 0 and 1 at pure leaves, so
    votes add up exactly in float32) and divides by the number of trees once, as scikit-learn's
    predict_proba does; the label is the first largest sum, so exact ties go to the first class
    as in scikit-learn (the weights pre-divided in float32 would round ties either way)."""
    from edgec.frontend.onnx_ml_common import argmax_label, concat1
    n_trees = len(trees.order)
    for k, (idx, target, w) in enumerate(trees.weights):
        trees.weights[k] = (idx, target, (np.asarray(w, np.float32).astype(np.float64) * n_trees))
    sums = ctx.emit("tree_ensemble", [x], TreeEnsembleAttrs(trees.ensemble(cols, np.zeros(cols))),
                    f"{node.name}_votes")[0]
    if cols == 1:   # the class-1 share s of n: pair (n - s, s); n - s is exact wherever it matters
        n = ctx.const(np.full((1, 1), n_trees, np.float32), f"{node.name}_n")
        rest = ctx.emit("sub", [n, sums], BinaryAttrs(), f"{node.name}_rest")[0]
        sums = concat1(ctx, [rest, sums], f"{node.name}_pair")
    label = argmax_label(ctx, sums, classes, f"{node.name}_label")
    proba = ctx.emit("div", [sums, ctx.const(np.float32(n_trees), f"{node.name}_trees")], BinaryAttrs(),
                     f"{node.name}_proba")[0]
    classifier_outputs(ctx, node, label, proba, classes)


@importer(f"{ML}.TreeEnsemble")
def _tree_ensemble_v5(ctx: ImportContext, node) -> None:
    """ai.onnx.ml opset 5: one op for both, leaves addressed through *_trueleafs / *_falseleafs."""
    label = node.name or node.output[0]
    feats = np.asarray(ctx.attr(node, "nodes_featureids", []), np.int64)
    splits = np.asarray(ctx.attr(node, "nodes_splits"), np.float64).reshape(-1)
    modes = [_MODES_V5.get(int(m), f"mode {int(m)}") for m in np.asarray(ctx.attr(node, "nodes_modes")).reshape(-1)]
    if "BRANCH_MEMBER" in modes:
        raise ctx.unsupported(node, "node mode BRANCH_MEMBER (set membership) is not supported")
    true_ids = np.asarray(ctx.attr(node, "nodes_truenodeids", []), np.int64)
    false_ids = np.asarray(ctx.attr(node, "nodes_falsenodeids", []), np.int64)
    true_leaf = np.asarray(ctx.attr(node, "nodes_trueleafs", []), np.int64).astype(bool)
    false_leaf = np.asarray(ctx.attr(node, "nodes_falseleafs", []), np.int64).astype(bool)
    missing = ctx.attr(node, "nodes_missing_value_tracks_true", None)
    leaf_t = np.asarray(ctx.attr(node, "leaf_targetids", []), np.int64)
    leaf_w = np.asarray(ctx.attr(node, "leaf_weights"), np.float64).reshape(-1)
    roots = [int(r) for r in ctx.attr(node, "tree_roots", [])]
    n_targets = int(ctx.attr(node, "n_targets", 1))
    n_int, n_leaf = len(feats), len(leaf_t)
    # lay branches out as ids 0..n_int-1 and leaves as n_int.. in one pseudo tree per root;
    # reachable nodes are found from each root so shared ids need no special care
    tree_of = np.full(n_int, -1, np.int64)
    for t, r in enumerate(roots):
        stack = [r]
        while stack:
            i = stack.pop()
            if not 0 <= i < n_int:
                raise ctx.unsupported(node, f"tree root or child {i} is out of range")
            if tree_of[i] == t:
                continue
            tree_of[i] = t
            for is_leaf, nxt in ((true_leaf[i], true_ids[i]), (false_leaf[i], false_ids[i])):
                if not is_leaf:
                    stack.append(int(nxt))
    tid, nid, fid, val, mod, tru, fal, mis = [], [], [], [], [], [], [], []
    wt, wn, wc, ww = [], [], [], []
    for t in range(len(roots)):
        for i in np.flatnonzero(tree_of == t):
            tid.append(t), nid.append(int(i)), fid.append(int(feats[i])), val.append(float(splits[i]))
            mod.append(modes[i]), mis.append(bool(missing[i]) if missing is not None and len(missing) else False)
            tru.append(int(true_ids[i]) + (n_int if true_leaf[i] else 0))
            fal.append(int(false_ids[i]) + (n_int if false_leaf[i] else 0))
        leaves = {int(true_ids[i]) for i in np.flatnonzero((tree_of == t) & true_leaf)} | \
                 {int(false_ids[i]) for i in np.flatnonzero((tree_of == t) & false_leaf)}
        for j in sorted(leaves):
            if not 0 <= j < n_leaf:
                raise ctx.unsupported(node, f"leaf {j} is out of range")
            tid.append(t), nid.append(n_int + j), fid.append(0), val.append(0.0), mod.append("LEAF")
            tru.append(0), fal.append(0), mis.append(False)
            wt.append(t), wn.append(n_int + j), wc.append(int(leaf_t[j])), ww.append(float(leaf_w[j]))
    trees = _Trees(node.op_type, label, tid, nid, fid, val, mod, tru, fal, mis)
    trees.add_weights(wt, wn, wc, ww, "leaf")
    aggregate = {0: "AVERAGE", 1: "SUM", 2: "MIN", 3: "MAX"}.get(int(ctx.attr(node, "aggregate_function", 1)), "?")
    transform = {0: "NONE", 1: "SOFTMAX", 2: "LOGISTIC", 3: "SOFTMAX_ZERO", 4: "PROBIT"}.get(
        int(ctx.attr(node, "post_transform", 0)), "?")
    _regressor(ctx, node, trees, n_targets, aggregate, None, transform)
