"""Compact trees: the table and code forms of tree_ensemble, the size-based choice, narrow types."""
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

import edgec
from edgec.artifact import Artifact
from edgec.backend.api import ApiSpec
from edgec.backend.build import WARN_FLAGS
from edgec.backend.c import emit_c
from edgec.backend.trees import (CODE_FORM_MAX_NODES, CODE_FORMS, SPEED_SIZE_FACTOR, auto_layout, choose_layout, measured_sizes,
                                 plan_trees)
from edgec.backend import tree_table
from edgec.backend.tree_table import dedup_rows, pack_leaves, pack_nodes, preorder
from edgec.compiler import optimise
from edgec.errors import EdgecError
from edgec.frontend.sklearn import import_sklearn
from edgec.frontend.sklearn.trees import classifier_leaf_values, join_trees, tree_arrays
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.tree_ensemble import TreeEnsembleAttrs, ensemble_sum, make_ensemble


CODE_FORM_BANNER = "a tree ensemble as if-else code"


def random_ensemble(rng, n_trees=5, n_features=7, n_targets=3, max_depth=6, thresholds=None, zero_frac=0.5,
                    n_values=None):
    """Random trees in random node order (not preorder), NaN routing per node, sparse leaf rows."""
    feature, threshold, left, right, missing, leaf, values, roots = [], [], [], [], [], [], [], []

    def grow(depth):
        i = len(feature)
        feature.append(-1); threshold.append(0.0); left.append(0); right.append(0); missing.append(False); leaf.append(-1)
        if depth < max_depth and (depth == 0 or rng.random() < 0.75):
            feature[i] = int(rng.integers(n_features))
            threshold[i] = float(rng.choice(thresholds) if thresholds is not None else rng.normal())
            missing[i] = bool(rng.random() < 0.5)
            a, b = grow(depth + 1), grow(depth + 1)
            left[i], right[i] = (a, b) if rng.random() < 0.5 else (b, a)
        else:
            leaf[i] = len(values)
            row = rng.normal(size=n_targets) if n_values is None else rng.integers(n_values, size=n_targets) / 7.0
            row[rng.random(n_targets) < zero_frac] = 0.0
            values.append(row)
        return i

    for _ in range(n_trees):
        roots.append(grow(0))
    values.append(values[0])   # a duplicate row
    return make_ensemble(feature, threshold, left, right, missing, leaf, np.asarray(values), roots,
                         rng.normal(size=n_targets))


def ensemble_artifact(t, n_features, n_rows, layout, name="trees"):
    """X [n_rows, features] -> tree_ensemble -> y, as a compiled C model."""
    x = Value("X", TensorType((n_rows, n_features), DType.F32))
    y = Value("y", TensorType((n_rows, t.n_targets), DType.F32))
    g = Graph(name, [x], [y], [Node("tree_ensemble", [x], [y], TreeEnsembleAttrs(t, layout), "forest")])
    return Artifact(name, g, g, emit_c(g, name), None)


def c_output(art, X):
    return art.run({"X": np.asarray(X, np.float32)})["y"]


def assert_bits_equal(got, want):
    np.testing.assert_array_equal(np.asarray(got, np.float32).view(np.uint32), np.asarray(want, np.float32).view(np.uint32))


