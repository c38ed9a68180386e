"""Imports every converter module so their @converter tables are filled (one place to list them)."""
from edgec.frontend.sklearn import adaboost, boosting, isolation, linear, trees  # noqa: F401
