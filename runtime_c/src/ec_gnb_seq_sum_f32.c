/* edgec runtime: GaussianNB's feature sum under 8 features: numpy adds them one by one. */
#include "ec_gnb.h"

float ec_gnb_seq_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c)
{
    const int32_t n = p->n_features;
    const float *th = p->theta + (size_t)c * (size_t)n, *var = p->var + (size_t)c * (size_t)n;
    float res = 0.0f;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const float d = x[i] - th[i];
        res += d * d / var[i];
    }
    return res;
}
