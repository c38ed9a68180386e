"""The leaf-row variant of the if-else form (tree_rows.py): a function per tree returning its
leaf row, int32 compares of the features' bits. Bit-exact with the reference and the simulator
(NaN of either sign, signed zeros, infinities, subnormals), agreeing with scikit-learn, warning
free, and what auto takes for large forests."""
import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import train_test_split

from edgec.backend.objsize import object_bytes
from edgec.backend.tree_code import PLAIN, probe_source
from edgec.backend.tree_rows import UNROLL_TARGETS, bits_test, fast_differs, leaf_rows
from edgec.backend.trees import OPT_LEVEL, SPEED_SIZE_FACTOR, auto_layout, code_variant, measured_sizes, plan_trees
from edgec.ops.tree_predict import TreeHead
from edgec.testing import check_sklearn

from tests.sklearn.test_tree_code import assert_exact_run, keyed_artifact
from tests.sklearn.test_tree_layout import assert_builds_warning_free, inputs_with_nan, random_ensemble

ROWS = ("code_rows", "code_rows_small")
NEG_NAN = np.frombuffer(np.uint32(0xFFC00000).tobytes(), np.float32)[0]


def _goes_right(x: np.float32, thr: float, missing_left: bool) -> bool:
    """bits_test's condition evaluated as the C does, on the key the C builds for x."""
    bits = int(np.asarray(x, np.float32).view(np.uint32))
    if np.isnan(x):
        bits = 0xFFC00000 if missing_left else 0x7FC00000
    k = bits - (1 << 32) if bits >= 1 << 31 else bits
    cond = bits_test(0, thr, missing_left, 0).replace("l", "r")
    if cond.startswith("(uint32_t)"):
        return (k & 0xFFFFFFFF) < int(cond.split("< ")[1].rstrip("u"))
    return k > int(cond.split("> ")[1])


def test_bit_compares_order_as_float32_compares():
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, 1e-45, -1e-45, 1.2e-38, -1.2e-38, np.inf, -np.inf, 1.0, -1.0, 3.4e38, -3.4e38]
    vals = np.concatenate([np.asarray(special, np.float32), rng.normal(size=60).astype(np.float32),
                           np.asarray([np.nan, NEG_NAN], np.float32)])
    for thr in [*special, *rng.normal(size=20).tolist()]:
        t = np.float32(thr)
        for x in vals:
            for ml in (False, True):
                want = (not ml) if np.isnan(x) else bool(x > t)
                assert _goes_right(x, thr, ml) == want, (x, thr, ml)


@pytest.mark.parametrize("form", ROWS)
def test_rows_form_is_bit_exact_with_nan_signed_zeros_and_infinities(form, tmp_path):
    thresholds = [-np.inf, -1.0, -1e-45, -0.0, 0.0, 1e-45, 0.5, np.inf]
    # 7 features; 40: the keys addressed from 32 features in
    seen = []
    for seed, (n_trees, nf, head, kw) in enumerate([
            (3, 7, PLAIN, {}), (5, 40, PLAIN, {"n_targets": 1, "zero_frac": 0.0}),
            (5, 7, TreeHead(divisor=(5.0,) * 3, argmax=True), {}),
            (4, 40, TreeHead(divisor=(4.0,) * 3), {"n_values": 3}),
            (3, 7, PLAIN, {"n_targets": UNROLL_TARGETS + 2}),                      # sparse rows, a loop
            (3, 7, PLAIN, {"n_targets": UNROLL_TARGETS + 2, "zero_frac": 0.0})]):  # whole rows, a loop
        rng = np.random.default_rng(seed)
        X = inputs_with_nan(rng, 300, nf, thresholds)
        X[rng.random(X.shape) < 0.05] = -0.0
        X[rng.random(X.shape) < 0.05] = NEG_NAN
        X[:40] = np.where(np.isnan(X[:40]), 0.25, X[:40])       # rows without NaN: the direct path
        t = random_ensemble(rng, n_trees=n_trees, n_features=nf, thresholds=thresholds, **kw)
        name = f"rt{seed}{form[-1]}"
        art = keyed_artifact(t, 300, head, name=name, form=form, n_features=nf)
        src = next(v for k, v in art.c.files.items() if k.startswith(f"{name}_forest") and k.endswith(".c"))
        assert f"{name}_forest_tree{n_trees - 1}(r, l)" in src and "bits(r" in src and "bits(l" in src
        assert_exact_run(art, t, head, X)
        assert_builds_warning_free(art.c.files, tmp_path / str(seed))
        seen.append(src)
    assert any("for (j = 0;" in s for s in seen) and any("leaf_row_start[row]" in s for s in seen)   # both row loops


