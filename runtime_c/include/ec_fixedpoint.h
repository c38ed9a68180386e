/* edgec runtime: integer requantization helpers; the C twin of edgec/quant/fixedpoint.py.
 *
 * Rounding follows TensorFlow Lite (Micro)'s reference kernels so results are bit-exact with
 * them. A real multiplier M is given as (m, shift): M = m * 2^(shift - 31), m in [2^30, 2^31),
 * shift in [-31, 30], shift > 0 meaning a left shift. static inline: each kernel inlines its copy.
 * No floating point. */
#ifndef EC_FIXEDPOINT_H
#define EC_FIXEDPOINT_H

#include <stdint.h>

/* round(a * b / 2^31), ties toward +infinity (-0.5 -> 0) via the nudge and the truncating division,
 * as gemmlowp; saturates INT32_MIN * INT32_MIN. */
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

/* ec_mul_by_quantized_mul split in two, so that loops over many x with one (m, shift) set the
 * multiplier up once. Same result as ec_rounding_divide_by_pot(ec_srdhm(x << left, m), right), in
 * one int64 step: srdhm's s = round(ab / 2^31) (ties up) is floor((ab + 2^30) / 2^31), and s /
 * 2^right rounded ties away from zero is floor((s + 2^(right-1) - [s < 0]) / 2^right) for
 * right > 0; floors of floors by powers of two nest, so the whole is floor((ab + base - neg) /
 * 2^(31 + right)) with base = 2^30 + [right > 0] 2^(30 + right) and neg = [right > 0] 2^31 when
 * ab < -2^30 (s < 0). |ab| < 2^62 keeps the sum in range; the only result above INT32_MAX is
 * srdhm's saturating case INT32_MIN * INT32_MIN with right = 0, hence the clamp. */
typedef struct {
    int64_t base, neg_fix;
    int32_t m, left, total_shift;
} ec_requant;

static inline ec_requant ec_requant_setup(int32_t m, int32_t shift)
{
    ec_requant r;
    const int32_t right = shift > 0 ? 0 : -shift;
    r.m = m;
    r.left = shift > 0 ? shift : 0;
    r.total_shift = 31 + right;
    r.base = ((int64_t)1 << 30) + (right > 0 ? ((int64_t)1 << (30 + right)) : 0);
    r.neg_fix = right > 0 ? ((int64_t)1 << 31) : 0;
    return r;
}

static inline int32_t ec_requant_apply(const ec_requant *r, int32_t x)
{
    const int32_t shifted = (int32_t)(uint32_t)((uint32_t)x << r->left);
    const int64_t ab = (int64_t)shifted * (int64_t)r->m;
    const int64_t neg = ((ab + ((int64_t)1 << 30)) >> 63) & r->neg_fix;    /* ab < -2^30: all ones */
    const int64_t v = (ab + r->base - neg) >> r->total_shift;
    return (int32_t)(v > INT32_MAX ? INT32_MAX : v);
}

/* round(x * m * 2^(shift - 31)) with TFLite's double rounding. The left shift wraps like
 * two's-complement int32 (as TFLite's does); callers keep x small enough that it does not. */
static inline int32_t ec_mul_by_quantized_mul(int32_t x, int32_t m, int32_t shift)
{
    const ec_requant r = ec_requant_setup(m, shift);
    return ec_requant_apply(&r, x);
}

static inline int32_t ec_clamp_s32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- gemmlowp fixed point: exp, 1/(1+x), logistic, tanh (TFLite's int8 LOGISTIC, TANH, SOFTMAX).
 * A raw int32 `a` in format Q(ib) stands for a / 2^(31 - ib). The transcendental results are
 * Q0 (raw / 2^31; 1.0 is INT32_MAX). Every rounding step is gemmlowp's. Twins in fixedpoint.py. */

/* x * 2^exponent saturated to int32; exponent in [1, 30]. */
static inline int32_t ec_sat_left_shift(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((int32_t)1 << (31 - exponent)) - 1);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return x * ((int32_t)1 << exponent);
}

/* (a + b) / 2 rounded half away from zero. */
static inline int32_t ec_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a Q0 a in [-1/4, 0): 4th-order Taylor expansion around -1/8. */
static inline int32_t ec_exp_on_interval_neg_quarter(int32_t a)
{
    const int32_t c = 1895147668;                 /* exp(-1/8) */
    const int32_t x = a + ((int32_t)1 << 28);
    const int32_t x2 = ec_srdhm(x, x);
    const int32_t x3 = ec_srdhm(x2, x);
    const int32_t x4 = ec_srdhm(x2, x2);
    const int32_t poly = ec_rounding_divide_by_pot(
        ec_srdhm(ec_rounding_divide_by_pot(x4, 2) + x3, 715827883) + x2, 1);   /* 715827883: 1/3 */
    return c + ec_srdhm(c, x + poly);
}

