"""scikit-learn front end: fitted estimators -> IR (see core.py)."""
from edgec.frontend.sklearn.core import SklearnInfo, import_sklearn, is_sklearn_estimator

__all__ = ["SklearnInfo", "import_sklearn", "is_sklearn_estimator"]
