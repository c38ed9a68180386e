/* edgec runtime: int8 log-softmax along contiguous rows (TFLite Micro's reference LOG_SOFTMAX). */
#include "ec_activation_s8.h"
#include "ec_fixedpoint.h"

static void ec_log_softmax_row(const ec_log_softmax_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t c, max = -128, sum = 0, log_sum, bound;
    for (c = 0; c < p->depth; ++c) {
        max = x[c] > max ? x[c] : max;
    }
    for (c = 0; c < p->depth; ++c) {
        const int32_t d = (int32_t)x[c] - max;
        if (d >= p->diff_min) {
            const int32_t q5 = ec_mul_by_quantized_mul(d, p->input_multiplier, p->input_left_shift);
            sum += ec_rounding_divide_by_pot(ec_exp_on_negative_values(q5, 5), 12);   /* Q12.19 */
        }
    }
    log_sum = ec_log_x_ge_1(sum, 12, 5);                                              /* Q5.26 */
    bound = ec_mul_by_quantized_mul(log_sum + INT32_MIN, p->reverse_scaling_divisor, p->reverse_scaling_shift);
    bound = bound > p->diff_min - 1 ? bound : p->diff_min - 1;
    /* x[c] is read before y[c] is written: y may equal x */
    for (c = 0; c < p->depth; ++c) {
        const int32_t d = (int32_t)x[c] - max;
        if (d > bound) {
            const int32_t q5 = ec_mul_by_quantized_mul(d, p->input_multiplier, p->input_left_shift);
            y[c] = (int8_t)ec_clamp_s32(ec_rounding_divide_by_pot(q5 - log_sum, 31 - 5 - 4) + 127, -128, 127);
        } else {
            y[c] = -128;
        }
    }
}

void ec_log_softmax_s8(const ec_log_softmax_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t r;
    for (r = 0; r < p->outer; ++r) {
        ec_log_softmax_row(p, x + r * p->depth, y + r * p->depth);
    }
}
