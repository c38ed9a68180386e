"""The if-else tree form with its head fused (tree_predict): a tree or forest returning the label
or value itself, bit-exact with the unfused ops' references and with scikit-learn."""
import re

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris
from sklearn.ensemble import (ExtraTreesClassifier, GradientBoostingClassifier, HistGradientBoostingClassifier,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from edgec.artifact import Artifact
from edgec.backend.c import emit_c
from edgec.backend.tree_code import PLAIN, integer_sums, order_key, probe_source, sample_function
from edgec.backend.objsize import object_bytes
from edgec.backend.trees import OPT_LEVEL, auto_layout, measured_sizes, plan_trees
from edgec.backend.tree_fuse import merge_side_by_side, side_by_side
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.elementwise import BinaryAttrs
from edgec.ops.movement import ConcatAttrs
from edgec.ops.select import ArgMaxAttrs
from edgec.ops.tree_ensemble import TreeEnsembleAttrs, ensemble_sum, make_ensemble
from edgec.ops.tree_predict import TreeHead, TreePredictAttrs
from edgec.testing import check_sklearn

from tests.sklearn.test_tree_layout import assert_bits_equal, assert_builds_warning_free, inputs_with_nan, random_ensemble


def headed_artifact(t, n_features, n_rows, divisor=None, argmax=False, labels=None, name="tp"):
    """X -> tree_ensemble (code) -> [div] -> [arg_max] compiled; returns (artifact, reference)."""
    x = Value("X", TensorType((n_rows, n_features), DType.F32))
    v = Value("sum", TensorType((n_rows, t.n_targets), DType.F32))
    nodes = [Node("tree_ensemble", [x], [v], TreeEnsembleAttrs(t, "code"), "forest")]
    if divisor is not None:
        d = Value("d", TensorType((t.n_targets,), DType.F32), data=np.asarray(divisor, np.float32))
        q = Value("q", TensorType((n_rows, t.n_targets), DType.F32))
        nodes.append(Node("div", [v, d], [q], BinaryAttrs(), "div"))
        v = q
    if argmax:
        y = Value("label", TensorType((n_rows,), DType.I32))
        nodes.append(Node("arg_max", [v], [y], ArgMaxAttrs(labels), "argmax"))
        v = y
    v.name = "y"
    g = Graph(name, [x], [v], nodes)
    head = TreeHead(None if divisor is None else tuple(np.float32(divisor).tolist()), argmax, labels)
    return Artifact(name, g, g, emit_c(g, name), None), head


def test_heads_are_fused_and_bit_exact_with_the_references():
    rng = np.random.default_rng(3)
    cases = [dict(n_trees=1, n_targets=3, argmax=True), dict(n_trees=1, n_targets=1),
             dict(n_trees=1, n_targets=4, divisor=[3.0, 7.0, 0.5, 11.0]),
             dict(n_trees=6, n_targets=3, argmax=True, labels=(7, -2, 40)),
             dict(n_trees=6, n_targets=5, divisor=[6.0] * 5, argmax=True),
             dict(n_trees=6, n_targets=1, divisor=[6.0]), dict(n_trees=6, n_targets=2, n_values=3, argmax=True),
             dict(n_trees=9, n_targets=4, n_values=4, divisor=[9.0] * 4, argmax=True, zero_frac=0.8)]
    for seed, c in enumerate(cases):
        kw = {k: c[k] for k in ("n_trees", "n_targets", "n_values", "zero_frac") if k in c}
        t = random_ensemble(np.random.default_rng(seed), **kw)
        if "n_values" in c:   # integer votes: the int32 accumulators
            t = make_ensemble(t.feature, t.threshold, t.left, t.right, t.missing_left, t.leaf,
                              np.round(t.leaf_values * 7.0), t.roots, np.zeros(t.n_targets))
            assert integer_sums(t) == 0
        for rows in (1, 64):
            art, head = headed_artifact(t, 7, rows, c.get("divisor"), c.get("argmax", False), c.get("labels"))
            fused = head.argmax or head.divisor is not None
            assert [n.op for n in art.c.graph.nodes] == ["tree_predict" if fused else "tree_ensemble"], c
            X = inputs_with_nan(rng, rows, 7)
            want = head.apply(ensemble_sum(t, X))
            got = art.run({"X": X})["y"]
            if head.argmax:
                np.testing.assert_array_equal(got, want, err_msg=str(c))
            else:
                assert_bits_equal(got, want)
            sim = art.simulate({"X": X})["y"]   # the unfused ops
            np.testing.assert_array_equal(np.asarray(sim).view(np.uint32 if sim.dtype == np.float32 else np.int32),
                                          np.asarray(got).view(np.uint32 if sim.dtype == np.float32 else np.int32))


def test_argmax_keeps_the_first_of_equal_maxima():
    # two leaves whose rows tie between classes 1 and 2 (and 0 and 2): scikit-learn takes the first
    t = make_ensemble([0, -1, -1], [0.0, 0, 0], [1, 0, 0], [2, 0, 0], [False] * 3, [-1, 0, 1],
                      [[0.0, 0.5, 0.5], [0.25, 0.0, 0.25]], [0], [0.0, 0.0, 0.0])
    src = sample_function(t, TreeHead(argmax=True), "f")
    assert "return 1;" in src and "return 0;" in src and "return 2;" not in src
    art, _ = headed_artifact(t, 1, 2, argmax=True)
    np.testing.assert_array_equal(art.run({"X": np.array([[-1.0], [1.0]], np.float32)})["y"], [1, 0])


def test_integer_sums_only_when_every_partial_sum_is_exact():
    t = random_ensemble(np.random.default_rng(2), n_trees=3, n_targets=2)
    mk = lambda values, base=(0.0, 0.0): make_ensemble(t.feature, t.threshold, t.left, t.right, t.missing_left,
                                                       t.leaf, values, t.roots, base)
    ones = np.ones_like(t.leaf_values)
    assert integer_sums(mk(ones)) == 0
    assert integer_sums(mk(ones * 0.5)) == 1                    # halves: one fraction bit
    assert integer_sums(mk(ones / 3.0)) is None                 # not a dyadic value
    assert integer_sums(mk(ones, (-0.0, 1.0))) is None          # -0.0 base: float sums keep it
    assert integer_sums(mk(ones * 2.0 ** 23)) is None           # partial sums could reach 2**24
    assert "int32_t a0" in sample_function(mk(ones), TreeHead(argmax=True), "f")
    assert "float a0" in sample_function(mk(ones / 3.0), TreeHead(argmax=True), "f")


def test_fused_c_builds_warning_free_with_gcc_and_clang(tmp_path):
    cases = [random_ensemble(np.random.default_rng(1), n_trees=1, max_depth=0),   # one leaf: x unused
             random_ensemble(np.random.default_rng(2), n_trees=4)]
    for i, t in enumerate(cases):
        art, _ = headed_artifact(t, 7, 1, divisor=[4.0] * t.n_targets, argmax=True, name=f"m{i}")
        assert_builds_warning_free(art.c.files, tmp_path / str(i))


def _split(loader):
    X, y = loader(return_X_y=True)
    return X[::2], y[::2], X[1::2]


@pytest.mark.parametrize("loader,est", [(load_iris, DecisionTreeClassifier(random_state=0)),
                                        (load_digits, DecisionTreeClassifier(random_state=0)),
                                        (load_diabetes, DecisionTreeRegressor(max_depth=8, random_state=0))])
def test_single_tree_returns_the_label_directly(loader, est):
    Xtr, ytr, Xte = _split(loader)
    est.fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, tree_layout="code", methods=("predict",))
    assert res.get("predict_agreement", 1.0) == 1.0
    files = art.c.files
    assert art.c.memory.arena_bytes == 0 and f"{art.name.upper()}_ARENA_SIZE 0u" in files[f"{art.name}.h"]
    model_c = files[f"{art.name}.c"]
    assert "static_arena" not in model_c and "arg_max" not in model_c
    assert re.search(rf"{art.name}_predict\(const float \*in_\w+\)\n{{\n    return {art.name}_\w+\(in_\w+\);", model_c)
    tree_c = [v for k, v in files.items() if k.startswith(f"{art.name}_tree")][0]
    assert "static const" not in tree_c   # no leaf tables: leaves return their result


