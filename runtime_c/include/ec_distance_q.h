/* edgec runtime: integer weighted distances of the int16/int8 modes of classical models. */
#ifndef EC_DISTANCE_Q_H
#define EC_DISTANCE_Q_H

#include "ec_classic_q.h"

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

/* k nearest training rows by sum_f weight[f] * t(q[f] - train[r][f]) (int64), kept sorted by
 * (distance, row); y = votes per class (labels) or the sum of the k rows' targets (int32).
 * scratch: k int64 distances then k int32 rows. */
#define EC_KNN_Q_FIELDS(T)             \
    int32_t n_rows;                    \
    int32_t n_features;                \
    int32_t k;                         \
    int32_t n_outputs;                 \
    int32_t absolute;                  \
    const T *train;                    \
    const int32_t *weight;             \
    const int32_t *labels;             \
    const int32_t *targets;

typedef struct { EC_KNN_Q_FIELDS(int16_t) } ec_knn_s16_params;
typedef struct { EC_KNN_Q_FIELDS(int8_t) } ec_knn_s8_params;

void ec_knn_s16(const ec_knn_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y, void *scratch);
void ec_knn_s8(const ec_knn_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y, void *scratch);

#endif /* EC_DISTANCE_Q_H */
