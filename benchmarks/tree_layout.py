"""Tree layouts measured: object bytes and ns per prediction of the table and code forms.

For a few RandomForestClassifier sizes on digits (fit on 75%, test on 25%), builds the forest's
tree_ensemble (through the DecisionTree converter's helpers), compiles it in each form, checks
agreement with scikit-learn on the test rows, sums .text/.rodata/.data of every object of the
model (gcc -O2 -c) and times `<name>_predict` over the test rows in a C loop. Run:
    python -m benchmarks.tree_layout   (from the repository root)
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from edgec.artifact import Artifact
from edgec.backend.api import ApiSpec
from edgec.backend.build import WARN_FLAGS
from edgec.backend.c import emit_c
from edgec.backend.objsize import section_bytes
from edgec.backend.trees import CODE_FORM_MAX_NODES
from edgec.compiler import optimise
from edgec.frontend.sklearn import import_sklearn
from edgec.frontend.sklearn.trees import classifier_leaf_values, join_trees, tree_arrays
from edgec.ops.tree_ensemble import TreeEnsembleAttrs


def forest_artifact(rf, X, y, layout: str, name: str = "forest") -> Artifact:
    """The forest as one tree_ensemble -> arg_max graph (a DecisionTree's graph, its trees swapped)."""
    trees = join_trees([tree_arrays(e.tree_, classifier_leaf_values(e)) for e in rf.estimators_],
                       np.zeros(len(rf.classes_)))
    g, info = import_sklearn(DecisionTreeClassifier(max_depth=1).fit(X, y), name)
    for n in g.nodes:
        if n.op == "tree_ensemble":
            n.attrs = TreeEnsembleAttrs(trees, layout)
    g = optimise(g, True, "float")
    c = emit_c(g, name, ApiSpec(info.kind, info.methods, info.labels, info.class_names))
    return Artifact(name, g, g, c, None, quant="float", float_graph=g, sklearn=info)


HARNESS = r"""#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "%(name)s.h"
#include "rows.h"
int main(void) {
    /* the best of many short batches: other processes on the machine only ever slow a batch */
    struct timespec a, b; long i, r; double best = 1e30, ns; volatile int32_t sink = 0;
    for (i = 0; i < N_ROWS; ++i) sink += %(name)s_predict(ROWS[i]);
    for (r = 0; r < %(reps)d; ++r) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (i = 0; i < N_ROWS; ++i) sink += %(name)s_predict(ROWS[i]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)N_ROWS;
        best = ns < best ? ns : best;
    }
    printf("%%.1f\n", best);
    return (int)(sink & 0);
}
"""


def measure(art: Artifact, X: np.ndarray, reps: int = 200, cc: str = "gcc") -> tuple[int, int, float]:
    """(object bytes of the model, bytes of generated C source, ns per predict over X's rows)."""
    d = Path(tempfile.mkdtemp(prefix="treebench-"))
    art.write(d)
    rows = ",\n".join("{" + ", ".join("%.9ef" % v for v in r) + "}" for r in np.asarray(X, np.float32))
    (d / "rows.h").write_text(f"#define N_ROWS {len(X)}\nstatic const float ROWS[N_ROWS][{X.shape[1]}] = {{\n{rows}\n}};\n")
    (d / "bench_main.c").write_text(HARNESS % {"name": art.name, "reps": reps})
    objs, total = [], 0
    for src in sorted(d.glob("*.c")):
        obj = src.with_suffix(".o")
        subprocess.run([cc, *WARN_FLAGS, "-O2", "-I", str(d), "-c", str(src), "-o", str(obj)], check=True)
        objs.append(str(obj))
        if src.name != "bench_main.c":
            total += section_bytes(obj)
    src_bytes = sum(len(t) for k, t in art.c.files.items() if k.endswith((".c", ".h")))
    subprocess.run([cc, "-O2", "-o", str(d / "bench"), *objs, "-lm"], check=True)
    ns = min(float(subprocess.run([str(d / "bench")], capture_output=True, text=True, check=True).stdout)
             for _ in range(3))
    shutil.rmtree(d, ignore_errors=True)
    return total, src_bytes, ns


def main() -> int:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    print(f"{'forest':28} {'form':6} {'agree':>7} {'obj B':>8} {'C src B':>9} {'ns/pred':>8}")
    for n_trees, depth in [(20, 8), (5, 4), (50, 8), (20, None), (200, None)]:
        rf = RandomForestClassifier(n_estimators=n_trees, max_depth=depth, random_state=0).fit(Xtr, ytr)
        n_nodes = sum(e.tree_.node_count for e in rf.estimators_)
        for layout in ("table", "code", "auto"):
            if layout == "code" and n_nodes > CODE_FORM_MAX_NODES:
                print(f"RF({n_trees} trees, depth {depth}){'':6} code   skipped: {n_nodes} nodes, minutes of gcc")
                continue
            t0 = time.time()
            art = forest_artifact(rf, Xtr, ytr, layout)
            chosen = [ln for s in art.c.files.values() for ln in s.splitlines() if "trees," in ln and "form" in ln]
            got = art.run_rows(Xte)["predict"].reshape(-1)
            agree = float(np.mean(got == rf.predict(Xte)))
            obj, src, ns = measure(art, Xte)
            form = layout if layout != "auto" else "auto=" + chosen[0].split()[-3] if chosen else layout
            print(f"RF({n_trees} trees, depth {depth}){'':6} {form:6} {100 * agree:6.1f}% {obj:8d} {src:9d} {ns:8.1f}"
                  f"   ({time.time() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
