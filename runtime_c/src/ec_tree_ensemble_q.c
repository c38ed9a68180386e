/* edgec runtime: tree ensembles over quantized features, int32 leaf sums. */
#include "ec_classic_q.h"

#define EC_TREE_Q_BODY(NAN_CODE)                                                          \
    int32_t s, t, k;                                                                      \
    for (s = 0; s < n_samples; ++s) {                                                     \
        const int32_t base_row = s * n_features;                                         \
        int32_t *ys = y + (size_t)s * (size_t)p->n_targets;                              \
        for (k = 0; k < p->n_targets; ++k) {                                              \
            ys[k] = p->base[k];                                                           \
        }                                                                                 \
        for (t = 0; t < p->n_trees; ++t) {                                                \
            int32_t i = p->roots[t];                                                      \
            size_t row;                                                                   \
            while (p->feature[i] >= 0) {                                                  \
                const int32_t v = q[base_row + p->feature[i]];                            \
                const int left = v <= p->threshold[i] && (v != (NAN_CODE) || p->missing_left[i]); \
                i = left ? p->left[i] : p->right[i];                                      \
            }                                                                             \
            row = (size_t)p->leaf[i] * (size_t)p->n_targets;                              \
            for (k = 0; k < p->n_targets; ++k) {                                          \
                ys[k] += p->leaf_values[row + (size_t)k];                                 \
            }                                                                             \
        }                                                                                 \
    }

void ec_tree_ensemble_s16(const ec_tree_table_s16_params *p, const int16_t *q, int32_t n_samples,
                          int32_t n_features, int32_t *y)
{
    EC_TREE_Q_BODY(-32768)
}

void ec_tree_ensemble_s8(const ec_tree_table_s8_params *p, const int8_t *q, int32_t n_samples,
                         int32_t n_features, int32_t *y)
{
    EC_TREE_Q_BODY(-128)
}
