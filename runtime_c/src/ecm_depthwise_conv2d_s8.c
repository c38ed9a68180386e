/* edgec runtime, cmsis target: int8 depthwise convolution, channel multiplier 1, without im2col
 * (see ecm_nn_s8.h).
 *
 * Per output pixel, its taps are located once: inside the image, tap 0 plus offsets fixed per
 * layer; a tap in the padding points at a row of input zero points in scratch, which adds
 * exactly what the folded bias counted for it. The next pixels of a run inside the image reuse
 * those taps, moved by a byte offset (delta). Then channels go through all taps a block at a
 * time. The weights are reordered by the compiler into blocks of eight channels,
 * [ceil(C / 8)][taps][8] (zero-padded), so a block's weights for successive taps sit 8 bytes
 * apart. DSP: four channels per input word, widened with two __sxtb16 into (c0, c2), (c1, c3);
 * the compiler emits the weights already widened for this path (cmsis_ops.py: dw_blocks_s16,
 * [ceil(C / 4)][taps][2] words of int16 pairs in the same order), so a tap is one ldrd, and
 * __smlabb / __smlatt accumulate each channel's own halfwords (a 3x3 kernel is unrolled).
 * Helium: eight int16 lanes per step, products widened by vmullb / vmullt into even and odd
 * int32 accumulators, requantized four lanes at a time, then narrowed back into channel order
 * (vmovnb / vmovnt; the saturating forms when the clamp is int8's own range). Requantization
 * takes ecm_rq's short form where the compiler's table allows (ecm_gemm_s8.h). */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

int32_t ecm_depthwise_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p)
{
    return 8 * p->k_h * p->k_w + 4 * p->k_h * p->k_w + (p->in_c + 7) / 8 * 8;
}

/* toff[t] = offset of tap t from tap 0 inside the input image (the same for every pixel). */
static void tap_offsets(const ec_conv2d_s8_params *p, int32_t *toff)
{
    int32_t kh, kw;
    for (kh = 0; kh < p->k_h; ++kh) {
        for (kw = 0; kw < p->k_w; ++kw) {
            *toff++ = (kh * p->dil_h * p->in_w + kw * p->dil_w) * p->in_c;
        }
    }
}

/* taps[t] = where tap t of output pixel (oh, ow) of image img reads its channels: tap 0 plus
 * the fixed offsets when every tap is inside the image, else one by one. */
static void locate(const ec_conv2d_s8_params *p, const int8_t *img, const int8_t *zrow, const int32_t *toff,
                   int32_t oh, int32_t ow, const int8_t **taps)
{
    const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
    const int32_t nt = p->k_h * p->k_w;
    int32_t kh, kw, t;
    if (ih0 >= 0 && iw0 >= 0 && ih0 + (p->k_h - 1) * p->dil_h < p->in_h && iw0 + (p->k_w - 1) * p->dil_w < p->in_w) {
        const int8_t *base = img + ((size_t)ih0 * (size_t)p->in_w + (size_t)iw0) * (size_t)p->in_c;
        for (t = 0; t < nt; ++t) {
            taps[t] = base + toff[t];
        }
        return;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = ih0 + kh * p->dil_h;
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t iw = iw0 + kw * p->dil_w;
            const int inside = ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w;
            *taps++ = inside ? img + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c : zrow;
        }
    }
}

/* What every block of a layer needs. */
typedef struct {
    const int8_t *const *taps;
    int32_t delta;     /* bytes to add to every tap: the pixel is `delta` past the one located */
    int32_t nt, ch;
    const int8_t *w;
    const int32_t *bias_eff, *multiplier, *shift, *rq;
    int32_t off, lo, hi;
    int usual;           /* DSP: blocks4_usual applies */
} dw_layer;

#if defined(ECM_MVE)
/* Channels [0, 8 nb) of one pixel into y, whole blocks of eight: no predication, the layer's
 * constants hoisted; even and odd lanes narrowed back into channel order. `sat`: the clamp is
 * int8's own range, which the saturating narrowings apply by themselves (inlined twice). */