def test_fast_rows_store_whole_rows_and_add_them_without_a_loop():
    t = random_ensemble(np.random.default_rng(4), n_trees=6, n_targets=10, zero_frac=0.8, n_values=40)
    assert leaf_rows(t, False)[0].kind == "sparse" and leaf_rows(t, True)[0].kind in ("direct", "palette")
    assert fast_differs(t)
    fast, small = (probe_source(t, PLAIN, f)[0] for f in ROWS)
    assert "row_start" in small and "row_start" not in fast and "a9 += " in fast and "for (j" not in fast
    assert object_bytes(*probe_source(t, PLAIN, "code_rows_small"), opt=OPT_LEVEL) < \
        object_bytes(*probe_source(t, PLAIN, "code_rows"), opt=OPT_LEVEL)


def _split(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X.astype(np.float32), y, test_size=0.25, random_state=0)
    return Xtr, ytr, Xte


@pytest.mark.parametrize("loader,cls", [(load_digits, RandomForestClassifier), (load_digits, ExtraTreesClassifier),
                                        (load_diabetes, RandomForestRegressor)])
def test_auto_takes_the_rows_form_for_large_forests_and_agrees_with_sklearn(loader, cls):
    Xtr, ytr, Xte = _split(loader)
    est = cls(n_estimators=20, max_depth=8, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, methods=("predict",))          # tree_layout "auto"
    if "predict_agreement" in res:
        assert res["predict_agreement"] == 1.0
    else:
        assert res["predict_max_rel_err"] <= 1e-5
    node = art.c.graph.nodes[0]
    t = node.attrs.trees
    head = node.attrs.head
    sizes = measured_sizes(plan_trees(t), head)
    assert sizes["code"] > SPEED_SIZE_FACTOR * sizes["table"]           # too big: a smaller variant
    assert "code_rows" in sizes and sizes["code_rows"] < 0.7 * sizes["code"]
    assert auto_layout(sizes) == code_variant(t, "auto", head) == node.attrs.form
    assert node.attrs.form.startswith("code_rows")


def test_rows_form_serves_every_method_of_a_classifier():
    """predict_proba (the sums and the mean stored, not fused into a label) in the rows form too."""
    Xtr, ytr, Xte = _split(load_digits)
    est = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(Xtr, ytr)
    art, res = check_sklearn(est, Xte, proba_atol=1e-6)          # asserts every method agrees
    assert res["predict_agreement"] == 1.0
    notes = " ".join(v for k, v in art.c.files.items() if k.endswith(".c"))
    assert "returning its leaf row" in notes and "y[9] = a9;" in notes   # the sums stored


def test_auto_takes_the_first_if_else_variant_that_fits():
    fits, big = SPEED_SIZE_FACTOR * 1000 - 100, SPEED_SIZE_FACTOR * 1000 + 100
    sizes = {"table": 1000, "code": big + 400, "code_keys": big, "code_rows": fits, "code_rows_small": fits - 200}
    assert auto_layout(sizes) == "code_rows"
    assert auto_layout({**sizes, "code_keys": fits + 50}) == "code_keys"      # the faster one fits
    assert auto_layout({**sizes, "code_rows": big}) == "code_rows_small"
    assert auto_layout({**sizes, "code_rows": big, "code_rows_small": big}) == "table"