@pytest.mark.parametrize("cls,kw", [(RandomForestClassifier, {}), (RandomForestClassifier, {"max_depth": 6}),
                                    (ExtraTreesClassifier, {"max_depth": 6})])
def test_forest_code_form_agrees_with_sklearn(cls, kw):
    Xtr, ytr, Xte = _split(load_iris)
    est = cls(n_estimators=10, random_state=0, **kw).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, tree_layout="code")          # predict and predict_proba
    assert res["predict_agreement"] == 1.0 and res["predict_proba_max_rel_err"] < 1e-6
    art1, res1 = check_sklearn(est, Xte, tree_layout="code", methods=("predict",))
    assert res1["predict_agreement"] == 1.0 and art1.c.memory.arena_bytes == 0


def test_forest_regressor_code_form_within_1e5():
    Xtr, ytr, Xte = _split(load_diabetes)
    est = RandomForestRegressor(n_estimators=8, max_depth=6, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, tree_layout="code", methods=("predict",), rtol=1e-5)
    assert [n.op for n in art.c.graph.nodes] == ["tree_predict"]


@pytest.mark.parametrize("quant", ["int16", "int8"])
def test_integer_modes_of_a_tree_still_work(quant):
    Xtr, ytr, Xte = _split(load_iris)
    est = DecisionTreeClassifier(random_state=0).fit(Xtr, ytr)
    check_sklearn(est, Xte, quant=quant, sample=Xtr, min_agreement=0.99 if quant == "int8" else 0.995)


