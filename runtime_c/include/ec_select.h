/* edgec runtime: selecting among scores (arg max -> class label). */
#ifndef EC_SELECT_H
#define EC_SELECT_H

#include "ec_types.h"

/* For each of `outer` rows of `k` scores: y = labels[i] (or i when labels is NULL) for the first
 * i holding the row's largest score (numpy's argmax rule). */
void ec_arg_max_f32(const float *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);
void ec_arg_max_s32(const int32_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);
void ec_arg_max_s8(const int8_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);

#endif /* EC_SELECT_H */
