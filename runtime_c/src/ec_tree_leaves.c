/* edgec runtime: what both tree forms (packed tables and if-else code) share. */
#include "ec_trees.h"
#include "ec_tree_walk.h" /* shipped with the model: its table-form walkers include it */

void ec_tree_set_base(float *y, const float *base, int32_t n_samples, int32_t n_targets)
{
    int32_t s, k;
    for (s = 0; s < n_samples; ++s) {
        for (k = 0; k < n_targets; ++k) {
            y[(size_t)s * (size_t)n_targets + (size_t)k] = base[k];
        }
    }
}
