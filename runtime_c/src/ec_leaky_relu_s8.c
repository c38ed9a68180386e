/* edgec runtime: int8 leaky relu (TFLite Micro's reference LEAKY_RELU int8 arithmetic). */
#include "ec_activation_s8.h"
#include "ec_fixedpoint.h"

void ec_leaky_relu_s8(const ec_leaky_relu_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t negative = p->alpha_multiplier < 0;
    const int32_t alpha_m = negative ? -p->alpha_multiplier : p->alpha_multiplier;
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t d = (int32_t)x[i] - p->input_zero_point;
        int32_t acc;
        if (d >= 0) {
            acc = ec_mul_by_quantized_mul(d, p->identity_multiplier, p->identity_shift);
        } else {
            const int32_t scaled = ec_mul_by_quantized_mul(d, alpha_m, p->alpha_shift);
            acc = negative ? -scaled : scaled;
        }
        y[i] = (int8_t)ec_clamp_s32(p->output_zero_point + acc, -128, 127);
    }
}
