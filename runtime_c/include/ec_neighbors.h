/* edgec runtime: k nearest neighbours over a stored training set. */
#ifndef EC_NEIGHBORS_H
#define EC_NEIGHBORS_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per block: the training rows are read EC_KNN_BLOCK at a time, each block stored
 * [n_features][EC_KNN_BLOCK] (the last block padded), so their sums run side by side. Must equal
 * BLOCK in edgec/ops/knn_storage.py. */
#define EC_KNN_BLOCK 8

typedef enum {
    EC_KNN_EUCLIDEAN = 0, /* ranked by the squared distance, sqrt taken only for weights */
    EC_KNN_MANHATTAN = 1
} ec_knn_metric;

typedef struct ec_knn_f32_params ec_knn_f32_params;

/* d[i] = the distance of x to row block * EC_KNN_BLOCK + i of the training set (squared for
 * euclidean), summed over the features in order in float; one function per storage, so a model
 * links only the one its rows use. */
typedef void (*ec_knn_block_fn)(const ec_knn_f32_params *p, const float *x, int32_t block, float *d);

/* ys[] += the k neighbours' (row ids[i], weight w[i]) contributions, nearest first: the weight to
 * the row's class (labels of uint8_t or int32_t), or the weight times the row's targets. One
 * function per kind of output, so a model links only its own. */
typedef void (*ec_knn_tally_fn)(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys);
void ec_knn_tally_u8(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys);
void ec_knn_tally_i32(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys);
void ec_knn_tally_targets(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys);

/* The k neighbours' distances (nearest first) turned into their weights, in place: 1 / distance
 * (the distance's square root for euclidean), or when any is 0, 1 for those at 0 and 0 for the
 * rest (scikit-learn's rule). Linked only by models weighing by distance. */
typedef void (*ec_knn_weigh_fn)(const ec_knn_f32_params *p, float *dist);
void ec_knn_weigh_distance(const ec_knn_f32_params *p, float *dist);

/* Floats as they are. */
void ec_knn_block_f32(const ec_knn_f32_params *p, const float *x, int32_t block, float *d);
/* Codes: feature j's code c is a dictionary entry, dict[dict_index[2j + 1] + c], when
 * c >= dict_index[2j]; otherwise a grid point (uint16_t codes only), (float)(a + b * (double)c)
 * with the doubles a = grid[2j], b = grid[2j + 1]: the grid of a
 * measurement recorded in fixed steps, standardised, its few values off the grid in the dictionary.
 * uint8_t codes are dictionary entries only (dict_index[2j] == 0). */
void ec_knn_block_codes8(const ec_knn_f32_params *p, const float *x, int32_t block, float *d);
void ec_knn_block_codes16(const ec_knn_f32_params *p, const float *x, int32_t block, float *d);

/* The training set has n_rows rows, searched in n_parts parts (rows up to part_end[0], then up to
 * part_end[1], ...; part_end[n_parts - 1] == n_rows), each into its own max-heap of k entries
 * (scikit-learn's heap: a row enters only when strictly closer than the root); the parts' heaps
 * are then pushed, entry by entry in heap order, into one heap. Exactly one of labels ([n_rows]
 * class index < n_outputs: the output is the normalised vote per class) and targets
 * ([n_rows][n_outputs]: the output is the weighted mean) is non-NULL. */
struct ec_knn_f32_params {
    int32_t n_rows;
    int32_t n_features;
    int32_t k;
    int32_t n_outputs;
    ec_knn_metric metric;
    ec_knn_weigh_fn weigh; /* ec_knn_weigh_distance, or NULL: every neighbour weighs 1 */
    int32_t n_parts;
    const int32_t *part_end;
    ec_knn_block_fn block; /* reads train: one of the ec_knn_block_* functions */
    const void *train;     /* blocks of EC_KNN_BLOCK rows, each [n_features][EC_KNN_BLOCK] */
    const double *grid;    /* uint16_t codes: [n_features][2] (see ec_knn_block_codes8) */
    const int32_t *dict_index; /* codes: [n_features][2], or NULL when no code is a dictionary entry */
    const float *dict;
    ec_knn_tally_fn tally; /* ec_knn_tally_u8 or _i32 (labels), ec_knn_tally_targets (targets) */
    const void *labels;    /* [n_rows] class index, uint8_t or int32_t (see tally) */
    const float *targets;
};

/* The tally of class labels of type T (see ec_knn_tally_u8). */
#define EC_KNN_DEFINE_TALLY(NAME, T)                                                          \
    void NAME(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys)      \
    {                                                                                         \
        int32_t i;                                                                            \
        for (i = 0; i < p->k; ++i) {                                                          \
            ys[((const T *)p->labels)[ids[i]]] += w[i];                                       \
        }                                                                                     \
    }

