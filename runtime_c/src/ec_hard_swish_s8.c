/* edgec runtime: int8 hard swish (TFLite Micro's reference HARD_SWISH int8 arithmetic). */
#include "ec_activation_s8.h"
#include "ec_fixedpoint.h"

/* x rescaled from [-3, 3] to [0, 1] as a Q15 (saturating outside), from the hires input. */
static int16_t ec_hard_swish_reluish(const ec_hard_swish_s8_params *p, int16_t hires)
{
    int16_t r = hires;
    if (p->reluish_shift > 0) {
        r = ec_sat_left_shift_s16(r, p->reluish_shift - 1);   /* any saturation is redone below */
    }
    r = ec_srdhm_s16(r, (int16_t)p->reluish_multiplier);
    if (p->reluish_shift > 0) {
        r = ec_sat_left_shift_s16(r, 1);
    } else if (p->reluish_shift < 0) {
        r = (int16_t)ec_rounding_divide_by_pot(r, -p->reluish_shift);
    }
    return (int16_t)(((int32_t)r + 32768) >> 1);
}

void ec_hard_swish_s8(const ec_hard_swish_s8_params *p, const int8_t *x, int8_t *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const int16_t hires = (int16_t)(((int32_t)x[i] - p->input_zero_point) * 128);
        const int16_t preshift = ec_srdhm_s16(hires, (int16_t)p->output_multiplier);
        const int16_t prod = ec_sdhm_s16(ec_hard_swish_reluish(p, hires), preshift);
        /* TFLite adds the zero point in int16; |prod| <= 255 * 128 leaves room, so nothing wraps */
        const int32_t out = ec_rounding_divide_by_pot(prod, -p->output_shift) + p->output_zero_point;
        y[i] = (int8_t)ec_clamp_s32(out, -128, 127);
    }
}
