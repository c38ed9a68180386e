/* edgec runtime, cmsis target: ecm_conv2d_s8 fused with its residual add, one output row at a
 * time (see ecm_nn_s8.h; the band construction is ec_conv2d_add_s8's: row oh of the convolution
 * is the convolution of a one-row band whose pad_top is lowered by oh * stride_h). */
#include "ecm_nn_s8.h"

int32_t ecm_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *cp)
{
    return (ecm_conv2d_s8_scratch_size(cp) + 7) / 8 * 8 + cp->out_w * cp->out_c;
}

void ecm_conv2d_add_s8(const ec_conv2d_s8_params *cp, const ec_add_s8_params *ap, int32_t conv_first,
                       const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                       const int32_t *multiplier, const int32_t *shift, const int32_t *rq, const int8_t *r, int8_t *y,
                       void *scratch)
{
    const size_t row = (size_t)cp->out_w * (size_t)cp->out_c;
    const size_t x_img = (size_t)cp->in_h * (size_t)cp->in_w * (size_t)cp->in_c;
    int8_t *h = (int8_t *)scratch + (ecm_conv2d_s8_scratch_size(cp) + 7) / 8 * 8;
    ec_conv2d_s8_params band = *cp;
    int32_t b, oh;
    band.n = 1;
    band.out_h = 1;
    for (b = 0; b < cp->n; ++b) {
        for (oh = 0; oh < cp->out_h; ++oh) {
            const size_t o = ((size_t)b * (size_t)cp->out_h + (size_t)oh) * row;
            band.pad_top = cp->pad_top - oh * cp->stride_h;
            ecm_conv2d_s8(&band, x + (size_t)b * x_img, w, w16, bias_eff, multiplier, shift, rq, h, scratch);
            if (conv_first) {
                ecm_add_s8_row(ap, h, r + o, y + o, (int32_t)row);
            } else {
                ecm_add_s8_row(ap, r + o, h, y + o, (int32_t)row);
            }
        }
    }
}