static inline __attribute__((always_inline)) void blocks8_clamp(const dw_layer *d, int32_t nb, int8_t *y,
                                                                const int sat)
{
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vaddq_n_u32(even, 1);
    const int8_t *const *const tp = d->taps;
    const int32_t nt = d->nt, off = d->off, lo = d->lo, hi = d->hi;
    const int8_t *wb = d->w;
    const int32_t *b = d->bias_eff, *m = d->multiplier, *sh = d->shift;
    const int32_t dl = d->delta;
    int32_t c, t;
    for (c = 0; c < 8 * nb; c += 8, b += 8, m += 8, sh += 8) {
        int32x4_t e = vldrwq_gather_shifted_offset_s32(b, even), o = vldrwq_gather_shifted_offset_s32(b, odd);
        for (t = 0; t < nt; ++t, wb += 8) {
            const int16x8_t x = vldrbq_s16(tp[t] + (c + dl)), wv = vldrbq_s16(wb);
            e = vaddq_s32(e, vmullbq_int_s16(x, wv));
            o = vaddq_s32(o, vmulltq_int_s16(x, wv));
        }
        if (sat) {
            e = ecm_scale_vec(e, vldrwq_gather_shifted_offset_s32(m, even), vldrwq_gather_shifted_offset_s32(sh, even),
                              off);
            o = ecm_scale_vec(o, vldrwq_gather_shifted_offset_s32(m, odd), vldrwq_gather_shifted_offset_s32(sh, odd),
                              off);
            {
                const int16x8_t v16 = vqmovntq_s32(vqmovnbq_s32(vdupq_n_s16(0), e), o);
                vstrbq_s16(y + c, vreinterpretq_s16_s8(vqmovnbq_s16(vdupq_n_s8(0), v16)));
            }
        } else {
            e = ecm_requant_vec(e, vldrwq_gather_shifted_offset_s32(m, even),
                                vldrwq_gather_shifted_offset_s32(sh, even), off, lo, hi);
            o = ecm_requant_vec(o, vldrwq_gather_shifted_offset_s32(m, odd), vldrwq_gather_shifted_offset_s32(sh, odd),
                                off, lo, hi);
            vstrbq_s16(y + c, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), e), o));
        }
    }
}

static void blocks8(const dw_layer *d, int32_t nb, int8_t *y)
{
    if (d->lo == -128 && d->hi == 127) {
        blocks8_clamp(d, nb, y, 1);
    } else {
        blocks8_clamp(d, nb, y, 0);
    }
}

/* Channels [c, c + 8) (fewer at the end) of one pixel into y (the pixel's first channel). */
static void block8(const dw_layer *d, int32_t c, int8_t *y)
{
    const int32_t n = d->ch - c < 8 ? d->ch - c : 8;
    const mve_pred16_t pr = vctp16q((uint32_t)n);
    const mve_pred16_t pe = vctp32q((uint32_t)(n + 1) / 2), po = vctp32q((uint32_t)n / 2);
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vaddq_n_u32(even, 1);
    const int8_t *wb = d->w + (size_t)(c / 8) * (size_t)d->nt * 8;
    int32x4_t e = vldrwq_gather_shifted_offset_z_s32(d->bias_eff + c, even, pe);
    int32x4_t o = vldrwq_gather_shifted_offset_z_s32(d->bias_eff + c, odd, po);
    int32_t t;
    if (n == 8) {   /* a whole block: no predication; even and odd lanes narrowed back into order */
        for (t = 0; t < d->nt; ++t) {
            const int16x8_t x = vldrbq_s16(d->taps[t] + (c + d->delta)), wv = vldrbq_s16(wb + 8 * t);
            e = vaddq_s32(e, vmullbq_int_s16(x, wv));
            o = vaddq_s32(o, vmulltq_int_s16(x, wv));
        }
        {
            const int32_t *const m = d->multiplier + c, *const sh = d->shift + c;
            const int32_t off = d->off, lo = d->lo, hi = d->hi;
            e = ecm_requant_vec(e, vldrwq_gather_shifted_offset_s32(m, even), vldrwq_gather_shifted_offset_s32(sh, even),
                                off, lo, hi);
            o = ecm_requant_vec(o, vldrwq_gather_shifted_offset_s32(m, odd), vldrwq_gather_shifted_offset_s32(sh, odd),
                                off, lo, hi);
            vstrbq_s16(y + c, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), e), o));
        }
        return;
    } else {
        for (t = 0; t < d->nt; ++t) {
            const int16x8_t x = vldrbq_z_s16(d->taps[t] + (c + d->delta), pr), wv = vldrbq_s16(wb + 8 * t);
            e = vaddq_s32(e, vmullbq_int_s16(x, wv));
            o = vaddq_s32(o, vmulltq_int_s16(x, wv));
        }
    }
    ecm_requant_lanes(e, d->multiplier + c, d->shift + c, even, pe, d->off, d->lo, d->hi, y + c);
    ecm_requant_lanes(o, d->multiplier + c, d->shift + c, odd, po, d->off, d->lo, d->hi, y + c);
}
#else
/* Channel c of one pixel, one tap at a time (the tail of a block, and every channel without DSP). */
static int32_t channel(const dw_layer *d, int32_t c)
{
#if defined(ECM_DSP)   /* the widened form: channel c is int16 number (c % 2) * 2 + (c % 4) / 2 of a tap's 8 bytes */
    const int8_t *wb = d->w + (size_t)(c / 4) * (size_t)d->nt * 8 + (size_t)(c % 2 * 4 + c % 4 / 2 * 2);
#else
    const int8_t *wb = d->w + (size_t)(c / 8) * (size_t)d->nt * 8 + (size_t)(c % 8);
#endif
    int32_t s = d->bias_eff[c], t;
    for (t = 0; t < d->nt; ++t, wb += 8) {
#if defined(ECM_DSP)
        int16_t wv;
        memcpy(&wv, wb, sizeof wv);
#else
        const int8_t wv = *wb;
#endif
        s += d->taps[t][c + d->delta] * wv;
    }
    return s;
}

