/* edgec runtime: single-output kernel SVM (SVR, OneClassSVM): sum_v coef[v] * K(x, sv_v) + b,
 * kernel values and sum in double from float32 operands. */
#include "ec_svm.h"

void ec_svm_dual_sum_f32(const ec_svm_dual_params *p, const float *x, int32_t n_samples, const float *sv,
                         const float *coef, const float *intercept, float *y)
{
    int32_t s, v;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)p->n_features;
        double acc = 0.0;
        for (v = 0; v < p->n_sv; ++v) {
            acc += (double)coef[v] * ec_svm_kernel_f64(p, xs, sv + (size_t)v * (size_t)p->n_features);
        }
        y[s] = (float)(acc + (intercept != NULL ? (double)intercept[0] : 0.0));
    }
}
