/* edgec runtime: int8 logistic (TFLite Micro's reference LOGISTIC int8 arithmetic). */
#include "ec_activation_s8.h"
#include "ec_fixedpoint.h"

void ec_logistic_s8(const ec_logistic_tanh_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t d = (int32_t)x[i] - p->input_zero_point;
        if (d <= -p->input_range_radius) {
            y[i] = -128;
        } else if (d >= p->input_range_radius) {
            y[i] = 127;
        } else {
            const int32_t q4 = ec_mul_by_quantized_mul(d, p->input_multiplier, p->input_left_shift);
            const int32_t q23 = ec_rounding_divide_by_pot(ec_logistic_q31(q4, 4), 23);   /* 1/256 */
            y[i] = (int8_t)ec_clamp_s32(q23 - 128, -128, 127);
        }
    }
}
