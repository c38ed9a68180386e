/* edgec runtime: int8 -> int8 rescale with clamp (TFLite's Requantize arithmetic). */
#include "ec_fixedpoint.h"
#include "ec_quant.h"

void ec_requantize_s8(const ec_requantize_params *p, const int8_t *x, int8_t *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        int32_t acc = ec_mul_by_quantized_mul((int32_t)x[i] + p->input_offset, p->multiplier, p->shift);
        y[i] = (int8_t)ec_clamp_s32(acc + p->output_offset, p->act_min, p->act_max);
    }
}
