/* edgec runtime: int8 matrix products.
 *
 * ec_fully_connected_s8: TensorFlow Lite (Micro)'s reference FullyConnectedPerChannel, bit for bit:
 *     acc = bias[c] + sum_k (X[i][k] + input_offset) * W[c][k]
 *     Y[i][c] = clamp(MBQM(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
 * X [M][K], Y [M][N] dense; W is TFLite's [N][K] with each row zero-padded to k_pad = K rounded up
 * to EC_FC_S8_KALIGN (the compiler pads it). bias is [N] or NULL (zeros); multiplier/shift are
 * [N] (Q31 of s_x * s_w[c] / s_y, see ec_fixedpoint.h). Y must not alias X. scratch:
 * ec_fully_connected_s8_scratch_size(p) bytes, 4-byte aligned, overlapping nothing else (garbage
 * on entry and on return). No arrays on the stack.
 *
 * ec_batch_matmul_s8: TFLite's reference BatchMatMul int8 arithmetic (per-tensor):
 *     Y = clamp(MBQM(sum_k (A(i, k) + a_offset) * (B(k, j) + b_offset)) + output_offset, ...)
 * with numpy-style batch broadcasting as ec_matmul_f32 (ec_matmul.h): batch dims through element
 * strides (0 on a broadcast dim), row/col strides addressing the logical A [M, K] and B [K, N]
 * inside one stored matrix (so transposed operands need no copy). Y is dense and must not alias
 * A or B. Sums are exact in int32 while K <= 2^15. No floating point. */
#ifndef EC_MATMUL_S8_H
#define EC_MATMUL_S8_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Weight rows are zero-padded to a multiple of this; must equal FC_S8_KALIGN in edgec/ops/matmul_s8.py. */
#define EC_FC_S8_KALIGN 16

typedef struct {
    int32_t m;               /* rows of X and Y */
    int32_t k;               /* inner dim (unpadded) */
    int32_t n;               /* outputs per row */
    int32_t input_offset;    /* -(X zero point) */
    int32_t output_offset;   /* Y zero point */
    int32_t act_min, act_max;
} ec_fc_s8_params;

void ec_fully_connected_s8(const ec_fc_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, int8_t *y, void *scratch);

/* Bytes of scratch ec_fully_connected_s8 needs for `p`: at most 5 KB, less when K, N or M is
 * small. Must equal fully_connected_s8's `scratch` rule in edgec/ops/matmul_s8.py. */
int32_t ec_fully_connected_s8_scratch_size(const ec_fc_s8_params *p);

typedef struct {
    int32_t batch_rank;               /* >= 1; a plain matmul has batch_shape {1} */
    int32_t batch_shape[EC_MAX_RANK];
    int32_t a_strides[EC_MAX_RANK];   /* element offset between A matrices per batch index */
    int32_t b_strides[EC_MAX_RANK];
    int32_t m, k, n;
    int32_t a_row, a_col;             /* A(i, kk) = a[i * a_row + kk * a_col] */
    int32_t b_row, b_col;             /* B(kk, j) = b[kk * b_row + j * b_col] */
    int32_t a_offset, b_offset;       /* -(zero points) */
    int32_t output_offset;
    int32_t multiplier, shift;        /* Q31 of s_a * s_b / s_y */
    int32_t act_min, act_max;
} ec_batch_matmul_s8_params;

void ec_batch_matmul_s8(const ec_batch_matmul_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_MATMUL_S8_H */