/* r * exp(-2^e) when bit (fb + e) of rem is set (one step of exp's barrel shifter). */
static inline int32_t ec_exp_barrel_step(int32_t r, int32_t rem, int32_t integer_bits, int32_t e, int32_t m)
{
    if (integer_bits > e && (rem & ((int32_t)1 << (31 - integer_bits + e))) != 0) {
        return ec_srdhm(r, m);
    }
    return r;
}

/* Q0 of exp(a) for a Q(integer_bits) a <= 0, integer_bits in [0, 30]; exp(0) is INT32_MAX. */
static inline int32_t ec_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    const int32_t quarter = (int32_t)1 << (31 - integer_bits - 2);
    const int32_t amq = (a & (quarter - 1)) - quarter;    /* in [-1/4, 0) */
    const int32_t rem = amq - a;                          /* whole quarters, >= 0 */
    int32_t r = ec_exp_on_interval_neg_quarter(integer_bits > 0 ? ec_sat_left_shift(amq, integer_bits) : amq);
    r = ec_exp_barrel_step(r, rem, integer_bits, -2, 1672461947);   /* exp(-1/4) */
    r = ec_exp_barrel_step(r, rem, integer_bits, -1, 1302514674);   /* exp(-1/2) */
    r = ec_exp_barrel_step(r, rem, integer_bits, 0, 790015084);     /* exp(-1) */
    r = ec_exp_barrel_step(r, rem, integer_bits, 1, 290630308);     /* exp(-2) */
    r = ec_exp_barrel_step(r, rem, integer_bits, 2, 39332535);      /* exp(-4) */
    r = ec_exp_barrel_step(r, rem, integer_bits, 3, 720401);        /* exp(-8) */
    r = ec_exp_barrel_step(r, rem, integer_bits, 4, 242);           /* exp(-16) */
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        r = 0;                                                       /* below -32 */
    }
    return a == 0 ? INT32_MAX : r;
}

/* Q2 of 1 / ((1 + a) / 2) for a Q0 a in [0, 1): three Newton-Raphson steps. */
static inline int32_t ec_newton_reciprocal(int32_t a)
{
    const int32_t hd = ec_rounding_half_sum(a, INT32_MAX);
    int32_t x = 1515870810 + ec_srdhm(hd, -1010580540);               /* 48/17 - 32/17 hd */
    int32_t i;
    for (i = 0; i < 3; ++i) {
        const int32_t one_minus = ((int32_t)1 << 29) - ec_srdhm(hd, x);
        x = x + ec_sat_left_shift(ec_srdhm(x, one_minus), 2);
    }
    return x;
}

/* Q0 of 1 / (1 + a) for a Q0 a in [0, 1). */
static inline int32_t ec_one_over_one_plus_x(int32_t a)
{
    return ec_sat_left_shift(ec_newton_reciprocal(a), 1);
}

/* Q0 of (1 - a) / (1 + a) for a Q0 a in [0, 1). */
static inline int32_t ec_one_minus_x_over_one_plus_x(int32_t a)
{
    return ec_sat_left_shift(ec_newton_reciprocal(a) - ((int32_t)1 << 29), 2);
}

/* Q0 of 1 / (1 + exp(-a)) for a Q(integer_bits) a, |a| < 2^31. */
static inline int32_t ec_logistic_q31(int32_t a, int32_t integer_bits)
{
    const int32_t pos = ec_one_over_one_plus_x(ec_exp_on_negative_values(a > 0 ? -a : a, integer_bits));
    if (a == 0) {
        return (int32_t)1 << 30;
    }
    return a > 0 ? pos : INT32_MAX - pos;
}

/* Q0 of tanh(a) for a Q(integer_bits) a, |a| < 2^31. */
static inline int32_t ec_tanh_q31(int32_t a, int32_t integer_bits)
{
    const int32_t t = ec_one_minus_x_over_one_plus_x(ec_exp_on_negative_values(a > 0 ? -a : a, integer_bits + 1));
    if (a == 0) {
        return 0;
    }
    return a < 0 ? -t : t;
}

