/* edgec runtime: knn distances of one block of training rows stored as uint16_t grid or
 * dictionary codes (see ec_neighbors.h). */
#include <math.h>

#include "ec_neighbors.h"

EC_KNN_DEFINE_BLOCK(ec_knn_block_codes16, uint16_t, EC_KNN_DECODE_GRID)