/* d[0..EC_KNN_BLOCK) of one block whose feature j values the statement DECODE points `vals` at
 * (it may use j, col: the block's EC_KNN_BLOCK stored values of feature j, and buf[EC_KNN_BLOCK]).
 * The rows' sums are independent locals, each over the features in order: the same float
 * operations as one row at a time, so the same bits. */
#define EC_KNN_DEFINE_BLOCK(NAME, T, DECODE)                                                  \
    void NAME(const ec_knn_f32_params *p, const float *x, int32_t block, float *d)            \
    {                                                                                         \
        const int32_t n = p->n_features;                                                      \
        const T *col = (const T *)p->train + (size_t)block * (size_t)n * EC_KNN_BLOCK;        \
        const int manhattan = p->metric == EC_KNN_MANHATTAN;                                  \
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f;    \
        float s7 = 0.0f, buf[EC_KNN_BLOCK];                                                   \
        const float *vals;                                                                    \
        int32_t j;                                                                            \
        for (j = 0; j < n; ++j, col += EC_KNN_BLOCK) {                                        \
            const float xj = x[j];                                                            \
            DECODE;                                                                           \
            if (manhattan) {                                                                  \
                s0 += fabsf(vals[0] - xj);                                                    \
                s1 += fabsf(vals[1] - xj);                                                    \
                s2 += fabsf(vals[2] - xj);                                                    \
                s3 += fabsf(vals[3] - xj);                                                    \
                s4 += fabsf(vals[4] - xj);                                                    \
                s5 += fabsf(vals[5] - xj);                                                    \
                s6 += fabsf(vals[6] - xj);                                                    \
                s7 += fabsf(vals[7] - xj);                                                    \
            } else {                                                                          \
                const float t0 = vals[0] - xj, t1 = vals[1] - xj, t2 = vals[2] - xj;          \
                const float t3 = vals[3] - xj, t4 = vals[4] - xj, t5 = vals[5] - xj;          \
                const float t6 = vals[6] - xj, t7 = vals[7] - xj;                             \
                s0 += t0 * t0;                                                                \
                s1 += t1 * t1;                                                                \
                s2 += t2 * t2;                                                                \
                s3 += t3 * t3;                                                                \
                s4 += t4 * t4;                                                                \
                s5 += t5 * t5;                                                                \
                s6 += t6 * t6;                                                                \
                s7 += t7 * t7;                                                                \
            }                                                                                 \
        }                                                                                     \
        (void)buf;                                                                            \
        d[0] = s0;                                                                            \
        d[1] = s1;                                                                            \
        d[2] = s2;                                                                            \
        d[3] = s3;                                                                            \
        d[4] = s4;                                                                            \
        d[5] = s5;                                                                            \
        d[6] = s6;                                                                            \
        d[7] = s7;                                                                            \
    }

/* The DECODEs of code storage (see ec_knn_block_codes8): byte codes index the feature's dictionary;
 * 16-bit codes are grid points below the feature's first dictionary code. */
#define EC_KNN_DECODE_DICT                                                                    \
    do {                                                                                      \
        const float *dv = p->dict + p->dict_index[2 * j + 1];                                 \
        int32_t i_;                                                                           \
        for (i_ = 0; i_ < EC_KNN_BLOCK; ++i_) {                                               \
            buf[i_] = dv[col[i_]];                                                            \
        }                                                                                     \
        vals = buf;                                                                           \
    } while (0)
#define EC_KNN_DECODE_GRID                                                                    \
    do {                                                                                      \
        const double a = p->grid[2 * j], b = p->grid[2 * j + 1];                              \
        int32_t i_;                                                                           \
        if (p->dict_index == NULL || p->dict_index[2 * j] > 0) { /* not wholly a dictionary */ \
            for (i_ = 0; i_ < EC_KNN_BLOCK; ++i_) {                                           \
                buf[i_] = (float)(a + b * (double)col[i_]);                                   \
            }                                                                                 \
        }                                                                                     \
        if (p->dict_index != NULL && p->dict_index[2 * j] <= 65535) {                         \
            for (i_ = 0; i_ < EC_KNN_BLOCK; ++i_) {                                           \
                if (col[i_] >= p->dict_index[2 * j]) {                                        \
                    buf[i_] = p->dict[p->dict_index[2 * j + 1] + col[i_]];                    \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
        vals = buf;                                                                           \
    } while (0)

/* Bytes of scratch ec_knn_f32 needs: a heap (k distances, k row ids) per part and a merged one. */
#define EC_KNN_SCRATCH_BYTES(k, n_parts) ((size_t)(k) * ((size_t)(n_parts) + 1u) * (sizeof(float) + sizeof(int32_t)))

/* y[s] ([n_outputs]) for each of n_samples rows of x; scratch holds EC_KNN_SCRATCH_BYTES(k,
 * n_parts), aligned for float. The neighbours are used nearest first (ties: lower row id first). */
void ec_knn_f32(const ec_knn_f32_params *p, const float *x, int32_t n_samples, float *y, void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EC_NEIGHBORS_H */
