/* edgec runtime: int8 element-wise kernels with TensorFlow Lite Micro's reference arithmetic.
 *
 * Tensors are dense row-major int8 arrays. Broadcasting as in ec_binary_f32: the output has
 * `rank` dims, a/b strides are in elements and 0 on a broadcast dim. y may equal a when a has the
 * output's shape (in place), never a broadcast input. Offsets are negated zero points for inputs
 * and the zero point for the output; (multiplier, shift) pairs are Q31 reals as in
 * ec_fixedpoint.h. Integer arithmetic only. */
#ifndef EC_ELEMENTWISE_S8_H
#define EC_ELEMENTWISE_S8_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TFLM's int8 ADD/SUB headroom: (x + offset) is scaled by 2^20 before rescaling. */
#define EC_ADD_S8_LEFT_SHIFT 20

/* y = clamp(out_offset + MBQM(A +/- B, out_multiplier, out_shift), act_min, act_max) with
 * A = MBQM((a + a_offset) << 20, a_multiplier, a_shift), B likewise; every shift <= 0. */
typedef struct {
    int32_t rank;
    int32_t shape[EC_MAX_RANK];
    int32_t a_strides[EC_MAX_RANK];
    int32_t b_strides[EC_MAX_RANK];
    int32_t subtract;         /* 0: A + B, 1: A - B */
    int32_t a_offset;
    int32_t b_offset;
    int32_t a_multiplier;
    int32_t a_shift;
    int32_t b_multiplier;
    int32_t b_shift;
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t out_offset;
    int32_t act_min;
    int32_t act_max;
} ec_add_s8_params;

void ec_add_s8(const ec_add_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);

/* y = clamp(out_offset + MBQM((a + a_offset) * (b + b_offset), out_multiplier, out_shift),
 * act_min, act_max); the multiplier is the Q31 form of s_a * s_b / s_y. */
typedef struct {
    int32_t rank;
    int32_t shape[EC_MAX_RANK];
    int32_t a_strides[EC_MAX_RANK];
    int32_t b_strides[EC_MAX_RANK];
    int32_t a_offset;
    int32_t b_offset;
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t out_offset;
    int32_t act_min;
    int32_t act_max;
} ec_mul_s8_params;

void ec_mul_s8(const ec_mul_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_ELEMENTWISE_S8_H */
