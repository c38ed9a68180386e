/* edgec runtime: int8 2-D pooling over NHWC with TensorFlow Lite Micro's reference arithmetic.
 *
 * x is [n][in_h][in_w][c], y is [n][out_h][out_w][c], both with the same quantization
 * parameters; y must not alias x. Output (oy, ox) reads taps
 * (oy * stride[0] - pad[0] + i * dilation[0], ox * stride[1] - pad[1] + j * dilation[1]) for
 * i < kernel[0], j < kernel[1]; taps outside the input are skipped. The compiler guarantees every
 * window holds at least one input tap. Results are clamped to [act_min, act_max].
 * Max: the largest input tap. Average: the sum of the raw int8 taps divided by the tap count with
 * TFLM's rounding, (sum + count / 2) / count if sum > 0 else (sum - count / 2) / count (C integer
 * division); count is the number of input taps, or with count_include_pad the taps inside
 * input + pads, each pad tap then adding pad_value (the zero point) to the sum. No floating point. */
#ifndef EC_POOL_S8_H
#define EC_POOL_S8_H

#include "ec_types.h"

/* Helium (the M55): the channel loops take 16 int8 lanes (max) or 4 int32 lanes (average) per
 * step, predicated at the end; elsewhere plain C. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define EC_POOL_MVE 1
#include <arm_mve.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t n, in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t kernel[2];          /* h, w */
    int32_t stride[2];          /* h, w */
    int32_t dilation[2];        /* h, w */
    int32_t pad[4];             /* top, left, bottom, right */
    int32_t count_include_pad;  /* average pool only: 1 = pad taps count, adding pad_value */
    int32_t pad_value;          /* the int8 value of a pad tap (the zero point) */
    int32_t act_min;
    int32_t act_max;
} ec_pool2d_s8_params;

/* Taps of one window dim inside [lo, hi) (average pool's counts). */
static inline int32_t ec_pool_tap_count(int32_t start, int32_t k, int32_t d, int32_t lo, int32_t hi)
{
    int32_t i, cnt = 0;
    for (i = 0; i < k; ++i) {
        const int32_t pos = start + i * d;
        cnt += pos >= lo && pos < hi;
    }
    return cnt;
}

/* TFLM's rounding division of a tap sum by count > 0, then the clamp (average pool). */
static inline int8_t ec_pool_average(int32_t acc, int32_t count, int32_t lo, int32_t hi)
{
    const int32_t q = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    return (int8_t)(q < lo ? lo : (q > hi ? hi : q));
}

void ec_max_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y);
void ec_avg_pool2d_s8(const ec_pool2d_s8_params *p, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_POOL_S8_H */
