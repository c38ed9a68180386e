/* edgec runtime: sum / mean / max / min / prod over any set of axes, float32.
 * The loop nest (outer dims, reduced dims, contiguous inner run) is described in ec_reduce.h.
 * With inner > 1 whole rows of `inner` elements are folded into y (vectorisable); with
 * inner == 1 the last reduced dim is folded into one scalar. y must not overlap x. */
#include <math.h>

#include "ec_reduce.h"

#define EC_SUM_LANES 8
#define EC_SUM_BLOCK 256

static float identity_of(int32_t kind)
{
    switch (kind) {
    case EC_RED_MAX: return -INFINITY;
    case EC_RED_MIN: return INFINITY;
    case EC_RED_PROD: return 1.0f;
    default: return 0.0f;
    }
}

/* y[i] = y[i] OP x[i] for i < n. */
static void fold_rows(int32_t kind, const float *x, float *y, int32_t n)
{
    int32_t i;
    switch (kind) {
    case EC_RED_MAX:
        for (i = 0; i < n; ++i) {
            y[i] = x[i] > y[i] ? x[i] : y[i];
        }
        break;
    case EC_RED_MIN:
        for (i = 0; i < n; ++i) {
            y[i] = x[i] < y[i] ? x[i] : y[i];
        }
        break;
    case EC_RED_PROD:
        for (i = 0; i < n; ++i) {
            y[i] *= x[i];
        }
        break;
    default:
        for (i = 0; i < n; ++i) {
            y[i] += x[i];
        }
        break;
    }
}

/* Sum of n contiguous floats: EC_SUM_LANES partial sums (vectorisable) per block of
 * EC_SUM_BLOCK, then block totals, so rounding error grows like the block length plus
 * n / EC_SUM_BLOCK instead of like n (one flat reduction over a whole image stays accurate). */
static float sum_contiguous(const float *x, int32_t n)
{
    float total = 0.0f;
    int32_t i0, i, j;
    for (i0 = 0; i0 < n; i0 += EC_SUM_BLOCK) {
        const int32_t end = n - i0 < EC_SUM_BLOCK ? n : i0 + EC_SUM_BLOCK;
        float lane[EC_SUM_LANES] = {0.0f};
        float block = 0.0f;
        for (i = i0; i + EC_SUM_LANES <= end; i += EC_SUM_LANES) {
            for (j = 0; j < EC_SUM_LANES; ++j) {
                lane[j] += x[i + j];
            }
        }
        for (; i < end; ++i) {
            block += x[i];
        }
        for (j = 0; j < EC_SUM_LANES; ++j) {
            block += lane[j];
        }
        total += block;
    }
    return total;
}

/* acc OP x[0] OP x[s] OP ... OP x[(n - 1) * s]. */
static float fold_strided(int32_t kind, float acc, const float *x, int32_t n, int32_t s)
{
    int32_t i;
    switch (kind) {
    case EC_RED_MAX:
        for (i = 0; i < n; ++i) {
            acc = x[i * s] > acc ? x[i * s] : acc;
        }
        break;
    case EC_RED_MIN:
        for (i = 0; i < n; ++i) {
            acc = x[i * s] < acc ? x[i * s] : acc;
        }
        break;
    case EC_RED_PROD:
        for (i = 0; i < n; ++i) {
            acc *= x[i * s];
        }
        break;
    default:
        if (s == 1) {
            return acc + sum_contiguous(x, n);
        }
        for (i = 0; i < n; ++i) {
            acc += x[i * s];
        }
        break;
    }
    return acc;
}

static int32_t offset_of(int32_t rank, const int32_t *strides, const int32_t *idx)
{
    int32_t d, off = 0;
    for (d = 0; d < rank; ++d) {
        off += idx[d] * strides[d];
    }
    return off;
}

/* Row-major increment of idx within shape (wraps to all zeros after the last index). */
static void advance(int32_t rank, const int32_t *shape, int32_t *idx)
{
    int32_t d;
    for (d = rank - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) {
            return;
        }
        idx[d] = 0;
    }
}

static int32_t product(int32_t rank, const int32_t *shape)
{
    int32_t d, n = 1;
    for (d = 0; d < rank; ++d) {
        n *= shape[d];
    }
    return n;
}

/* inner == 1: one scalar per output; the last reduced dim is the innermost loop. */
static float reduce_scalar(const ec_reduce_params *p, const float *x)
{
    const int32_t last = p->red_rank - 1;
    const int32_t rows = product(last, p->red_shape);
    int32_t idx[EC_MAX_RANK] = {0};
    float acc = identity_of(p->kind);
    int32_t r;
    for (r = 0; r < rows; ++r) {
        acc = fold_strided(p->kind, acc, x + offset_of(last, p->red_strides, idx),
                           p->red_shape[last], p->red_strides[last]);
        advance(last, p->red_shape, idx);
    }
    return p->kind == EC_RED_MEAN ? acc / (float)p->count : acc;
}

/* inner > 1: fold every reduced position's contiguous row of `inner` elements into y. */
static void reduce_rows(const ec_reduce_params *p, const float *x, float *y)
{
    int32_t idx[EC_MAX_RANK] = {0};
    const float init = identity_of(p->kind);
    int32_t r, i;
    for (i = 0; i < p->inner; ++i) {
        y[i] = init;
    }
    for (r = 0; r < p->count; ++r) {
        fold_rows(p->kind, x + offset_of(p->red_rank, p->red_strides, idx), y, p->inner);
        advance(p->red_rank, p->red_shape, idx);
    }
    if (p->kind == EC_RED_MEAN) {
        const float count = (float)p->count;
        for (i = 0; i < p->inner; ++i) {
            y[i] = y[i] / count;
        }
    }
}

void ec_reduce_f32(const ec_reduce_params *p, const float *x, float *y)
{
    const int32_t outer = product(p->outer_rank, p->outer_shape);
    int32_t idx[EC_MAX_RANK] = {0};
    int32_t o;
    for (o = 0; o < outer; ++o) {
        const float *xo = x + offset_of(p->outer_rank, p->outer_strides, idx);
        if (p->inner == 1) {
            y[o] = reduce_scalar(p, xo);
        } else {
            reduce_rows(p, xo, y + (size_t)o * (size_t)p->inner);
        }
        advance(p->outer_rank, p->outer_shape, idx);
    }
}
