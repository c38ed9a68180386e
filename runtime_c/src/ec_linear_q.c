/* edgec runtime: integer linear layer of the classical models, exact int64 accumulation. */
#include "ec_classic_q.h"

#define EC_LINEAR_Q_BODY                                                       \
    int32_t s, o, f;                                                           \
    for (s = 0; s < n_samples; ++s) {                                          \
        for (o = 0; o < p->n_out; ++o) {                                       \
            int64_t acc = p->bias[o];                                          \
            const size_t w0 = (size_t)o * (size_t)p->n_in;                     \
            for (f = 0; f < p->n_in; ++f) {                                    \
                acc += (int64_t)((int32_t)p->weight[w0 + (size_t)f] * (int32_t)q[f]); \
            }                                                                  \
            *y++ = ec_floor_shift_s32(acc, p->shift);                              \
        }                                                                      \
        q += p->n_in;                                                          \
    }

void ec_linear_s16(const ec_linear_s16_params *p, const int16_t *q, int32_t n_samples, int32_t *y)
{
    EC_LINEAR_Q_BODY
}

void ec_linear_s8(const ec_linear_s8_params *p, const int8_t *q, int32_t n_samples, int32_t *y)
{
    EC_LINEAR_Q_BODY
}