def inputs_with_nan(rng, n, f, thresholds=None):
    X = rng.normal(size=(n, f)).astype(np.float32)
    if thresholds is not None:   # values on the thresholds exercise x == t (goes left)
        X[: n // 2] = rng.choice(np.asarray(thresholds, np.float32), size=(n // 2, f))
    X[rng.random((n, f)) < 0.2] = np.nan
    return X


@pytest.mark.parametrize("layout", ["table", "code"])
def test_forms_bit_exact_with_the_simulator(layout):
    rng = np.random.default_rng(1)
    # up to 8 targets the walker adds a row without a loop; 12 with one; beyond ACC_MAX_TARGETS into y
    for seed, kw in enumerate([{}, {"thresholds": [-0.5, 0.0, 0.25, 1.0]}, {"n_targets": 1, "zero_frac": 0.0},
                               {"n_values": 5, "n_targets": 6}, {"n_targets": 8, "zero_frac": 0.0},
                               {"n_targets": 12, "n_values": 3}, {"n_targets": tree_table.ACC_MAX_TARGETS + 1}]):
        t = random_ensemble(np.random.default_rng(seed), **kw)
        X = inputs_with_nan(rng, 300, 7, kw.get("thresholds"))
        assert_bits_equal(c_output(ensemble_artifact(t, 7, 300, layout), X), ensemble_sum(t, X))


def test_negative_zero_base_keeps_every_zero_added():
    rng = np.random.default_rng(5)
    t = random_ensemble(rng, n_targets=2, zero_frac=0.9)
    t = make_ensemble(t.feature, t.threshold, t.left, t.right, t.missing_left, t.leaf, np.abs(t.leaf_values) * 0.0,
                      t.roots, np.array([-0.0, 1.0]))
    assert pack_leaves(*dedup_rows(t)[:1], t.base).kind != "sparse"
    X = inputs_with_nan(rng, 50, 7)
    for layout in ("table", "code"):
        assert_bits_equal(c_output(ensemble_artifact(t, 7, 50, layout), X), ensemble_sum(t, X))


@pytest.fixture(scope="module")
def digits_forest():
    X, y = load_digits(return_X_y=True)
    n = len(X) * 3 // 4
    rf = RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0).fit(X[:n], y[:n])
    trees = join_trees([tree_arrays(e.tree_, classifier_leaf_values(e)) for e in rf.estimators_], np.zeros(10))
    return rf, trees, X[:n], y[:n], X[n:]


def forest_artifact(trees, X, y, layout):
    """The forest under a DecisionTree's graph (tree_ensemble -> arg_max label)."""
    g, info = import_sklearn(DecisionTreeClassifier(max_depth=1).fit(X, y), "forest")
    for n in g.nodes:
        if n.op == "tree_ensemble":
            n.attrs = TreeEnsembleAttrs(trees, layout)
    g = optimise(g, True, "float")
    return Artifact("forest", g, g, emit_c(g, "forest", ApiSpec(info.kind, info.methods, info.labels)), None,
                    float_graph=g, sklearn=info)


def test_digits_forest_agrees_with_sklearn_in_both_forms(digits_forest):
    rf, trees, Xtr, ytr, Xte = digits_forest
    want = ensemble_sum(trees, Xte)
    for layout in ("table", "code"):
        got = forest_artifact(trees, Xtr, ytr, layout).run_rows(Xte)
        assert np.mean(got["predict"].reshape(-1) == rf.predict(Xte)) == 1.0
        assert_bits_equal(got["predict_proba"], want)


def test_auto_takes_code_within_the_size_factor_else_tables(digits_forest):
    _, trees, _, _, _ = digits_forest
    sizes = measured_sizes(plan_trees(trees))
    assert {"table", "code"} <= set(sizes) <= {"table", *CODE_FORMS} and all(v > 0 for v in sizes.values())
    # the smaller variants are measured in CODE_FORMS order, only while none measured fits
    measured = [f for f in CODE_FORMS if f in sizes]
    assert all(sizes[f] > SPEED_SIZE_FACTOR * sizes["table"] for f in measured[:-1])
    want = "table" if auto_layout(sizes) == "table" else "code"
    assert choose_layout(trees, "auto") == want
    small = random_ensemble(np.random.default_rng(3), n_trees=1, max_depth=2, n_targets=1, zero_frac=0.0)
    small_sizes = measured_sizes(plan_trees(small))
    assert small_sizes["code"] <= SPEED_SIZE_FACTOR * small_sizes["table"]
    assert choose_layout(small, "auto") == "code"    # a small tree: the faster form
    assert choose_layout(trees, "code") == "code" and choose_layout(trees, "table") == "table"


def test_auto_layout_rule():
    assert auto_layout({"table": 1000, "code": 2500}) == "code"
    assert auto_layout({"table": 1000, "code": 2501}) == "table"
    assert auto_layout({"table": 1000, "code": 400}) == "code"
    assert auto_layout({"table": 1000}) == "table"      # forest too big for the code form


def test_auto_without_a_host_compiler_emits_tables(monkeypatch):
    from edgec.backend import trees as backend_trees

    def no_gcc(*a, **kw):
        raise FileNotFoundError("gcc")
    monkeypatch.setattr(backend_trees, "object_bytes", no_gcc)
    t = random_ensemble(np.random.default_rng(11), n_trees=2)
    assert choose_layout(t, "auto") == "table"


