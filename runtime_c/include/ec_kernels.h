/* edgec runtime: every kernel's prototype and parameter struct, for code that calls kernels
 * directly (generated models include only the headers of the kernels they use). */
#ifndef EC_KERNELS_H
#define EC_KERNELS_H

#include "ec_types.h"
#include "ec_elementwise.h"
#include "ec_conv.h"
#include "ec_pool.h"
#include "ec_matmul.h"
#include "ec_movement.h"
#include "ec_reduce.h"
#include "ec_broadcast.h"
#include "ec_dot_s8.h"
#include "ec_quant.h"
#include "ec_activation_s8.h"
#include "ec_conv_s8.h"
#include "ec_conv_add_s8.h"
#include "ec_matmul_s8.h"
#include "ec_elementwise_s8.h"
#include "ec_pool_s8.h"
#include "ec_reduce_s8.h"
#include "ec_neighbors.h"
#include "ec_labels.h"

#endif /* EC_KERNELS_H */
