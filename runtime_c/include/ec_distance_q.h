/* edgec runtime: integer weighted distances of the int16/int8 modes of classical models. */
#ifndef EC_DISTANCE_Q_H
#define EC_DISTANCE_Q_H

#include "ec_types.h"

/* acc[c] = bias[c] +/- sum_f weight[c or 0][f] * t(q[f] - centers[c][f]), t = d*d or |d|, exact
 * in int64 (weights are bounded at compile time); y[c] = floor(acc / 2^shift) saturated to int32. */
#define EC_SQ_DISTANCE_Q_FIELDS        \
    int32_t n_features;                \
    int32_t n_centers;                 \
    int32_t per_center_weight;         \
    int32_t absolute;                  \
    int32_t negate;                    \
    int32_t shift;                     \
    const int32_t *centers;            \
    const int32_t *weight;             \
    const int64_t *bias;

typedef struct { EC_SQ_DISTANCE_Q_FIELDS } ec_sq_distance_s16_params;
typedef struct { EC_SQ_DISTANCE_Q_FIELDS } ec_sq_distance_s8_params;

void ec_sq_distance_s16(const ec_sq_distance_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y);
void ec_sq_distance_s8(const ec_sq_distance_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y);

#endif /* EC_DISTANCE_Q_H */
