/* edgec runtime: int8 nonlinear activations and softmax, bit-exact with TensorFlow Lite Micro's
 * reference integer kernels (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, SOFTMAX, LOG_SOFTMAX).
 * Integer only.
 * Tensors are dense int8 arrays, layout-agnostic except softmax (rows along the last axis).
 * Every output may alias its input (in-place). The compiler computes all multipliers. */
#ifndef EC_ACTIVATION_S8_H
#define EC_ACTIVATION_S8_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LOGISTIC / TANH: d = x - input_zero_point; |d| >= input_range_radius saturates to -128/127,
 * else d is rescaled to Q4.27 by (input_multiplier, input_left_shift) (an MBQM shift, < 0 meaning
 * right) and fed to gemmlowp's fixed-point logistic/tanh. Outputs: logistic scale 1/256 zero
 * point -128; tanh scale 1/128 zero point 0. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} ec_logistic_tanh_s8_params;

void ec_logistic_s8(const ec_logistic_tanh_s8_params *p, const int8_t *x, int8_t *y);
void ec_tanh_s8(const ec_logistic_tanh_s8_params *p, const int8_t *x, int8_t *y);

/* HARD_SWISH: y = x * relu6(x + 3) / 6 in int16 fixed point. The input is taken to a "hires"
 * scale (s_in / 128); output_multiplier (Q15, output_shift in [-15, 0]) takes it to the output
 * scale, reluish_multiplier (Q15, reluish_shift in [-15, 30]) to the scale where 3.0 is 32768. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t output_multiplier;
    int32_t output_shift;
    int32_t reluish_multiplier;
    int32_t reluish_shift;
} ec_hard_swish_s8_params;

void ec_hard_swish_s8(const ec_hard_swish_s8_params *p, const int8_t *x, int8_t *y);

/* LEAKY_RELU: d = x - input_zero_point; y = output_zero_point + MBQM(d, identity) for d >= 0,
 * else + sign(alpha) * MBQM(d, |alpha multiplier|); clamped to int8. Shifts in [-31, 30]. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t identity_multiplier;
    int32_t identity_shift;
    int32_t alpha_multiplier;   /* signed: alpha may be negative */
    int32_t alpha_shift;
} ec_leaky_relu_s8_params;

void ec_leaky_relu_s8(const ec_leaky_relu_s8_params *p, const int8_t *x, int8_t *y);

/* SOFTMAX along rows of `depth` (<= 4095) contiguous elements, `outer` rows. Differences to the
 * row max that are >= diff_min are rescaled to Q5.26 by (input_multiplier, input_left_shift >= 0),
 * exponentiated in fixed point and divided by their Q12.19 sum; smaller ones give -128.
 * Output scale 1/256, zero point -128. */
typedef struct {
    int32_t outer;
    int32_t depth;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} ec_softmax_s8_params;

void ec_softmax_s8(const ec_softmax_s8_params *p, const int8_t *x, int8_t *y);

/* LOG_SOFTMAX along rows as SOFTMAX: y = d * s_in - log(sum of exps), computed in Q5.26; the
 * reverse scaling (Q31 divisor, shift <= 0) maps log(sum) back to input units so that only
 * differences representable in Q5.26 are kept (the rest give -128). Output scale 16/256,
 * zero point 127. */
typedef struct {
    int32_t outer;
    int32_t depth;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t reverse_scaling_divisor;
    int32_t reverse_scaling_shift;
    int32_t diff_min;
} ec_log_softmax_s8_params;

void ec_log_softmax_s8(const ec_log_softmax_s8_params *p, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_ACTIVATION_S8_H */
