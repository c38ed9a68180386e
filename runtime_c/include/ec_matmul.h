/* edgec runtime: matrix products (float32).
 *
 * ec_fully_connected_f32: Y[M, N] = act(X[M, K] @ W[N, K]^T + bias[N]) with W pre-packed by the
 * compiler into column blocks of EC_FC_BLOCK outputs, each stored k-major: the block of outputs
 * [n0, n0 + width) starts at w_packed + n0 * K and holds W[n0 + j][kk] at [kk * width + j];
 * width is EC_FC_BLOCK except for the last block (N % EC_FC_BLOCK when nonzero). No padding, so
 * a W whose elements are all equal needs no packing. bias may be NULL (zero). Y must not alias X.
 *
 * ec_matmul_f32: numpy-style batched matmul Y[batch..., M, N] = A[batch..., M, K] @ B[batch..., K, N].
 * Batch dims are broadcast through element strides (0 on a broadcast dim); the row/col strides
 * address the logical A and B inside one stored matrix, so transposed operands need no copy.
 * Y is dense and must not alias A or B. */
#ifndef EC_MATMUL_H
#define EC_MATMUL_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Outputs per weight block; must equal FC_BLOCK in edgec/ops/matmul.py. */
#define EC_FC_BLOCK 16

typedef struct {
    int32_t m;      /* rows of X and Y */
    int32_t k;      /* inner dim */
    int32_t n;      /* outputs per row */
    ec_act_f32 act; /* fused activation (EC_PW_NONE for none) */
} ec_fc_params;

void ec_fully_connected_f32(const ec_fc_params *p, const float *x, const float *w_packed,
                            const float *bias, float *y);

/* The same product for small layers (K <= 256, the general kernel's one chunk; no activation or
 * ReLU when relu != 0) with W in its plain [N][K] layout: bit-identical results, a fraction of
 * the code. Chosen by the compiler (edgec/ops/matmul.py) where the shapes allow. */
void ec_dense_f32(const float *x, const float *w, const float *bias, float *y,
                  int32_t m, int32_t k, int32_t n, int32_t relu);

typedef struct {
    int32_t batch_rank;               /* >= 1; a plain matmul has batch_shape {1} */
    int32_t batch_shape[EC_MAX_RANK];
    int32_t a_strides[EC_MAX_RANK];   /* element offset between A matrices per batch index */
    int32_t b_strides[EC_MAX_RANK];
    int32_t m, k, n;
    int32_t a_row, a_col;             /* A(i, kk) = a[i * a_row + kk * a_col] */
    int32_t b_row, b_col;             /* B(kk, j) = b[kk * b_row + j * b_col] */
} ec_matmul_params;

void ec_matmul_f32(const ec_matmul_params *p, const float *a, const float *b, float *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_MATMUL_H */
