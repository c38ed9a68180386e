/* edgec runtime: depthwise 2-D convolution, NHWC, weights [k_h][k_w][out_c].
 *
 * groups == in_c and out_c = in_c * multiplier (output channel c * multiplier + m reads input
 * channel c). Each output pixel starts from the bias and adds one tap at a time with a loop over
 * the contiguous channels, so the inner loop vectorises even when the multiplier is 1. */
#include "ec_conv.h"
#include "ec_pointwise.h"

/* y[0..out_c) += x[c] * w[c * mult + m] for every channel c and multiplier index m. */
static void add_tap(const float *x, const float *w, int32_t in_c, int32_t mult, float *y)
{
    int32_t c, m;
    if (mult == 1) {
        for (c = 0; c < in_c; ++c) {
            y[c] += x[c] * w[c];
        }
        return;
    }
    for (c = 0; c < in_c; ++c) {
        const float v = x[c];
        for (m = 0; m < mult; ++m) {
            y[c * mult + m] += v * w[c * mult + m];
        }
    }
}

/* One output pixel (image x_img, row oh, column ow) into y[0..out_c). */
static void dw_pixel(const ec_conv2d_params *p, const float *x_img, const float *w, const float *bias,
                     int32_t oh, int32_t ow, float *y)
{
    const int32_t mult = p->out_c / p->in_c;
    int32_t kh, kw, j;
    for (j = 0; j < p->out_c; ++j) {
        y[j] = bias != NULL ? bias[j] : 0.0f;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
        if (ih < 0 || ih >= p->in_h) {
            continue;
        }
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
            if (iw < 0 || iw >= p->in_w) {
                continue;
            }
            add_tap(x_img + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c,
                    w + (size_t)(kh * p->k_w + kw) * (size_t)p->out_c, p->in_c, mult, y);
        }
    }
    if (p->act.kind != EC_PW_NONE) {
        for (j = 0; j < p->out_c; ++j) {
            y[j] = ec_pointwise_f32(y[j], &p->act);
        }
    }
}

void ec_depthwise_conv2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias,
                             float *y)
{
    const size_t x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int32_t n, oh, ow;
    for (n = 0; n < p->n; ++n) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                dw_pixel(p, x + (size_t)n * x_img, w, bias, oh, ow, y);
                y += p->out_c;
            }
        }
    }
}
