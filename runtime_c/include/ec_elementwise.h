/* edgec runtime: element-wise kernels (float32).
 * Layout-agnostic: tensors are dense row-major arrays. Outputs may alias an input of the
 * same shape (in-place), never a broadcast input. */
#ifndef EC_ELEMENTWISE_H
#define EC_ELEMENTWISE_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    ec_act_f32 fn;  /* the pointwise function */
    int32_t size;   /* number of elements */
} ec_unary_params;

/* y[i] = fn(x[i]); y may equal x. */
void ec_unary_f32(const ec_unary_params *p, const float *x, float *y);

typedef enum {
    EC_BIN_ADD = 0, EC_BIN_SUB, EC_BIN_MUL, EC_BIN_DIV, EC_BIN_MAX, EC_BIN_MIN, EC_BIN_POW,
    EC_BIN_PRELU /* y = a < 0 ? b * a : a */
} ec_binary_kind;

/* Broadcast binary op over an output of `rank` dims. a/b strides are in elements and 0 on a
 * broadcast dimension. `act` is applied to the result (EC_PW_NONE for none). */
typedef struct {
    int32_t kind;  /* ec_binary_kind */
    int32_t rank;
    int32_t shape[EC_MAX_RANK];
    int32_t a_strides[EC_MAX_RANK];
    int32_t b_strides[EC_MAX_RANK];
    ec_act_f32 act;
} ec_binary_params;

/* y = act(a OP b) with numpy broadcasting; y may equal a when a has the output's shape. */
void ec_binary_f32(const ec_binary_params *p, const float *a, const float *b, float *y);

/* The same without activation for an output of at most two (collapsed) dims, one function per
 * OP in its own file so a model links only those it uses: for r < rows, i < len,
 * y[r * len + i] = a[r * a_row + i * a_col] OP b[r * b_row + i * b_col] (strides 0 broadcast). */
#define EC_BINARY2D_DECL(op) \
    void ec_##op##2d_f32(const float *a, const float *b, float *y, int32_t rows, int32_t len, \
                         int32_t a_row, int32_t a_col, int32_t b_row, int32_t b_col);
EC_BINARY2D_DECL(add)
EC_BINARY2D_DECL(sub)
EC_BINARY2D_DECL(mul)
EC_BINARY2D_DECL(div)
EC_BINARY2D_DECL(max)
EC_BINARY2D_DECL(min)
#undef EC_BINARY2D_DECL

/* The body of each of those functions, given y = EXPR(a_value, b_value) (its file defines one). */
#define EC_BINARY2D_DEFINE(op, EXPR)                                                          \
    void ec_##op##2d_f32(const float *a, const float *b, float *y, int32_t rows, int32_t len, \
                         int32_t a_row, int32_t a_col, int32_t b_row, int32_t b_col)          \
    {                                                                                         \
        int32_t r, i;                                                                         \
        for (r = 0; r < rows; ++r) {                                                          \
            for (i = 0; i < len; ++i) {                                                       \
                const float av = a[r * a_row + i * a_col], bv = b[r * b_row + i * b_col];     \
                y[i] = EXPR(av, bv);                                                          \
            }                                                                                 \
            y += len;                                                                         \
        }                                                                                     \
    }

#ifdef __cplusplus
}
#endif
#endif /* EC_ELEMENTWISE_H */
