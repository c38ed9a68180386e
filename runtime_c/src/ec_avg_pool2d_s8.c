/* edgec runtime: int8 2-D average pooling over NHWC (see ec_pool_s8.h). Channels are summed in
 * blocks of EC_AVG_S8_BLOCK int32 accumulators (contiguous, vectorisable); the tap counts are
 * computed once per output position. */
#include "ec_pool_s8.h"

#define EC_AVG_S8_BLOCK 64

/* The input taps of the window at (hs, ws): calls add(acc, xp, nb) for each, xp its channel c0. */
#define EC_AVG_FOR_TAPS(add)                                                                               \
    for (i = 0; i < p->kernel[0]; ++i) {                                                                   \
        const int32_t ih = hs + i * p->dilation[0];                                                        \
        if (ih < 0 || ih >= p->in_h) {                                                                     \
            continue;                                                                                      \
        }                                                                                                  \
        for (j = 0; j < p->kernel[1]; ++j) {                                                               \
            const int32_t iw = ws + j * p->dilation[1];                                                    \
            if (iw < 0 || iw >= p->in_w) {                                                                 \
                continue;                                                                                  \
            }                                                                                              \
            add(xb + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->c + (size_t)c0);             \
        }                                                                                                  \
    }

#if defined(EC_POOL_MVE)
/* Helium, at most 256 taps (a sum of int8 then fits int16): eight int16 lanes per step (n8 of
 * them whole, then the rest predicated by pt). */
#define EC_AVG_ADD16(xp)                                                                                   \
    for (k = 0; k < n8; k += 8) {                                                                          \
        vstrhq_s16(a16 + k, vaddq_s16(vldrhq_s16(a16 + k), vldrbq_s16((xp) + k)));                          \
    }                                                                                                      \
    if (n8 < nb) {                                                                                         \
        vstrhq_p_s16(a16 + n8, vaddq_s16(vldrhq_z_s16(a16 + n8, pt), vldrbq_z_s16((xp) + n8, pt)), pt);    \
    }
#endif

#define EC_AVG_ADD32(xp)                                                                                   \
    for (k = 0; k < nb; ++k) {                                                                             \
        acc[k] += (xp)[k];                                                                                 \
    }

/* acc[0..nb) = sum over the window's input taps of channels c0..c0+nb. */
static void sum_taps(const ec_pool2d_s8_params *p, const int8_t *xb, int32_t hs, int32_t ws, int32_t c0,
                     int32_t nb, int32_t *acc)
{
    int32_t i, j, k;
#if defined(EC_POOL_MVE)
    if (p->kernel[0] * p->kernel[1] <= 256) {
        const int32_t n8 = nb & ~7;   /* whole steps of eight unpredicated, then the rest */
        const mve_pred16_t pt = vctp16q((uint32_t)(nb - n8));
        int16_t a16[EC_AVG_S8_BLOCK];
        for (k = 0; k < n8; k += 8) {
            vstrhq_s16(a16 + k, vdupq_n_s16(0));
        }
        if (n8 < nb) {
            vstrhq_p_s16(a16 + n8, vdupq_n_s16(0), pt);
        }
        EC_AVG_FOR_TAPS(EC_AVG_ADD16)
        for (k = 0; k < n8; k += 4) {
            vstrwq_s32(acc + k, vldrhq_s32(a16 + k));
        }
        for (; k < nb; k += 4) {
            const mve_pred16_t pr = vctp32q((uint32_t)(nb - k));
            vstrwq_p_s32(acc + k, vldrhq_z_s32(a16 + k, pr), pr);
        }
        return;
    }
#endif
    for (k = 0; k < nb; ++k) {
        acc[k] = 0;
    }
    EC_AVG_FOR_TAPS(EC_AVG_ADD32)
}

void ec_avg_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t c = p->c;
    const int32_t inc = p->count_include_pad;
    int32_t acc[EC_AVG_S8_BLOCK];
    int32_t b, oy, ox, c0, k;
    for (b = 0; b < p->n; ++b) {
        const int8_t *xb = x + (size_t)b * (size_t)p->in_h * (size_t)p->in_w * (size_t)c;
        for (oy = 0; oy < p->out_h; ++oy) {
            const int32_t hs = oy * p->stride[0] - p->pad[0];
            const int32_t in_h = ec_pool_tap_count(hs, p->kernel[0], p->dilation[0], 0, p->in_h);
            const int32_t all_h = ec_pool_tap_count(hs, p->kernel[0], p->dilation[0], -p->pad[0],
                                                    p->in_h + p->pad[2]);
            for (ox = 0; ox < p->out_w; ++ox) {
                const int32_t ws = ox * p->stride[1] - p->pad[1];
                const int32_t n_in = in_h * ec_pool_tap_count(ws, p->kernel[1], p->dilation[1], 0, p->in_w);
                const int32_t n_all = all_h * ec_pool_tap_count(ws, p->kernel[1], p->dilation[1], -p->pad[1],
                                                        p->in_w + p->pad[3]);
                const int32_t count = inc ? n_all : n_in;
                const int32_t pad_sum = inc ? (n_all - n_in) * p->pad_value : 0;
                for (c0 = 0; c0 < c; c0 += EC_AVG_S8_BLOCK) {
                    const int32_t nb = c - c0 < EC_AVG_S8_BLOCK ? c - c0 : EC_AVG_S8_BLOCK;
                    sum_taps(p, xb, hs, ws, c0, nb, acc);
                    for (k = 0; k < nb; ++k) {
                        y[c0 + k] = ec_pool_average(acc[k] + pad_sum, count, p->act_min, p->act_max);
                    }
                }
                y += c;
            }
        }
    }
}