def chain(n_internal, features, rows):
    """One tree: a right-going chain of n_internal nodes; node k tests features[k], leaf k is row k."""
    n = 2 * n_internal + 1
    feature, left, right, leaf = np.full(n, -1), np.zeros(n, int), np.zeros(n, int), np.full(n, -1)
    for k in range(n_internal):
        feature[2 * k] = features[k]
        left[2 * k], right[2 * k] = 2 * k + 1, 2 * k + 2
    leaves = [i for i in range(n) if feature[i] < 0]
    for j, i in enumerate(leaves):
        leaf[i] = j
    return make_ensemble(feature, np.arange(n, dtype=np.float32) % 5, left, right, np.zeros(n, bool), leaf,
                         rows[: len(leaves)], [0], np.zeros(rows.shape[1]))


def packed(t):
    rows, node_row = dedup_rows(t)
    return pack_nodes(preorder(t, node_row, len(rows))), pack_leaves(rows, t.base)


def test_narrow_types_at_the_edges():
    one_hot = np.eye(4)[np.arange(600) % 4]
    # feature ids up to 255 (256 features) take 8 bits, 256 (257 features) 9
    n255, _ = packed(chain(2, [0, 255], one_hot))
    n256, _ = packed(chain(2, [0, 256], one_hot))
    assert (n255.feature_bits, n256.feature_bits) == (8, 9)
    # a word of up to 16 bits is a uint16, then uint32
    tiny, _ = packed(chain(1, [3], one_hot))
    assert tiny.word_bytes == 2 and tiny.words.dtype == np.uint16
    # distinct leaf rows: 256 fit a uint8 row_start, 257 need uint16 (sparse leaves)
    distinct = np.zeros((600, 300))
    distinct[np.arange(600), np.arange(600) % 300] = 1.0
    _, l256 = packed(chain(255, [0] * 255, distinct))
    _, l257 = packed(chain(257, [0] * 257, distinct))
    assert l256.kind == l257.kind == "sparse"
    assert (l256.row_start.dtype, l257.row_start.dtype) == (np.uint8, np.uint16)
    # a palette of 256 distinct values takes uint8 indices, 257 uint16
    vals = np.arange(1, 258, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32) / 3
    assert pack_leaves(vals[:256], np.zeros(3)).entries.dtype == np.uint8
    assert pack_leaves(vals, np.zeros(3)).entries.dtype == np.uint16
    # and the 257-feature model runs bit-exactly in both forms
    t = chain(2, [0, 256], one_hot)
    X = inputs_with_nan(np.random.default_rng(0), 40, 257)
    for layout in ("table", "code"):
        assert_bits_equal(c_output(ensemble_artifact(t, 257, 40, layout), X), ensemble_sum(t, X))


def test_wide_nodes_use_uint64_words():
    rng = np.random.default_rng(2)
    n_int = 600
    rows = np.eye(n_int + 1)[:, :8] + np.arange(n_int + 1)[:, None] / 1000.0
    t = chain(n_int, rng.integers(0, 4000, n_int), rows)
    t = make_ensemble(t.feature, rng.normal(size=t.n_nodes), t.left, t.right, rng.random(t.n_nodes) < 0.5, t.leaf,
                      t.leaf_values, t.roots, t.base)
    nodes, _ = packed(t)
    assert nodes.word_bytes == 8
    X = inputs_with_nan(rng, 20, 4000)
    X[:, :] = rng.normal(size=(1, 4000)) * 0.3    # rows walk deep into the chain
    X[::3, rng.integers(0, 4000, 100)] = np.nan
    assert_bits_equal(c_output(ensemble_artifact(t, 4000, 20, "table"), X), ensemble_sum(t, X))


