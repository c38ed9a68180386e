/* edgec runtime: GaussianNB's joint log likelihood with scikit-learn's float32 arithmetic. */
#ifndef EC_GNB_H
#define EC_GNB_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* theta, var: [n_classes][n_features]; log_prior, norm: [n_classes] (norm: -0.5 sum log(2 pi var)). */
typedef struct {
    int32_t n_classes;
    int32_t n_features;
    const float *theta;
    const float *var;
    const float *log_prior;
    const float *norm;
} ec_gnb_f32_params;

/* numpy's longest range summed as one block; longer ones are split in halves. */
#define EC_GNB_BLOCK 128

/* y[c] = log_prior[c] + (norm[c] - 0.5f * S(c)) for one row x, S(c) the sum over the features f of
 * (x[f] - theta[c][f])^2 / var[c][f] in numpy's (pairwise) order: ranges under 8 terms one by one
 * from 0; up to EC_GNB_BLOCK terms with 8 interleaved partial sums over the multiple of 8,
 * combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest one by one; longer
 * ranges split in halves (the first a multiple of 8), summed apart, added. One kernel per case, so
 * a model links only the one its feature count needs. */
void ec_gnb_seq_f32(const ec_gnb_f32_params *p, const float *x, float *y);   /* n_features < 8 */
void ec_gnb_block_f32(const ec_gnb_f32_params *p, const float *x, float *y); /* <= EC_GNB_BLOCK */
void ec_gnb_wide_f32(const ec_gnb_f32_params *p, const float *x, float *y);  /* any */

/* RES = the block rule's sum over N <= EC_GNB_BLOCK terms (X[i] - TH[i])^2 / VAR[i]. */
#define EC_GNB_BLOCK_SUM(RES, X, TH, VAR, N)                                                   \
    do {                                                                                       \
        const int32_t m_ = (N) < 8 ? 0 : (N) - (N) % 8;                                        \
        float r_[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};                        \
        int32_t i_;                                                                            \
        for (i_ = 0;; ++i_) {                                                                  \
            float d_;                                                                          \
            if (i_ == m_) { /* the partial sums are complete (all 0 when N < 8) */             \
                RES = ((r_[0] + r_[1]) + (r_[2] + r_[3])) + ((r_[4] + r_[5]) + (r_[6] + r_[7])); \
            }                                                                                  \
            if (i_ == (N)) {                                                                   \
                break;                                                                         \
            }                                                                                  \
            d_ = (X)[i_] - (TH)[i_];                                                           \
            d_ = d_ * d_ / (VAR)[i_];                                                          \
            if (i_ < m_) {                                                                     \
                r_[i_ & 7] += d_;                                                              \
            } else {                                                                           \
                RES += d_;                                                                     \
            }                                                                                  \
        }                                                                                      \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* EC_GNB_H */
