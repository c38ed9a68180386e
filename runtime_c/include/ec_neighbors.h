/* edgec runtime: k nearest neighbours over a stored training set. */
#ifndef EC_NEIGHBORS_H
#define EC_NEIGHBORS_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EC_KNN_EUCLIDEAN = 0, /* ranked by the squared distance, sqrt taken only for weights */
    EC_KNN_MANHATTAN = 1
} ec_knn_metric;

/* train: [n_rows][n_features], searched in n_parts parts (rows up to part_end[0], then up to
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
    const float *train;
    const int32_t *labels;
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
