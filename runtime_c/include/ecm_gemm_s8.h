/* edgec runtime, cmsis target: the int8 matrix core shared by the convolution, 1x1 convolution
 * and fully connected kernels: output rows = requant(bias_eff + rows of raw int8 inputs times
 * packed weights). The input offset is folded into bias_eff, so inputs stay raw int8.
 *
 * Packed weights (prepared by the compiler, edgec/backend/cmsis_ops.py): output channels in
 * pairs (a zero row completes an odd count), K zero-padded to k4 (a multiple of 4), and per pair
 * the groups of four interleaved: [pair][k4 / 4][2 channels][4], so one 8-byte load brings four
 * weights of both channels. With target cmsis-w16, where the DSP path is compiled, the compiler
 * emits the convolutions' weights pre-widened instead (cmsis_ops.py: pack_pairs_s16, selected by
 * the preprocessor condition that matches ECM_DSP without ECM_MVE; the kernels' w16 says so): each
 * channel's group as two words of int16 pairs (w0, w2), (w1, w3), 16 bytes per group of a pair,
 * twice the flash, no __sxtb16 in the inner loop. Fully connected layers keep int8 weights: each
 * is used once per inference, so widening them costs the same there and doubling their flash
 * would buy little.
 *
 * Blocks of 2 rows x 2 channels (CMSIS-NN's shape: each loaded word serves two products), or
 * 1 x 2 for a last odd row. Paths:
 * - DSP: the rows are first widened into int16 scratch, once per row pair and reused by every
 *   channel pair, in __sxtb16 order: each group of four as (x0, x2), (x1, x3), interleaved per
 *   group like the weights. The pre-widened weight words (w0, w2), (w1, w3) line up with the
 *   row words, and two __smlad add four products.
 * - Helium: rows read in place, 16 int8 lanes per vmladava; a gather load picks the 16 weights
 *   of one channel out of the interleaved pair block; tails predicated. The sums of a row go to
 *   scratch and are requantized four channels per step (ecm_requant_lanes).
 * - plain C: as DSP (same scratch layout), with scalar multiply-adds.
 * All sums are exact int32 (K < 2^16), so every path gives the simulator's result. */
#ifndef ECM_GEMM_S8_H
#define ECM_GEMM_S8_H

#include <stddef.h>
#include <stdint.h>

#include "ec_fixedpoint.h"
#include "ecm_arm.h"

/* round(acc * m * 2^(sh - 31)): exactly ec_mul_by_quantized_mul
 * (TFLite's doubling high multiply rounding half up, then a rounding right shift with ties away
 * from zero), written for a 32-bit core. The high multiply is floor((x m + 2^30) / 2^31), as
 * ec_requant_setup explains (m >= 0: it never saturates): one smlal into 2^30 with DSP. The
 * rounding shift by r > 0 is floor((s - [s < 0] + 2^(r - 1)) / 2^r), computed as
 * ((t >> (r - 1)) + 1) >> 1 with t = s - [s < 0], which cannot overflow (s > INT32_MIN). */
static inline int32_t ecm_mbqm(int32_t acc, int32_t m, int32_t sh)
{
    const int32_t xs = (int32_t)((uint32_t)acc << (sh > 0 ? sh : 0));
    int32_t s;
#if defined(ECM_DSP)
    uint32_t l = 1u << 30;
    int32_t h = 0;
    __asm__("smlal %0, %1, %2, %3" : "+r"(l), "+r"(h) : "r"(xs), "r"(m));
    s = (int32_t)((l >> 31) | ((uint32_t)h << 1));
#else
    const int64_t ab = (int64_t)xs * (int64_t)m;
    s = (int32_t)(uint32_t)((uint64_t)(ab + ((int64_t)1 << 30)) >> 31);
#endif
    if (sh < 0) {
        const int32_t t = s + (s >> 31);
        s = ((t >> (-sh - 1)) + 1) >> 1;
    }
    return s;
}

/* ecm_mbqm(acc, m, sh) + rounding in two steps, for a channel whose table entry q = (m, lsh + 1,
 * 2^r, r + 1) (lsh = max(sh, 0), r = max(-sh, 0)) the compiler made only where |acc| is small
 * enough (edgec/backend/cmsis_ops.py: requant_table). The high multiply of acc << lsh rounding
 * half up is smmulr's round((acc << (lsh + 1)) m / 2^32); TFLite's shift by r rounding ties away
 * from zero is floor((2 s - [s < 0] + 2^r) / 2^(r + 1)): for s >= 0 that is floor((s + 2^(r-1))
 * / 2^r), for s < 0 the numerator is odd (r > 0), so subtracting one changes a floor only at a
 * tie, which it moves toward zero; r = 0 gives s. ecm_rqs takes acc << (lsh + 1) = x, 2^r = rnd
 * and r + 1 = rsh. The table's rnd also holds the output offset, 2^r + off 2^(r + 1), which adds
 * exactly off after the shift (the compiler checks the sum stays in int32), so ecm_rq's result
 * is the requantized value plus the output offset. */
static inline int32_t ecm_rqs(int32_t x, int32_t m, int32_t rnd, int32_t rsh)
{
    int32_t s;
#if defined(ECM_DSP)
    __asm__("smmulr %0, %1, %2" : "=r"(s) : "r"(x), "r"(m));
#else
    s = (int32_t)(((int64_t)x * (int64_t)m + ((int64_t)1 << 31)) >> 32);
#endif
    return ((int32_t)((uint32_t)s << 1) + (s >> 31) + rnd) >> rsh;
}

