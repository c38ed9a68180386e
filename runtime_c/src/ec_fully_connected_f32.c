/* edgec runtime: fully connected layer over column-blocked weights (see ec_matmul.h).
 *
 * For each block of outputs and each row of X, the K products are summed in chunks of
 * EC_FC_KCHUNK into a per-chunk accumulator that is then added to the total: the innermost loop
 * runs over the block's independent outputs (vectorisable without reassociation) and the rounding
 * error grows with KCHUNK + K / KCHUNK rather than K (K is 25088 in VGG's first dense layer). */
#include "ec_matmul.h"
#include "ec_pointwise.h"

#define EC_FC_KCHUNK 256

/* total[j] = sum_kk x[kk] * wb[kk * EC_FC_BLOCK + j] for one full block (the hot loop). */
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

/* The same for the last, narrower block: wb is [k][width], width < EC_FC_BLOCK. */
static void fc_tail(const float *x, const float *wb, int32_t k, int32_t width, float *total)
{
    float acc[EC_FC_BLOCK];
    int32_t k0, kk, j;
    for (j = 0; j < width; ++j) {
        total[j] = 0.0f;
    }
    for (k0 = 0; k0 < k; k0 += EC_FC_KCHUNK) {
        const int32_t k1 = k - k0 < EC_FC_KCHUNK ? k : k0 + EC_FC_KCHUNK;
        for (j = 0; j < width; ++j) {
            acc[j] = 0.0f;
        }
        for (kk = k0; kk < k1; ++kk) {
            const float xv = x[kk];
            const float *wk = wb + (size_t)kk * (size_t)width;
            for (j = 0; j < width; ++j) {
                acc[j] += xv * wk[j];
            }
        }
        for (j = 0; j < width; ++j) {
            total[j] += acc[j];
        }
    }
}

void ec_fully_connected_f32(const ec_fc_params *p, const float *x, const float *w_packed,
                            const float *bias, float *y)
{
    float total[EC_FC_BLOCK];
    int32_t n0, i, j;
    for (n0 = 0; n0 < p->n; n0 += EC_FC_BLOCK) {
        const int32_t width = p->n - n0 < EC_FC_BLOCK ? p->n - n0 : EC_FC_BLOCK;
        const float *wb = w_packed + (size_t)n0 * (size_t)p->k;
        for (i = 0; i < p->m; ++i) {
            float *yr = y + (size_t)i * (size_t)p->n + n0;
            if (width == EC_FC_BLOCK) {
                fc_block(x + (size_t)i * (size_t)p->k, wb, p->k, total);
            } else {
                fc_tail(x + (size_t)i * (size_t)p->k, wb, p->k, width, total);
            }
            for (j = 0; j < width; ++j) {
                const float v = total[j] + (bias != NULL ? bias[n0 + j] : 0.0f);
                yr[j] = p->act.kind == EC_PW_NONE ? v : ec_pointwise_f32(v, &p->act);
            }
        }
    }
}
