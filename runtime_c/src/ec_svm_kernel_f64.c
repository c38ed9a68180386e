/* edgec runtime: one kernel value in double from float32 operands (libsvm's k_function; float32
 * products and differences are exact in double, so only the sums and exp/tanh round). */
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

double ec_svm_apply_f64(const ec_svm_dual_params *p, double sum)
{
    switch (p->kind) {
    case EC_SVM_RBF:
        return exp(-p->gamma * sum);
    case EC_SVM_POLY:
        return dual_powi(p->gamma * sum + p->coef0, p->degree);
    case EC_SVM_SIGMOID:
        return tanh(p->gamma * sum + p->coef0);
    default:
        return sum;
    }
}

double ec_svm_kernel_f64(const ec_svm_dual_params *p, const float *x, const float *sv)
{
    double sum = 0.0;
    int32_t f;
    if (p->kind == EC_SVM_RBF) {
        for (f = 0; f < p->n_features; ++f) {
            const double d = (double)x[f] - (double)sv[f];
            sum += d * d;
        }
    } else {
        for (f = 0; f < p->n_features; ++f) {
            sum += (double)x[f] * (double)sv[f];
        }
    }
    return ec_svm_apply_f64(p, sum);
}
