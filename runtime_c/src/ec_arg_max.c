/* edgec runtime: first index of the largest score per row, optionally mapped to a label. */
#include "ec_select.h"

#define EC_ARG_MAX_BODY                                              \
    int32_t o, i;                                                    \
    for (o = 0; o < outer; ++o) {                                    \
        int32_t best = 0;                                            \
        for (i = 1; i < k; ++i) {                                    \
            if (x[i] > x[best]) {                                    \
                best = i;                                            \
            }                                                        \
        }                                                            \
        y[o] = labels != NULL ? labels[best] : best;                 \
        x += k;                                                      \
    }

void ec_arg_max_f32(const float *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y)
{
    EC_ARG_MAX_BODY
}

void ec_arg_max_s32(const int32_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y)
{
    EC_ARG_MAX_BODY
}

void ec_arg_max_s8(const int8_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y)
{
    EC_ARG_MAX_BODY
}
