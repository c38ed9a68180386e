/* edgec runtime: int8 2-D convolution and depthwise convolution, channels-last.
 *
 * Arithmetic: TensorFlow Lite (Micro)'s reference ConvPerChannel / DepthwiseConvPerChannel, bit
 * for bit. For every output (pixel, channel c):
 *     acc = bias[c] + sum over in-image taps and input channels of (x + input_offset) * w
 *     y   = clamp(MBQM(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
 * where MBQM is ec_mul_by_quantized_mul. Taps in the padding are skipped, which equals reading
 * the input zero point. Sums are exact in int32 while k_h * k_w * ICg <= 2^16 (TFLite's limit).
 *
 * Layouts: x [n][in_h][in_w][in_c], y [n][out_h][out_w][out_c] (NHWC). Channels split into
 * `groups` equal groups: ICg = in_c / groups, OCg = out_c / groups; output channel oc reads input
 * channels g * ICg .. g * ICg + ICg - 1 with g = oc / OCg. bias is [out_c] or NULL (zeros);
 * multiplier/shift are [out_c] (Q31 of s_in * s_w[c] / s_out, see ec_fixedpoint.h).
 * y must not overlap x, w or bias. All dimensions are > 0. No floating point. */
#ifndef EC_CONV_S8_H
#define EC_CONV_S8_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight rows of ec_conv2d_s8 are zero-padded to a multiple of this many elements; must equal
 * CONV_S8_KALIGN in edgec/ops/conv_s8.py. */
#define EC_CONV_S8_KALIGN 16

/* y[oh][ow] reads x[oh * stride_h - pad_top + kh * dil_h][ow * stride_w - pad_left + kw * dil_w]. */
typedef struct {
    int32_t n;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t groups;
    int32_t input_offset;   /* -(input zero point), in [-127, 128] */
    int32_t output_offset;  /* output zero point */
    int32_t act_min, act_max;  /* output clamp (fused relu/clip), within [-128, 127] */
} ec_conv2d_s8_params;

/* General convolution (any groups, strides, pads, dilations).
 * w: [out_c][k_pad], row oc holding the OHWI weights w[oc][kh][kw][i] flattened (K = k_h * k_w *
 * ICg elements) followed by zeros up to k_pad = K rounded up to EC_CONV_S8_KALIGN.
 * scratch: ec_conv2d_s8_scratch_size(p) bytes, 4-byte aligned, overlapping nothing else; its
 * contents are garbage on entry and on return. No arrays on the stack. */
void ec_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *multiplier, const int32_t *shift, int8_t *y, void *scratch);

/* Bytes of scratch ec_conv2d_s8 needs for `p`: at most 5 KB, less when K or OCg is small.
 * Must equal conv_s8's `scratch` rule in edgec/ops/conv_s8.py. */
int32_t ec_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p);

/* Depthwise convolution: groups == in_c, out_c = in_c * multiplier (output channel
 * c * mult + m reads input channel c). w: [k_h][k_w][out_c] (TFLite's [1][k_h][k_w][out_c]). */
void ec_depthwise_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_CONV_S8_H */
