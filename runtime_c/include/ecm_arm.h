/* edgec runtime, cmsis target: which Arm SIMD extension the kernels use, and word access.
 *
 * One source for every core: ECM_MVE when the compiler targets Helium (M55: arm_mve.h), else
 * ECM_DSP when it has the DSP extension (M4, M7, M33: arm_acle.h's __smlad, __sxtb16, ...), else
 * neither (M0+, M3, the host), where the kernels use plain C loops. The kernels pick their path
 * with #if on these, so the three paths of a kernel live side by side and share their setup. */
#ifndef ECM_ARM_H
#define ECM_ARM_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define ECM_MVE 1
#include <arm_mve.h>
#endif
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define ECM_DSP 1
#include <arm_acle.h>

/* Four int8 as one word (any alignment: v7-M/v8-M loads allow it; memcpy says so to C). */
static inline int32_t ecm_word(const void *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* __sxtb16 of x rotated right by 8: bytes 1 and 3 as two int16, in one instruction (this
 * arm_acle.h has no __ror, and gcc does not fold a C rotate into the sxtb16). */
static inline int32_t ecm_sxtb16_ror8(int32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* lo, hi = the two words at byte offset `off` (a constant) from p, in one ldrd, p 4-byte aligned
 * (gcc often splits such a load into two ldr). */
#define ECM_LDRD_AT(lo, hi, p, off)                                                        \
    __asm__("ldrd %0, %1, [%2, %3]" : "=r"(lo), "=r"(hi)                                  \
            : "r"(p), "i"(off), "m"(*(const int32_t(*)[2])((const int8_t *)(p) + (off))))
#endif

#endif /* ECM_ARM_H */
