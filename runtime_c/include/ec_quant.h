/* edgec runtime: conversions between float32 and int8, and int8 rescaling.
 * ec_quantize_f32/ec_dequantize_f32 use float (float islands and the float convenience
 * wrapper only); ec_requantize_s8 is integer-only. Outputs may alias inputs of the same size. */
#ifndef EC_QUANT_H
#define EC_QUANT_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* real = scale * (q - zero_point) */
typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} ec_quantize_params;

/* q = clamp(round_half_away(x / scale) + zero_point, -128, 127) */
void ec_quantize_f32(const ec_quantize_params *p, const float *x, int8_t *y);
/* y = scale * (q - zero_point) */
void ec_dequantize_f32(const ec_quantize_params *p, const int8_t *x, float *y);

typedef struct {
    int32_t size;
    int32_t input_offset;   /* -input zero point */
    int32_t output_offset;  /* output zero point */
    int32_t multiplier;     /* Q31 of s_in / s_out */
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
} ec_requantize_params;

/* y = clamp(output_offset + MBQM(x + input_offset), act_min, act_max); y may equal x. */
void ec_requantize_s8(const ec_requantize_params *p, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_QUANT_H */
