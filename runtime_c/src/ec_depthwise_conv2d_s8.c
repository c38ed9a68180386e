/* edgec runtime: int8 depthwise 2-D convolution, NHWC, weights [k_h][k_w][out_c] (see ec_conv_s8.h).
 *
 * Each output pixel is computed CH_BLOCK output channels at a time in an int32 accumulator block:
 * it starts from the bias, every in-image tap adds (x + input_offset) * w with a loop over the
 * contiguous channels (fixed-length blocks of 16 that vectorise; taps in the padding are skipped
 * as in TFLite), then the block is requantized per channel. Stack use: 256 bytes. */
#include "ec_conv_s8.h"
#include "ec_fixedpoint.h"

#define CH_BLOCK 64   /* multiple of 16 */

/* acc[0..n) += (x[j] + off) * w[j]: channel multiplier 1. */
static void tap_same(const int8_t *x, const int8_t *w, int32_t off, int32_t n, int32_t *acc)
{
    int32_t c = 0, k;
    for (; c + 16 <= n; c += 16) {
        for (k = 0; k < 16; ++k) {
            acc[c + k] += (int32_t)(int16_t)(x[c + k] + off) * w[c + k];
        }
    }
    for (; c < n; ++c) {
        acc[c] += ((int32_t)x[c] + off) * w[c];
    }
}

/* acc[0..n) += (x[(oc0 + j) / mult] + off) * w[j]: output channels oc0.. with multiplier mult;
 * x is the pixel's first input channel. */
static void tap_mult(const int8_t *x, const int8_t *w, int32_t off, int32_t oc0, int32_t n, int32_t mult,
                     int32_t *acc)
{
    int32_t c = oc0 / mult, m = oc0 % mult, j;
    for (j = 0; j < n; ++j) {
        acc[j] += ((int32_t)x[c] + off) * w[j];
        if (++m == mult) {
            m = 0;
            ++c;
        }
    }
}

/* Output channels [oc0, oc0 + n) of the pixel (oh, ow) of image x_img into y (the pixel's start). */
static void dw_block(const ec_conv2d_s8_params *p, const int8_t *x_img, const int8_t *w, const int32_t *bias,
                     const int32_t *multiplier, const int32_t *shift, int32_t oh, int32_t ow, int32_t oc0,
                     int32_t n, int8_t *y)
{
    const int32_t mult = p->out_c / p->in_c;
    int32_t acc[CH_BLOCK];
    int32_t kh, kw, j;
    for (j = 0; j < n; ++j) {
        acc[j] = bias != NULL ? bias[oc0 + j] : 0;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
        if (ih < 0 || ih >= p->in_h) {
            continue;
        }
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
            const int8_t *xp, *wp;
            if (iw < 0 || iw >= p->in_w) {
                continue;
            }
            xp = x_img + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c;
            wp = w + (size_t)(kh * p->k_w + kw) * (size_t)p->out_c + (size_t)oc0;
            if (mult == 1) {
                tap_same(xp + oc0, wp, p->input_offset, n, acc);
            } else {
                tap_mult(xp, wp, p->input_offset, oc0, n, mult, acc);
            }
        }
    }
    {
        const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
        int8_t *yo = y + oc0;
        for (j = 0; j < n; ++j) {
            const int32_t v = ec_mul_by_quantized_mul(acc[j], multiplier[oc0 + j], shift[oc0 + j]);
            yo[j] = (int8_t)ec_clamp_s32(v + off, lo, hi);
        }
    }
}

void ec_depthwise_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift, int8_t *y)
{
    const size_t x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int32_t n, oh, ow, oc0;
    for (n = 0; n < p->n; ++n) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                for (oc0 = 0; oc0 < p->out_c; oc0 += CH_BLOCK) {
                    const int32_t cnt = p->out_c - oc0 < CH_BLOCK ? p->out_c - oc0 : CH_BLOCK;
                    dw_block(p, x + (size_t)n * x_img, w, bias, multiplier, shift, oh, ow, oc0, cnt, y);
                }
                y += p->out_c;
            }
        }
    }
}
