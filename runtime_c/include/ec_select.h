/* edgec runtime: selecting among scores (arg max -> class label). */
#ifndef EC_SELECT_H
#define EC_SELECT_H

#include "ec_types.h"

/* For each of `outer` rows of `k` scores: y = labels[i] (or i when labels is NULL) for the first
 * i holding the row's largest score (numpy's argmax rule). */
void ec_arg_max_f32(const float *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);
void ec_arg_max_s32(const int32_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);
void ec_arg_max_s8(const int8_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y);

/* The body the three functions share (one per file, so a model links only the one it uses):
 * a strict `>` scan keeps the first of equal maxima. */
#define EC_ARG_MAX_ROWS(x, outer, k, labels, y)                       \
    do {                                                              \
        int32_t o_, i_;                                               \
        for (o_ = 0; o_ < (outer); ++o_) {                            \
            int32_t best_ = 0;                                        \
            for (i_ = 1; i_ < (k); ++i_) {                            \
                if ((x)[i_] > (x)[best_]) {                           \
                    best_ = i_;                                       \
                }                                                     \
            }                                                         \
            (y)[o_] = (labels) != NULL ? (labels)[best_] : best_;     \
            (x) += (k);                                               \
        }                                                             \
    } while (0)

#endif /* EC_SELECT_H */
