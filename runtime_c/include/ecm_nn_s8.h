/* edgec runtime, cmsis target: int8 kernels in the style of CMSIS-NN for Cortex-M.
 *
 * Same arithmetic as the portable ec_*_s8 kernels (TensorFlow Lite Micro's reference, bit for
 * bit), arranged for the core: each kernel has a Helium path (ECM_MVE), a DSP-extension path
 * (ECM_DSP) and a plain C path, chosen at compile time (see ecm_arm.h). Partial sums are exact
 * int32 in every path, so the order of accumulation cannot change a result; requantization is
 * ec_fixedpoint.h's rounding (ecm_mbqm, ecm_requant_lanes in ecm_gemm_s8.h). The compiler
 * prepares the constant operands (edgec/backend/cmsis_ops.py):
 *
 * - folded bias ("kernel sum"): bias_eff[c] = bias[c] + input_offset * sum_k w[c][k] (int32,
 *   wrapping), so the inner loops multiply raw int8 inputs; a tap in the padding then reads the
 *   input zero point (-input_offset), which contributes exactly what the folded term added.
 * - packed weights of the matrix kernels: output channels in pairs, groups of four
 *   interleaved (ecm_gemm_s8.h), so one 8-byte load feeds a 2 x 2 block and __sxtb16 widens;
 *   depthwise weights in blocks of eight channels per tap ([C / 8][taps][8]). For the DSP path
 *   the convolutions' and depthwise weights are emitted pre-widened to int16 instead (a second
 *   form of the weights member under the preprocessor condition of that path; see
 *   ecm_gemm_s8.h and ecm_depthwise_conv2d_s8.c), so the inner loops load them as they are.
 *
 * Layouts: activations NHWC; params as the portable kernels (ec_conv_s8.h, ec_matmul_s8.h;
 * groups must be 1). y must not overlap any input. No floating point. */
#ifndef ECM_NN_S8_H
#define ECM_NN_S8_H

#include "ec_types.h"
#include "ec_conv_s8.h"
#include "ec_elementwise_s8.h"
#include "ec_matmul_s8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The matrix kernels below (conv, 1x1 conv, fully connected) share ecm_gemm_s8.h's core: their
 * weights are packed by the compiler (channel pairs, groups of four interleaved, see there), the
 * bias is folded (bias_eff [out_c], never NULL), and their scratch holds two widened rows (4 k4
 * bytes) and two rows of int32 sums (8 n4 bytes, n4 = out channels rounded up to 4). */

/* General convolution (groups 1): im2col of two output pixels at a time (raw int8, the input
 * zero point in the padding), then the matrix core with K = k_h * k_w * in_c (OHWI order).
 * w16: 1 when the compiler emitted w's pre-widened form for the DSP path (target cmsis-w16; see
 * ecm_gemm_s8.h), 0 for the int8 form everywhere. scratch: ecm_conv2d_s8_scratch_size(p) bytes,
 * 8-byte aligned. */
void ecm_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                   const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch);
/* 4 k4 + 8 n4, then two int8 im2col rows (2 k4); k4 = K rounded up to 4. Must equal the
 * rule in edgec/backend/cmsis_ops.py, as the other _scratch_size functions. */
int32_t ecm_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p);

/* 1x1 convolution without im2col (groups 1, no padding, any stride): each output pixel is the
 * matrix core on its input pixel's in_c channels. w16 as for ecm_conv2d_s8. */
void ecm_conv1x1_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                    const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch);
/* 4 k4 + 8 n4 with k4 = in_c rounded up to 4. */
int32_t ecm_conv1x1_s8_scratch_size(const ec_conv2d_s8_params *p);

/* Fully connected: X [m][k] times W [n][k], bias_eff [n]. */
void ecm_fully_connected_s8(const ec_fc_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias_eff,
                            const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch);
/* 4 k4 + 8 n4 with k4 = k rounded up to 4. */
int32_t ecm_fully_connected_s8_scratch_size(const ec_fc_s8_params *p);

/* Depthwise convolution with channel multiplier 1 (out_c == in_c), without im2col: every output
 * pixel's taps are located once (taps in the padding read a row of zero points), then channels
 * go four at a time through all taps. w: [k_h][k_w][in_c] (TFLite's), bias_eff: [in_c] folded
 * over all k_h * k_w taps. scratch: ecm_depthwise_conv2d_s8_scratch_size(p) bytes, 8-aligned. */
void ecm_depthwise_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w,
                             const int32_t *bias_eff, const int32_t *multiplier, const int32_t *shift,
                             const int32_t *rq, int8_t *y, void *scratch);
/* 12 * k_h * k_w (tap pointers, 8 bytes each whatever the pointer size, and int32 tap offsets)
 * + in_c rounded up to 8. */
int32_t ecm_depthwise_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p);

/* y[0..n) = ec_add_s8 of contiguous rows a and b (no broadcasting; p's shape and strides are
 * ignored), bit for bit. y may equal a or b. */
void ecm_add_s8_row(const ec_add_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y, int32_t n);

/* ecm_conv2d_s8 (same w, bias_eff) fused with the residual add that consumes it, as ec_conv2d_add_s8 (one output
 * row into scratch, then ecm_add_s8_row against r's row; y may equal r). scratch:
 * ecm_conv2d_add_s8_scratch_size(cp) bytes, 8-byte aligned. */
void ecm_conv2d_add_s8(const ec_conv2d_s8_params *cp, const ec_add_s8_params *ap, int32_t conv_first,
                       const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                       const int32_t *multiplier, const int32_t *shift, const int32_t *rq, const int8_t *r, int8_t *y,
                       void *scratch);
/* ecm_conv2d_s8_scratch_size(cp) rounded up to 8, plus one output row (out_w * out_c bytes). */
int32_t ecm_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *cp);

#ifdef __cplusplus
}
#endif
#endif /* ECM_NN_S8_H */
