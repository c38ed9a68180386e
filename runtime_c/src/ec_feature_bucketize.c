/* edgec runtime: per-feature codes for integer trees, by binary search over each feature's
 * sorted tree thresholds (see ec_classic_q.h). */
#include "ec_classic_q.h"

/* lo + 1 + the number of edges below x; NaN -> lo (the missing code). */
static int32_t ec_fb_one(float x, const float *e, int32_t n, int32_t lo)
{
    int32_t a = 0, b = n;
    if (x != x) {
        return lo;
    }
    while (a < b) {
        const int32_t m = a + (b - a) / 2;
        if (e[m] < x) {
            a = m + 1;
        } else {
            b = m;
        }
    }
    return lo + 1 + a;
}

#define EC_FB_BODY(T, LO)                                                                  \
    int32_t s, f;                                                                          \
    for (s = 0; s < n_samples; ++s) {                                                      \
        for (f = 0; f < p->n_features; ++f) {                                              \
            const int32_t o = p->offsets[f];                                               \
            *q++ = (T)ec_fb_one(*x++, p->edges + o, p->offsets[f + 1] - o, (LO));          \
        }                                                                                  \
    }

void ec_feature_bucketize_s16(const ec_feature_bucketize_params *p, const float *x, int32_t n_samples, int16_t *q)
{
    EC_FB_BODY(int16_t, -32768)
}

void ec_feature_bucketize_s8(const ec_feature_bucketize_params *p, const float *x, int32_t n_samples, int8_t *q)
{
    EC_FB_BODY(int8_t, -128)
}
