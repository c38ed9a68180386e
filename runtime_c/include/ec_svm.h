/* edgec runtime: kernel SVM evaluation as libsvm does it (see edgec/ops/svm.py). */
#ifndef EC_SVM_H
#define EC_SVM_H

#include "ec_types.h"

#define EC_SVM_LINEAR 0
#define EC_SVM_POLY 1
#define EC_SVM_RBF 2
#define EC_SVM_SIGMOID 3

#define EC_SVM_BLOCK 16  /* support vectors per packed block; must equal FC_BLOCK in edgec/ops/matmul.py */

typedef struct {
    int32_t kind;        /* EC_SVM_* */
    int32_t n_sv;
    int32_t n_features;
    int32_t degree;      /* poly */
    float gamma;
    float coef0;
} ec_svm_kernel_params;

/* k[s][v] = kernel(x row s, support vector v) for n_samples rows; sv_packed holds the [n_sv][n_features]
 * support vectors in blocks of EC_SVM_BLOCK vectors, each block [n_features][width].
 * rbf uses exp(-gamma * sum((x - sv)^2)), poly libsvm's repeated-squaring power. */
void ec_svm_kernel_f32(const ec_svm_kernel_params *p, const float *x, int32_t n_samples, const float *sv_packed,
                       float *k);

typedef struct {
    int32_t n_classes;
    int32_t n_sv;
    const int32_t *start;   /* [n_classes + 1]: first support vector of each class */
} ec_svm_ovo_params;

/* dec[s][pair] for the pairs (i < j) in order: class i's kernel values weighted by coef row j-1,
 * then class j's weighted by coef row i, summed in that order, plus intercept[pair].
 * coef is [n_classes - 1][n_sv]. */
void ec_svm_ovo_decision_f32(const ec_svm_ovo_params *p, const float *k, int32_t n_samples, const float *coef,
                             const float *intercept, float *dec);

/* votes[s][c]: pair (i, j) votes for i when dec > 0 (or >= 0 with zero_to_first), else for j. */
void ec_ovo_vote_f32(const float *dec, int32_t n_samples, int32_t n_classes, int32_t zero_to_first,
                     float *votes);

typedef struct {
    int32_t kind;        /* EC_SVM_* */
    int32_t n_sv;
    int32_t n_features;
    int32_t degree;
    double gamma;
    double coef0;
} ec_svm_dual_params;

/* y[s] = sum_v coef[v] * kernel(x row s, sv_v) + (intercept ? intercept[0] : 0), computed in double
 * (regressors need the precision: their dual sums cancel); sv_packed as ec_svm_kernel_f32's. */
void ec_svm_dual_sum_f32(const ec_svm_dual_params *p, const float *x, int32_t n_samples, const float *sv_packed,
                         const float *coef, const float *intercept, float *y);

/* One kernel value in double (libsvm's k_function) from float32 operands. */
double ec_svm_kernel_f64(const ec_svm_dual_params *p, const float *x, const float *sv);

/* The kernel function on a feature sum (squared distance for rbf, dot product otherwise), in double. */
double ec_svm_apply_f64(const ec_svm_dual_params *p, double sum);

/* dec[s][pair] as ec_svm_ovo_decision_f32 computes it, but with the kernel values and sums in
 * double (sv unpacked [n_sv][n_features]; start[n_classes + 1]); scratch: 8 * pairs bytes. */
void ec_svm_ovo_dual_f32(const ec_svm_dual_params *p, const int32_t *start, int32_t n_classes, const float *x,
                         int32_t n_samples, const float *sv, const float *coef, const float *intercept,
                         void *scratch, float *dec);

/* acc[j] (type T) = sum_f (x[f] - sv_j[f])^2 (rbf) or sum_f x[f] * sv_j[f] over one packed block
 * blk ([n_features][W]) of W vectors, each sum in feature order, operands converted to T first.
 * TERM: EC_SVM_SQ_TERM (rbf) or EC_SVM_DOT_TERM. Eight vectors at a time, their sums in locals
 * (registers: eight independent chains, which the compiler pairs into vector instructions); the
 * last block's odd vectors one at a time. */