#if defined(ECM_DSP)
/* a0..a3 += tap t of a four-channel block: the word at tps[t] + xcs widened by __sxtb16 into
 * (c0, c2), (c1, c3) and multiplied by the tap's widened weights (wps + 8 t bytes) halfword by
 * halfword. One asm per tap, so that gcc cannot hoist the loads of later taps above this one's
 * products: with four sums live they would be spilled. t is a constant. */
#define ECM_DW_TAP(tps, xcs, wps, t)                                                       \
    do {                                                                                  \
        int32_t x_, xl_, wl_, wh_;                                                        \
        __asm__ volatile("ldr %[x], [%[tp], %[to]]\n\t"                                   \
                         "ldr %[x], [%[x], %[xc]]\n\t"                                    \
                         "ldrd %[wl], %[wh], [%[wp], %[wo]]\n\t"                          \
                         "sxtb16 %[xl], %[x]\n\t"                                         \
                         "sxtb16 %[x], %[x], ror #8\n\t"                                  \
                         "smlabb %[a0], %[xl], %[wl], %[a0]\n\t"                          \
                         "smlatt %[a2], %[xl], %[wl], %[a2]\n\t"                          \
                         "smlabb %[a1], %[x], %[wh], %[a1]\n\t"                           \
                         "smlatt %[a3], %[x], %[wh], %[a3]"                               \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),    \
                           [x] "=&r"(x_), [xl] "=&r"(xl_), [wl] "=&r"(wl_), [wh] "=&r"(wh_) \
                         : [tp] "r"(tps), [to] "i"(4 * (t)), [xc] "r"(xcs), [wp] "r"(wps),  \
                           [wo] "i"(8 * (t))                                              \
                         : "memory");                                                     \
    } while (0)

/* Channels [0, 4 (ch / 4)) of one pixel into y, four at a time, every constant of the layer in a
 * local (int8 stores may alias anything). The flags are constants where the caller inlines this
 * for the common layer: `nine` a 3x3 kernel (taps unrolled), `table` ecm_rq's short form, `sat`
 * the clamp is int8's own range (one ssat). */
