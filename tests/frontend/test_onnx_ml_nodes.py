"""Hand-built ONNX-ML nodes for what converters rarely emit: every branch mode at, just above and
just below its threshold and on NaN, double thresholds, the opset-5 TreeEnsemble, onnxruntime's
binary and SOFTMAX classifier forms, and clear errors for what edgec does not compile."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgec
from edgec.errors import EdgecError, UnsupportedOpError
from tests.frontend.onnx_ml_check import check_onnx_ml, ort_outputs

MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]
THR = 0.1   # not a float32: the float attribute is float32(0.1), the double one is 0.1


def model(nodes, n_features, outputs, ml_opset=3, elem=TensorProto.FLOAT):
    g = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info("X", elem, [None, n_features])], outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", ml_opset)])
    onnx.checker.check_model(m)
    return m


def stumps(modes, tracks, thresholds=None):
    """One tree per mode: node 0 tests feature t, true -> leaf 1 (weight 1), false -> leaf 2 (2)."""
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "target_treeids", "target_nodeids", "target_ids", "target_weights")}
    for t, mode in enumerate(modes):
        a["nodes_treeids"] += [t] * 3
        a["nodes_nodeids"] += [0, 1, 2]
        a["nodes_featureids"] += [t, 0, 0]
        a["nodes_modes"] += [mode, "LEAF", "LEAF"]
        a["nodes_values"] += [THR if thresholds is None else thresholds[t], 0.0, 0.0]
        a["nodes_truenodeids"] += [1, 0, 0]
        a["nodes_falsenodeids"] += [2, 0, 0]
        a["nodes_missing_value_tracks_true"] += [tracks, 0, 0]
        a["target_treeids"] += [t, t]
        a["target_nodeids"] += [1, 2]
        a["target_ids"] += [t, t]
        a["target_weights"] += [1.0, 2.0]
    return a


def probe_rows(n_features, t=np.float32(THR)):
    """Each feature at t, one float32 step either side, far either side, NaN, and t again for
    the double threshold (x == float32(0.1) > 0.1)."""
    vals = [t, np.nextafter(t, np.float32(np.inf)), np.nextafter(t, np.float32(-np.inf)), t + 1, t - 1, np.nan, 0.0]
    return np.repeat(np.asarray(vals, np.float32)[:, None], n_features, axis=1)


@pytest.mark.parametrize("tracks", [0, 1])
def test_every_branch_mode_matches_onnxruntime(tracks):
    a = stumps(MODES, tracks)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=len(MODES), **a)
    m = model([node], len(MODES), [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, len(MODES)])])
    check_onnx_ml(m, probe_rows(len(MODES)), proba_atol=0)


def test_double_thresholds_compare_exactly():
    """nodes_values_as_tensor (double): x is compared with 0.1, not float32(0.1); onnxruntime
    does that for double inputs, so it is fed the same float32 values as doubles."""
    modes = MODES[:4]
    a = stumps(modes, 0)
    values = np.asarray(a.pop("nodes_values"), np.float64)
    a["target_weights_as_tensor"] = numpy_helper.from_array(np.asarray(a.pop("target_weights"), np.float64))
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=len(modes),
                            nodes_values_as_tensor=numpy_helper.from_array(values), **a)
    out = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, len(modes)])]
    m = model([node], len(modes), out, elem=TensorProto.DOUBLE)
    X = probe_rows(len(modes))
    art = edgec.compile(m)
    got = art.run_rows(X)["Y"]
    want = ort_outputs(m, X.astype(np.float64))[0]
    np.testing.assert_array_equal(got, want.astype(np.float32))
    assert got[0, 0] == 2.0   # float32(0.1) <= 0.1 is false in double


def test_tree_ensemble_opset5_matches_the_opset3_form():
    """ai.onnx.ml opset 5 TreeEnsemble (leaves in their own arrays, uint8 modes) on the same
    stumps gives what the TreeEnsembleRegressor form gives in onnxruntime."""
    n = len(MODES)
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=n, aggregate_function=1, post_transform=0,
        tree_roots=list(range(n)), nodes_featureids=list(range(n)),
        nodes_splits=numpy_helper.from_array(np.full(n, THR, np.float32)),
        nodes_modes=numpy_helper.from_array(np.arange(n, dtype=np.uint8)),
        nodes_truenodeids=[2 * t for t in range(n)], nodes_trueleafs=[1] * n,
        nodes_falsenodeids=[2 * t + 1 for t in range(n)], nodes_falseleafs=[1] * n,
        nodes_missing_value_tracks_true=[1, 0, 1, 0, 1, 0],
        leaf_targetids=[t for t in range(n) for _ in (0, 1)],
        leaf_weights=numpy_helper.from_array(np.tile(np.array([1.0, 2.0], np.float32), n)))
    m5 = model([node], n, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, n])], ml_opset=5)
    a = stumps(MODES, 0)
    a["nodes_missing_value_tracks_true"] = [v for t in range(n) for v in ([1, 0, 1, 0, 1, 0][t], 0, 0)]
    m3 = model([helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=n, **a)], n,
               [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, n])])
    X = probe_rows(n)
    got = edgec.compile(m5).run_rows(X)["Y"]
    np.testing.assert_array_equal(got, ort_outputs(m3, X)[0])
    np.testing.assert_array_equal(got, ort_outputs(m5, X)[0])


def _classifier(weights, class_ids, labels, transform, base=None, strings=False):
    """Two stumps on features 0 and 1; leaves carry `weights` for `class_ids` (per leaf)."""
    a = stumps(["BRANCH_LEQ", "BRANCH_GT"], 0, [0.5, -0.25])
    for k in ("target_treeids", "target_nodeids", "target_ids", "target_weights"):
        a.pop(k)
    cls = {"class_treeids": [], "class_nodeids": [], "class_ids": [], "class_weights": []}
    leaves = [(0, 1), (0, 2), (1, 1), (1, 2)]
    for (t, nid), w in zip(leaves, weights):
        for c, v in zip(class_ids, np.atleast_1d(w)):
            cls["class_treeids"].append(t), cls["class_nodeids"].append(nid)
            cls["class_ids"].append(c), cls["class_weights"].append(float(v))
    extra = {"classlabels_strings": labels} if strings else {"classlabels_int64s": labels}
    if base is not None:
        extra["base_values"] = base
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "scores"], domain="ai.onnx.ml",
                            post_transform=transform, **a, **cls, **extra)
    label_t = TensorProto.STRING if strings else TensorProto.INT64
    return model([node], 2, [helper.make_tensor_value_info("label", label_t, [None]),
                             helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, len(labels)])])


def _rows():
    rng = np.random.default_rng(0)
    X = rng.normal(0.0, 1.0, (60, 2)).astype(np.float32)
    X[:4] = [[0.5, -0.25], [0.5, 0.0], [1.0, -0.25], [0.0, 0.0]]   # on the thresholds
    return X


@pytest.mark.parametrize("weights,transform,base", [
    ([0.2, 0.7, 0.1, 0.3], "NONE", None),             # all >= 0: class 1 when the sum > 0.5, [1-s, s]
    ([-0.5, 0.75, 0.25, -1.0], "LOGISTIC", [0.125]),  # mixed: class 1 when s > 0, [sig(-s), sig(s)]
    ([-0.5, 0.75, 0.25, -1.0], "NONE", None),         # mixed, no transform: [-s, s]
])
def test_binary_classifier_with_one_score_follows_onnxruntime(weights, transform, base):
    check_onnx_ml(_classifier(weights, [0], [3, 7], transform, base), _rows())


@pytest.mark.parametrize("transform", ["NONE", "SOFTMAX", "LOGISTIC"])
def test_multiclass_scores_and_post_transforms(transform):
    w = [[0.1, 0.5, -0.2], [0.3, -0.1, 0.4], [0.0, 0.2, 0.1], [0.5, 0.5, -0.5]]
    m = _classifier(w, [0, 1, 2], ["a", "b", "c"], transform, base=[0.1, -0.2, 0.05], strings=True)
    art = check_onnx_ml(m, _rows())
    assert art.sklearn.class_names == ("a", "b", "c")


def test_linear_classifier_binary_and_regressor_nodes():
    coef = [0.5, -1.0]
    nodes = [helper.make_node("LinearClassifier", ["X"], ["label", "p"], domain="ai.onnx.ml", coefficients=coef,
                              intercepts=[0.25], classlabels_ints=[-1, 1], post_transform="LOGISTIC"),
             helper.make_node("LinearRegressor", ["X"], ["y"], domain="ai.onnx.ml", coefficients=coef + [2.0, 1.0],
                              intercepts=[0.5, -0.5], targets=2)]
    m = model(nodes, 2, [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                         helper.make_tensor_value_info("p", TensorProto.FLOAT, [None, 2]),
                         helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])])
    art = check_onnx_ml(m, _rows())
    assert art.sklearn is None   # three outputs: the plain `run` API only


def test_scaler_normalizer_binarizer_nodes():
    nodes = [helper.make_node("Scaler", ["X"], ["s"], domain="ai.onnx.ml", offset=[0.5, -1.0], scale=[2.0, 0.25]),
             helper.make_node("Normalizer", ["s"], ["n1"], domain="ai.onnx.ml", norm="L2"),
             helper.make_node("Normalizer", ["s"], ["n2"], domain="ai.onnx.ml", norm="MAX"),
             helper.make_node("Binarizer", ["X"], ["b"], domain="ai.onnx.ml", threshold=0.5)]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [None, 2]) for n in ("n1", "n2", "b")]
    X = _rows()
    X[4] = [np.nextafter(np.float32(0.5), np.float32(1)), np.nextafter(np.float32(0.5), np.float32(0))]
    check_onnx_ml(model(nodes, 2, outs), X)


# -- clear errors ----------------------------------------------------------------------------------
def _regressor(**overrides):
    a = stumps(["BRANCH_LEQ"], 0)
    a.update(overrides)
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1, **a)
    return model([node], 1, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])])


@pytest.mark.parametrize("overrides,message", [
    ({"aggregate_function": "MIN"}, "aggregate_function MIN"),
    ({"post_transform": "PROBIT"}, "post_transform PROBIT"),
    ({"nodes_modes": ["BRANCH_LEQ", "LEAF", "BRANCH_XX"]}, "BRANCH_XX"),
    ({"target_nodeids": [1, 5]}, "node 5 of tree 0"),
])
def test_unsupported_tree_attributes_are_clear_errors(overrides, message):
    m = _regressor(**overrides)
    with pytest.raises(UnsupportedOpError, match=message):
        edgec.compile(m)


def test_probit_classifier_and_malformed_svm_probabilities_are_refused():
    with pytest.raises(UnsupportedOpError, match="PROBIT"):
        edgec.compile(_classifier([0.2, 0.7, 0.1, 0.3], [0], [0, 1], "PROBIT"))
    node = helper.make_node("SVMClassifier", ["X"], ["label", "p"], domain="ai.onnx.ml", classlabels_ints=[0, 1],
                            coefficients=[1.0, -1.0], support_vectors=[0.0, 1.0, 1.0, 0.0], vectors_per_class=[1, 1],
                            rho=[0.0], kernel_type="RBF", kernel_params=[0.5, 0.0, 3.0], prob_a=[1.0, 2.0], prob_b=[0.0])
    m = model([node], 2, [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                          helper.make_tensor_value_info("p", TensorProto.FLOAT, [None, 2])])
    with pytest.raises(EdgecError, match="prob_a"):
        edgec.compile(m)


def test_hard_vote_glue_equal_and_where():
    """ArgMax -> Equal(index, [0..k-1]) -> Where(1, w) of a hand-built two-member vote."""
    i = helper.make_tensor
    nodes = [helper.make_node("Scaler", ["X"], ["s"], domain="ai.onnx.ml", scale=[1.0, -1.0, 0.5], offset=[0.0, 0.0, 0.0]),
             helper.make_node("ArgMax", ["X"], ["a1"], axis=1), helper.make_node("ArgMax", ["s"], ["a2"], axis=1),
             helper.make_node("Equal", ["a1", "cls"], ["e1"]), helper.make_node("Equal", ["cls", "a2"], ["e2"]),
             helper.make_node("Where", ["e1", "one", "w"], ["v1"]), helper.make_node("Where", ["e2", "one", "zero"], ["v2"]),
             helper.make_node("Sum", ["v1", "v2"], ["votes"]), helper.make_node("ArgMax", ["votes"], ["winner"], axis=1)]
    g = helper.make_graph(nodes, "vote", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 3])],
                          [helper.make_tensor_value_info("votes", TensorProto.FLOAT, [None, 3]),
                           helper.make_tensor_value_info("winner", TensorProto.INT64, [None, 1])],
                          [i("cls", TensorProto.INT64, [1, 3], [0, 1, 2]), i("one", TensorProto.FLOAT, [1, 3], [1.0] * 3),
                           i("zero", TensorProto.FLOAT, [1, 3], [0.0] * 3), i("w", TensorProto.FLOAT, [1], [-0.5])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 1)])
    X = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    X[0] = [1.0, 1.0, 0.0]   # a tie: the first maximum wins
    check_onnx_ml(m, X, proba_atol=0)
    assert "arg_max_one_hot" in {n.op for n in edgec.compile(m).graph.nodes}


def test_where_needs_a_comparison_it_knows():
    nodes = [helper.make_node("Where", ["c", "X", "X"], ["Y"])]
    g = helper.make_graph(nodes, "w", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2]),
                                       helper.make_tensor_value_info("c", TensorProto.BOOL, [1, 2])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedOpError, match="Where"):
        edgec.compile(m)


def test_a_cycle_in_a_tree_is_a_clear_error():
    a = {"nodes_treeids": [0, 0, 0], "nodes_nodeids": [0, 1, 2], "nodes_featureids": [0, 0, 0],
         "nodes_modes": ["BRANCH_LEQ", "BRANCH_LEQ", "LEAF"], "nodes_values": [0.0, 1.0, 0.0],
         "nodes_truenodeids": [1, 1, 0], "nodes_falsenodeids": [2, 2, 0],
         "target_treeids": [0], "target_nodeids": [2], "target_ids": [0], "target_weights": [1.0]}
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1, **a)
    m = model([node], 1, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])])
    with pytest.raises(UnsupportedOpError, match="cycle"):
        edgec.compile(m)


def test_comparisons_of_constants_fold():
    i = helper.make_tensor
    nodes = [helper.make_node("Equal", ["a", "b"], ["e"]), helper.make_node("Less", ["a", "b"], ["l"]),
             helper.make_node("Where", ["e", "x1", "x2"], ["w1"]), helper.make_node("Where", ["l", "x1", "x2"], ["w2"]),
             helper.make_node("Add", ["w1", "X"], ["t"]), helper.make_node("Add", ["w2", "t"], ["Y"])]
    g = helper.make_graph(nodes, "fold", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 3])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])],
                          [i("a", TensorProto.INT64, [3], [1, 2, 3]), i("b", TensorProto.INT64, [3], [1, 5, 0]),
                           i("x1", TensorProto.FLOAT, [3], [10, 20, 30]), i("x2", TensorProto.FLOAT, [3], [1, 2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    X = np.array([[0.5, -1.0, 2.0]], np.float32)
    np.testing.assert_array_equal(edgec.compile(m).run({"X": X})["Y"], X + [[11, 22, 6]])


@pytest.mark.parametrize("nan_node", [None, 3])
def test_branch_eq_chain_becomes_one_balanced_search(nan_node):
    """x == 3 -> leaf, else x == 1 -> ..., 8 tests on one feature (a categorical split): one
    search over the intervals, the final false leaf copied once per value, not 2^8 times."""
    values = [3.0, 1.0, 7.0, 5.0, 1.0, 2.0, 6.0, 0.5]
    n = len(values)
    ids = list(range(2 * n + 1))   # tests 0..n-1, true leaves n..2n-1, final false leaf 2n
    a = {"nodes_treeids": [0] * len(ids), "nodes_nodeids": ids, "nodes_featureids": [0] * len(ids),
         "nodes_modes": ["BRANCH_EQ"] * n + ["LEAF"] * (n + 1), "nodes_values": values + [0.0] * (n + 1),
         "nodes_truenodeids": [n + j for j in range(n)] + [0] * (n + 1),
         "nodes_falsenodeids": [j + 1 for j in range(n - 1)] + [2 * n] + [0] * (n + 1),
         "nodes_missing_value_tracks_true": [int(j == nan_node) for j in range(n)] + [0] * (n + 1),
         "target_treeids": [0] * (n + 1), "target_nodeids": list(range(n, 2 * n + 1)), "target_ids": [0] * (n + 1),
         "target_weights": [float(j + 1) for j in range(n)] + [100.0]}
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1, **a)
    m = model([node], 1, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])])
    pts = np.asarray(sorted(set(values)) + [-1.0, 4.0, 8.0, 2.5, np.nan], np.float32)
    X = np.concatenate([pts, np.nextafter(pts, np.float32(np.inf)), np.nextafter(pts, np.float32(-np.inf))])[:, None]
    art = check_onnx_ml(m, X, proba_atol=0)
    trees = next(n for n in art.graph.nodes if n.op == "tree_ensemble").attrs.trees
    assert trees.n_nodes <= 4 * n + 1
