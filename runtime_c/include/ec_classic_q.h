/* edgec runtime: the integer kernels of classical models (int16/int8 modes). */
#ifndef EC_CLASSIC_Q_H
#define EC_CLASSIC_Q_H

#include "ec_types.h"

/* Per-feature quantization (the one float step, at the input):
 * q[f] = clamp(roundf(x[f] / scale[f]) + zero_point[f], min + 1, max); NaN -> min (the missing code). */
typedef struct {
    int32_t n_features;
    const float *scale;
    const int32_t *zero_point;
} ec_feature_quant_params;

void ec_feature_quantize_s16(const ec_feature_quant_params *p, const float *x, int32_t n_samples, int16_t *q);
void ec_feature_quantize_s8(const ec_feature_quant_params *p, const float *x, int32_t n_samples, int8_t *q);

/* Per-feature codes for integer trees: q[f] = min + 1 + the number of feature f's edges (its
 * distinct tree thresholds, edges[offsets[f] .. offsets[f + 1]), increasing) below x[f]; NaN -> min.
 * A node with edge k tests q <= min + 1 + k, exactly the float test x <= edge. */
typedef struct {
    int32_t n_features;
    const float *edges;
    const int32_t *offsets;
} ec_feature_bucketize_params;

void ec_feature_bucketize_s16(const ec_feature_bucketize_params *p, const float *x, int32_t n_samples, int16_t *q);
void ec_feature_bucketize_s8(const ec_feature_bucketize_params *p, const float *x, int32_t n_samples, int8_t *q);

/* Tree tables over integer features: internal node i goes left when q[feature[i]] <= threshold[i]
 * (the missing code only at missing_left nodes); y = base + sum of the reached int16 leaves (int32). */
#define EC_TREE_TABLE_Q_FIELDS(T)      \
    int32_t n_trees;                   \
    int32_t n_targets;                 \
    const int32_t *roots;              \
    const int32_t *feature;            \
    const T *threshold;                \
    const int32_t *left;               \
    const int32_t *right;              \
    const uint8_t *missing_left;       \
    const int32_t *leaf;               \
    const int16_t *leaf_values;        \
    const int32_t *base;

typedef struct { EC_TREE_TABLE_Q_FIELDS(int16_t) } ec_tree_table_s16_params;
typedef struct { EC_TREE_TABLE_Q_FIELDS(int8_t) } ec_tree_table_s8_params;

void ec_tree_ensemble_s16(const ec_tree_table_s16_params *p, const int16_t *q, int32_t n_samples,
                          int32_t n_features, int32_t *y);
void ec_tree_ensemble_s8(const ec_tree_table_s8_params *p, const int8_t *q, int32_t n_samples,
                         int32_t n_features, int32_t *y);

/* floor(acc / 2^shift) saturated to int32, without the implementation-defined >> of negative
 * values: the integer scores' last step (linear layers, distances). */
static inline int32_t ec_floor_shift_s32(int64_t acc, int32_t shift)
{
    const int64_t v = acc >= 0 ? acc >> shift : -((-(acc + 1)) >> shift) - 1;
    if (v > (int64_t)INT32_MAX) {
        return INT32_MAX;
    }
    return v < (int64_t)INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* y[o] = floor((bias[o] + sum_f weight[o][f] * q[f]) / 2^shift), accumulated in int64. */
typedef struct {
    int32_t n_in;
    int32_t n_out;
    int32_t shift;
    const int16_t *weight;
    const int64_t *bias;
} ec_linear_s16_params;

typedef struct {
    int32_t n_in;
    int32_t n_out;
    int32_t shift;
    const int8_t *weight;
    const int64_t *bias;
} ec_linear_s8_params;

void ec_linear_s16(const ec_linear_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y);
void ec_linear_s8(const ec_linear_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y);

/* y = (float)x * scale: int32 scores to floats where a float output is wanted. */
void ec_scale_s32(const int32_t *x, int32_t n, float scale, float *y);

#endif /* EC_CLASSIC_Q_H */
