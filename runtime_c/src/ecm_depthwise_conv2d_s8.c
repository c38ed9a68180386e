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
 * Helium: sixteen channels per step where the layer allows (no weight is -128: the weights are
 * regrouped per layer into scratch, sixteen channels per tap), int8 products by vmullb / vmullt,
 * two taps' summed in int16, widened into four int32 accumulators (channels k mod 4); else eight
 * int16 lanes per step, products widened by vmullb / vmullt into even and odd int32
 * accumulators. Requantized four lanes at a time, then narrowed back into channel order
 * (vmovnb / vmovnt; the saturating forms when the clamp is int8's own range). Requantization
 * takes ecm_rq's short form where the compiler's table allows (ecm_gemm_s8.h). */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

int32_t ecm_depthwise_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p)
{
    return 8 * p->k_h * p->k_w + 4 * p->k_h * p->k_w + (p->in_c + 7) / 8 * 8 + p->k_h * p->k_w * ((p->in_c + 15) / 16 * 16);
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
#if defined(ECM_MVE)
    const int8_t *w16;   /* Helium: the weights regrouped for blocks16 (scratch after zrow) */
    int32_t pairs;       /* Helium: blocks16 applies (regroup16) */
    int32_t right;       /* Helium: every shift is a right shift by one or more (< 0) */
#endif
} dw_layer;

#if defined(ECM_MVE)
/* Keeps the sums v due here: gcc would otherwise hoist every tap's loads and products ahead of
 * the sums and spill them (twice the instructions). */
#define ECM_DUE(v) __asm__ volatile("" : "+w"(v) : : "memory")

/* One tap of a block of eight channels: int16 products of the inputs at x and the weights at w
 * added to the even (e) and odd (o) channels' int32 sums. */
static inline __attribute__((always_inline)) void tap8(const int8_t *x, const int8_t *w, int32x4_t *e, int32x4_t *o)
{
    const int16x8_t xv = vldrbq_s16(x), wv = vldrbq_s16(w);
    *e = vaddq_s32(*e, vmullbq_int_s16(xv, wv));
    *o = vaddq_s32(*o, vmulltq_int_s16(xv, wv));
}

/* Channels [c, c + 8) of one pixel into y (the pixel's first channel) from their even and odd
 * sums: requantized, narrowed back into channel order (vmovnb / vmovnt; the saturating forms
 * when `sat`, the clamp being int8's own range). */
static inline __attribute__((always_inline)) void store8(const dw_layer *d, int32_t c, int32x4_t e, int32x4_t o,
                                                         int8_t *y, const int sat)
{
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vaddq_n_u32(even, 1);
    const int32_t *const m = d->multiplier + c, *const sh = d->shift + c;
    if (sat) {
        e = ecm_scale_vec(e, vldrwq_gather_shifted_offset_s32(m, even), vldrwq_gather_shifted_offset_s32(sh, even),
                          d->off);
        o = ecm_scale_vec(o, vldrwq_gather_shifted_offset_s32(m, odd), vldrwq_gather_shifted_offset_s32(sh, odd),
                          d->off);
        vstrbq_s16(y + c, vreinterpretq_s16_s8(vqmovnbq_s16(vdupq_n_s8(0),
                                                             vqmovntq_s32(vqmovnbq_s32(vdupq_n_s16(0), e), o))));
    } else {
        e = ecm_requant_vec(e, vldrwq_gather_shifted_offset_s32(m, even), vldrwq_gather_shifted_offset_s32(sh, even),
                            d->off, d->lo, d->hi);
        o = ecm_requant_vec(o, vldrwq_gather_shifted_offset_s32(m, odd), vldrwq_gather_shifted_offset_s32(sh, odd),
                            d->off, d->lo, d->hi);
        vstrbq_s16(y + c, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), e), o));
    }
}

/* Channels [c0, c0 + 8 nb) of one pixel into y, whole blocks of eight (no predication; inlined
 * twice: `sat`, see store8). */
