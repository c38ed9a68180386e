/* edgec runtime: knn regression, the neighbours' weighted targets (see ec_neighbors.h). */
#include "ec_neighbors.h"

void ec_knn_tally_targets(const ec_knn_f32_params *p, const int32_t *ids, const float *w, float *ys)
{
    int32_t i, t;
    for (i = 0; i < p->k; ++i) {
        const float *row = p->targets + (size_t)ids[i] * (size_t)p->n_outputs;
        for (t = 0; t < p->n_outputs; ++t) {
            ys[t] += row[t] * w[i];
        }
    }
}
