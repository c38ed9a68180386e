/* edgec runtime: GaussianNB under 8 features: numpy adds their terms one by one (see ec_gnb.h). */
#include "ec_gnb.h"

void ec_gnb_seq_f32(const ec_gnb_f32_params *p, const float *x, float *y)
{
    const int32_t n = p->n_features;
    const float *th = p->theta, *var = p->var;
    int32_t c, i;
    for (c = 0; c < p->n_classes; ++c) {
        float res = 0.0f;
        for (i = 0; i < n; ++i) {
            const float d = x[i] - th[i];
            res += d * d / var[i];
        }
        y[c] = p->log_prior[c] + (p->norm[c] - 0.5f * res);
        th += n;
        var += n;
    }
}
