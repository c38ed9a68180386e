/* edgec runtime: tree ensembles whose nodes may have several parents (shared subtrees), walked
 * through flat int32 child tables; the packed layouts of ec_tree_walk.h need true trees. */
#include "ec_tree_graph.h"

void ec_tree_graph_f32(const ec_tree_graph_f32_params *p, const float *x, int32_t n_samples,
                       int32_t n_features, float *y)
{
    int32_t s, t, k;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)n_features;
        float *ys = y + (size_t)s * (size_t)p->n_targets;
        for (k = 0; k < p->n_targets; ++k) {
            ys[k] = p->base[k];
        }
        for (t = 0; t < p->n_trees; ++t) {
            int32_t i = p->roots[t];
            const float *v;
            while (p->feature[i] >= 0) {
                const float xv = xs[p->feature[i]];
                /* !(xv > thr) is also true for NaN: the missing-left nodes use it */
                const int left = p->missing_left[i] ? !(xv > p->threshold[i]) : (xv <= p->threshold[i]);
                i = left ? p->left[i] : p->right[i];
            }
            v = p->leaf_values + (size_t)p->leaf[i] * (size_t)p->n_targets;
            for (k = 0; k < p->n_targets; ++k) {
                ys[k] += v[k];
            }
        }
    }
}