/* Leading zero bits of x (32 for 0). */
static inline int32_t ec_clz_u32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* TFLite's GetReciprocal: for a Q(integer_digits) x > 0, returns a Q0 r and sets
 * *num_bits_over_unit = n such that 1/x ~= r * 2^-n. */
static inline int32_t ec_reciprocal_q31(int32_t x, int32_t integer_digits, int32_t *num_bits_over_unit)
{
    const int32_t hpo = ec_clz_u32((uint32_t)x);
    const int32_t shifted_minus_one = (int32_t)(((uint32_t)x << hpo) - ((uint32_t)1 << 31));
    *num_bits_over_unit = integer_digits - hpo;
    return ec_one_over_one_plus_x(shifted_minus_one);
}

/* ---- int16 fixed point (TFLite's int8 HARD_SWISH) ---- */

/* a * b / 2^15 to nearest, ties up (gemmlowp's nudge); saturates INT16_MIN * INT16_MIN. */
static inline int16_t ec_srdhm_s16(int16_t a, int16_t b)
{
    const int32_t ab = (int32_t)a * (int32_t)b;
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)((ab + (ab >= 0 ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15));
}

/* trunc(a * b / 2^15) (rounds toward zero); saturates INT16_MIN * INT16_MIN. */
static inline int16_t ec_sdhm_s16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* x * 2^amount clamped to int16; amount in [0, 30]. */
static inline int16_t ec_sat_left_shift_s16(int16_t x, int32_t amount)
{
    const int64_t v = (int64_t)x * ((int64_t)1 << amount);
    return (int16_t)(v > INT16_MAX ? INT16_MAX : (v < INT16_MIN ? INT16_MIN : v));
}

/* ---- gemmlowp-style log (TFLite's int8 LOG_SOFTMAX) ---- */

static inline int32_t ec_saturating_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + (int64_t)b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

static inline int32_t ec_saturating_sub(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a - (int64_t)b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

/* ec_sat_left_shift with a run-time exponent in [0, 30]; 0 is the identity. */
static inline int32_t ec_sat_left_shift_param(int32_t x, int32_t exponent)
{
    return exponent == 0 ? x : ec_sat_left_shift(x, exponent);
}

/* Q(output_bits) of log(x) for a Q(input_bits) x >= 1 (TFLite's
 * log_x_for_x_greater_than_or_equal_to_1): x = 2^k * r, r in [sqrt(1/2), 1) (or r times
 * sqrt(1/2)), log(r) by a rational approximation around 2^(-1/4); one extra accumulator bit. */
static inline int32_t ec_log_x_ge_1(int32_t x, int32_t input_bits, int32_t output_bits)
{
    const int32_t acc_bits = output_bits + 1;
    const int32_t sqrt_half = 1518500250, sqrt_sqrt_half = 1805811301;
    const int32_t quarter = ec_rounding_divide_by_pot((int32_t)1 << 29, acc_bits);
    const int32_t hpo_a = ec_clz_u32((uint32_t)x);
    const int32_t r_a = ec_sat_left_shift(ec_srdhm(ec_sat_left_shift_param(x, hpo_a - 1), sqrt_half), 1);
    const int32_t pow_a = ec_saturating_add(ec_sat_left_shift(input_bits - hpo_a, 31 - acc_bits), quarter);
    const int32_t hr_b = ec_clz_u32((uint32_t)ec_srdhm(x, sqrt_half)) - 1;
    const int32_t r_b = ec_sat_left_shift_param(x, hr_b);
    const int32_t pow_b = ec_saturating_sub(ec_sat_left_shift(input_bits - hr_b, 31 - acc_bits), quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t p = ec_rounding_half_sum(r, sqrt_sqrt_half);
    const int32_t q = 2 * (r - sqrt_sqrt_half);
    const int32_t sq = ec_srdhm(q, q);
    const int32_t num = ec_srdhm(q, r) + ec_srdhm(ec_srdhm(q, sq), 117049297);           /* 11/240 2^(1/4) */
    const int32_t denom_minus_one = ec_srdhm(p, 1057819769 + q + ec_srdhm(127690142, sq))  /* alpha_i, alpha_d */
                                    + ec_srdhm(638450708, q);                              /* alpha_f */
    const int32_t acc = ec_srdhm(pow_a > pow_b ? pow_a : pow_b, 1488522236)               /* log(2) */
                        + ec_srdhm(ec_rounding_divide_by_pot(num, acc_bits), ec_one_over_one_plus_x(denom_minus_one));
    return ec_sat_left_shift_param(acc, acc_bits - output_bits);
}

#endif /* EC_FIXEDPOINT_H */
