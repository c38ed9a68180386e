"""Linear classifiers in C: the scores (literal expressions, or a loop over a const table for
larger layers) and their arg max fused into one function returning the label (no arena, no
arg-max loop, predict calls it directly), bit-identical to the unfused ops on ties, signed zeros
and NaN, with the arg max's labels; not fused where a score is also an output."""
import itertools
import subprocess
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

import edgec
from edgec.backend.build import WARN_FLAGS, CompiledModel, build_shared
from edgec.backend.c import emit_c
from edgec.backend.lower import lower_for_c
from edgec.ir.graph import DType, Graph, Node, TensorType, Value
from edgec.ops.matmul import GemmAttrs
from edgec.ops.select import ArgMaxAttrs
from edgec.sim.interpreter import run_graph
from edgec.testing import check_sklearn

warnings.filterwarnings("ignore")


def _ops(art) -> set[str]:
    return {n.op for n in lower_for_c(art.graph)[0].nodes}


@pytest.mark.parametrize("make,load,looped", [(lambda: LogisticRegression(max_iter=2000), load_iris, False),
                                              (lambda: LinearSVC(random_state=0), load_breast_cancer, True),
                                              (lambda: LogisticRegression(max_iter=2000), load_wine, True),
                                              (lambda: LinearSVC(random_state=0), load_digits, True)])
def test_classifiers_predict_through_one_function(make, load, looped):
    X, y = load(return_X_y=True)
    X = ((X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)).astype(np.float32)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=0)
    est = make().fit(Xtr, ytr)
    art, _ = check_sklearn(est, Xte, methods=("predict",))
    assert "linear_predict" in _ops(art) and not _ops(art) & {"gemm", "arg_max", "concat"}
    fused = [t for f, t in art.c.files.items() if f.endswith(".c") and "arg max" in t]
    assert len(fused) == 1 and ("for (kk = 0;" in fused[0]) == looped
    c = art.c.files[f"{art.name}.c"]
    assert "static_arena" not in c and "_ARENA_SIZE 0" in art.c.files[f"{art.name}.h"].replace("0u", "0")
    # with decision_function also asked for, the scores are an output: nothing is fused
    art2, _ = check_sklearn(est, Xte, methods=("predict", "decision_function"))
    assert "linear_predict" not in _ops(art2)


def _graph(w: np.ndarray, b: np.ndarray, labels, const_first: float | None = None) -> Graph:
    x = Value("x", TensorType((1, w.shape[1]), DType.F32))
    wv = Value("w", TensorType(w.shape, DType.F32), data=w.astype(np.float32))
    bv = Value("b", TensorType(b.shape, DType.F32), data=b.astype(np.float32))
    s = Value("s", TensorType((1, w.shape[0]), DType.F32))
    y = Value("y", TensorType((1,), DType.I32))
    nodes = [Node("gemm", [x, wv, bv], [s], GemmAttrs(), "score")]
    scores = s
    if const_first is not None:
        t = Value("t", TensorType((1, 1), DType.F32), data=np.array([[const_first]], np.float32))
        scores = Value("pair", TensorType((1, w.shape[0] + 1), DType.F32))
        from edgec.ops.movement import ConcatAttrs
        nodes.append(Node("concat", [t, s], [scores], ConcatAttrs(axis=1), "pair"))
    nodes.append(Node("arg_max", [scores], [y], ArgMaxAttrs(labels=labels), "pick"))
    return Graph("g", [x], [y], nodes)


@pytest.mark.parametrize("width,plain", [(2, False), (12, False), (12, True)])  # 6 weights inline, 36 in a loop
@pytest.mark.parametrize("labels,const_first", [(None, None), ((3, 7, 9), None), ((5, 1, 2, 8), 0.0)])
def test_ties_signed_zeros_and_nan_as_the_unfused_ops(labels, const_first, width, plain):
    """Looped blocks sum four outputs per GNU C vector unless EDGEC_NO_VECTOR_EXT: both paths."""
    w = np.tile(np.array([[1.0, -2.0], [1.0, -2.0], [-1.0, 2.0]], np.float32), (1, width // 2))  # rows 0, 1 tie
    b = np.array([0.0, 0.0, -0.0], np.float32)
    g = _graph(w, b, labels, const_first)
    src = emit_c(g, "lf")
    assert "linear_predict" in {n.op for n in lower_for_c(g)[0].nodes}
    assert ("for (kk = 0;" in "".join(src.files.values())) == (width > 2)
    flags = ("-DEDGEC_NO_VECTOR_EXT",) if plain else ()
    model = CompiledModel(src.signature(), build_shared(src.files, extra_flags=flags))
    pairs = np.array([[0, 0], [-0.0, 0.0], [2, 1], [1, 2], [np.nan, 0], [np.inf, 1], [-np.inf, -np.inf],
                      [1e-45, 0], [-1e30, 1e30]], np.float32)
    rows = np.tile(pairs, (1, width // 2))     # small integers, infinities, NaN: every order sums alike
    for r in rows:
        got = model.run({"x": r[None]})["y"]
        np.testing.assert_array_equal(got, run_graph(g, {"x": r[None]})["y"], err_msg=str(r))


def test_a_score_that_is_also_an_output_is_not_fused():
    g = _graph(np.eye(2, dtype=np.float32), np.zeros(2, np.float32), None)
    g.outputs = [g.outputs[0], g.nodes[0].outputs[0]]
    assert "linear_predict" not in {n.op for n in lower_for_c(g)[0].nodes}
    assert edgec  # the package import registers every op


def test_looped_and_inline_forms_build_warning_free_with_gcc_and_clang(tmp_path):
    """Both paths of a looped block (GNU C vectors, and plain C99 with EDGEC_NO_VECTOR_EXT)."""
    rng = np.random.default_rng(0)
    for i, (n, k) in enumerate([(3, 2), (3, 13), (1, 30), (10, 64)]):
        src = emit_c(_graph(rng.normal(size=(n, k)), rng.normal(size=n), None, 0.0 if n == 1 else None), f"lf{i}")
        assert ("vector_size" in "".join(src.files.values())) == (n > 1 and n * k > 16)
        d = tmp_path / str(i)
        d.mkdir()
        for name, text in src.files.items():
            (d / name).write_text(text)
        for cc, extra in itertools.product(("gcc", "clang"), ([], ["-DEDGEC_NO_VECTOR_EXT"])):
            for c in sorted(d.glob("*.c")):
                r = subprocess.run([cc, *WARN_FLAGS, "-O2", *extra, "-I", str(d), "-c", str(c), "-o", str(d / "x.o")],
                                   capture_output=True, text=True)
                assert r.returncode == 0, f"{cc} {extra} {c.name}: {r.stderr}"