def test_side_by_side_ensembles_sum_as_their_parts():
    parts = [random_ensemble(np.random.default_rng(s), n_trees=3 + s, n_targets=1 + s % 2) for s in range(3)]
    merged = side_by_side(parts)
    X = inputs_with_nan(np.random.default_rng(0), 200, 7)
    want = np.concatenate([ensemble_sum(p, X) for p in parts], axis=1)
    assert_bits_equal(ensemble_sum(merged, X), want)
    for layout in ("table", "code"):   # the C forms too: other parts' zero entries are never added
        x = Value("X", TensorType((200, 7), DType.F32))
        outs = [Value(f"s{i}", TensorType((200, p.n_targets), DType.F32)) for i, p in enumerate(parts)]
        y = Value("y", TensorType((200, merged.n_targets), DType.F32))
        nodes = [Node("tree_ensemble", [x], [o], TreeEnsembleAttrs(p, layout), f"e{i}") for i, (p, o) in
                 enumerate(zip(parts, outs))] + [Node("concat", outs, [y], ConcatAttrs(1), "cat")]
        g = Graph("sbs", [x], [y], nodes)
        art = Artifact("sbs", g, g, emit_c(g, "sbs"), None)
        assert [n.op for n in art.c.graph.nodes] == ["tree_ensemble"]
        assert_bits_equal(art.run({"X": X})["y"], want)


def test_side_by_side_refused_with_a_negative_zero_base():
    a = random_ensemble(np.random.default_rng(1), n_targets=1)
    b = random_ensemble(np.random.default_rng(2), n_targets=1)
    b = make_ensemble(b.feature, b.threshold, b.left, b.right, b.missing_left, b.leaf, b.leaf_values, b.roots, [-0.0])
    x = Value("X", TensorType((1, 7), DType.F32))
    sa, sb = Value("a", TensorType((1, 1), DType.F32)), Value("b", TensorType((1, 1), DType.F32))
    y = Value("y", TensorType((1, 2), DType.F32))
    g = Graph("z", [x], [y], [Node("tree_ensemble", [x], [sa], TreeEnsembleAttrs(a), "a"),
                              Node("tree_ensemble", [x], [sb], TreeEnsembleAttrs(b), "b"),
                              Node("concat", [sa, sb], [y], ConcatAttrs(1), "cat")])
    assert [n.op for n in merge_side_by_side(g).nodes] == ["tree_ensemble", "tree_ensemble", "concat"]


@pytest.mark.parametrize("layout", ["code", "table"])
def test_multiclass_boosting_is_one_ensemble_and_exact(layout):
    Xtr, ytr, Xte = _split(load_iris)
    for est in (GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0),
                HistGradientBoostingClassifier(max_iter=10, random_state=0)):
        est.fit(Xtr, ytr)
        art, res = check_sklearn(est, Xte, tree_layout=layout, methods=("predict",))
        assert res["predict_agreement"] == 1.0
        ops = [n.op for n in art.c.graph.nodes]
        assert ops == (["tree_predict"] if layout == "code" else ["tree_ensemble", "arg_max"]), ops
        _, res = check_sklearn(est, Xte, tree_layout=layout)   # with predict_proba / decision_function
        assert res["predict_agreement"] == 1.0


def test_auto_measures_the_code_form_with_its_head():
    Xtr, ytr, Xte = _split(load_digits)
    est = DecisionTreeClassifier(random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, methods=("predict",))        # tree_layout "auto"
    assert res["predict_agreement"] == 1.0
    assert [n.op for n in art.c.graph.nodes] == ["tree_predict"]
    t = art.c.graph.nodes[0].attrs.trees
    fused, plain = measured_sizes(plan_trees(t), TreeHead(argmax=True)), measured_sizes(plan_trees(t))
    assert fused["code"] < plain["code"]   # a label per leaf, not ten stored sums


def test_order_keys_order_as_float32_compares():
    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, 1e-45, -1e-45, 1.2e-38, -1.2e-38, np.inf, -np.inf, 1.0, -1.0, 3.4e38, -3.4e38],
                       np.float32)
    vals = np.concatenate([special, rng.normal(size=300).astype(np.float32),
                           (rng.normal(size=100) * 1e-40).astype(np.float32)])
    keys = np.array([order_key(v) for v in vals])
    assert keys.min() > -2 ** 31 and keys.max() < 2 ** 31
    np.testing.assert_array_equal(vals[:, None] <= vals[None, :], keys[:, None] <= keys[None, :])


