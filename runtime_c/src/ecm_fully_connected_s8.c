/* edgec runtime, cmsis target: int8 fully connected (see ecm_nn_s8.h and ecm_gemm_s8.h). */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

int32_t ecm_fully_connected_s8_scratch_size(const ec_fc_s8_params *p)
{
    return 2 * ((p->k + 3) / 4 * 4) * (int32_t)sizeof(int16_t)
           + 2 * ((p->n + 3) / 4 * 4) * (int32_t)sizeof(int32_t);
}

void ecm_fully_connected_s8(const ec_fc_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias_eff,
                            const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch)
{
    ecm_gemm g;
    /* w16 0: int8 weights on every path (ecm_gemm_s8.h) */
    ecm_gemm_init(&g, w, 0, bias_eff, multiplier, shift, rq, p->n, p->k, (p->k + 3) / 4 * 4, p->output_offset,
                  p->act_min, p->act_max, scratch);
    ecm_gemm_matrix(&g, x, (size_t)p->k, p->m, y);
}
