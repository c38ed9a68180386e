/* edgec runtime: one-vs-one decision values of a kernel SVC with kernel values and sums in double,
 * for models whose dual sums cancel too much for float32 (see edgec/ops/svm.py). */
#include "ec_svm.h"

void ec_svm_ovo_dual_f32(const ec_svm_dual_params *p, const int32_t *start, int32_t n_classes, const float *x,
                         int32_t n_samples, const float *sv, const float *coef, const float *intercept,
                         void *scratch, float *dec)
{
    const int32_t n_pairs = n_classes * (n_classes - 1) / 2;
    double *acc = (double *)scratch;
    int32_t s, v, c, i, j, q;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)p->n_features;
        for (q = 0; q < n_pairs; ++q) {
            acc[q] = 0.0;
        }
        c = 0;
        for (v = 0; v < p->n_sv; ++v) {
            double kv;
            while (v >= start[c + 1]) {
                ++c;
            }
            kv = ec_svm_kernel_f64(p, xs, sv + (size_t)v * (size_t)p->n_features);
            /* pair (i, c), i < c: weighted by coef row i; pair (c, j), j > c: by coef row j - 1.
             * v ascending adds class i's terms before class j's, libsvm's order. */
            for (i = 0; i < c; ++i) {
                q = i * (2 * n_classes - i - 1) / 2 + (c - i - 1);
                acc[q] += (double)coef[(size_t)i * (size_t)p->n_sv + v] * kv;
            }
            for (j = c + 1; j < n_classes; ++j) {
                q = c * (2 * n_classes - c - 1) / 2 + (j - c - 1);
                acc[q] += (double)coef[(size_t)(j - 1) * (size_t)p->n_sv + v] * kv;
            }
        }
        for (q = 0; q < n_pairs; ++q) {
            dec[(size_t)s * (size_t)n_pairs + q] = (float)(acc[q] + (double)intercept[q]);
        }
    }
}
