"""Small C snippets the peer shims share: the estimator's shape and an arg max over scores."""
from __future__ import annotations

import contextlib
import io
import os
import sys

from sklearn.base import is_classifier


def shape(est) -> tuple[bool, int, int]:
    """(is classifier, number of features, number of classes or 0)."""
    clf = is_classifier(est)
    return clf, int(est.n_features_in_), len(est.classes_) if clf else 0


def argmax_c(array: str, n: int) -> str:
    """C statements leaving in `best` the first index of the largest of array[0..n-1]."""
    return (f"    int32_t best = 0, i;\n"
            f"    for (i = 1; i < {n}; i++) if ({array}[i] > {array}[best]) best = i;\n")


@contextlib.contextmanager
def quiet_native_stderr():
    """Silences file descriptor 2 (treelite's C++ logging writes there) and Python's stdout
    (tl2cgen prints its native log messages)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            with contextlib.redirect_stdout(io.StringIO()):
                yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