def test_compile_option_and_cli_flag(monkeypatch):
    X, y = load_digits(return_X_y=True)
    est = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    code = edgec.compile(est, name="dt", tree_layout="code")
    table = edgec.compile(est, name="dt", tree_layout="table")
    assert any(CODE_FORM_BANNER in s for s in code.c.files.values())
    assert not any(CODE_FORM_BANNER in s for s in table.c.files.values())
    assert any(k.endswith("_walk.c") for k in table.c.files)
    for art in (code, table):
        assert np.array_equal(art.run_rows(X[:200])["predict"].reshape(-1), est.predict(X[:200]))
    with pytest.raises(EdgecError, match="tree layout"):
        edgec.compile(est, tree_layout="tables")
    from edgec import cli
    seen = {}
    monkeypatch.setattr(edgec, "compile", lambda *a, **kw: seen.update(kw) or (_ for _ in ()).throw(EdgecError("stop")))
    assert cli.main(["compile", "m.onnx", "-o", "out", "--tree-layout", "code"]) == 2
    assert seen["tree_layout"] == "code"
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["compile", "m.onnx", "-o", "out", "--tree-layout", "bogus"])


@pytest.mark.parametrize("kind", ["rows", "votes", "wide"])
def test_output_is_deterministic_and_warning_free(tmp_path, kind):
    make = {"rows": lambda: random_ensemble(np.random.default_rng(9)),
            "votes": lambda: one_hot_ensemble(np.random.default_rng(9), 4, np.zeros(4)),
            "wide": lambda: random_ensemble(np.random.default_rng(9), n_targets=tree_table.ACC_MAX_TARGETS + 1)}[kind]
    t = make()
    for layout in ("table", "code"):
        a = ensemble_artifact(t, 7, 2, layout).c.files
        b = ensemble_artifact(make(), 7, 2, layout).c.files
        assert a == b
        assert_builds_warning_free(a, tmp_path / layout)


def assert_builds_warning_free(files: dict[str, str], d) -> None:
    """Every .c of `files` compiles with gcc and clang at the project's warning flags."""
    d.mkdir()
    for k, v in files.items():
        (d / k).write_text(v)
    for cc in ("gcc", "clang"):
        for src in sorted(d.glob("*.c")):
            r = subprocess.run([cc, *WARN_FLAGS, "-O2", "-I", str(d), "-c", str(src), "-o", str(d / "x.o")],
                               capture_output=True, text=True)
            assert r.returncode == 0, f"{cc} {src.name}: {r.stderr}"


def test_large_forest_stays_compact():
    t = random_ensemble(np.random.default_rng(4), n_trees=60, max_depth=14, n_targets=2)
    assert t.n_nodes > CODE_FORM_MAX_NODES
    assert set(measured_sizes(plan_trees(t))) == {"table"}      # the code form is not even generated
    files = ensemble_artifact(t, 7, 1, "auto").c.files
    source = sum(len(v) for v in files.values())
    assert source < 40 * t.n_nodes, f"{source} bytes of C for {t.n_nodes} nodes"
    assert not any(CODE_FORM_BANNER in v for v in files.values())


def one_hot_ensemble(rng, n_classes, base, n_trees=5, **kw):
    """random_ensemble with every leaf row one-hot 1.0 (a forest of pure leaves)."""
    t = random_ensemble(rng, n_trees=n_trees, n_targets=n_classes, **kw)
    rows = np.eye(n_classes)[rng.integers(n_classes, size=len(t.leaf_values))]
    return make_ensemble(t.feature, t.threshold, t.left, t.right, t.missing_left, t.leaf, rows, t.roots,
                         np.asarray(base, np.float64))


@pytest.mark.parametrize("n_classes, n_trees, base", [
    (3, 5, [0.0, 0.0, 0.0]),          # 3-bit counts in a uint32
    (4, 300, [2.0, 0.0, 7.0, 1.0]),   # 9-bit counts in a uint64, integer base
    (1, 40, [0.0]),                   # one target
    (6, 2000, [0.0] * 6)])            # 11 bits x 6 = 66 > 64: float sums instead
def test_pure_leaves_count_votes_bit_exactly(n_classes, n_trees, base):
    rng = np.random.default_rng(n_trees)
    t = one_hot_ensemble(rng, n_classes, base, n_trees=n_trees, max_depth=4)
    p = plan_trees(t)
    assert p.votes == (n_trees != 2000)
    src = ensemble_artifact(t, 7, 200, "table").c.files
    walk = next(v for k, v in src.items() if k.endswith("_walk.c"))
    assert ("#define EC_TREE_LEAF 3" in walk) == p.votes
    if p.votes:   # no leaf tables at all
        assert not any("_leaf_" in k or "leaf_values" in v or "_leaf_palette" in v for k, v in src.items())
    X = inputs_with_nan(rng, 200, 7)
    assert_bits_equal(c_output(ensemble_artifact(t, 7, 200, "table"), X), ensemble_sum(t, X))