#define EC_SVM_SQ_TERM(T, v) ((xv - (T)(v)) * (xv - (T)(v)))
#define EC_SVM_DOT_TERM(T, v) (xv * (T)(v))
#define EC_SVM_BLOCK_SUMS(T, W, TERM)                                             \
    do {                                                                          \
        for (j = 0; j + 8 <= (W); j += 8) {                                       \
            T a0 = (T)0, a1 = (T)0, a2 = (T)0, a3 = (T)0;                         \
            T a4 = (T)0, a5 = (T)0, a6 = (T)0, a7 = (T)0;                         \
            for (f = 0; f < n_features; ++f) {                                    \
                const T xv = (T)x[f];                                             \
                const float *row = blk + (size_t)f * (size_t)(W) + (size_t)j;     \
                a0 += TERM(T, row[0]);                                            \
                a1 += TERM(T, row[1]);                                            \
                a2 += TERM(T, row[2]);                                            \
                a3 += TERM(T, row[3]);                                            \
                a4 += TERM(T, row[4]);                                            \
                a5 += TERM(T, row[5]);                                            \
                a6 += TERM(T, row[6]);                                            \
                a7 += TERM(T, row[7]);                                            \
            }                                                                     \
            acc[j] = a0;                                                          \
            acc[j + 1] = a1;                                                      \
            acc[j + 2] = a2;                                                      \
            acc[j + 3] = a3;                                                      \
            acc[j + 4] = a4;                                                      \
            acc[j + 5] = a5;                                                      \
            acc[j + 6] = a6;                                                      \
            acc[j + 7] = a7;                                                      \
        }                                                                         \
        for (; j < (W); ++j) {                                                    \
            T a0 = (T)0;                                                          \
            for (f = 0; f < n_features; ++f) {                                    \
                const T xv = (T)x[f];                                             \
                a0 += TERM(T, blk[(size_t)f * (size_t)(W) + (size_t)j]);          \
            }                                                                     \
            acc[j] = a0;                                                          \
        }                                                                         \
    } while (0)

/* Defines `static void NAME(x, blk, n_features, width, rbf, T *acc)`: one block's sums in type T. */
#define EC_SVM_DEFINE_BLOCK_SUMS(NAME, T)                                                          \
    static void NAME(const float *x, const float *blk, int32_t n_features, int32_t width, int32_t rbf, \
                     T *acc)                                                                       \
    {                                                                                              \
        int32_t f, j;                                                                              \
        if (rbf) {                                                                                 \
            EC_SVM_BLOCK_SUMS(T, width, EC_SVM_SQ_TERM);                                           \
        } else {                                                                                   \
            EC_SVM_BLOCK_SUMS(T, width, EC_SVM_DOT_TERM);                                          \
        }                                                                                          \
    }

typedef struct {
    int32_t n_classes;
    const float *sigmoid;   /* per pair: A_hi, A_lo, B_hi, B_lo (A = A_hi + A_lo in double) */
} ec_svm_proba_params;

/* Bytes of scratch ec_svm_pair_proba_f32 needs: 2 k^2 + 2 k doubles. */
#define EC_SVM_PROBA_SCRATCH(k) ((size_t)8 * (size_t)(2 * (k) * (k) + 2 * (k)))

/* proba[s][c] from the pairwise decision values dec[s][pair]: Platt sigmoid per pair, clamped to
 * [1e-7, 1 - 1e-7], then libsvm's pairwise coupling (Wu, Lin and Weng, method 2), in double.
 * scratch: EC_SVM_PROBA_SCRATCH(n_classes) bytes, 8-byte aligned. */
void ec_svm_pair_proba_f32(const ec_svm_proba_params *p, const float *dec, int32_t n_samples, void *scratch,
                           float *proba);

#endif /* EC_SVM_H */
