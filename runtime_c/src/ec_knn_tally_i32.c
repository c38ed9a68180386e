/* edgec runtime: knn votes of the neighbours' class labels, stored as int32_t (see ec_neighbors.h). */
#include "ec_neighbors.h"

EC_KNN_DEFINE_TALLY(ec_knn_tally_i32, int32_t)
