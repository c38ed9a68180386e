/* edgec runtime: int8 softmax along contiguous rows (TFLite Micro's reference SOFTMAX int8). */
#include "ec_activation_s8.h"
#include "ec_fixedpoint.h"

/* Q0 exp of the rescaled difference d (<= 0, >= diff_min) of an element to its row max. */
static int32_t ec_softmax_exp(const ec_softmax_s8_params *p, int32_t d)
{
    return ec_exp_on_negative_values(ec_mul_by_quantized_mul(d, p->input_multiplier, p->input_left_shift), 5);
}

static void ec_softmax_row(const ec_softmax_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t c, max = -128, sum = 0, bits_over_unit, recip, exponent;
    for (c = 0; c < p->depth; ++c) {
        max = x[c] > max ? x[c] : max;
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t d = (int32_t)x[c] - max;
        if (d >= p->diff_min) {
            sum += ec_rounding_divide_by_pot(ec_softmax_exp(p, d), 12);   /* Q12.19 */
        }
    }
    recip = ec_reciprocal_q31(sum, 12, &bits_over_unit);
    exponent = bits_over_unit + 31 - 8;
    /* x[c] is read before y[c] is written: y may equal x */
    for (c = 0; c < p->depth; ++c) {
        const int32_t d = (int32_t)x[c] - max;
        if (d >= p->diff_min) {
            /* TFLite requires exponent <= 31; past it the quotient (< 2^31 / 2^32) rounds to 0 */
            const int32_t q = exponent > 31 ? 0
                : ec_rounding_divide_by_pot(ec_srdhm(recip, ec_softmax_exp(p, d)), exponent);
            y[c] = (int8_t)ec_clamp_s32(q - 128, -128, 127);
        } else {
            y[c] = -128;
        }
    }
}

void ec_softmax_s8(const ec_softmax_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t r;
    for (r = 0; r < p->outer; ++r) {
        ec_softmax_row(p, x + r * p->depth, y + r * p->depth);
    }
}
