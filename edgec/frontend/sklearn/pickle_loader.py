"""Loading a pickled (joblib) scikit-learn estimator, only when the user says they trust it.

Unpickling runs whatever code the file names, so a model file from elsewhere could take over
the machine. The CLI refuses such files unless `--trust-pickle` is given.
"""
from __future__ import annotations

import os
from typing import Any

from edgec.errors import EdgecError, ModelLoadError

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def is_pickle_path(path: str) -> bool:
    return str(path).lower().endswith(PICKLE_SUFFIXES)


def load_pickled_estimator(path: str, trust: bool) -> Any:
    """The estimator in `path` (joblib or pickle); refuses unless `trust`."""
    if not trust:
        raise EdgecError(f"{path}: loading a pickle runs code stored in the file; pass --trust-pickle "
                         "(Python: trust_pickle=True) only for files you made or trust")
    if not os.path.isfile(path):
        raise ModelLoadError(f"{path}: no such file")
    import joblib
    try:
        est = joblib.load(path)
    except Exception as e:  # any unpickling failure: truncated file, missing class, not a pickle
        raise ModelLoadError(f"{path}: cannot load the pickle ({type(e).__name__}: {str(e)[:160]})") from None
    from edgec.frontend.sklearn.core import is_sklearn_estimator
    if not is_sklearn_estimator(est):
        raise ModelLoadError(f"{path}: holds a {type(est).__name__}, not a scikit-learn estimator")
    return est