static inline __attribute__((always_inline)) void blocks8_clamp(const dw_layer *d, int32_t c0, int32_t nb, int8_t *y,
                                                                const int sat)
{
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vaddq_n_u32(even, 1);
    const int8_t *const *const tp = d->taps;
    const int32_t nt = d->nt, dl = d->delta;
    const int8_t *wb = d->w + (size_t)(c0 / 8) * (size_t)nt * 8;
    int32_t c, t;
    for (c = c0; c < c0 + 8 * nb; c += 8) {
        int32x4_t e = vldrwq_gather_shifted_offset_s32(d->bias_eff + c, even);
        int32x4_t o = vldrwq_gather_shifted_offset_s32(d->bias_eff + c, odd);
        for (t = 0; t < nt; ++t, wb += 8) {
            tap8(tp[t] + (c + dl), wb, &e, &o);
        }
        store8(d, c, e, o, y, sat);
    }
}

/* The int32 sums of sixteen channels, four apart in each vector: a<k> holds channels k, k + 4,
 * k + 8, k + 12 (the order the widening instructions produce). */
typedef struct {
    int32x4_t a0, a1, a2, a3;
} acc16;

/* Byte offsets of sixteen channels' weights for one tap in the [C / 8][taps][8] layout: eight in
 * this block, eight in the next one, 8 nt bytes on (nt <= 31: offsets fit a byte). */
static inline uint8x16_t w16_lanes(int32_t nt)
{
    const uint8x16_t j = vidupq_n_u8(0, 1);
    return vaddq_m_n_u8(j, j, (uint8_t)(8 * nt - 8), vcmphiq_n_u8(j, 7));
}

/* Two taps of sixteen channels added to a: inputs at x0 and x1, their weights at *wb (sixteen
 * each, *wb advanced past them). int8 products (vmullb / vmullt: even and odd channels), the two
 * taps' summed in int16, then widened into the int32 sums. Assembly: with intrinsics gcc needs a
 * ninth vector register and spills; here the second tap's input is loaded twice instead. */
static inline __attribute__((always_inline)) void taps2x16(acc16 *a, const int8_t *x0, const int8_t *x1,
                                                           const int8_t **wb)
{
    int16x8_t pe, po;
    int8x16_t xv, wv;
    __asm__ volatile("vldrb.u8 %q[xv], [%[x0]]\n\t"
                     "vldrb.u8 %q[wv], [%[wb]], #16\n\t"
                     "vmullb.s8 %q[pe], %q[xv], %q[wv]\n\t"
                     "vmullt.s8 %q[po], %q[xv], %q[wv]\n\t"
                     "vldrb.u8 %q[xv], [%[x1]]\n\t"
                     "vldrb.u8 %q[wv], [%[wb]], #16\n\t"
                     "vmullt.s8 %q[xv], %q[xv], %q[wv]\n\t"
                     "vadd.i16 %q[po], %q[po], %q[xv]\n\t"
                     "vldrb.u8 %q[xv], [%[x1]]\n\t"
                     "vmullb.s8 %q[xv], %q[xv], %q[wv]\n\t"
                     "vadd.i16 %q[pe], %q[pe], %q[xv]\n\t"
                     "vmovlb.s16 %q[xv], %q[pe]\n\t"
                     "vadd.i32 %q[a0], %q[a0], %q[xv]\n\t"
                     "vmovlt.s16 %q[pe], %q[pe]\n\t"
                     "vadd.i32 %q[a2], %q[a2], %q[pe]\n\t"
                     "vmovlb.s16 %q[xv], %q[po]\n\t"
                     "vadd.i32 %q[a1], %q[a1], %q[xv]\n\t"
                     "vmovlt.s16 %q[po], %q[po]\n\t"
                     "vadd.i32 %q[a3], %q[a3], %q[po]"
                     : [a0] "+w"(a->a0), [a1] "+w"(a->a1), [a2] "+w"(a->a2), [a3] "+w"(a->a3), [pe] "=&w"(pe),
                       [po] "=&w"(po), [xv] "=&w"(xv), [wv] "=&w"(wv), [wb] "+r"(*wb)
                     : [x0] "r"(x0), [x1] "r"(x1)
                     : "memory");
}

