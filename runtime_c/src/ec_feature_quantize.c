/* edgec runtime: per-feature float -> int16/int8 quantization with a code for NaN. */
#include <math.h>

#include "ec_classic_q.h"

static int32_t ec_fq_one(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi)
{
    float r, lo_r, hi_r;
    int32_t q;
    if (x != x) {
        return lo;
    }
    /* clamp before converting: the bounds are integers below 2^23, exact in float */
    r = roundf(x / scale);
    lo_r = (float)(lo + 1 - zero_point);
    hi_r = (float)(hi - zero_point);
    r = r < lo_r ? lo_r : (r > hi_r ? hi_r : r);
    q = (int32_t)r + zero_point;
    return q;
}

void ec_feature_quantize_s16(const ec_feature_quant_params *p, const float *x, int32_t n_samples, int16_t *q)
{
    int32_t s, f;
    for (s = 0; s < n_samples; ++s) {
        for (f = 0; f < p->n_features; ++f) {
            *q++ = (int16_t)ec_fq_one(*x++, p->scale[f], p->zero_point[f], -32768, 32767);
        }
    }
}

void ec_feature_quantize_s8(const ec_feature_quant_params *p, const float *x, int32_t n_samples, int8_t *q)
{
    int32_t s, f;
    for (s = 0; s < n_samples; ++s) {
        for (f = 0; f < p->n_features; ++f) {
            *q++ = (int8_t)ec_fq_one(*x++, p->scale[f], p->zero_point[f], -128, 127);
        }
    }
}
