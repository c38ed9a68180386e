/* edgec runtime: GaussianNB's joint log likelihood with scikit-learn's float32 arithmetic. */
#ifndef EC_GNB_H
#define EC_GNB_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ec_gnb_f32_params;

/* S(c) = sum over all features f of (x[f] - theta[c][f])^2 / var[c][f] in numpy's (pairwise) order:
 * ranges under 8 terms one by one from 0; up to EC_GNB_BLOCK terms with 8 interleaved partial sums
 * over the multiple of 8, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the
 * rest one by one; longer ranges split in halves (the first a multiple of 8), summed apart, added.
 * One function per case, so a model links only the one its feature count needs. */
typedef float (*ec_gnb_sum_fn)(const struct ec_gnb_f32_params *p, const float *x, int32_t c);

/* theta, var: [n_classes][n_features]; log_prior, norm: [n_classes] (norm: -0.5 sum log(2 pi var)). */
typedef struct ec_gnb_f32_params {
    int32_t n_classes;
    int32_t n_features;
    const float *theta;
    const float *var;
    const float *log_prior;
    const float *norm;
    ec_gnb_sum_fn sum; /* for the feature count: ec_gnb_seq_sum_f32, _block_ or _wide_ */
} ec_gnb_f32_params;

/* numpy's longest range summed as one block; longer ones are split in halves. */
#define EC_GNB_BLOCK 128

float ec_gnb_seq_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c);   /* n_features < 8 */
float ec_gnb_block_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c); /* <= EC_GNB_BLOCK */
float ec_gnb_wide_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c);  /* any */

/* The block rule over features [start, start + n) of class c, n <= EC_GNB_BLOCK. */
float ec_gnb_range_f32(const ec_gnb_f32_params *p, const float *x, int32_t c, int32_t start, int32_t n);

/* y[s][c] = log_prior[c] + (norm[c] - 0.5f * S(c)) for each of n_samples rows of x. */
void ec_gnb_f32(const ec_gnb_f32_params *p, const float *x, int32_t n_samples, float *y);

#ifdef __cplusplus
}
#endif

#endif /* EC_GNB_H */