def keyed_artifact(t, rows, head, name="kt", form="code_keys", n_features=7):
    x = Value("X", TensorType((rows, n_features), DType.F32))
    shape = (rows,) if head.argmax else (rows, t.n_targets)
    y = Value("y", TensorType(shape, DType.I32 if head.argmax else DType.F32))
    g = Graph(name, [x], [y], [Node("tree_predict", [x], [y], TreePredictAttrs(t, head, form), "forest")])
    return Artifact(name, g, g, emit_c(g, name), None)


def assert_exact_run(art, t, head, X) -> None:
    """The compiled C's output is the reference's and the simulator's, bit for bit."""
    want = head.apply(ensemble_sum(t, X))
    got = art.run({"X": X})["y"]
    if head.argmax:
        np.testing.assert_array_equal(got, want)
    else:
        assert_bits_equal(got, want)
    np.testing.assert_array_equal(np.asarray(art.simulate({"X": X})["y"]).view(np.int32), np.asarray(got).view(np.int32))


def test_key_form_is_bit_exact_with_nan_signed_zeros_and_infinities(tmp_path):
    thresholds = [-np.inf, -1.0, -1e-45, -0.0, 0.0, 1e-45, 0.5, np.inf]
    rng = np.random.default_rng(7)
    X = inputs_with_nan(rng, 400, 7, thresholds)
    X[rng.random(X.shape) < 0.05] = -0.0
    neg_nan = np.frombuffer(np.uint32(0xFFC00000).tobytes(), np.float32)[0]
    X[rng.random(X.shape) < 0.05] = neg_nan                      # a NaN with its sign bit set
    for seed, (n_trees, head) in enumerate([(1, TreeHead(argmax=True)), (1, PLAIN), (5, PLAIN),
                                            (5, TreeHead(divisor=(5.0,) * 3, argmax=True))]):
        t = random_ensemble(np.random.default_rng(seed), n_trees=n_trees, thresholds=thresholds)
        art = keyed_artifact(t, 400, head, name=f"kt{seed}")
        src = next(v for k, v in art.c.files.items() if k.startswith(f"kt{seed}_forest") and k.endswith(".c"))
        assert "kr[" in src and "kl[" in src and "(x[" not in src.split("for (i")[1]
        assert_exact_run(art, t, head, X)
        assert_builds_warning_free(art.c.files, tmp_path / str(seed))


def test_auto_takes_the_key_form_when_only_it_fits():
    assert auto_layout({"table": 1000, "code": 2600, "code_keys": 2400}) == "code_keys"
    assert auto_layout({"table": 1000, "code": 2400, "code_keys": 2000}) == "code"   # the faster one fits
    assert auto_layout({"table": 1000, "code": 3000, "code_keys": 2600}) == "table"
    Xtr, ytr, Xte = _split(load_breast_cancer)
    est = ExtraTreesClassifier(n_estimators=20, max_depth=8, random_state=0).fit(Xtr, ytr)
    t = check_sklearn(est, Xte, tree_layout="table", methods=("predict",))[0].c.graph.nodes[0].attrs.trees
    head = TreeHead(divisor=(20.0, 20.0), argmax=True)
    code, keyed = (object_bytes(*probe_source(t, head, f), opt=OPT_LEVEL) for f in ("code", "code_keys"))
    assert keyed < 0.9 * code                       # the point of the key form
    sizes = measured_sizes(plan_trees(t), head)
    art, res = check_sklearn(est, Xte, methods=("predict",))
    assert res["predict_agreement"] == 1.0
    node, form = art.c.graph.nodes[0], auto_layout(sizes)
    assert node.op == ("tree_ensemble" if form == "table" else "tree_predict")
    if form != "table":
        assert node.attrs.form == form


def test_one_tree_forest_returns_the_label_directly():
    Xtr, ytr, Xte = _split(load_iris)
    est = RandomForestClassifier(n_estimators=1, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, tree_layout="code", methods=("predict",))
    assert res["predict_agreement"] == 1.0
    node = art.c.graph.nodes[0]
    assert node.op == "tree_predict" and node.attrs.head.divisor == (1.0, 1.0, 1.0)
    tree_c = next(v for k, v in art.c.files.items() if k.endswith(".c") and "if-else code" in v)
    assert "float a0" not in tree_c and "/ 1.0" not in tree_c   # the mean is folded into the leaves
