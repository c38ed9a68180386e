/* edgec runtime: 2-D convolution and transposed convolution (float32), channels-last.
 *
 * Layouts: x [n][in_h][in_w][in_c], y [n][out_h][out_w][out_c] (NHWC). Channels split into
 * `groups` equal groups: ICg = in_c / groups, OCg = out_c / groups, input channel
 * ic = g * ICg + i, output channel oc = g * OCg + o. bias is [out_c] or NULL. `act` is applied
 * to every output after the bias (EC_PW_NONE for none). Sums are accumulated in float.
 * y must not overlap x, w or bias. The compiler reorders weights to the order each kernel reads
 * (documented per kernel); all dimensions are > 0. */
#ifndef EC_CONV_H
#define EC_CONV_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Convolution: y[oh][ow] reads x[oh * stride_h - pad_top + kh * dil_h][ow * stride_w - pad_left
 * + kw * dil_w]; taps outside x count as 0. For the transposed convolution the same fields mean
 * its ONNX attributes: y[oh][ow] gathers x[ih][iw] where oh = ih * stride_h - pad_top + kh * dil_h
 * (pads crop the full output; out_h/out_w already include any output_padding). */
typedef struct {
    int32_t n;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t groups;
    ec_act_f32 act;
} ec_conv2d_params;

/* General convolution (any groups, strides, pads, dilations).
 * w: [groups][k_h][k_w][ICg][OCg]. */
void ec_conv2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias, float *y);

/* Depthwise convolution: groups == in_c, ICg == 1, out_c = in_c * multiplier
 * (oc = c * multiplier + m). w: [k_h][k_w][out_c]. */
void ec_depthwise_conv2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias,
                             float *y);

/* Transposed convolution (any groups, strides, pads, dilations, output_padding).
 * w: [groups][k_h][k_w][ICg][OCg]. */
void ec_conv_transpose2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias,
                             float *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_CONV_H */
