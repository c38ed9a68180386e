/* edgec runtime: one-hot of the largest score (hard votes of classifiers). */
#ifndef EC_VOTE_H
#define EC_VOTE_H

#include "ec_types.h"

/* For each of `outer` rows of `k` scores: y[i] = 1.0f for the first i holding the row's largest
 * score (numpy's argmax rule), 0.0f elsewhere. */
void ec_arg_max_one_hot_f32(const float *x, int32_t outer, int32_t k, float *y);

#endif /* EC_VOTE_H */
