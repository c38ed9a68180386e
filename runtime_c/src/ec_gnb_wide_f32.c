/* edgec runtime: GaussianNB over more than EC_GNB_BLOCK features: numpy's recursive halving of the
 * feature range (pairwise summation) as a loop with an explicit stack of pending right halves. */
#include "ec_gnb.h"

/* The block rule over features [start, start + n) of one class's theta and var rows. */
static float range_sum(const float *x, const float *th, const float *var, int32_t start, int32_t n)
{
    float res = 0.0f;
    EC_GNB_BLOCK_SUM(res, x + start, th + start, var + start, n);
    return res;
}

/* numpy's pairwise sum over features [0, n_features). */
static float wide_sum(const float *x, const float *th, const float *var, int32_t n_features)
{
    int32_t right_start[32], right_n[32], pending[32];
    float left[32];
    int32_t depth = 0, start = 0, n = n_features;
    float ret;
    for (;;) {
        while (n > EC_GNB_BLOCK) {             /* descend into the left half, remember the right */
            const int32_t half = n / 2 - (n / 2) % 8;
            right_start[depth] = start + half;
            right_n[depth] = n - half;
            pending[depth] = 1;
            ++depth;
            n = half;
        }
        ret = range_sum(x, th, var, start, n);
        for (;;) {                             /* climb: a finished left half starts its right */
            if (depth == 0) {
                return ret;
            }
            if (pending[depth - 1]) {
                pending[depth - 1] = 0;
                left[depth - 1] = ret;
                start = right_start[depth - 1];
                n = right_n[depth - 1];
                break;
            }
            --depth;
            ret = left[depth] + ret;
        }
    }
}

void ec_gnb_wide_f32(const ec_gnb_f32_params *p, const float *x, float *y)
{
    const int32_t n = p->n_features;
    int32_t c;
    for (c = 0; c < p->n_classes; ++c) {
        const size_t row = (size_t)c * (size_t)n;
        y[c] = p->log_prior[c] + (p->norm[c] - 0.5f * wide_sum(x, p->theta + row, p->var + row, n));
    }
}
