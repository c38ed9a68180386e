"""Imports every converter module so their @converter tables are filled (one place to list them)."""
from edgec.frontend.sklearn import linear, trees  # noqa: F401
from edgec.frontend.sklearn import preprocessing, pipeline, neighbors, neural  # noqa: F401
from edgec.frontend.sklearn import voting, stacking, bagging  # noqa: F401
