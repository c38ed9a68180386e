/* edgec runtime: knn distances of one block of float32 training rows (see ec_neighbors.h). */
#include <math.h>

#include "ec_neighbors.h"

EC_KNN_DEFINE_BLOCK(ec_knn_block_f32, float, vals = col)