/* One tap of sixteen channels added to a (taps2x16 without a second tap). */
static inline __attribute__((always_inline)) void tap16(acc16 *a, const int8_t *x, const int8_t *wb)
{
    const int8x16_t xv = vldrbq_s8(x), wv = vldrbq_s8(wb);
    const int16x8_t pe = vmullbq_int_s8(xv, wv), po = vmulltq_int_s8(xv, wv);
    a->a0 = vaddq_s32(a->a0, vmovlbq_s16(pe));
    a->a2 = vaddq_s32(a->a2, vmovltq_s16(pe));
    a->a1 = vaddq_s32(a->a1, vmovlbq_s16(po));
    a->a3 = vaddq_s32(a->a3, vmovltq_s16(po));
}

/* Requantization of the sums in %q[a] with the multipliers in %q[mv] and the right shifts
 * (min(sh, 0)) in %q[tv], then %q[kv] moves on to the next lanes: ecm_scale_vec's high multiply,
 * tie fix, rounding shift and offset. */
#define ECM_DW_SCALE_TAIL(a)                             \
    "vqrdmulh.s32 %q[" #a "], %q[" #a "], %q[mv]\n\t"    \
    "vand %q[mv], %q[" #a "], %q[tv]\n\t"                \
    "vshr.s32 %q[mv], %q[mv], #31\n\t"                   \
    ECM_DW_SCALE_FIX(a)

/* The tie fix held in %q[mv] (-1 or 0 per lane) added, the rounding shift, the offset; then
 * %q[kv] moves on to the next lanes. */
#define ECM_DW_SCALE_FIX(a)                              \
    "vqadd.s32 %q[" #a "], %q[" #a "], %q[mv]\n\t"       \
    "vrshl.s32 %q[" #a "], %q[" #a "], %q[tv]\n\t"       \
    "vadd.i32 %q[" #a "], %q[" #a "], %[off]\n\t"        \
    "vadd.i32 %q[kv], %q[kv], %[one]\n\t"

/* ECM_DW_SCALE_TAIL for channels k, k + 4, k + 8, k + 12 of m and sh (byte offsets 4 x %q[kv]):
 * the left shift max(sh, 0) and the right one min(sh, 0) split without a zero vector. */
#define ECM_DW_SCALE(a)                                  \
    "vldrw.u32 %q[mv], [%[m], %q[kv], uxtw #2]\n\t"      \
    "vldrw.u32 %q[sv], [%[sh], %q[kv], uxtw #2]\n\t"     \
    "vshr.s32 %q[tv], %q[sv], #31\n\t"                   \
    "vand %q[tv], %q[sv], %q[tv]\n\t"                    \
    "vsub.i32 %q[sv], %q[sv], %q[tv]\n\t"                \
    "vshl.s32 %q[" #a "], %q[" #a "], %q[sv]\n\t"        \
    ECM_DW_SCALE_TAIL(a)

/* ECM_DW_SCALE for a layer whose shifts are all right shifts by one or more (sh < 0, the usual
 * case): the shift is the right one as it is, no left shift, and every negative lane takes the
 * tie fix (no mask). */
#define ECM_DW_SCALE_RIGHT(a)                            \
    "vldrw.u32 %q[mv], [%[m], %q[kv], uxtw #2]\n\t"      \
    "vldrw.u32 %q[tv], [%[sh], %q[kv], uxtw #2]\n\t"     \
    "vqrdmulh.s32 %q[" #a "], %q[" #a "], %q[mv]\n\t"    \
    "vshr.s32 %q[mv], %q[" #a "], #31\n\t"               \
    ECM_DW_SCALE_FIX(a)

