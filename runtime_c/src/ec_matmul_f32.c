/* edgec runtime: batched matmul with broadcast batch strides (see ec_matmul.h). */
#include "ec_matmul.h"

/* One [M, K] @ [K, N] product into dense y. When B's rows are contiguous the innermost loop runs
 * along a row of B and of Y (vectorisable); otherwise (transposed B) it is a dot product. */
static void matmul_one(const ec_matmul_params *p, const float *a, const float *b, float *y)
{
    int32_t i, j, kk;
    for (i = 0; i < p->m; ++i) {
        float *yr = y + (size_t)i * (size_t)p->n;
        const float *ar = a + (size_t)i * (size_t)p->a_row;
        if (p->b_col == 1) {
            for (j = 0; j < p->n; ++j) {
                yr[j] = 0.0f;
            }
            for (kk = 0; kk < p->k; ++kk) {
                const float av = ar[(size_t)kk * (size_t)p->a_col];
                const float *br = b + (size_t)kk * (size_t)p->b_row;
                for (j = 0; j < p->n; ++j) {
                    yr[j] += av * br[j];
                }
            }
        } else {
            for (j = 0; j < p->n; ++j) {
                const float *bc = b + (size_t)j * (size_t)p->b_col;
                float s = 0.0f;
                for (kk = 0; kk < p->k; ++kk) {
                    s += ar[(size_t)kk * (size_t)p->a_col] * bc[(size_t)kk * (size_t)p->b_row];
                }
                yr[j] = s;
            }
        }
    }
}

void ec_matmul_f32(const ec_matmul_params *p, const float *a, const float *b, float *y)
{
    int32_t idx[EC_MAX_RANK] = {0};
    const size_t mn = (size_t)p->m * (size_t)p->n;
    int32_t outer = 1, o, d;
    for (d = 0; d < p->batch_rank; ++d) {
        outer *= p->batch_shape[d];
    }
    for (o = 0; o < outer; ++o) {
        size_t offa = 0, offb = 0;
        for (d = 0; d < p->batch_rank; ++d) {
            offa += (size_t)idx[d] * (size_t)p->a_strides[d];
            offb += (size_t)idx[d] * (size_t)p->b_strides[d];
        }
        matmul_one(p, a + offa, b + offb, y + (size_t)o * mn);
        for (d = p->batch_rank - 1; d >= 0; --d) {
            if (++idx[d] < p->batch_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
