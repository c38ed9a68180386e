/* edgec runtime: int8 2-D max pooling over NHWC (see ec_pool_s8.h). The innermost loop runs over
 * the channels of one tap, contiguous in x and y. */
#include "ec_pool_s8.h"

void ec_max_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t c = p->c;
    int32_t b, oy, ox, i, j, ch;
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
