"""Imports every converter module so their @converter tables are filled (one place to list them)."""
from edgec.frontend.sklearn import linear, trees  # noqa: F401
from edgec.frontend.sklearn import multiclass  # noqa: F401
from edgec.frontend.sklearn import svm  # noqa: F401
from edgec.frontend.sklearn import naive_bayes, neighbors_centroid  # noqa: F401
from edgec.frontend.sklearn import preprocessing, pipeline, neighbors, neural  # noqa: F401
from edgec.frontend.sklearn import voting, stacking, bagging  # noqa: F401
