/* edgec runtime: common types and limits shared by every kernel. */
#ifndef EC_TYPES_H
#define EC_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Highest tensor rank a strided kernel (binary, transpose, slice, pad, reduce) accepts. */
#define EC_MAX_RANK 6

/* Pointwise functions: the unary element-wise ops and the activations a conv or gemm can fuse.
 * alpha/beta meaning per kind is given in ec_pointwise.h. */
typedef enum {
    EC_PW_NONE = 0,
    EC_PW_RELU,
    EC_PW_CLIP,
    EC_PW_LEAKY_RELU,
    EC_PW_ELU,
    EC_PW_SELU,
    EC_PW_SIGMOID,
    EC_PW_TANH,
    EC_PW_HARD_SIGMOID,
    EC_PW_HARD_SWISH,
    EC_PW_SOFTPLUS,
    EC_PW_SOFTSIGN,
    EC_PW_NEG,
    EC_PW_ABS,
    EC_PW_EXP,
    EC_PW_SQRT,
    EC_PW_POW,
    EC_PW_LOG,
    EC_PW_RECIPROCAL,
    EC_PW_AFFINE
} ec_pointwise_kind;

/* A pointwise function with its two parameters. */
typedef struct {
    int32_t kind;  /* ec_pointwise_kind */
    float alpha;
    float beta;
} ec_act_f32;

#ifdef __cplusplus
}
#endif
#endif /* EC_TYPES_H */
