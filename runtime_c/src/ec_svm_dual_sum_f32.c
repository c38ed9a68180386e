/* edgec runtime: single-output kernel SVM (SVR, OneClassSVM): sum_v coef[v] * K(x, sv_v) + b,
 * kernel values and sum in double from float32 operands. The support vectors come packed in
 * blocks of EC_SVM_BLOCK ([n_features][width] each): a block's vectors get their feature sums side
 * by side (independent chains, each in feature order), then their kernel values are added to the
 * total in vector order, as one vector at a time would. */
#include <math.h>

#include "ec_svm.h"

EC_SVM_DEFINE_BLOCK_SUMS(dual_block, double)

void ec_svm_dual_sum_f32(const ec_svm_dual_params *p, const float *x, int32_t n_samples, const float *sv_packed,
                         const float *coef, const float *intercept, float *y)
{
    const int32_t nf = p->n_features;
    const int32_t rbf = p->kind == EC_SVM_RBF;
    const double neg_gamma = -p->gamma;
    double sums[EC_SVM_BLOCK];
    int32_t s, n0, j;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)nf;
        double acc = 0.0;
        for (n0 = 0; n0 < p->n_sv; n0 += EC_SVM_BLOCK) {
            const int32_t width = p->n_sv - n0 < EC_SVM_BLOCK ? p->n_sv - n0 : EC_SVM_BLOCK;
            dual_block(xs, sv_packed + (size_t)n0 * (size_t)nf, nf, width, rbf, sums);
            for (j = 0; j < width; ++j) {
                acc += (double)coef[n0 + j] * (rbf ? exp(neg_gamma * sums[j]) : ec_svm_apply_f64(p, sums[j]));
            }
        }
        y[s] = (float)(acc + (intercept != NULL ? (double)intercept[0] : 0.0));
    }
}
