/* edgec runtime: single-output kernel SVM (SVR, OneClassSVM): sum_v coef[v] * K(x, sv_v) + b,
 * kernel values and sum in double from float32 operands (float32 products are exact in double). */
#include <math.h>

#include "ec_svm.h"

static double dual_powi(double base, int32_t times)
{
    double tmp = base, ret = 1.0;
    int32_t t;
    for (t = times; t > 0; t /= 2) {
        if (t % 2 == 1) {
            ret *= tmp;
        }
        tmp = tmp * tmp;
    }
    return ret;
}

static double dual_kernel(const ec_svm_dual_params *p, const float *x, const float *sv)
{
    const double gamma = p->gamma, coef0 = p->coef0;
    double sum = 0.0;
    int32_t f;
    if (p->kind == EC_SVM_RBF) {
        for (f = 0; f < p->n_features; ++f) {
            const double d = (double)x[f] - (double)sv[f];
            sum += d * d;
        }
        return exp(-gamma * sum);
    }
    for (f = 0; f < p->n_features; ++f) {
        sum += (double)x[f] * (double)sv[f];
    }
    switch (p->kind) {
    case EC_SVM_POLY:
        return dual_powi(gamma * sum + coef0, p->degree);
    case EC_SVM_SIGMOID:
        return tanh(gamma * sum + coef0);
    default:
        return sum;
    }
}

void ec_svm_dual_sum_f32(const ec_svm_dual_params *p, const float *x, int32_t n_samples, const float *sv,
                         const float *coef, const float *intercept, float *y)
{
    int32_t s, v;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)p->n_features;
        double acc = 0.0;
        for (v = 0; v < p->n_sv; ++v) {
            acc += (double)coef[v] * dual_kernel(p, xs, sv + (size_t)v * (size_t)p->n_features);
        }
        y[s] = (float)(acc + (intercept != NULL ? (double)intercept[0] : 0.0));
    }
}
