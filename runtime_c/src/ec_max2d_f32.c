/* edgec runtime: y = a max b over at most two broadcast dims, no activation (see ec_elementwise.h).
 * The general ec_binary_f32's arithmetic on one element, without its rank-6 walk. */
#include "ec_elementwise.h"

#define EC_MAX2D(x, y) ((x) > (y) ? (x) : (y))
EC_BINARY2D_DEFINE(max, EC_MAX2D)
