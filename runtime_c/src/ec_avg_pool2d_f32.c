/* edgec runtime: 2-D average pooling over NHWC (see ec_pool.h). The innermost loop runs over the
 * channels of one tap, contiguous in x and y; the divisor is computed per output position. */
#include "ec_pool.h"

/* Taps of one window dim that count toward the divisor: inside [lo, hi). */
static int32_t tap_count(int32_t start, int32_t k, int32_t d, int32_t lo, int32_t hi)
{
    int32_t i, cnt = 0;
    for (i = 0; i < k; ++i) {
        const int32_t pos = start + i * d;
        cnt += pos >= lo && pos < hi;
    }
    return cnt;
}

void ec_avg_pool2d_f32(const ec_pool2d_params *p, const float *x, float *y)
{
    const int32_t c = p->c;
    const int32_t inc = p->count_include_pad;
    const int32_t lo_h = inc ? -p->pad[0] : 0, hi_h = inc ? p->in_h + p->pad[2] : p->in_h;
    const int32_t lo_w = inc ? -p->pad[1] : 0, hi_w = inc ? p->in_w + p->pad[3] : p->in_w;
    int32_t b, oy, ox, i, j, ch;
    for (b = 0; b < p->n; ++b) {
        const float *xb = x + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * p->stride[0] - p->pad[0];
            const int32_t cnt_h = tap_count(hs, p->kernel[0], p->dilation[0], lo_h, hi_h);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ws = ox * p->stride[1] - p->pad[1];
                const float div = (float)(cnt_h * tap_count(ws, p->kernel[1], p->dilation[1], lo_w, hi_w));
                for (ch = 0; ch < c; ++ch) {
                    y[ch] = 0.0f;
                }
                for (i = 0; i < p->kernel[0]; ++i) {
                    const int32_t ih = hs + i * p->dilation[0];
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (j = 0; j < p->kernel[1]; ++j) {
                        const int32_t iw = ws + j * p->dilation[1];
                        const float *xp;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        xp = xb + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)c;
                        for (ch = 0; ch < c; ++ch) {
                            y[ch] += xp[ch];
                        }
                    }
                }
                for (ch = 0; ch < c; ++ch) {
                    y[ch] /= div;
                }
                y += c;
            }
        }
    }
}
