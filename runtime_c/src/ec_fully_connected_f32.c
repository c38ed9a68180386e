/* edgec runtime: fully connected layer over column-blocked weights (see ec_matmul.h).
 *
 * For each block of EC_FC_BLOCK outputs and each row of X, the K products are summed in chunks of
 * EC_FC_KCHUNK into a per-chunk accumulator that is then added to the total: the innermost loop
 * is EC_FC_BLOCK independent lanes (vectorisable without reassociation) and the rounding error
 * grows with KCHUNK + K / KCHUNK rather than K (K is 25088 in VGG's first dense layer). */
#include "ec_matmul.h"
#include "ec_pointwise.h"

#define EC_FC_KCHUNK 256

static void fc_block(const float *x, const float *wb, int32_t k, float *total)
{
    float acc[EC_FC_BLOCK];
    int32_t k0, kk, j;
    for (j = 0; j < EC_FC_BLOCK; ++j) {
        total[j] = 0.0f;
    }
    for (k0 = 0; k0 < k; k0 += EC_FC_KCHUNK) {
        const int32_t k1 = k - k0 < EC_FC_KCHUNK ? k : k0 + EC_FC_KCHUNK;
        for (j = 0; j < EC_FC_BLOCK; ++j) {
            acc[j] = 0.0f;
        }
        for (kk = k0; kk < k1; ++kk) {
            const float xv = x[kk];
            const float *wk = wb + (size_t)kk * EC_FC_BLOCK;
            for (j = 0; j < EC_FC_BLOCK; ++j) {
                acc[j] += xv * wk[j];
            }
        }
        for (j = 0; j < EC_FC_BLOCK; ++j) {
            total[j] += acc[j];
        }
    }
}

void ec_fully_connected_f32(const ec_fc_params *p, const float *x, const float *w_packed,
                            const float *bias, float *y)
{
    const int32_t blocks = (p->n + EC_FC_BLOCK - 1) / EC_FC_BLOCK;
    float total[EC_FC_BLOCK];
    int32_t b, i, j;
    for (b = 0; b < blocks; ++b) {
        const float *wb = w_packed + (size_t)b * (size_t)p->k * EC_FC_BLOCK;
        const int32_t n0 = b * EC_FC_BLOCK;
        const int32_t nv = p->n - n0 < EC_FC_BLOCK ? p->n - n0 : EC_FC_BLOCK;
        for (i = 0; i < p->m; ++i) {
            float *yr = y + (size_t)i * (size_t)p->n + n0;
            fc_block(x + (size_t)i * (size_t)p->k, wb, p->k, total);
            for (j = 0; j < nv; ++j) {
                const float v = total[j] + (bias != NULL ? bias[n0 + j] : 0.0f);
                yr[j] = p->act.kind == EC_PW_NONE ? v : ec_pointwise_f32(v, &p->act);
            }
        }
    }
}
