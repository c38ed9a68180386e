/* edgec runtime: local response normalisation across channels over NHWC (see ec_pool.h). */
#include <math.h>

#include "ec_pool.h"

void ec_lrn_f32(const ec_lrn_params *p, const float *x, float *y)
{
    const int32_t c = p->c;
    int32_t o, ch, t;
    for (o = 0; o < p->outer; ++o) {
        const float *xp = x + (size_t)o * (size_t)c;
        float *yp = y + (size_t)o * (size_t)c;
        for (ch = 0; ch < c; ++ch) {
            const int32_t lo = ch - p->before < 0 ? 0 : ch - p->before;
            const int32_t hi = ch + p->after >= c ? c - 1 : ch + p->after;
            float s = 0.0f;
            for (t = lo; t <= hi; ++t) {
                s += xp[t] * xp[t];
            }
            yp[ch] = xp[ch] / powf(p->bias + p->alpha_over_size * s, p->beta);
        }
    }
}