def test_votes_only_where_integer_sums_are_exact():
    rng = np.random.default_rng(4)
    rows = np.eye(3)[[0, 1, 2, 1]]
    assert list(tree_table.vote_classes(rows, np.zeros(3), 20)) == [0, 1, 2, 1]
    assert tree_table.vote_classes(rows, np.array([0.5, 0.0, 0.0]), 20) is None     # base not an integer
    assert tree_table.vote_classes(rows, np.array([-0.0, 0.0, 0.0]), 20) is None    # -0.0 + 0.0 is +0.0
    assert tree_table.vote_classes(rows, np.array([2.0 ** 24, 0, 0]), 20) is None   # sums past 2^24 round
    assert tree_table.vote_classes(rows * 2.0, np.zeros(3), 20) is None             # votes of 2.0
    assert tree_table.vote_classes(np.vstack([rows, [0.5, 0.5, 0.0]]), np.zeros(3), 20) is None
    assert tree_table.vote_classes(np.vstack([rows, [0.0, 0.0, 0.0]]), np.zeros(3), 20) is None
    # and such forests still run bit-exactly through the float sums
    for base in ([-0.0, 0.0, 0.0], [0.5, 0.0, 3.0]):
        t = one_hot_ensemble(rng, 3, base)
        assert not plan_trees(t).votes
        X = inputs_with_nan(rng, 100, 7)
        assert_bits_equal(c_output(ensemble_artifact(t, 7, 100, "table"), X), ensemble_sum(t, X))


def test_leaf_encoding_prefers_the_faster_within_the_slack():
    rows = np.zeros((3, 2), np.float32)
    rows[0, 0], rows[1, 1], rows[2] = 1.0, 1.0, (0.25, 0.75)
    # sparse is 19 bytes, direct 24: within LEAF_SPEED_SLACK the table walker takes the loop-free
    # direct rows; the code form keeps the smallest
    assert pack_leaves(rows, np.zeros(2), tree_table.LEAF_SPEED_SLACK).kind == "direct"
    assert pack_leaves(rows, np.zeros(2)).kind == "sparse"
    big = np.zeros((400, 10), np.float32)
    big[np.arange(400), np.arange(400) % 10] = np.arange(400) / 7.0
    assert pack_leaves(big, np.zeros(10), tree_table.LEAF_SPEED_SLACK).kind == "sparse"   # thousands of bytes smaller


def test_children_are_absolute_and_leaves_follow_the_internal_nodes():
    t = random_ensemble(np.random.default_rng(6), n_trees=3)
    rows, node_row = dedup_rows(t)
    w = preorder(t, node_row, len(rows))
    n_int = w.n_internal
    assert n_int == int(np.sum(t.feature >= 0)) and list(w.roots) == sorted(w.roots)
    for kids in (w.left, w.right):
        assert np.all((kids < n_int) | ((kids >= n_int) & (kids < n_int + len(rows))))
        inner = kids[kids < n_int]
        assert len(set(inner.tolist())) == len(inner)          # a true tree: one parent per node
    assert np.all(w.left[w.left < n_int] == np.arange(n_int)[w.left < n_int] + 1)   # preorder: left is next


def test_pure_forest_votes_agree_with_sklearn():
    """A fully grown forest has pure leaves: the table form counts votes and still gives
    scikit-learn's predict and the simulator's probabilities bit for bit."""
    from sklearn.datasets import load_wine
    from edgec.testing import check_sklearn
    X, y = load_wine(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=15, random_state=0).fit(X[::2], y[::2])
    art, res = check_sklearn(rf, X[1::2], tree_layout="table")
    assert res["predict_agreement"] == 1.0
    walk = next(v for k, v in art.c.files.items() if k.endswith("_walk.c"))
    assert "#define EC_TREE_LEAF 3" in walk
    rows = np.asarray(X[1::2], np.float32)
    got = art.run_rows(rows)["predict_proba"]
    sim = [art.simulate({art.graph.inputs[0].name: rows[i:i + 1]})["predict_proba"] for i in range(len(rows))]
    assert_bits_equal(got, np.concatenate(sim))
