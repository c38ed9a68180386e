/* edgec runtime: int8 2-D max pooling over NHWC (see ec_pool_s8.h). The innermost loop runs over
 * the channels of one tap, contiguous in x and y (Helium: 16 per step). */
#include "ec_pool_s8.h"

/* y[0..c) = max(y, xp) channel by channel. */
static void max_into(int8_t *y, const int8_t *xp, int32_t c)
{
    int32_t ch;
#if defined(EC_POOL_MVE)
    for (ch = 0; ch < c; ch += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(c - ch));
        vstrbq_p_s8(y + ch, vmaxq_s8(vldrbq_z_s8(y + ch, pr), vldrbq_z_s8(xp + ch, pr)), pr);
    }
#else
    for (ch = 0; ch < c; ++ch) {
        y[ch] = xp[ch] > y[ch] ? xp[ch] : y[ch];
    }
#endif
}

/* y[0..c) = v; then clamped to [lo, hi] by clamp_row. */
static void fill_row(int8_t *y, int8_t v, int32_t c)
{
    int32_t ch;
#if defined(EC_POOL_MVE)
    for (ch = 0; ch < c; ch += 16) {
        vstrbq_p_s8(y + ch, vdupq_n_s8(v), vctp8q((uint32_t)(c - ch)));
    }
#else
    for (ch = 0; ch < c; ++ch) {
        y[ch] = v;
    }
#endif
}

static void clamp_row(int8_t *y, int32_t lo, int32_t hi, int32_t c)
{
    int32_t ch;
#if defined(EC_POOL_MVE)
    for (ch = 0; ch < c; ch += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(c - ch));
        const int8x16_t v = vmaxq_s8(vldrbq_z_s8(y + ch, pr), vdupq_n_s8((int8_t)lo));
        vstrbq_p_s8(y + ch, vminq_s8(v, vdupq_n_s8((int8_t)hi)), pr);
    }
#else
    for (ch = 0; ch < c; ++ch) {
        const int32_t v = y[ch];
        y[ch] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
#endif
}

void ec_max_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t c = p->c;
    int32_t b, oy, ox, i, j;
    for (b = 0; b < p->n; ++b) {
        const int8_t *xb = x + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * p->stride[0] - p->pad[0];
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ws = ox * p->stride[1] - p->pad[1];
                fill_row(y, INT8_MIN, c);
                for (i = 0; i < p->kernel[0]; ++i) {
                    const int32_t ih = hs + i * p->dilation[0];
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (j = 0; j < p->kernel[1]; ++j) {
                        const int32_t iw = ws + j * p->dilation[1];
                        const int8_t *xp;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        xp = xb + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)c;
                        max_into(y, xp, c);
                    }
                }
                clamp_row(y, p->act_min, p->act_max, c);
                y += c;
            }
        }
    }
}
