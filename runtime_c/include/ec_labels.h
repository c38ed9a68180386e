/* edgec runtime: class labels turned into numbers (one-hot rows). */
#ifndef EC_LABELS_H
#define EC_LABELS_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* For each of the n labels in x: y[i][j] = 1 if x[i] == labels[j] else 0, j < k. */
void ec_one_hot_f32(const int32_t *x, int32_t n, int32_t k, const int32_t *labels, float *y);

#ifdef __cplusplus
}
#endif

#endif /* EC_LABELS_H */
