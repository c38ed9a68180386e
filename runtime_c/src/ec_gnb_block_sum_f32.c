/* edgec runtime: GaussianNB's feature sum over at most EC_GNB_BLOCK features: numpy's 8 interleaved
 * partial sums (see ec_gnb.h). */
#include "ec_gnb.h"

float ec_gnb_range_f32(const ec_gnb_f32_params *p, const float *x, int32_t c, int32_t start, int32_t n)
{
    const size_t row = (size_t)c * (size_t)p->n_features + (size_t)start;
    const float *th = p->theta + row, *var = p->var + row;
    const int32_t m = n < 8 ? 0 : n - n % 8;
    float r[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    float res = 0.0f;
    int32_t i;
    x += start;
    for (i = 0;; ++i) {
        float d;
        if (i == m) { /* the 8 partial sums are complete (all 0 when n < 8) */
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        }
        if (i == n) {
            return res;
        }
        d = x[i] - th[i];
        d = d * d / var[i];
        if (i < m) {
            r[i & 7] += d;
        } else {
            res += d;
        }
    }
}

float ec_gnb_block_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c)
{
    return ec_gnb_range_f32(p, x, c, 0, p->n_features);
}
