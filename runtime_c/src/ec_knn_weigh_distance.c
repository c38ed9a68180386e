/* edgec runtime: knn weights by inverse distance (see ec_neighbors.h). */
#include <math.h>

#include "ec_neighbors.h"

void ec_knn_weigh_distance(const ec_knn_f32_params *p, float *dist)
{
    int32_t i, any_zero = 0;
    for (i = 0; i < p->k; ++i) {
        if (p->metric == EC_KNN_EUCLIDEAN) {
            dist[i] = sqrtf(dist[i]);
        }
        any_zero |= dist[i] == 0.0f;
    }
    for (i = 0; i < p->k; ++i) {
        dist[i] = any_zero ? (float)(dist[i] == 0.0f) : 1.0f / dist[i];
    }
}
