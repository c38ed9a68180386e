/* edgec runtime: int8 reductions with TensorFlow Lite Micro's reference arithmetic.
 * Layout-agnostic: tensors are dense row-major arrays; the compiler describes the loop nest
 * exactly as for ec_reduce_f32 (ec_reduce.h). No floating point. */
#ifndef EC_REDUCE_S8_H
#define EC_REDUCE_S8_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EC_RED_S8_RESCALE = 0,  /* mean and sum: y = clamp(output_offset + MBQM(S + input_offset * count)) */
    EC_RED_S8_MAX,          /* y = max of the raw values (input and output share qparams) */
    EC_RED_S8_MIN           /* y = min of the raw values */
} ec_reduce_s8_kind;

/* The input is read as outer dims x reduced dims x `inner` contiguous elements, with element
 * strides per dim; the output is dense [outer..., inner]. At least one reduced dim (shape 1,
 * stride 0 when nothing is reduced). S is the int32 sum of the raw int8 values of one output,
 * count the product of red_shape (255 * count fits int32). For a mean the compiler has folded
 * 1 / count into (multiplier, shift) as TFLM does. */
typedef struct {
    int32_t kind;        /* ec_reduce_s8_kind */
    int32_t outer_rank;  /* 0..EC_MAX_RANK */
    int32_t outer_shape[EC_MAX_RANK];
    int32_t outer_strides[EC_MAX_RANK];
    int32_t red_rank;    /* 1..EC_MAX_RANK */
    int32_t red_shape[EC_MAX_RANK];
    int32_t red_strides[EC_MAX_RANK];
    int32_t inner;       /* >= 1 */
    int32_t count;       /* >= 1 */
    int32_t input_offset;   /* -input zero point */
    int32_t output_offset;  /* output zero point */
    int32_t multiplier;
    int32_t shift;
} ec_reduce_s8_params;

/* y = reduce(x); y must not overlap x. */
void ec_reduce_s8(const ec_reduce_s8_params *p, const int8_t *x, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_REDUCE_S8_H */
