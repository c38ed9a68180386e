/* edgec runtime: GaussianNB over 8 to EC_GNB_BLOCK features: numpy's 8 interleaved partial sums
 * (see ec_gnb.h). */
#include "ec_gnb.h"

void ec_gnb_block_f32(const ec_gnb_f32_params *p, const float *x, float *y)
{
    const int32_t n = p->n_features;
    const float *th = p->theta, *var = p->var;
    int32_t c;
    for (c = 0; c < p->n_classes; ++c) {
        float res = 0.0f;
        EC_GNB_BLOCK_SUM(res, x, th, var, n);
        y[c] = p->log_prior[c] + (p->norm[c] - 0.5f * res);
        th += n;
        var += n;
    }
}
