/* edgec runtime: tree ensembles with shared subtrees (node graphs), in plain int32 tables. */
#ifndef EC_TREE_GRAPH_H
#define EC_TREE_GRAPH_H

#include "ec_types.h"

/* Internal node i goes left when x[feature[i]] <= threshold[i], or when that feature is NaN and
 * missing_left[i] is set; a leaf (feature < 0) adds row leaf[i] of leaf_values to the output,
 * which starts at base. A node may be the child of several parents. */
typedef struct {
    int32_t n_trees;
    int32_t n_targets;
    const int32_t *roots;
    const int32_t *feature;
    const float *threshold;
    const int32_t *left;
    const int32_t *right;
    const uint8_t *missing_left;
    const int32_t *leaf;
    const float *leaf_values;
    const float *base;
} ec_tree_graph_f32_params;

/* y[s][t] = base[t] + sum over trees (in order) of the reached leaf's value t. */
void ec_tree_graph_f32(const ec_tree_graph_f32_params *p, const float *x, int32_t n_samples,
                       int32_t n_features, float *y);

#endif /* EC_TREE_GRAPH_H */
