/* edgec runtime: one-vs-one decision values of a multiclass SVM (libsvm's svm_predict_values). */
#include "ec_svm.h"

void ec_svm_ovo_decision_f32(const ec_svm_ovo_params *p, const float *k, int32_t n_samples, const float *coef,
                             const float *intercept, float *dec)
{
    const int32_t c = p->n_classes;
    const int32_t n_pairs = c * (c - 1) / 2;
    int32_t s, i, j, v, pair;
    for (s = 0; s < n_samples; ++s) {
        const float *ks = k + (size_t)s * (size_t)p->n_sv;
        float *ds = dec + (size_t)s * (size_t)n_pairs;
        pair = 0;
        for (i = 0; i < c; ++i) {
            for (j = i + 1; j < c; ++j) {
                const float *coef1 = coef + (size_t)(j - 1) * (size_t)p->n_sv;
                const float *coef2 = coef + (size_t)i * (size_t)p->n_sv;
                float sum = 0.0f;
                for (v = p->start[i]; v < p->start[i + 1]; ++v) {
                    sum += coef1[v] * ks[v];
                }
                for (v = p->start[j]; v < p->start[j + 1]; ++v) {
                    sum += coef2[v] * ks[v];
                }
                ds[pair] = sum + intercept[pair];
                ++pair;
            }
        }
    }
}
