/* edgec runtime: integer weighted (squared or absolute) distances to constant centres. */
#include "ec_distance_q.h"

#define EC_SQ_DISTANCE_Q_BODY                                                        \
    int32_t s, c, f;                                                                 \
    for (s = 0; s < n_samples; ++s) {                                                \
        for (c = 0; c < p->n_centers; ++c) {                                         \
            const int32_t *ctr = p->centers + (size_t)c * (size_t)p->n_features;     \
            const int32_t *w = p->weight +                                           \
                (p->per_center_weight ? (size_t)c * (size_t)p->n_features : 0u);     \
            int64_t sum = 0;                                                         \
            for (f = 0; f < p->n_features; ++f) {                                    \
                int64_t d = (int64_t)q[f] - (int64_t)ctr[f];                         \
                int64_t t = p->absolute ? (d < 0 ? -d : d) : d * d;                  \
                sum += t * (int64_t)w[f];                                            \
            }                                                                        \
            *y++ = ec_floor_shift_s32(p->negate ? p->bias[c] - sum : p->bias[c] + sum, p->shift); \
        }                                                                            \
        q += p->n_features;                                                          \
    }

void ec_sq_distance_s16(const ec_sq_distance_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y)
{
    EC_SQ_DISTANCE_Q_BODY
}

void ec_sq_distance_s8(const ec_sq_distance_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y)
{
    EC_SQ_DISTANCE_Q_BODY
}
