/* edgec runtime: int8 convolution fused with the residual add that consumes it.
 *
 * y = add(conv(x), r) when conv_first, else add(r, conv(x)), bit for bit as ec_conv2d_s8 followed
 * by ec_add_s8 (same parameters, same operand order), but the conv output is never stored whole:
 * it is computed one output row at a time into scratch and added to r's row at once.
 *
 * Layouts: x, r, y NHWC; r and y [n][out_h][out_w][out_c]. y may equal r (in place: each row of r
 * is read before the same row of y is written); y must not overlap x, w or bias, and r must not
 * overlap x. cp: the convolution's parameters as for ec_conv2d_s8 (w, bias, multiplier, shift as
 * there). ap: the add's, for one row: rank 1, shape[0] = out_w * out_c, unit strides, subtract 0.
 * scratch: ec_conv2d_add_s8_scratch_size(cp) bytes, 4-byte aligned. No floating point. */
#ifndef EC_CONV_ADD_S8_H
#define EC_CONV_ADD_S8_H

#include "ec_types.h"
#include "ec_conv_s8.h"
#include "ec_elementwise_s8.h"

#ifdef __cplusplus
extern "C" {
#endif

void ec_conv2d_add_s8(const ec_conv2d_s8_params *cp, const ec_add_s8_params *ap, int32_t conv_first,
                      const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *multiplier,
                      const int32_t *shift, const int8_t *r, int8_t *y, void *scratch);

/* ec_conv2d_s8_scratch_size(cp) rounded up to 4, plus one output row (out_w * out_c bytes). Must
 * equal conv_add_s8's `scratch` rule in edgec/ops/conv_add_s8.py. */
int32_t ec_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *cp);

#ifdef __cplusplus
}
#endif
#endif /* EC_CONV_ADD_S8_H */
