/* edgec runtime: 2-D max pooling over NHWC (see ec_pool.h). The innermost loop runs over the
 * channels of one tap, contiguous in x and y. An output whose window holds no input tap is -inf. */
#include <math.h>

#include "ec_pool.h"

void ec_max_pool2d_f32(const ec_pool2d_params *p, const float *x, float *y)
{
    const int32_t c = p->c;
    int32_t b, oy, ox, i, j, ch;
    for (b = 0; b < p->n; ++b) {
        const float *xb = x + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * p->stride[0] - p->pad[0];
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ws = ox * p->stride[1] - p->pad[1];
                for (ch = 0; ch < c; ++ch) {
                    y[ch] = -INFINITY;
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
                            y[ch] = xp[ch] > y[ch] ? xp[ch] : y[ch];
                        }
                    }
                }
                y += c;
            }
        }
    }
}
