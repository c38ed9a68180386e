/* edgec runtime, cmsis target: int8 add / subtract of two contiguous rows (no broadcasting),
 * TFLM's ADD / SUB arithmetic as ec_add_s8 (see ec_elementwise_s8.h) with ecm_mbqm's 32-bit
 * requantization; Helium: four lanes per step (vqrdmulh is the doubling high multiply, the
 * rounding shift lowers negative values by one first, as ecm_requant_lanes). */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

#if defined(ECM_MVE)
/* ecm_mbqm on four lanes with one multiplier and shift. */
static inline int32x4_t mbqm4(int32x4_t x, int32_t m, int32_t sh)
{
    if (sh > 0) {
        x = vshlq_s32(x, vdupq_n_s32(sh));
    }
    x = vqrdmulhq_n_s32(x, m);
    if (sh < 0) {
        x = vrshlq_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), vdupq_n_s32(sh));
    }
    return x;
}

/* x rounded-shifted right by -sh (sh < 0), TFLite's ties away from zero; x as it is when `zero`
 * (sh == 0, inlined as a constant). */
static inline __attribute__((always_inline)) int32x4_t rshift4(int32x4_t x, int32_t sh, const int32_t zero)
{
    return zero ? x : vrshlq_n_s32(vqaddq_s32(x, vshrq_n_s32(x, 31)), sh);
}

/* y[0..n4) (n4 a multiple of 4) for the usual layer, no shift a left shift (input shifts < 0, or
 * 0 where `az` / `bz` say so, inlined as constants; output shift < 0): (x + offset) << 20 as one
 * multiply-accumulate onto the offset's vector, the rounding shifts by a scalar, the clamp on
 * the layer's constant vectors. */
static inline __attribute__((always_inline)) void add_rows_right(const ec_add_s8_params *p, const int8_t *a,
                                                                 const int8_t *b, int8_t *y, int32_t n4,
                                                                 const int32_t az, const int32_t bz)
{
    const int32x4_t ao = vdupq_n_s32(p->a_offset * (1 << EC_ADD_S8_LEFT_SHIFT));
    const int32x4_t bo = vdupq_n_s32(p->b_offset * (1 << EC_ADD_S8_LEFT_SHIFT));
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t am = p->a_multiplier, as = p->a_shift, bm = p->b_multiplier, bs = p->b_shift;
    const int32_t om = p->out_multiplier, os = p->out_shift, off = p->out_offset, sub = p->subtract;
    int32_t i;
    for (i = 0; i < n4; i += 4) {
        const int32x4_t va = rshift4(vqrdmulhq_n_s32(vmlaq_n_s32(ao, vldrbq_s32(a + i), 1 << EC_ADD_S8_LEFT_SHIFT), am),
                                     as, az);
        const int32x4_t vb = rshift4(vqrdmulhq_n_s32(vmlaq_n_s32(bo, vldrbq_s32(b + i), 1 << EC_ADD_S8_LEFT_SHIFT), bm),
                                     bs, bz);
        const int32x4_t v = rshift4(vqrdmulhq_n_s32(sub ? vsubq_s32(va, vb) : vaddq_s32(va, vb), om), os, 0);
        vstrbq_s32(y + i, vminq_s32(vmaxq_s32(vaddq_n_s32(v, off), lo), hi));
    }
}
#endif

void ecm_add_s8_row(const ec_add_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y, int32_t n)
{
    const int32_t ao = p->a_offset, bo = p->b_offset, am = p->a_multiplier, as = p->a_shift;
    const int32_t bm = p->b_multiplier, bs = p->b_shift, om = p->out_multiplier, os = p->out_shift;
    const int32_t off = p->out_offset, lo = p->act_min, hi = p->act_max, sub = p->subtract;
    int32_t i;
#if defined(ECM_MVE)
    i = 0;
    if (as <= 0 && bs <= 0 && os < 0 && (as < 0 || bs < 0)) {
        i = n & ~3;
        if (as == 0) {
            add_rows_right(p, a, b, y, i, 1, 0);
        } else if (bs == 0) {
            add_rows_right(p, a, b, y, i, 0, 1);
        } else {
            add_rows_right(p, a, b, y, i, 0, 0);
        }
    }
    for (; i < n; i += 4) {
        const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
        const int32x4_t va = mbqm4(vshlq_n_s32(vaddq_n_s32(vldrbq_z_s32(a + i, pr), ao), EC_ADD_S8_LEFT_SHIFT), am, as);
        const int32x4_t vb = mbqm4(vshlq_n_s32(vaddq_n_s32(vldrbq_z_s32(b + i, pr), bo), EC_ADD_S8_LEFT_SHIFT), bm, bs);
        int32x4_t v = vaddq_n_s32(mbqm4(sub ? vsubq_s32(va, vb) : vaddq_s32(va, vb), om, os), off);
        v = vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
        vstrbq_p_s32(y + i, v, pr);
    }
#else
    if (as <= 0 && bs <= 0 && os <= 0 && as >= -29 && bs >= -29 && os >= -29) {
        /* ecm_rq's short form (see ecm_gemm_s8.h): |a + ao| <= 256, so the inputs shifted left
         * by 21 stay below 2^29, each scaled input below 2^28, their sum below 2^29: nothing
         * leaves int32 for right shifts of at most 29. */
        const int32_t ar = 1 << -as, br = 1 << -bs, orr = 1 << -os;
        const int32_t sat = lo == -128 && hi == 127;
        for (i = 0; i < n; ++i) {
            const int32_t va = ecm_rqs((a[i] + ao) * (1 << (EC_ADD_S8_LEFT_SHIFT + 1)), am, ar, 1 - as);
            const int32_t vb = ecm_rqs((b[i] + bo) * (1 << (EC_ADD_S8_LEFT_SHIFT + 1)), bm, br, 1 - bs);
            const int32_t v = ecm_rqs((sub ? va - vb : va + vb) * 2, om, orr, 1 - os) + off;
#if defined(ECM_DSP)
            y[i] = sat ? (int8_t)__ssat(v, 8) : ecm_clamp(v, lo, hi);
#else
            (void)sat;
            y[i] = ecm_clamp(v, lo, hi);
#endif
        }
        return;
    }
    for (i = 0; i < n; ++i) {
        const int32_t va = ecm_mbqm((a[i] + ao) * (1 << EC_ADD_S8_LEFT_SHIFT), am, as);
        const int32_t vb = ecm_mbqm((b[i] + bo) * (1 << EC_ADD_S8_LEFT_SHIFT), bm, bs);
        const int32_t v = ecm_mbqm(sub ? va - vb : va + vb, om, os) + off;
        y[i] = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
    }
#endif
}
