/* edgec runtime: reductions and softmax (float32).
 * Layout-agnostic: tensors are dense row-major arrays; the compiler describes the loop nest. */
#ifndef EC_REDUCE_H
#define EC_REDUCE_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EC_RED_SUM = 0, EC_RED_MEAN, EC_RED_MAX, EC_RED_MIN, EC_RED_PROD
} ec_reduce_kind;

/* The input is read as outer dims x reduced dims x `inner` contiguous elements, with element
 * strides per dim; the output is dense [outer..., inner] (keepdims does not change memory).
 * Kept dims appear in outer_* in input order; at least one reduced dim (use shape 1, stride 0
 * when nothing is reduced). count = product of red_shape; mean = sum / count. */
typedef struct {
    int32_t kind;        /* ec_reduce_kind */
    int32_t outer_rank;  /* 0..EC_MAX_RANK */
    int32_t outer_shape[EC_MAX_RANK];
    int32_t outer_strides[EC_MAX_RANK];
    int32_t red_rank;    /* 1..EC_MAX_RANK */
    int32_t red_shape[EC_MAX_RANK];
    int32_t red_strides[EC_MAX_RANK];
    int32_t inner;       /* >= 1 */
    int32_t count;       /* >= 1 */
} ec_reduce_params;

/* y = reduce(x), accumulated in float. y must not overlap x. */
void ec_reduce_f32(const ec_reduce_params *p, const float *x, float *y);

/* Sum (mean when mean != 0) of each of `rows` contiguous rows of n floats: ec_reduce_f32's
 * order for that case (same bits) without its general loop nest. */
void ec_sum_rows_f32(const float *x, int32_t rows, int32_t n, int32_t mean, float *y);

/* Softmax or log-softmax along the middle dim of x viewed as [outer, n, inner]:
 * y = exp(x - m) / sum(exp(x - m)), or (x - m) - log(sum(exp(x - m))), m = max along n.
 * y may equal x (in place), must not partially overlap it. */
typedef struct {
    int32_t outer;
    int32_t n;      /* >= 1 */
    int32_t inner;
    int32_t log;    /* 0: softmax, 1: log-softmax */
} ec_softmax_params;

void ec_softmax_f32(const ec_softmax_params *p, const float *x, float *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_REDUCE_H */