/* ecm_rqs with channel entry q: acc shifted left by lsh + 1 here; the output offset included. */
static inline int32_t ecm_rq(int32_t acc, const int32_t *q)
{
    return ecm_rqs((int32_t)((uint32_t)acc << q[1]), q[0], q[2], q[3]);
}

#if defined(ECM_DSP) && !defined(ECM_MVE)
/* a = ecm_rq(a, q'), the table entry q' at byte offset `off` (a constant) from q in two ldrd. */
#define ECM_RQ1(a, q, off)                                                         \
    do {                                                                           \
        int32_t m_, l_, r_, s_;                                                    \
        ECM_LDRD_AT(m_, l_, q, off);                                               \
        ECM_LDRD_AT(r_, s_, q, (off) + 8);                                         \
        a = ecm_rqs((int32_t)((uint32_t)(a) << l_), m_, r_, s_);                   \
    } while (0)
#endif

/* v clamped to [lo, hi] as int8. */
static inline int8_t ecm_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

#if defined(ECM_DSP) && !defined(ECM_MVE)
/* ecm_clamp, one ssat when `sat` says the clamp is int8's own range (a constant where inlined). */
static inline int8_t ecm_clamp_sat(int32_t v, int32_t lo, int32_t hi, const int sat)
{
    return sat ? (int8_t)__ssat(v, 8) : ecm_clamp(v, lo, hi);
}

/* y = sum a requantized and clamped: by the table entry at byte offset qo (a constant) from q
 * when `table`, else by m and sh plus the output offset off. */
#define ECM_OUT(y, a, table, sat, q, qo, m, sh, off, lo, hi)          \
    do {                                                              \
        int32_t v_ = (a);                                             \
        if (table) {                                                  \
            ECM_RQ1(v_, q, qo);                                       \
        } else {                                                      \
            v_ = ecm_mbqm(v_, m, sh) + (off);                         \
        }                                                             \
        (y) = ecm_clamp_sat(v_, lo, hi, sat);                         \
    } while (0)

/* ECM_OUT of two sums a, b of one channel into ya, yb: the table entry loaded once. */
#define ECM_OUT2(ya, yb, a, b, table, sat, q, qo, m, sh, off, lo, hi)                    \
    do {                                                                                 \
        int32_t va_ = (a), vb_ = (b);                                                    \
        if (table) {                                                                     \
            int32_t m_, l_, r_, s_;                                                      \
            ECM_LDRD_AT(m_, l_, q, qo);                                                  \
            ECM_LDRD_AT(r_, s_, q, (qo) + 8);                                            \
            va_ = ecm_rqs((int32_t)((uint32_t)va_ << l_), m_, r_, s_);                   \
            vb_ = ecm_rqs((int32_t)((uint32_t)vb_ << l_), m_, r_, s_);                   \
        } else {                                                                         \
            va_ = ecm_mbqm(va_, m, sh) + (off);                                          \
            vb_ = ecm_mbqm(vb_, m, sh) + (off);                                          \
        }                                                                                \
        (ya) = ecm_clamp_sat(va_, lo, hi, sat);                                          \
        (yb) = ecm_clamp_sat(vb_, lo, hi, sat);                                          \
    } while (0)
#endif

/* ecm_mbqm of `acc` with channel c's parameters (by ecm_rq when there is a table, whose entries
 * hold the offset), plus the output offset, clamped. */
static inline int8_t ecm_requant(int32_t acc, const int32_t *multiplier, const int32_t *shift, const int32_t *rq,
                                 int32_t c, int32_t off, int32_t lo, int32_t hi)
{
    const int32_t v = rq != NULL ? ecm_rq(acc, rq + 4 * c) : ecm_mbqm(acc, multiplier[c], shift[c]) + off;
    return ecm_clamp(v, lo, hi);
}

#if defined(ECM_MVE)
/* y[lanes[j]] = requantized acc lane j for the lanes in pr, channel parameters at the same
 * offsets from multiplier / shift: ecm_requant four lanes at a time. vqrdmulh is exactly the
 * doubling high multiply (floor((x m + 2^30) / 2^31)); the rounding right shift rounds ties up,
 * so negative values are first lowered by one (TFLite rounds ties away from zero). */
/* The requantized and offset lanes of acc (not clamped), with multipliers m and shifts sh. */
static inline int32x4_t ecm_scale_vec(int32x4_t acc, int32x4_t m, int32x4_t sh, int32_t off)
{
    const int32x4_t zero = vdupq_n_s32(0), right = vminq_s32(sh, zero);
    int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(sh, zero)), m);
    v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31));
    return vaddq_n_s32(vrshlq_s32(v, right), off);
}

