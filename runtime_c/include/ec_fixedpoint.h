/* edgec runtime: integer requantization helpers; the C twin of edgec/quant/fixedpoint.py.
 *
 * Rounding follows TensorFlow Lite (Micro)'s reference kernels so results are bit-exact with
 * them. A real multiplier M is given as (m, shift): M = m * 2^(shift - 31), m in [2^30, 2^31),
 * shift in [-31, 30], shift > 0 meaning a left shift. static inline: each kernel inlines its copy.
 * No floating point. */
#ifndef EC_FIXEDPOINT_H
#define EC_FIXEDPOINT_H

#include <stdint.h>

/* round(a * b / 2^31), ties away from zero via the nudge; saturates INT32_MIN * INT32_MIN. */
static inline int32_t ec_srdhm(int32_t a, int32_t b)
{
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31]. */
static inline int32_t ec_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* round(x * m * 2^(shift - 31)) with TFLite's double rounding. The left shift wraps like
 * two's-complement int32 (as TFLite's does); callers keep x small enough that it does not. */
static inline int32_t ec_mul_by_quantized_mul(int32_t x, int32_t m, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)(uint32_t)((uint32_t)x << left);
    return ec_rounding_divide_by_pot(ec_srdhm(shifted, m), right);
}

static inline int32_t ec_clamp_s32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif /* EC_FIXEDPOINT_H */