/* Channels [c, c + 16) of one pixel into y from their sums: each vector requantized
 * (ECM_DW_SCALE), narrowed back into channel order with saturation (channels 0 and 2 mod 4
 * into the even int16 lanes, 1 and 3 mod 4 into the odd ones, then those into the even and odd
 * bytes), then clamped as int8 unless `sat` (the clamp is int8's own range). Assembly: the
 * eight vector registers hold the four sums and four temporaries exactly, where gcc spilled. */
static inline __attribute__((always_inline)) void store16(const dw_layer *d, int32_t c, acc16 a, int8_t *y,
                                                          const int sat)
{
    int32x4_t kv, mv, sv, tv;
    int32_t zero = 0;
    int8x16_t v;
#define ECM_DW_STORE16(scale)                                                                                \
    __asm__ volatile("vidup.u32 %q[kv], %[zero], #4\n\t"                                                   \
                     scale(a0) scale(a1) scale(a2) scale(a3)                                                  \
                     "vqmovnb.s32 %q[mv], %q[a0]\n\t"                                                        \
                     "vqmovnt.s32 %q[mv], %q[a2]\n\t"                                                        \
                     "vqmovnb.s32 %q[sv], %q[a1]\n\t"                                                        \
                     "vqmovnt.s32 %q[sv], %q[a3]\n\t"                                                        \
                     "vqmovnb.s16 %q[tv], %q[mv]\n\t"                                                        \
                     "vqmovnt.s16 %q[tv], %q[sv]"                                                             \
                     : [a0] "+w"(a.a0), [a1] "+w"(a.a1), [a2] "+w"(a.a2), [a3] "+w"(a.a3), [kv] "=&w"(kv),   \
                       [mv] "=&w"(mv), [sv] "=&w"(sv), [tv] "=&w"(tv), [zero] "+Te"(zero)                    \
                     : [m] "r"(d->multiplier + c), [sh] "r"(d->shift + c), [off] "r"(d->off), [one] "r"(1)   \
                     : "memory")
    if (d->right) {
        ECM_DW_STORE16(ECM_DW_SCALE_RIGHT);
    } else {
        ECM_DW_STORE16(ECM_DW_SCALE);
    }
#undef ECM_DW_STORE16
    v = vreinterpretq_s8_s32(tv);
    if (!sat) {
        v = vminq_s8(vmaxq_s8(v, vdupq_n_s8((int8_t)d->lo)), vdupq_n_s8((int8_t)d->hi));
    }
    vstrbq_s8(y + c, v);
}

/* a = the sums' start, the folded biases of channels k, k + 4, k + 8, k + 12 at b (assembly:
 * gcc hoists the four lane vectors out of the loop and spills them). */
static inline __attribute__((always_inline)) void bias16(acc16 *a, const int32_t *b)
{
    uint32x4_t kv;
    int32_t zero = 0;
    __asm__ volatile("vidup.u32 %q[kv], %[zero], #4\n\t"
                     "vldrw.u32 %q[a0], [%[b], %q[kv], uxtw #2]\n\t"
                     "vadd.i32 %q[kv], %q[kv], %[one]\n\t"
                     "vldrw.u32 %q[a1], [%[b], %q[kv], uxtw #2]\n\t"
                     "vadd.i32 %q[kv], %q[kv], %[one]\n\t"
                     "vldrw.u32 %q[a2], [%[b], %q[kv], uxtw #2]\n\t"
                     "vadd.i32 %q[kv], %q[kv], %[one]\n\t"
                     "vldrw.u32 %q[a3], [%[b], %q[kv], uxtw #2]"
                     : [a0] "=&w"(a->a0), [a1] "=&w"(a->a1), [a2] "=&w"(a->a2), [a3] "=&w"(a->a3), [kv] "=&w"(kv),
                       [zero] "+Te"(zero)
                     : [b] "r"(b), [one] "r"(1)
                     : "memory");
}

/* Channels [0, 16 n16) of one pixel into y, sixteen at a time: one int8 load of inputs and one
 * of weights (d->w16, see regroup16) per tap, int8 products, and two taps' products summed in
 * int16 before they are widened into the int32 sums (exact: no weight is -128, so a product is
 * at most 128 * 127 in size and two of them fit int16). */
