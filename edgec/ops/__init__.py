"""Operator definitions. Importing this package registers every op in `base.REGISTRY`."""
from edgec.ops import base
from edgec.ops import elementwise, conv, pool, matmul, movement, reduce, quant_io  # noqa: F401  (float)
from edgec.ops import (conv_s8, matmul_s8, pool_s8, elementwise_s8, movement_s8, reduce_s8,  # noqa: F401  (int8)
                       activation_s8, conv_add_s8)
from edgec.ops import select, tree_ensemble, tree_predict, classic_q, distance_q, svm  # noqa: F401  (classical models)
from edgec.ops import linear_predict  # noqa: F401  (small linear classifiers, C fusion)
from edgec.ops import knn, one_hot, gaussian_nb  # noqa: F401  (neighbours, label votes, naive Bayes)
from edgec.ops import knn_q  # noqa: F401  (int16/int8 neighbours)
from edgec.ops import weighted_median  # noqa: F401  (AdaBoost regression)
from edgec.ops import bucketize  # noqa: F401  (exact integer trees)

REGISTRY = base.REGISTRY
