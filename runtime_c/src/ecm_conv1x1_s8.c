/* edgec runtime, cmsis target: int8 1x1 convolution without im2col (see ecm_nn_s8.h).
 *
 * With unit strides the input pixels are the rows of a matrix [n * h * w][in_c], so the whole
 * layer is one matrix product (ecm_gemm_s8.h). With strides, each output row's pixels are input
 * rows stride_w * in_c apart: one product per output row. */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

int32_t ecm_conv1x1_s8_scratch_size(const ec_conv2d_s8_params *p)
{
    return 2 * ((p->in_c + 3) / 4 * 4) * (int32_t)sizeof(int16_t)
           + 2 * ((p->out_c + 3) / 4 * 4) * (int32_t)sizeof(int32_t);
}

void ecm_conv1x1_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                    const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch)
{
    const size_t ic = (size_t)p->in_c, oc = (size_t)p->out_c;
    ecm_gemm g;
    int32_t b, oh;
    ecm_gemm_init(&g, w, w16, bias_eff, multiplier, shift, rq, p->out_c, p->in_c, (p->in_c + 3) / 4 * 4,
                  p->output_offset, p->act_min, p->act_max, scratch);
    if (p->stride_h == 1 && p->stride_w == 1) {
        ecm_gemm_matrix(&g, x, ic, p->n * p->out_h * p->out_w, y);
        return;
    }
    for (b = 0; b < p->n; ++b) {
        for (oh = 0; oh < p->out_h; ++oh) {
            const int8_t *row = x + (((size_t)b * (size_t)p->in_h + (size_t)oh * (size_t)p->stride_h)
                                     * (size_t)p->in_w) * ic;
            ecm_gemm_matrix(&g, row, (size_t)p->stride_w * ic, p->out_w,
                            y + ((size_t)b * (size_t)p->out_h + (size_t)oh) * (size_t)p->out_w * oc);
        }
    }
}