static inline __attribute__((always_inline)) void blocks16_clamp(const dw_layer *d, int32_t n16, int8_t *y,
                                                                 const int sat)
{
    const int8_t *const *const tp = d->taps;
    const int32_t nt = d->nt, dl = d->delta;
    const int8_t *wb = d->w16;
    int32_t c, t;
    for (c = 0; c < 16 * n16; c += 16) {
        const int32_t *const b = d->bias_eff + c;
        const int32_t cd = c + dl;
        acc16 a;
        bias16(&a, b);
        for (t = 0; t + 2 <= nt; t += 2) {
            taps2x16(&a, tp[t] + cd, tp[t + 1] + cd, &wb);
        }
        if (t < nt) {
            tap16(&a, tp[t] + cd, wb);
            wb += 16;
        }
        store16(d, c, a, y, sat);
    }
}

/* Every whole block of eight channels of one pixel into y: sixteen at a time where the layer
 * allows (d->pairs), then eight. */
static inline __attribute__((always_inline)) void blocks(const dw_layer *d, int8_t *y)
{
    const int sat = d->lo == -128 && d->hi == 127;
    const int32_t n16 = d->pairs ? d->ch / 16 : 0, c0 = 16 * n16, nb = (d->ch - c0) / 8;
    if (sat) {
        blocks16_clamp(d, n16, y, 1);
    } else {
        blocks16_clamp(d, n16, y, 0);
    }
    if (nb == 0) {   /* the usual case: no set-up of the eight-channel blocks */
        return;
    }
    if (sat) {
        blocks8_clamp(d, c0, nb, y, 1);
    } else {
        blocks8_clamp(d, c0, nb, y, 0);
    }
}

/* Two neighbouring pixels of an eight-channel layer into y, as one block of sixteen (twin8). */
static void twin_pixels(const dw_layer *d2, int8_t *y)
{
    if (d2->lo == -128 && d2->hi == 127) {
        blocks16_clamp(d2, 1, y, 1);
    } else {
        blocks16_clamp(d2, 1, y, 0);
    }
}

/* 1 when every shift[0..n) is < 0 (requantization then needs no left shift, and the tie fix
 * applies to every lane). */
static int32_t right_shifts_only(const int32_t *shift, int32_t n)
{
    int32_t i, top = INT32_MIN;
    for (i = 0; i < n; i += 4) {
        top = vmaxvq_p_s32(top, vldrwq_z_s32(shift + i, vctp32q((uint32_t)(n - i))), vctp32q((uint32_t)(n - i)));
    }
    return top < 0;
}

/* w16[b][t] = the sixteen weights of channels [16 b, 16 b + 16) for tap t, gathered from the
 * [C / 8][taps][8] blocks, for blocks16; returns 1 when blocks16 may sum two products in int16:
 * no weight is -128 and the gather offsets fit a byte (nt <= 31). */
static int32_t regroup16(const int8_t *w, int32_t nt, int32_t n16, int8_t *w16)
{
    int8x16_t lo = vdupq_n_s8(0);
    uint8x16_t lanes;
    int32_t b, t;
    if (nt > 31) {
        return 0;
    }
    lanes = w16_lanes(nt);
    for (b = 0; b < n16; ++b) {
        for (t = 0; t < nt; ++t, w16 += 16) {
            const int8x16_t v = vldrbq_gather_offset_s8(w + (size_t)b * 16 * (size_t)nt + 8 * t, lanes);
            lo = vminq_s8(lo, v);
            vstrbq_s8(w16, v);
        }
    }
    return vminvq_s8(0, lo) > -128;
}

/* For a layer of eight channels with stride 1 (two neighbouring pixels' channels are sixteen
 * bytes in a row): d2 = d seen as sixteen channels, two pixels side by side, so that blocks16
 * computes two pixels at once: the weights repeated for both pixels (w16 in scratch), the
 * biases and requantization parameters likewise (b2, m2, s2: sixteen each). Returns 1 when that
 * applies (no weight is -128, see blocks16). */
