/* edgec runtime: kernel values of a sample against every support vector (libsvm's k_function).
 *
 * Support vectors come packed in blocks of EC_SVM_BLOCK, each stored [n_features][width], so the
 * innermost loop runs over a block's independent support vectors (it vectorises) while each
 * vector's sum over features keeps its sequential order. */
#include <math.h>

#include "ec_svm.h"

/* libsvm's powi: base ** times by repeated squaring. */
static float svm_powi(float base, int32_t times)
{
    float tmp = base, ret = 1.0f;
    int32_t t;
    for (t = times; t > 0; t /= 2) {
        if (t % 2 == 1) {
            ret *= tmp;
        }
        tmp = tmp * tmp;
    }
    return ret;
}

/* The block's feature sums (see EC_SVM_BLOCK_SUMS). */
EC_SVM_DEFINE_BLOCK_SUMS(svm_block, float)

void ec_svm_kernel_f32(const ec_svm_kernel_params *p, const float *x, int32_t n_samples, const float *sv_packed,
                       float *k)
{
    const int32_t f = p->n_features;
    const float neg_gamma = -p->gamma;
    float acc[EC_SVM_BLOCK];
    int32_t s, n0, j;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)f;
        float *ks = k + (size_t)s * (size_t)p->n_sv;
        for (n0 = 0; n0 < p->n_sv; n0 += EC_SVM_BLOCK) {
            const int32_t width = p->n_sv - n0 < EC_SVM_BLOCK ? p->n_sv - n0 : EC_SVM_BLOCK;
            svm_block(xs, sv_packed + (size_t)n0 * (size_t)f, f, width, p->kind == EC_SVM_RBF, acc);
            if (p->kind == EC_SVM_RBF) {
                for (j = 0; j < width; ++j) {
                    ks[n0 + j] = expf(neg_gamma * acc[j]);
                }
                continue;
            }
            for (j = 0; j < width; ++j) {
                switch (p->kind) {
                case EC_SVM_POLY:
                    ks[n0 + j] = svm_powi(p->gamma * acc[j] + p->coef0, p->degree);
                    break;
                case EC_SVM_SIGMOID:
                    ks[n0 + j] = tanhf(p->gamma * acc[j] + p->coef0);
                    break;
                default:
                    ks[n0 + j] = acc[j];
                    break;
                }
            }
        }
    }
}
