/* edgec runtime: int8 convolution + residual add, one output row at a time (see ec_conv_add_s8.h).
 *
 * Row oh of the convolution is ec_conv2d_s8 on a band: the same params with n = 1, out_h = 1 and
 * pad_top lowered by oh * stride_h. The band's row 0 then reads input rows oh * stride_h -
 * pad_top + kh * dil_h with the full in_h bound, i.e. exactly the rows (and zero padding) row oh
 * of the full convolution reads, so its int8 outputs are identical. */
#include "ec_conv_add_s8.h"

int32_t ec_conv2d_add_s8_scratch_size(const ec_conv2d_s8_params *cp)
{
    return (ec_conv2d_s8_scratch_size(cp) + 3) / 4 * 4 + cp->out_w * cp->out_c;
}

void ec_conv2d_add_s8(const ec_conv2d_s8_params *cp, const ec_add_s8_params *ap, int32_t conv_first,
                      const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *multiplier,
                      const int32_t *shift, const int8_t *r, int8_t *y, void *scratch)
{
    const size_t row = (size_t)cp->out_w * (size_t)cp->out_c;
    const size_t x_img = (size_t)cp->in_h * (size_t)cp->in_w * (size_t)cp->in_c;
    int8_t *h = (int8_t *)scratch + (ec_conv2d_s8_scratch_size(cp) + 3) / 4 * 4;
    ec_conv2d_s8_params band = *cp;
    int32_t b, oh;
    band.n = 1;
    band.out_h = 1;
    for (b = 0; b < cp->n; ++b) {
        for (oh = 0; oh < cp->out_h; ++oh) {
            const size_t o = ((size_t)b * (size_t)cp->out_h + (size_t)oh) * row;
            band.pad_top = cp->pad_top - oh * cp->stride_h;
            ec_conv2d_s8(&band, x + (size_t)b * x_img, w, bias, multiplier, shift, h, scratch);
            if (conv_first) {
                ec_add_s8(ap, h, r + o, y + o);
            } else {
                ec_add_s8(ap, r + o, h, y + o);
            }
        }
    }
}