static int32_t twin8(const dw_layer *d, const ec_conv2d_s8_params *p, int8_t *w16, int32_t *b2, int32_t *m2,
                     int32_t *s2, dw_layer *d2)
{
    const uint8x16_t lanes = vandq_u8(vidupq_n_u8(0, 1), vdupq_n_u8(7));
    int8x16_t lo = vdupq_n_s8(0);
    int32_t t;
    if (d->ch != 8 || p->stride_w != 1) {
        return 0;
    }
    for (t = 0; t < d->nt; ++t) {
        const int8x16_t v = vldrbq_gather_offset_s8(d->w + 8 * t, lanes);
        lo = vminq_s8(lo, v);
        vstrbq_s8(w16 + 16 * t, v);
    }
    for (t = 0; t < 16; t += 4) {
        vstrwq_s32(b2 + t, vldrwq_s32(d->bias_eff + (t & 7)));
        vstrwq_s32(m2 + t, vldrwq_s32(d->multiplier + (t & 7)));
        vstrwq_s32(s2 + t, vldrwq_s32(d->shift + (t & 7)));
    }
    *d2 = *d;
    d2->ch = 16;
    d2->w16 = w16;
    d2->bias_eff = b2;
    d2->multiplier = m2;
    d2->shift = s2;
    return vminvq_s8(0, lo) > -128;
}

/* Channels [c, ch) (fewer than eight, the end of the channels) of one pixel into y (the pixel's
 * first channel): predicated loads, requantized lanes scattered. */
static void block8(const dw_layer *d, int32_t c, int8_t *y)
{
    const int32_t n = d->ch - c;
    const mve_pred16_t pr = vctp16q((uint32_t)n);
    const mve_pred16_t pe = vctp32q((uint32_t)(n + 1) / 2), po = vctp32q((uint32_t)n / 2);
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vaddq_n_u32(even, 1);
    const int8_t *wb = d->w + (size_t)(c / 8) * (size_t)d->nt * 8;
    int32x4_t e = vldrwq_gather_shifted_offset_z_s32(d->bias_eff + c, even, pe);
    int32x4_t o = vldrwq_gather_shifted_offset_z_s32(d->bias_eff + c, odd, po);
    int32_t t;
    for (t = 0; t < d->nt; ++t) {
        const int16x8_t x = vldrbq_z_s16(d->taps[t] + (c + d->delta), pr), wv = vldrbq_s16(wb + 8 * t);
        e = vaddq_s32(e, vmullbq_int_s16(x, wv));
        o = vaddq_s32(o, vmulltq_int_s16(x, wv));
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
    blocks(d, y);
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
#if defined(ECM_MVE)
    dw_layer d2;                        /* twin8's view of an eight-channel layer */
    int32_t b2[16], m2[16], s2[16], twin;
#endif
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
#if defined(ECM_MVE)
    d.w16 = zrow + (p->in_c + 7) / 8 * 8;
    d.pairs = regroup16(w, d.nt, d.ch / 16, zrow + (p->in_c + 7) / 8 * 8);
    d.right = right_shifts_only(shift, d.ch);
#endif
    memset(zrow, -p->input_offset, (size_t)p->in_c);
    tap_offsets(p, toff);
#if defined(ECM_MVE)
    d2 = d;
    twin = twin8(&d, p, (int8_t *)d.w16, b2, m2, s2, &d2);
#endif
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
#if defined(ECM_MVE)
                if (twin && inside && ow + 1 < p->out_w && iw0 + 1 + (p->k_w - 1) * p->dil_w < p->in_w) {
                    d2.delta = d.delta;   /* this pixel and the next one inside the image, as sixteen channels */
                    twin_pixels(&d2, y);
                    d.delta += step;
                    ++ow;
                    y += 16;
                    continue;
                }
#endif
                pixel(&d, y);
                y += p->in_c;
            }
        }
    }
}
