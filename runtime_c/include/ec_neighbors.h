/* edgec runtime: k nearest neighbours over a stored training set. */
#ifndef EC_NEIGHBORS_H
#define EC_NEIGHBORS_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the training rows are stored: float32, or, when every value is an integer that fits, the
 * narrowest exact integer type (the values compared are the same floats, in 1/4 or 1/2 the bytes),
 * or, when no feature has more than 256 distinct values, a uint8 code per value indexing the
 * feature's own distinct values (the row's value of feature j: dict[dict_offset[j] + code]). */
typedef enum {
    EC_KNN_TRAIN_F32 = 0,
    EC_KNN_TRAIN_U8 = 1,
    EC_KNN_TRAIN_S16 = 2,
    EC_KNN_TRAIN_DICT8 = 3
} ec_knn_storage;

typedef enum {
    EC_KNN_EUCLIDEAN = 0, /* ranked by the squared distance, sqrt taken only for weights */
    EC_KNN_MANHATTAN = 1
} ec_knn_metric;

/* train: [n_rows][n_features] (see storage), searched in n_parts parts (rows up to part_end[0], then up to
 * part_end[1], ...; part_end[n_parts - 1] == n_rows), each into its own max-heap of k entries
 * (scikit-learn's heap: a row enters only when strictly closer than the root); the parts' heaps
 * are then pushed, entry by entry in heap order, into one heap. Exactly one of labels ([n_rows] class index < n_outputs: the
 * output is the normalised vote per class) and targets ([n_rows][n_outputs]: the output is the
 * weighted mean) is non-NULL. distance_weights: 1 / distance, or only the neighbours at distance 0
 * when there are any; otherwise every neighbour weighs 1. */
typedef struct {
    int32_t n_rows;
    int32_t n_features;
    int32_t k;
    int32_t n_outputs;
    ec_knn_metric metric;
    int32_t distance_weights;
    int32_t n_parts;
    const int32_t *part_end;
    ec_knn_storage storage;
    const void *train; /* [n_rows][n_features] of float, uint8_t or int16_t (see storage) */
    const float *dict; /* EC_KNN_TRAIN_DICT8: every feature's distinct values, feature by feature */
    const int32_t *dict_offset; /* EC_KNN_TRAIN_DICT8: [n_features] where each feature's values start */
    const void *labels; /* [n_rows] of uint8_t when labels_u8, else int32_t */
    int32_t labels_u8;
    const float *targets;
} ec_knn_f32_params;

/* Bytes of scratch ec_knn_f32 needs: a heap (k distances, k row ids) per part and a merged one. */
#define EC_KNN_SCRATCH_BYTES(k, n_parts) ((size_t)(k) * ((size_t)(n_parts) + 1u) * (sizeof(float) + sizeof(int32_t)))

/* y[s] ([n_outputs]) for each of n_samples rows of x; scratch holds EC_KNN_SCRATCH_BYTES(k,
 * n_parts), aligned for float. The neighbours are used nearest first (ties: lower row id first). */
void ec_knn_f32(const ec_knn_f32_params *p, const float *x, int32_t n_samples, float *y, void *scratch);

#ifdef __cplusplus
}
#endif

#endif /* EC_NEIGHBORS_H */
