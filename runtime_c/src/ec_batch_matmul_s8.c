/* edgec runtime: int8 batched matmul with broadcast batch strides (see ec_matmul_s8.h).
 *
 * Each row of Y is computed OUT_BLOCK columns at a time in an int32 accumulator block: for every
 * k, (A(i, k) + a_offset) times the row of B (plus b_offset) is added with a loop over the
 * columns, in fixed-length blocks of 16 that vectorise when B's rows are contiguous. Sums are
 * exact int32, so the order of accumulation cannot change the result. Stack use: 256 bytes. */
#include "ec_fixedpoint.h"
#include "ec_matmul_s8.h"

#define OUT_BLOCK 64   /* multiple of 16 */

/* acc[0..cnt) += av * (b[j * b_col] + b_offset). */
static void axpy(int32_t av, const int8_t *b, int32_t b_col, int32_t b_offset, int32_t cnt, int32_t *acc)
{
    int32_t j = 0, t;
    if (b_col == 1) {
        for (; j + 16 <= cnt; j += 16) {
            for (t = 0; t < 16; ++t) {
                acc[j + t] += av * ((int32_t)b[j + t] + b_offset);
            }
        }
    }
    for (; j < cnt; ++j) {
        acc[j] += av * ((int32_t)b[(size_t)j * (size_t)b_col] + b_offset);
    }
}

/* One [M, K] @ [K, N] product into dense y. */
static void matmul_one(const ec_batch_matmul_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    int32_t acc[OUT_BLOCK];
    int32_t i, j0, kk, j;
    for (i = 0; i < p->m; ++i) {
        const int8_t *ar = a + (size_t)i * (size_t)p->a_row;
        int8_t *yr = y + (size_t)i * (size_t)p->n;
        for (j0 = 0; j0 < p->n; j0 += OUT_BLOCK) {
            const int32_t cnt = p->n - j0 < OUT_BLOCK ? p->n - j0 : OUT_BLOCK;
            for (j = 0; j < cnt; ++j) {
                acc[j] = 0;
            }
            for (kk = 0; kk < p->k; ++kk) {
                const int32_t av = ar[(size_t)kk * (size_t)p->a_col] + p->a_offset;
                axpy(av, b + (size_t)kk * (size_t)p->b_row + (size_t)j0 * (size_t)p->b_col, p->b_col, p->b_offset,
                     cnt, acc);
            }
            for (j = 0; j < cnt; ++j) {
                const int32_t v = ec_mul_by_quantized_mul(acc[j], p->multiplier, p->shift);
                yr[j0 + j] = (int8_t)ec_clamp_s32(v + p->output_offset, p->act_min, p->act_max);
            }
        }
    }
}

void ec_batch_matmul_s8(const ec_batch_matmul_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
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
