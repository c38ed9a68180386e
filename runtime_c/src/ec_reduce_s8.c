/* edgec runtime: int8 mean / sum / max / min over any set of axes (see ec_reduce_s8.h).
 * Each output row of `inner` elements is processed in blocks of EC_RED_S8_BLOCK int32
 * accumulators: the reduced dims except the last walk an odometer, the last reduced dim is a
 * strided loop, and each step folds a contiguous block of x (vectorisable). */
#include "ec_fixedpoint.h"
#include "ec_reduce_s8.h"

#define EC_RED_S8_BLOCK 64

/* acc[k] = acc[k] OP row[k] for k < nb. */
static void fold(int32_t kind, const int8_t *row, int32_t *acc, int32_t nb)
{
    int32_t k;
    if (kind == EC_RED_S8_MAX) {
        for (k = 0; k < nb; ++k) {
            acc[k] = row[k] > acc[k] ? row[k] : acc[k];
        }
    } else if (kind == EC_RED_S8_MIN) {
        for (k = 0; k < nb; ++k) {
            acc[k] = row[k] < acc[k] ? row[k] : acc[k];
        }
    } else {
        for (k = 0; k < nb; ++k) {
            acc[k] += row[k];
        }
    }
}

/* Folds every reduced position of the block starting at x into acc. */
static void fold_reduced(const ec_reduce_s8_params *p, const int8_t *x, int32_t *acc, int32_t nb)
{
    int32_t idx[EC_MAX_RANK] = {0};
    const int32_t last = p->red_rank - 1;
    const int32_t n = p->red_shape[last], s = p->red_strides[last];
    int32_t outer = 1, o, d, j;
    for (d = 0; d < last; ++d) {
        outer *= p->red_shape[d];
    }
    for (o = 0; o < outer; ++o) {
        int32_t off = 0;
        for (d = 0; d < last; ++d) {
            off += idx[d] * p->red_strides[d];
        }
        for (j = 0; j < n; ++j) {
            fold(p->kind, x + off + (ptrdiff_t)j * s, acc, nb);
        }
        for (d = last - 1; d >= 0; --d) {
            if (++idx[d] < p->red_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}

static void finish(const ec_reduce_s8_params *p, const int32_t *acc, int8_t *y, int32_t nb)
{
    int32_t k;
    if (p->kind != EC_RED_S8_RESCALE) {
        for (k = 0; k < nb; ++k) {
            y[k] = (int8_t)acc[k];
        }
        return;
    }
    for (k = 0; k < nb; ++k) {
        const int32_t v = ec_mul_by_quantized_mul(acc[k] + p->input_offset * p->count, p->multiplier, p->shift);
        y[k] = (int8_t)ec_clamp_s32(v + p->output_offset, -128, 127);
    }
}

void ec_reduce_s8(const ec_reduce_s8_params *p, const int8_t *x, int8_t *y)
{
    const int32_t init = p->kind == EC_RED_S8_MAX ? -128 : (p->kind == EC_RED_S8_MIN ? 127 : 0);
    int32_t acc[EC_RED_S8_BLOCK];
    int32_t idx[EC_MAX_RANK] = {0};
    int32_t outer = 1, o, d, i0, k;
    for (d = 0; d < p->outer_rank; ++d) {
        outer *= p->outer_shape[d];
    }
    for (o = 0; o < outer; ++o) {
        int32_t base = 0;
        for (d = 0; d < p->outer_rank; ++d) {
            base += idx[d] * p->outer_strides[d];
        }
        for (i0 = 0; i0 < p->inner; i0 += EC_RED_S8_BLOCK) {
            const int32_t nb = p->inner - i0 < EC_RED_S8_BLOCK ? p->inner - i0 : EC_RED_S8_BLOCK;
            for (k = 0; k < nb; ++k) {
                acc[k] = init;
            }
            fold_reduced(p, x + base + i0, acc, nb);
            finish(p, acc, y + i0, nb);
        }
        y += p->inner;
        for (d = p->outer_rank - 1; d >= 0; --d) {
            if (++idx[d] < p->outer_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
