/* edgec runtime: knn distances of one block of training rows stored as uint8_t dictionary codes
 * (see ec_neighbors.h). */
#include <math.h>

#include "ec_neighbors.h"

EC_KNN_DEFINE_BLOCK(ec_knn_block_codes8, uint8_t, EC_KNN_DECODE_DICT)
