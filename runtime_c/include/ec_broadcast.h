/* edgec runtime: walking the rows of a broadcast binary op (shared by the float and int8 kernels).
 * The output has `rank` dims; its innermost dim is one contiguous row, read from a and b with their
 * own element strides (0 on a broadcast dim). Outer dims advance an index odometer. */
#ifndef EC_BROADCAST_H
#define EC_BROADCAST_H

#include "ec_types.h"

typedef struct {
    int32_t idx[EC_MAX_RANK];  /* odometer over the outer dims */
    int32_t rows;              /* number of rows */
    int32_t len;               /* elements per row */
    int32_t a_step, b_step;    /* a/b strides along a row */
} ec_bcast_walk;

static inline void ec_bcast_begin(ec_bcast_walk *w, int32_t rank, const int32_t *shape, const int32_t *a_strides,
                                  const int32_t *b_strides)
{
    int32_t d;
    w->rows = 1;
    for (d = 0; d < EC_MAX_RANK; ++d) {
        w->idx[d] = 0;
    }
    for (d = 0; d + 1 < rank; ++d) {
        w->rows *= shape[d];
    }
    w->len = rank > 0 ? shape[rank - 1] : 1;
    w->a_step = rank > 0 ? a_strides[rank - 1] : 0;
    w->b_step = rank > 0 ? b_strides[rank - 1] : 0;
}

/* Element offsets in a and b of the current row's first element. */
static inline void ec_bcast_offsets(const ec_bcast_walk *w, int32_t rank, const int32_t *a_strides,
                                    const int32_t *b_strides, int32_t *off_a, int32_t *off_b)
{
    int32_t d;
    *off_a = 0;
    *off_b = 0;
    for (d = 0; d + 1 < rank; ++d) {
        *off_a += w->idx[d] * a_strides[d];
        *off_b += w->idx[d] * b_strides[d];
    }
}

/* Moves the odometer to the next row. */
static inline void ec_bcast_next(ec_bcast_walk *w, int32_t rank, const int32_t *shape)
{
    int32_t d;
    for (d = rank - 2; d >= 0; --d) {
        if (++w->idx[d] < shape[d]) {
            return;
        }
        w->idx[d] = 0;
    }
}

#endif /* EC_BROADCAST_H */
