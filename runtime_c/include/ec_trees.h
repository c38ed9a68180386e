/* edgec runtime: decision-tree ensembles over float32 features. */
#ifndef EC_TREES_H
#define EC_TREES_H

#include "ec_types.h"

/* The leaf value rows of an ensemble, deduplicated. Three encodings:
 * - direct: entries == NULL, row r is values[r * n_targets .. + n_targets];
 * - dense palette: row_start == NULL, value k of row r is palette[entries[r * n_targets + k]];
 * - sparse: row r is the entries from row_start[r] up to the one with bit `last_shift` set, each
 *   adding palette[(e >> value_shift) & value_mask] to target e & target_mask. Only +0.0 values
 *   are left out, and only when no sum can be -0.0, so skipping them changes no bit. */
typedef struct {
    int32_t n_targets;
    int32_t entry_bytes;
    int32_t row_start_bytes;
    uint32_t target_mask;
    uint32_t value_shift;
    uint32_t value_mask;
    uint32_t last_shift;
    const void *entries;
    const void *row_start;
    const float *palette;
    const float *values;
} ec_tree_leaves;

/* y[s][k] = base[k] for n_samples rows. */
void ec_tree_set_base(float *y, const float *base, int32_t n_samples, int32_t n_targets);

/* Trees as packed internal-node words (uint16, uint32 or uint64), each tree's internal nodes in
 * preorder, walked by a model's specialised walker (ec_tree_walk.h). Word bits, low to high: left
 * child, right child (ref_bits each), threshold index, missing-left bit, and the feature in the
 * top bits. A child is an internal node's index, or n_internal + r for leaf row r (with vote
 * leaves, r is the class). A node goes left when x[feature] <= threshold, or when x is NaN and
 * its missing-left bit is set. Threshold: thresholds[index] when threshold_mask != 0, else
 * thresholds[node]. The shifts and masks are repeated here for debuggers; the walker has them
 * as constants. */
typedef struct {
    int32_t n_trees;
    uint32_t ref_bits;
    uint32_t feature_shift;
    uint32_t feature_mask;
    uint32_t threshold_shift;
    uint32_t threshold_mask;
    uint32_t missing_shift;
    uint32_t missing_mask;
    uint32_t n_internal;
    const uint32_t *roots;
    const void *nodes;
    const float *thresholds;
    const float *base;
    ec_tree_leaves leaves;
} ec_tree_table_params;

#endif /* EC_TREES_H */