static inline __attribute__((always_inline)) void blocks4(const dw_layer *d, int8_t *y, const int nine,
                                                          const int table, const int sat)
{
    const int8_t *const *const tp = d->taps;
    const int32_t *wq = (const int32_t *)(const void *)d->w, *b = d->bias_eff, *q = d->rq, *m = d->multiplier, *sh = d->shift;
    const int32_t nt = d->nt, off = d->off, lo = d->lo, hi = d->hi;
    const int8_t *const yend = y + (d->ch & ~3);
    int32_t xc = d->delta, t;
    for (; y < yend; y += 4, xc += 4, b += 4, q += 16, m += 4, sh += 4) {
        int32_t a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
        if (nine) {
            ECM_DW_TAP(tp, xc, wq, 0);
            ECM_DW_TAP(tp, xc, wq, 1);
            ECM_DW_TAP(tp, xc, wq, 2);
            ECM_DW_TAP(tp, xc, wq, 3);
            ECM_DW_TAP(tp, xc, wq, 4);
            ECM_DW_TAP(tp, xc, wq, 5);
            ECM_DW_TAP(tp, xc, wq, 6);
            ECM_DW_TAP(tp, xc, wq, 7);
            ECM_DW_TAP(tp, xc, wq, 8);
            wq += 18;
        } else {
            for (t = 0; t < nt; ++t, wq += 2) {
                ECM_DW_TAP(tp + t, xc, wq, 0);
            }
        }
        ECM_OUT(y[0], a0, table, sat, q, 0, m[0], sh[0], off, lo, hi);
        ECM_OUT(y[1], a1, table, sat, q, 16, m[1], sh[1], off, lo, hi);
        ECM_OUT(y[2], a2, table, sat, q, 32, m[2], sh[2], off, lo, hi);
        ECM_OUT(y[3], a3, table, sat, q, 48, m[3], sh[3], off, lo, hi);
    }
}

/* The usual layer (3x3, a requantization table, int8's clamp) with its flags as constants. Not
 * inlined into the pixel loop, whose live values would crowd the block loop's registers. */
static __attribute__((noinline)) void blocks4_usual(const dw_layer *d, int8_t *y)
{
    blocks4(d, y, 1, 1, 1);
}

static void blocks4_any(const dw_layer *d, int8_t *y)
{
    blocks4(d, y, d->nt == 9, d->rq != NULL, d->lo == -128 && d->hi == 127);
}
#endif
#endif

/* Every channel of one pixel (taps located) into y. */
static void pixel(const dw_layer *d, int8_t *y)
{
    int32_t c = 0;
#if defined(ECM_MVE)
    blocks8(d, d->ch / 8, y);
    for (c = d->ch / 8 * 8; c < d->ch; c += 8) {
        block8(d, c, y);
    }
#else
#if defined(ECM_DSP)
    if (d->usual) {
        blocks4_usual(d, y);
    } else {
        blocks4_any(d, y);
    }
    c = d->ch & ~3;
#endif
    for (; c < d->ch; ++c) {
        y[c] = ecm_requant(channel(d, c), d->multiplier, d->shift, d->rq, c, d->off, d->lo, d->hi);
    }
#endif
}

void ecm_depthwise_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w,
                             const int32_t *bias_eff, const int32_t *multiplier, const int32_t *shift,
                             const int32_t *rq, int8_t *y, void *scratch)
{
    const size_t x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const int32_t nt = p->k_h * p->k_w;
    const int8_t **taps = (const int8_t **)scratch;
    int32_t *toff = (int32_t *)((int8_t *)scratch + 8 * nt);
    int8_t *zrow = (int8_t *)scratch + 12 * nt;
    dw_layer d;
    const int32_t step = p->stride_w * p->in_c;
    int32_t b, oh, ow;
    d.taps = taps;
    d.delta = 0;
    d.nt = nt;
    d.ch = p->in_c;
    d.w = w;
    d.bias_eff = bias_eff;
    d.multiplier = multiplier;
    d.shift = shift;
    d.rq = rq;
    d.off = p->output_offset;
    d.lo = p->act_min;
    d.hi = p->act_max;
#if defined(ECM_DSP) && !defined(ECM_MVE)
    d.usual = d.nt == 9 && rq != NULL && d.lo == -128 && d.hi == 127;
#else
    d.usual = 0;
#endif
    memset(zrow, -p->input_offset, (size_t)p->in_c);
    tap_offsets(p, toff);
    for (b = 0; b < p->n; ++b) {
        for (oh = 0; oh < p->out_h; ++oh) {
            int run = 0;
            for (ow = 0; ow < p->out_w; ++ow) {
                const int32_t ih0 = oh * p->stride_h - p->pad_top, iw0 = ow * p->stride_w - p->pad_left;
                const int inside = ih0 >= 0 && iw0 >= 0 && ih0 + (p->k_h - 1) * p->dil_h < p->in_h
                                   && iw0 + (p->k_w - 1) * p->dil_w < p->in_w;
                if (inside && run) {   /* the next pixel of a run inside the image: the same taps, moved */
                    d.delta += step;
                } else {
                    locate(p, x + (size_t)b * x_img, zrow, toff, oh, ow, taps);
                    d.delta = 0;
                    run = inside;
                }
                pixel(&d, y);
                y += p->in_c;
            }
        }
    }
}
