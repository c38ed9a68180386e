/* edgec runtime: k nearest neighbours over integer features, exact int64 distances. */
#include "ec_distance_q.h"

#define EC_KNN_Q_BODY                                                                        \
    int64_t *best_d = (int64_t *)scratch;                                                    \
    int32_t *best_r = (int32_t *)(best_d + p->k);                                            \
    int32_t s, r, f, o, i, n;                                                                \
    for (s = 0; s < n_samples; ++s) {                                                        \
        n = 0;                                                                               \
        for (r = 0; r < p->n_rows; ++r) {                                                    \
            const size_t t0 = (size_t)r * (size_t)p->n_features;                             \
            int64_t dist = 0;                                                                \
            for (f = 0; f < p->n_features; ++f) {                                            \
                int64_t d = (int64_t)q[f] - (int64_t)p->train[t0 + (size_t)f];               \
                dist += (p->absolute ? (d < 0 ? -d : d) : d * d) * (int64_t)p->weight[f];    \
            }                                                                                \
            if (n == p->k && dist >= best_d[n - 1]) {                                        \
                continue;                                                                    \
            }                                                                                \
            /* insert after every kept row at a distance <= dist: earlier rows win ties */   \
            i = n < p->k ? n : p->k - 1;                                                     \
            while (i > 0 && best_d[i - 1] > dist) {                                          \
                best_d[i] = best_d[i - 1];                                                   \
                best_r[i] = best_r[i - 1];                                                   \
                --i;                                                                         \
            }                                                                                \
            best_d[i] = dist;                                                                \
            best_r[i] = r;                                                                   \
            if (n < p->k) {                                                                  \
                ++n;                                                                         \
            }                                                                                \
        }                                                                                    \
        for (o = 0; o < p->n_outputs; ++o) {                                                 \
            y[o] = 0;                                                                        \
        }                                                                                    \
        for (i = 0; i < n; ++i) {                                                            \
            if (p->labels != NULL) {                                                         \
                y[p->labels[best_r[i]]] += 1;                                                \
            } else {                                                                         \
                for (o = 0; o < p->n_outputs; ++o) {                                         \
                    y[o] += p->targets[(size_t)best_r[i] * (size_t)p->n_outputs + (size_t)o]; \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        q += p->n_features;                                                                  \
        y += p->n_outputs;                                                                   \
    }

void ec_knn_s16(const ec_knn_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y, void *scratch)
{
    EC_KNN_Q_BODY
}

void ec_knn_s8(const ec_knn_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y, void *scratch)
{
    EC_KNN_Q_BODY
}
