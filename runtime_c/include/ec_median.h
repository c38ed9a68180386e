/* edgec runtime: weighted medians (AdaBoostRegressor). */
#ifndef EC_MEDIAN_H
#define EC_MEDIAN_H

#include "ec_types.h"

/* For each of `rows` rows of n values: y = the smallest x[j] such that the sum of the weights
 * w[k] of all x[k] <= x[j] (added in k order, float) is >= half; the row's largest value when
 * no x[j] qualifies. */
void ec_weighted_median_f32(const float *x, int32_t rows, int32_t n, const float *w, float half, float *y);

#endif /* EC_MEDIAN_H */