/* ecm_scale_vec clamped to [lo, hi]. */
static inline int32x4_t ecm_requant_vec(int32x4_t acc, int32x4_t m, int32x4_t sh, int32_t off, int32_t lo, int32_t hi)
{
    return vminq_s32(vmaxq_s32(ecm_scale_vec(acc, m, sh, off), vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

static inline void ecm_requant_lanes(int32x4_t acc, const int32_t *multiplier, const int32_t *shift,
                                     uint32x4_t lanes, mve_pred16_t pr, int32_t off, int32_t lo, int32_t hi,
                                     int8_t *y)
{
    const int32x4_t sh = vldrwq_gather_shifted_offset_z_s32(shift, lanes, pr);
    const int32x4_t m = vldrwq_gather_shifted_offset_z_s32(multiplier, lanes, pr);
    vstrbq_scatter_offset_p_s32(y, lanes, ecm_requant_vec(acc, m, sh, off, lo, hi), pr);
}
#endif

/* What one product needs besides its rows and output. */
typedef struct {
    const int8_t *w;              /* packed weights */
    const int32_t *bias_eff;      /* [n] */
    const int32_t *multiplier, *shift;
    const int32_t *rq;            /* ecm_rq table [n][4], or NULL */
    int32_t n, k, k4;             /* channels, inner length, k rounded up to 4 */
    int32_t off, lo, hi;          /* output offset and clamp */
    int16_t *q;                   /* scratch for the widened rows: 2 * k4 int16 (unused by Helium) */
    int32_t *acc;                 /* scratch for two rows of sums: 2 * n4 int32 (Helium, DSP) */
    int32_t n4;                   /* n rounded up to 4 */
    int32_t w16;                  /* DSP path: w is the pre-widened form (ECM_W16 where emitted) */
} ecm_gemm;

#if !defined(ECM_MVE)
/* q[group][row][4] = the rows' groups of four in __sxtb16 order (x0, x2, x1, x3), zero past k;
 * `rows` rows (1 or 2) interleaved per group. */
static inline void ecm_widen_rows(const int8_t *r0, const int8_t *r1, int32_t rows, int32_t k, int32_t k4,
                                  int16_t *q)
{
    int32_t g, j, r;
    for (r = 0; r < rows; ++r) {
        const int8_t *src = r == 0 ? r0 : r1;
        int16_t *d = q + 4 * r;
        for (g = 0; g + 4 <= k; g += 4, d += 4 * rows) {
#if defined(ECM_DSP)
            const int32_t v = ecm_word(src + g), lo = __sxtb16(v), hi = ecm_sxtb16_ror8(v);
            memcpy(d, &lo, 4);
            memcpy(d + 2, &hi, 4);
#else
            d[0] = src[g];
            d[1] = src[g + 2];
            d[2] = src[g + 1];
            d[3] = src[g + 3];
#endif
        }
        if (g < k4) {
            int8_t t[4] = {0, 0, 0, 0};
            for (j = 0; g + j < k; ++j) {
                t[j] = src[g + j];
            }
            d[0] = t[0];
            d[1] = t[2];
            d[2] = t[1];
            d[3] = t[3];
        }
    }
}
#endif

#if defined(ECM_MVE)
/* Byte offsets of one channel's 16 weights (four groups) inside a pair block: group g lane j at
 * 8 g + j; the pair's second channel is 4 further. */
static const uint8_t ecm_pair_lanes[16] = {0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27};
#endif

#if defined(ECM_DSP) && !defined(ECM_MVE)
/* With cmsis-w16 the convolutions' weights are emitted pre-widened for this path (see the top). */
#define ECM_W16 1

/* Two 32-bit words from *p (8-byte load, any 4-byte alignment), advancing *p by 8 bytes: one
 * post-indexed ldrd (gcc splits a C 8-byte load into two ldr and adds). */
#define ECM_LDRD(lo, hi, p) __asm__ volatile("ldrd %0, %1, [%2], #8" : "=r"(lo), "=r"(hi), "+r"(p) : : "memory")

/* One group of four: 2 rows x 2 channels, 8 __smlad; advances q by 8 int16 and wp by 16 bytes
 * (both channels' widened weights, one ldrd each). The four row words come in one ldm, which
 * needs its registers in ascending order: fixed here (r4, r5, r6, r8: not r7, the Thumb frame
 * pointer of unoptimized builds). */
#define ECM_GROUP2X2(q, wp)                                                     \
    do {                                                                        \
        register int32_t xa __asm__("r4"), xb __asm__("r5"), ya __asm__("r6"), yb __asm__("r8"); \
        int32_t wa, wb;                                                         \
        __asm__ volatile("ldmia %4!, {%0, %1, %2, %3}"                          \
                         : "=r"(xa), "=r"(xb), "=r"(ya), "=r"(yb), "+r"(q) : : "memory"); \
        ECM_LDRD(wa, wb, wp);                                                   \
        s00 = __smlad(xb, wb, __smlad(xa, wa, s00));                            \
        s10 = __smlad(yb, wb, __smlad(ya, wa, s10));                            \
        ECM_LDRD(wa, wb, wp);                                                   \
        s01 = __smlad(xb, wb, __smlad(xa, wa, s01));                            \
        s11 = __smlad(yb, wb, __smlad(ya, wa, s11));                            \
    } while (0)

/* One group of four of one row: x words (x0, x2), (x1, x3) from q, both channels' widened
 * weights from wp (advanced by 16 bytes). */
#define ECM_GROUP1X2(q, wp)                                                     \
    do {                                                                        \
        int32_t xa, xb, wa, wb;                                                 \
        ECM_LDRD(xa, xb, q);                                                    \
        ECM_LDRD(wa, wb, wp);                                                   \
        s00 = __smlad(xb, wb, __smlad(xa, wa, s00));                            \
        ECM_LDRD(wa, wb, wp);                                                   \
        s01 = __smlad(xb, wb, __smlad(xa, wa, s01));                            \
    } while (0)

/* ECM_GROUP2X2 and ECM_GROUP1X2 with int8 weights: each weight word widened by __sxtb16 and
 * __sxtb16 ror 8 into (w0, w2), (w1, w3); wp advances by 8 bytes. */
#define ECM_GROUP2X2_S8(q, wp)                                                  \
    do {                                                                        \
        register int32_t xa __asm__("r4"), xb __asm__("r5"), ya __asm__("r6"), yb __asm__("r8"); \
        int32_t w0, w1, w0a, w0b, w1a, w1b;                                     \
        __asm__ volatile("ldmia %4!, {%0, %1, %2, %3}"                          \
                         : "=r"(xa), "=r"(xb), "=r"(ya), "=r"(yb), "+r"(q) : : "memory"); \
        ECM_LDRD(w0, w1, wp);                                                   \
        w0a = __sxtb16(w0);                                                     \
        w0b = ecm_sxtb16_ror8(w0);                                              \
        w1a = __sxtb16(w1);                                                     \
        w1b = ecm_sxtb16_ror8(w1);                                              \
        s00 = __smlad(xb, w0b, __smlad(xa, w0a, s00));                          \
        s01 = __smlad(xb, w1b, __smlad(xa, w1a, s01));                          \
        s10 = __smlad(yb, w0b, __smlad(ya, w0a, s10));                          \
        s11 = __smlad(yb, w1b, __smlad(ya, w1a, s11));                          \
    } while (0)

#define ECM_GROUP1X2_S8(q, wp)                                                  \
    do {                                                                        \
        int32_t xa, xb, w0, w1;                                                 \
        ECM_LDRD(xa, xb, q);                                                    \
        ECM_LDRD(w0, w1, wp);                                                   \
        s00 = __smlad(xb, ecm_sxtb16_ror8(w0), __smlad(xa, __sxtb16(w0), s00)); \
        s01 = __smlad(xb, ecm_sxtb16_ror8(w1), __smlad(xa, __sxtb16(w1), s01)); \
    } while (0)
#else
#define ECM_W16 0
#endif

/* *g for one layer: its constants, output offset and clamp, and its scratch (the widened rows at
 * its start, then the sums), the layout every matrix kernel's _scratch_size counts. k: the
 * length of the rows the kernel passes, k4: k rounded up to 4 (an im2col passes rows already
 * padded: k == k4, which the kernels' loops then know); w16 as the kernels take it (honoured
 * only where ECM_W16). */
static inline __attribute__((always_inline)) void ecm_gemm_init(ecm_gemm *g, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                                 const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int32_t n,
                                 int32_t k, int32_t k4, int32_t off, int32_t lo, int32_t hi, void *scratch)
{
    g->w = w;
    g->bias_eff = bias_eff;
    g->multiplier = multiplier;
    g->shift = shift;
    g->rq = rq;
    g->n = n;
    g->k = k;
    g->k4 = k4;
    g->off = off;
    g->lo = lo;
    g->hi = hi;
    g->q = (int16_t *)scratch;
    g->n4 = (n + 3) / 4 * 4;
    g->w16 = ECM_W16 && w16;   /* the pre-widened form exists only where the DSP path is compiled */
    g->acc = (int32_t *)((int8_t *)scratch + 2 * g->k4 * (int32_t)sizeof(int16_t));
}

/* s[2r + j] = dot products of rows r (2 of them, or 1: s[2], s[3] untouched) with the pair's
 * channels j, added to s. wp: the pair's packed block. */
static inline void ecm_pair_dots(const ecm_gemm *g, const int8_t *r0, const int8_t *r1, int32_t rows,
                                 const int8_t *wp, int32_t s[4])
{
    int32_t s00 = s[0], s01 = s[1], s10 = s[2], s11 = s[3], i;
#if defined(ECM_MVE)
    const uint8x16_t lanes0 = vld1q_u8(ecm_pair_lanes), lanes1 = vaddq_n_u8(lanes0, 4);
    const int32_t full = g->k & ~15;
    if (rows == 2) {
        for (i = 0; i < full; i += 16) {
            const int8x16_t w0 = vldrbq_gather_offset_s8(wp + 2 * i, lanes0);
            const int8x16_t w1 = vldrbq_gather_offset_s8(wp + 2 * i, lanes1);
            const int8x16_t x0 = vldrbq_s8(r0 + i), x1 = vldrbq_s8(r1 + i);
            s00 = vmladavaq_s8(s00, x0, w0);
            s01 = vmladavaq_s8(s01, x0, w1);
            s10 = vmladavaq_s8(s10, x1, w0);
            s11 = vmladavaq_s8(s11, x1, w1);
        }
        if (i < g->k) {
            const mve_pred16_t pr = vctp8q((uint32_t)(g->k - i));
            const int8x16_t w0 = vldrbq_gather_offset_z_s8(wp + 2 * i, lanes0, pr);
            const int8x16_t w1 = vldrbq_gather_offset_z_s8(wp + 2 * i, lanes1, pr);
            const int8x16_t x0 = vldrbq_z_s8(r0 + i, pr), x1 = vldrbq_z_s8(r1 + i, pr);
            s00 = vmladavaq_s8(s00, x0, w0);
            s01 = vmladavaq_s8(s01, x0, w1);
            s10 = vmladavaq_s8(s10, x1, w0);
            s11 = vmladavaq_s8(s11, x1, w1);
        }
    } else {
        for (i = 0; i < full; i += 16) {
            const int8x16_t x0 = vldrbq_s8(r0 + i);
            s00 = vmladavaq_s8(s00, x0, vldrbq_gather_offset_s8(wp + 2 * i, lanes0));
            s01 = vmladavaq_s8(s01, x0, vldrbq_gather_offset_s8(wp + 2 * i, lanes1));
        }
        if (i < g->k) {
            const mve_pred16_t pr = vctp8q((uint32_t)(g->k - i));
            const int8x16_t x0 = vldrbq_z_s8(r0 + i, pr);
            s00 = vmladavaq_s8(s00, x0, vldrbq_gather_offset_z_s8(wp + 2 * i, lanes0, pr));
            s01 = vmladavaq_s8(s01, x0, vldrbq_gather_offset_z_s8(wp + 2 * i, lanes1, pr));
        }
    }
#else
    const int16_t *q = g->q;
    const int32_t groups = g->k4 / 4;
    (void)r0;
    (void)r1;
    if (rows == 2) {
#if defined(ECM_DSP)
        for (i = 0; i < groups; ++i) {
            if (g->w16) {
                ECM_GROUP2X2(q, wp);
            } else {
                ECM_GROUP2X2_S8(q, wp);
            }
        }
#else
        for (i = 0; i < groups; ++i, q += 8, wp += 8) {
            s00 += q[0] * wp[0] + q[1] * wp[2] + q[2] * wp[1] + q[3] * wp[3];
            s01 += q[0] * wp[4] + q[1] * wp[6] + q[2] * wp[5] + q[3] * wp[7];
            s10 += q[4] * wp[0] + q[5] * wp[2] + q[6] * wp[1] + q[7] * wp[3];
            s11 += q[4] * wp[4] + q[5] * wp[6] + q[6] * wp[5] + q[7] * wp[7];
        }
#endif
    } else {
#if defined(ECM_DSP)
        for (i = 0; i < groups; ++i) {
            if (g->w16) {
                ECM_GROUP1X2(q, wp);
            } else {
                ECM_GROUP1X2_S8(q, wp);
            }
        }
#else
        for (i = 0; i < groups; ++i, q += 4, wp += 8) {
            s00 += q[0] * wp[0] + q[1] * wp[2] + q[2] * wp[1] + q[3] * wp[3];
            s01 += q[0] * wp[4] + q[1] * wp[6] + q[2] * wp[5] + q[3] * wp[7];
        }
#endif
    }
#endif
    s[0] = s00;
    s[1] = s01;
    s[2] = s10;
    s[3] = s11;
}

#if defined(ECM_MVE)
/* y[0..n) = requantized acc[0..n), four channels per step (ecm_requant_lanes without its
 * gathers and predication while four channels remain; the layer's constants in registers). */
static inline void ecm_requant_row(const ecm_gemm *g, const int32_t *acc, int8_t *y)
{
    const int32_t *const mult = g->multiplier, *const shift = g->shift;
    const int32_t n = g->n, off = g->off;
    const int32x4_t zero = vdupq_n_s32(0), lo = vdupq_n_s32(g->lo), hi = vdupq_n_s32(g->hi);
    int32_t c;
    for (c = 0; c + 4 <= n; c += 4) {
        const int32x4_t sh = vldrwq_s32(shift + c), right = vminq_s32(sh, zero);
        int32x4_t v = vqrdmulhq_s32(vshlq_s32(vldrwq_s32(acc + c), vmaxq_s32(sh, zero)), vldrwq_s32(mult + c));
        v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31));
        v = vaddq_n_s32(vrshlq_s32(v, right), off);
        vstrbq_s32(y + c, vminq_s32(vmaxq_s32(v, lo), hi));
    }
    if (c < n) {
        const mve_pred16_t pr = vctp32q((uint32_t)(n - c));
        ecm_requant_lanes(vldrwq_z_s32(acc + c, pr), mult + c, shift + c, vidupq_n_u32(0, 1), pr, off, g->lo, g->hi,
                          y + c);
    }
}

/* Sums of rows r0, r1 with every channel (an even count) into a0, a1, K in whole steps of 16 and, when `tail`
 * (k mod 16) is not 0, one predicated step (inlined twice: with tail 0 the step disappears). */
static inline __attribute__((always_inline)) void ecm_sums2(const ecm_gemm *g, const int8_t *r0, const int8_t *r1,
                                                            int32_t *a0, int32_t *a1, const int32_t tail)
{
    const size_t pair_bytes = 2 * (size_t)g->k4;
    const uint8x16_t l0 = vld1q_u8(ecm_pair_lanes), l1 = vaddq_n_u8(l0, 4);
    const int32_t *bias = g->bias_eff, *const bend = g->bias_eff + g->n;
    const int32_t steps = g->k / 16;
    const mve_pred16_t pt = vctp8q((uint32_t)tail);
    const int8_t *wpair = g->w;
    int32_t *o0 = a0, *o1 = a1;
    for (; bias < bend; bias += 2, wpair += pair_bytes, o0 += 2, o1 += 2) {
        const int8_t *wp = wpair, *x0 = r0, *x1 = r1;
        int32_t s00 = bias[0], s01 = bias[1], s10 = s00, s11 = s01;
        int8x16_t v0, v1, w0, w1;
        /* the K steps in assembly: a low-overhead loop (wls / le) of ten instructions, where gcc's
         * loop set-up and register moves cost about as much again per channel pair; vmlava needs
         * even registers ("Te") */
        __asm__ volatile("wls lr, %[n], 2f\n"
                         "1:\n\t"
                         "vldrb.u8 %q[v0], [%[x0]], #16\n\t"
                         "vldrb.u8 %q[v1], [%[x1]], #16\n\t"
                         "vldrb.u8 %q[w0], [%[wp], %q[l0]]\n\t"
                         "vldrb.u8 %q[w1], [%[wp], %q[l1]]\n\t"
                         "vmlava.s8 %[s00], %q[v0], %q[w0]\n\t"
                         "vmlava.s8 %[s01], %q[v0], %q[w1]\n\t"
                         "vmlava.s8 %[s10], %q[v1], %q[w0]\n\t"
                         "vmlava.s8 %[s11], %q[v1], %q[w1]\n\t"
                         "adds %[wp], #32\n\t"
                         "le lr, 1b\n"
                         "2:"
                         : [s00] "+Te"(s00), [s01] "+Te"(s01), [s10] "+Te"(s10), [s11] "+Te"(s11), [x0] "+r"(x0),
                           [x1] "+r"(x1), [wp] "+r"(wp), [v0] "=&w"(v0), [v1] "=&w"(v1), [w0] "=&w"(w0), [w1] "=&w"(w1)
                         : [n] "r"(steps), [l0] "w"(l0), [l1] "w"(l1)
                         : "lr", "cc", "memory");
        if (tail != 0) {   /* lanes past k would read the next pair's weights and other pixels */
            const int8x16_t w0 = vldrbq_gather_offset_z_s8(wp, l0, pt), w1 = vldrbq_gather_offset_z_s8(wp, l1, pt);
            const int8x16_t v0 = vldrbq_z_s8(x0, pt), v1 = vldrbq_z_s8(x1, pt);
            s00 = vmladavaq_s8(s00, v0, w0);
            s01 = vmladavaq_s8(s01, v0, w1);
            s10 = vmladavaq_s8(s10, v1, w0);
            s11 = vmladavaq_s8(s11, v1, w1);
        }
        o0[0] = s00;
        o0[1] = s01;
        o1[0] = s10;
        o1[1] = s11;
    }
}

/* ecm_sums2 for K = 8 with the two rows side by side in memory (a 1x1 convolution of eight
 * channels): one load of both rows for every channel; each channel's eight weights gathered into
 * both halves of a vector, masked to one half then the other for each row's dot product (no
 * predicated steps; a pair block is 16 bytes, so the gathers stay inside it). */
static __attribute__((noinline)) void ecm_sums2_k8(const ecm_gemm *g, const int8_t *r01, int32_t *a0, int32_t *a1)
{
    static const uint8_t twice[16] = {0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11};
    static const int8_t low[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8x16_t l0 = vld1q_u8(twice), l1 = vaddq_n_u8(l0, 4);
    const int8x16_t x = vldrbq_s8(r01), m0 = vldrbq_s8(low), m1 = vmvnq_s8(m0);
    const int32_t *bias = g->bias_eff;
    const int8_t *wp = g->w;
    int32_t s00, s01, s10, s11;
    int8x16_t w0, w1, t;
    /* assembly: seventeen instructions a channel pair, where gcc reloaded the biases after every
     * store (out of line: its loop takes lr) */
    __asm__ volatile("dls lr, %[n]\n"
                     "1:\n\t"
                     "ldrd %[s00], %[s01], [%[b]], #8\n\t"
                     "vldrb.u8 %q[w0], [%[wp], %q[l0]]\n\t"
                     "vldrb.u8 %q[w1], [%[wp], %q[l1]]\n\t"
                     "adds %[wp], #16\n\t"
                     "mov %[s10], %[s00]\n\t"
                     "mov %[s11], %[s01]\n\t"
                     "vand %q[t], %q[w0], %q[m0]\n\t"
                     "vmlava.s8 %[s00], %q[x], %q[t]\n\t"
                     "vand %q[t], %q[w1], %q[m0]\n\t"
                     "vmlava.s8 %[s01], %q[x], %q[t]\n\t"
                     "vand %q[t], %q[w0], %q[m1]\n\t"
                     "vmlava.s8 %[s10], %q[x], %q[t]\n\t"
                     "vand %q[t], %q[w1], %q[m1]\n\t"
                     "vmlava.s8 %[s11], %q[x], %q[t]\n\t"
                     "strd %[s00], %[s01], [%[a0]], #8\n\t"
                     "strd %[s10], %[s11], [%[a1]], #8\n\t"
                     "le lr, 1b"
                     : [s00] "=&Te"(s00), [s01] "=&Te"(s01), [s10] "=&Te"(s10), [s11] "=&Te"(s11), [b] "+r"(bias),
                       [wp] "+r"(wp), [a0] "+r"(a0), [a1] "+r"(a1), [w0] "=&w"(w0), [w1] "=&w"(w1), [t] "=&w"(t)
                     : [n] "r"(g->n / 2), [x] "w"(x), [m0] "w"(m0), [m1] "w"(m1), [l0] "w"(l0), [l1] "w"(l1)
                     : "lr", "memory");
}

/* Sums of one row r0 with channels [0, 4 quads) into a0, two channel pairs per step of 16 (one
 * row load for four dot products), K as ecm_sums2 (`tail`: k mod 16, inlined twice). */
static inline __attribute__((always_inline)) void ecm_sums1(const ecm_gemm *g, const int8_t *r0, int32_t quads,
                                                            int32_t *a0, const int32_t tail)
{
    const size_t pair_bytes = 2 * (size_t)g->k4;
    const uint8x16_t l0 = vld1q_u8(ecm_pair_lanes), l1 = vaddq_n_u8(l0, 4);
    const int32_t *bias = g->bias_eff;
    const int32_t steps = g->k / 16;
    const mve_pred16_t pt = vctp8q((uint32_t)tail);
    const int8_t *wpair = g->w;
    int32_t q, i;
    for (q = 0; q < quads; ++q, bias += 4, wpair += 2 * pair_bytes, a0 += 4) {
        const int8_t *w0 = wpair, *w1 = wpair + pair_bytes, *x = r0;
        int32_t s0 = bias[0], s1 = bias[1], s2 = bias[2], s3 = bias[3];
        for (i = 0; i < steps; ++i, w0 += 32, w1 += 32, x += 16) {
            const int8x16_t v = vldrbq_s8(x);
            s0 = vmladavaq_s8(s0, v, vldrbq_gather_offset_s8(w0, l0));
            s1 = vmladavaq_s8(s1, v, vldrbq_gather_offset_s8(w0, l1));
            s2 = vmladavaq_s8(s2, v, vldrbq_gather_offset_s8(w1, l0));
            s3 = vmladavaq_s8(s3, v, vldrbq_gather_offset_s8(w1, l1));
        }
        if (tail != 0) {   /* lanes past k would read the next pair's weights */
            const int8x16_t v = vldrbq_z_s8(x, pt);
            s0 = vmladavaq_s8(s0, v, vldrbq_gather_offset_z_s8(w0, l0, pt));
            s1 = vmladavaq_s8(s1, v, vldrbq_gather_offset_z_s8(w0, l1, pt));
            s2 = vmladavaq_s8(s2, v, vldrbq_gather_offset_z_s8(w1, l0, pt));
            s3 = vmladavaq_s8(s3, v, vldrbq_gather_offset_z_s8(w1, l1, pt));
        }
        a0[0] = s0;
        a0[1] = s1;
        a0[2] = s2;
        a0[3] = s3;
    }
}

/* Output rows y0 (and y1 when rows == 2) of input rows r0 (, r1): the sums of every channel
 * into scratch, then requantized four at a time. */
static inline void ecm_gemm_rows(const ecm_gemm *g, const int8_t *r0, const int8_t *r1, int32_t rows, int8_t *y0,
                                 int8_t *y1)
{
    const size_t pair_bytes = 2 * (size_t)g->k4;
    int32_t *a0 = g->acc, *a1 = g->acc + g->n4;
    int32_t c, s[4];
    if (rows == 2 && (g->n & 1) == 0) {   /* the common case, written out */
        if (g->k == 8 && r1 == r0 + 8) {
            ecm_sums2_k8(g, r0, a0, a1);
        } else if ((g->k & 15) == 0) {
            ecm_sums2(g, r0, r1, a0, a1, 0);
        } else {
            ecm_sums2(g, r0, r1, a0, a1, g->k & 15);
        }
        ecm_requant_row(g, a0, y0);
        ecm_requant_row(g, a1, y1);
        return;
    }
    c = 0;
    if (rows == 1) {   /* a fully connected layer's usual case: four channels per row load */
        const int32_t quads = g->n / 4;
        if ((g->k & 15) == 0) {
            ecm_sums1(g, r0, quads, a0, 0);
        } else {
            ecm_sums1(g, r0, quads, a0, g->k & 15);
        }
        c = 4 * quads;
    }
    for (; c < g->n; c += 2) {
        const int32_t c1 = c + 1 < g->n ? c + 1 : c;
        s[0] = s[2] = g->bias_eff[c];
        s[1] = s[3] = g->bias_eff[c1];
        ecm_pair_dots(g, r0, r1, rows, g->w + (size_t)(c / 2) * pair_bytes, s);
        a0[c] = s[0];
        a0[c + 1] = s[1];
        a1[c] = s[2];
        a1[c + 1] = s[3];
    }
    ecm_requant_row(g, a0, y0);
    if (rows == 2) {
        ecm_requant_row(g, a1, y1);
    }
}
#else
#if defined(ECM_DSP)
/* One group of four of both rows with the pair's weights in the form `w16` says. */
#define ECM_GROUP2X2_W(q, wp, w16)      \
    do {                                \
        if (w16) {                      \
            ECM_GROUP2X2(q, wp);        \
        } else {                        \
            ECM_GROUP2X2_S8(q, wp);     \
        }                               \
    } while (0)

/* The sums of both rows (widened in g->q) with every channel pair, into g->acc as [pair][s00,
 * s01, s10, s11]: the loop keeps only the sums and three pointers live, so nothing spills.
 * `w16` (a constant where inlined): the weights' form. */
static inline __attribute__((always_inline)) void ecm_sums2_dsp(const ecm_gemm *g, const int w16)
{
    const int32_t *bias = g->bias_eff;
    const int32_t ng = g->k4 / 4;
    const int16_t *const rows = g->q;
    const int8_t *wp = g->w;
    int32_t *acc = g->acc;
    int32_t *const aend = acc + 2 * (g->n & ~1);
    for (; acc < aend; acc += 4, bias += 2) {
        const int8_t *const wend = wp + (w16 ? 16 : 8) * (size_t)ng;
        const int16_t *qr = rows;
        int32_t s00, s01, s10, s11;
        ECM_LDRD_AT(s00, s01, bias, 0);
        s10 = s00;
        s11 = s01;
        if (ng & 1) {   /* then whole fours of groups: one loop test per four */
            ECM_GROUP2X2_W(qr, wp, w16);
        }
        if (ng & 2) {
            ECM_GROUP2X2_W(qr, wp, w16);
            ECM_GROUP2X2_W(qr, wp, w16);
        }
        while (wp < wend) {
            ECM_GROUP2X2_W(qr, wp, w16);
            ECM_GROUP2X2_W(qr, wp, w16);
            ECM_GROUP2X2_W(qr, wp, w16);
            ECM_GROUP2X2_W(qr, wp, w16);
        }
        acc[0] = s00;
        acc[1] = s01;
        acc[2] = s10;
        acc[3] = s11;
    }
}

/* y0, y1 = the sums of ecm_sums2_dsp requantized, the layer's constants in locals (int8 stores
 * may alias *g). Inlined with constant flags for the usual layer: `table` ecm_rq's short form,
 * `sat` the clamp is int8's own range (one ssat). */
static inline __attribute__((always_inline)) void ecm_rows2(const ecm_gemm *g, int8_t *y0, int8_t *y1,
                                                            const int table, const int sat, const int w16)
{
    const int32_t *mult = g->multiplier, *shift = g->shift, *q = g->rq, *acc = g->acc;
    const int32_t off = g->off, lo = g->lo, hi = g->hi;
    const int8_t *const yend = y0 + (g->n & ~1);
    ecm_sums2_dsp(g, w16);
    for (; y0 < yend; y0 += 2, y1 += 2, acc += 4, q += 8, mult += 2, shift += 2) {
        int32_t s00, s01, s10, s11;
        ECM_LDRD_AT(s00, s01, acc, 0);
        ECM_LDRD_AT(s10, s11, acc, 8);
        ECM_OUT2(y0[0], y1[0], s00, s10, table, sat, q, 0, mult[0], shift[0], off, lo, hi);
        ECM_OUT2(y0[1], y1[1], s01, s11, table, sat, q, 16, mult[1], shift[1], off, lo, hi);
    }
}

static inline void ecm_rows2_usual(const ecm_gemm *g, int8_t *y0, int8_t *y1)
{
    if (g->w16) {
        ecm_rows2(g, y0, y1, 1, 1, 1);
    } else {
        ecm_rows2(g, y0, y1, 1, 1, 0);
    }
}

static inline void ecm_rows2_any(const ecm_gemm *g, int8_t *y0, int8_t *y1)
{
    if (g->w16) {
        ecm_rows2(g, y0, y1, g->rq != NULL, g->lo == -128 && g->hi == 127, 1);
    } else {
        ecm_rows2(g, y0, y1, g->rq != NULL, g->lo == -128 && g->hi == 127, 0);
    }
}
#endif

#if defined(ECM_DSP)
/* y0 = every channel pair of the one row widened in g->q: four weights of two channels per
 * step, int16 weights when `w16` (a constant where inlined), else int8. */
static inline __attribute__((always_inline)) void ecm_row1(const ecm_gemm *g, int8_t *y0, const int w16)
{
    const int32_t *const mult = g->multiplier, *const shift = g->shift, *const bias = g->bias_eff, *const rq = g->rq;
    const int32_t n = g->n, off = g->off, lo = g->lo, hi = g->hi;
    const size_t pair_bytes = (w16 ? 16 : 8) * (size_t)(g->k4 / 4);
    const int8_t *wp = g->w;
    int32_t c;
    for (c = 0; c + 1 < n; c += 2) {
        const int8_t *const wend = wp + pair_bytes;
        const int16_t *q = g->q;
        int32_t s00 = bias[c], s01 = bias[c + 1];
        while (wp < wend) {
            if (w16) {
                ECM_GROUP1X2(q, wp);
            } else {
                ECM_GROUP1X2_S8(q, wp);
            }
        }
        y0[c] = ecm_requant(s00, mult, shift, rq, c, off, lo, hi);
        y0[c + 1] = ecm_requant(s01, mult, shift, rq, c + 1, off, lo, hi);
    }
}
#endif

/* Output rows y0 (and y1 when rows == 2) of input rows r0 (, r1): every channel. */
static inline void ecm_gemm_rows(const ecm_gemm *g, const int8_t *r0, const int8_t *r1, int32_t rows, int8_t *y0,
                                 int8_t *y1)
{
    const size_t pair_bytes = (g->w16 ? 4 : 2) * (size_t)g->k4;
    int32_t c, s[4];
    ecm_widen_rows(r0, r1, rows, g->k, g->k4, g->q);
    /* locals: int8 stores may alias *g, which would reload these for every output */
    const int32_t *const mult = g->multiplier, *const shift = g->shift, *const bias = g->bias_eff, *const rq = g->rq;
    const int32_t n = g->n, off = g->off, lo = g->lo, hi = g->hi;
    const int8_t *const w = g->w;
    c = 0;
#if defined(ECM_DSP)
    if (rows == 2) {   /* the common case, with its flags as constants where they are usual */
        if (rq != NULL && lo == -128 && hi == 127) {
            ecm_rows2_usual(g, y0, y1);
        } else {
            ecm_rows2_any(g, y0, y1);
        }
        c = n & ~1;
    } else if (rows == 1) {   /* one row (a fully connected layer's usual case) */
        if (g->w16) {
            ecm_row1(g, y0, 1);
        } else {
            ecm_row1(g, y0, 0);
        }
        c = n & ~1;
    }
#endif
    for (; c < n; c += 2) {
        const int32_t two = c + 1 < n;
        s[0] = s[2] = bias[c];
        s[1] = s[3] = two ? bias[c + 1] : 0;
        ecm_pair_dots(g, r0, r1, rows, w + (size_t)(c / 2) * pair_bytes, s);
        y0[c] = ecm_requant(s[0], mult, shift, rq, c, off, lo, hi);
        if (two) {
            y0[c + 1] = ecm_requant(s[1], mult, shift, rq, c + 1, off, lo, hi);
        }
        if (rows == 2) {
            y1[c] = ecm_requant(s[2], mult, shift, rq, c, off, lo, hi);
            if (two) {
                y1[c + 1] = ecm_requant(s[3], mult, shift, rq, c + 1, off, lo, hi);
            }
        }
    }
}

#endif

/* m rows x_r = x + r * xs, outputs y_r = y + r * n. */
static inline void ecm_gemm_matrix(const ecm_gemm *g, const int8_t *x, size_t xs, int32_t m, int8_t *y)
{
    int32_t r;
    for (r = 0; r < m; r += 2) {
        const int32_t rows = r + 1 < m ? 2 : 1;
        const int8_t *a = x + (size_t)r * xs;
        int8_t *o = y + (size_t)r * (size_t)g->n;
        ecm_gemm_rows(g, a, a + xs, rows, o, o + g->n);
    }
}

#endif /* ECM_GEMM_S8_H */
