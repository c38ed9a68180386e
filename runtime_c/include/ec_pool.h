/* edgec runtime: 2-D pooling and local response normalisation (float32, NHWC).
 *
 * Pools: x is [n][in_h][in_w][c], y is [n][out_h][out_w][c]; y must not alias x. Output (oy, ox)
 * reads taps (oy * stride[0] - pad[0] + i * dilation[0], ox * stride[1] - pad[1] + j * dilation[1])
 * for i < kernel[0], j < kernel[1]; taps outside the input are skipped (never read). The compiler
 * sizes out_h/out_w (ceil_mode is already applied there), so windows may run past the end pads.
 * Average divisor: taps inside the input, or with count_include_pad taps inside input + pads.
 *
 * LRN: x and y are [outer][c] (NHWC with outer = n*h*w); y must not alias x.
 * y[c] = x[c] / (bias + alpha_over_size * sum_{t=c-before..c+after, clipped} x[t]^2)^beta. */
#ifndef EC_POOL_H
#define EC_POOL_H

#include "ec_types.h"

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
    int32_t count_include_pad;  /* average pool only: 1 = pads count toward the divisor */
} ec_pool2d_params;

void ec_max_pool2d_f32(const ec_pool2d_params *p, const float *x, float *y);
void ec_avg_pool2d_f32(const ec_pool2d_params *p, const float *x, float *y);

typedef struct {
    int32_t outer;          /* number of channel vectors (n * h * w) */
    int32_t c;              /* channels */
    int32_t before, after;  /* window: (size - 1) / 2 channels before, size / 2 after */
    float alpha_over_size;  /* alpha / size */
    float beta;
    float bias;
} ec_lrn_params;

void ec_lrn_f32(const ec_lrn_params *p, const float *x, float *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_POOL_H */
