/* edgec runtime: GaussianNB's joint log likelihood (see ec_gnb.h). */
#include "ec_gnb.h"

void ec_gnb_f32(const ec_gnb_f32_params *p, const float *x, int32_t n_samples, float *y)
{
    int32_t s, c;
    for (s = 0; s < n_samples; ++s) {
        for (c = 0; c < p->n_classes; ++c) {
            const float half = 0.5f * p->sum(p, x, c);
            *y++ = p->log_prior[c] + (p->norm[c] - half);
        }
        x += p->n_features;
    }
}
