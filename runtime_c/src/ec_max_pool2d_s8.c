/* edgec runtime: int8 2-D max pooling over NHWC (see ec_pool_s8.h). The innermost loop runs over
 * the channels of one tap, contiguous in x and y (Helium: max_pool_mve). */
#include "ec_pool_s8.h"

#if defined(EC_POOL_MVE)
/* Helium: sixteen channels of one output at a time, their running maximum in a register over the
 * window's taps, clamped and stored once (the layer's numbers in locals: the stores into y may
 * alias *p). */
static void max_pool_mve(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t c = p->c, in_h = p->in_h, in_w = p->in_w, kh = p->kernel[0], kw = p->kernel[1];
    const int32_t sh = p->stride[0], sw = p->stride[1], dh = p->dilation[0], dw = p->dilation[1];
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    const size_t row = (size_t)in_w * (size_t)c;
    int32_t b, oy, ox, i, j, c0;
    for (b = 0; b < p->n; ++b) {
        const int8_t *xb = x + (size_t)b * (size_t)in_h * row;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * sh - p->pad[0];
            for (ox = 0; ox < p->out_w; ++ox, y += c) {
                const int32_t ws = ox * sw - p->pad[1];
                for (c0 = 0; c0 < c; c0 += 16) {
                    const mve_pred16_t pr = vctp8q((uint32_t)(c - c0));
                    int8x16_t m = vdupq_n_s8(INT8_MIN);
                    for (i = 0; i < kh; ++i) {
                        const int32_t ih = hs + i * dh;
                        if (ih < 0 || ih >= in_h) {
                            continue;
                        }
                        for (j = 0; j < kw; ++j) {
                            const int32_t iw = ws + j * dw;
                            if (iw >= 0 && iw < in_w) {
                                m = vmaxq_s8(m, vldrbq_z_s8(xb + (size_t)ih * row + (size_t)iw * (size_t)c + c0, pr));
                            }
                        }
                    }
                    vstrbq_p_s8(y + c0, vminq_s8(vmaxq_s8(m, lo), hi), pr);
                }
            }
        }
    }
}
#endif

void ec_max_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t c = p->c;
    int32_t b, oy, ox, i, j, ch;
#if defined(EC_POOL_MVE)
    max_pool_mve(p, x, y);
    return;
#endif
    for (b = 0; b < p->n; ++b) {
        const int8_t *xb = x + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * p->stride[0] - p->pad[0];
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ws = ox * p->stride[1] - p->pad[1];
                for (ch = 0; ch < c; ++ch) {
                    y[ch] = INT8_MIN;
                }
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
                        for (ch = 0; ch < c; ++ch) {
                            y[ch] = xp[ch] > y[ch] ? xp[ch] : y[ch];
                        }
                    }
                }
                for (ch = 0; ch < c; ++ch) {
                    const int32_t v = y[ch];
                    y[ch] = (int8_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
                }
                y += c;
            }
        }
    }
}
