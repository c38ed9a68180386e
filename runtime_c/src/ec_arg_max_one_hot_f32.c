/* edgec runtime: one-hot of the first largest score per row. */
#include "ec_vote.h"

void ec_arg_max_one_hot_f32(const float *x, int32_t outer, int32_t k, float *y)
{
    int32_t o, i;
    for (o = 0; o < outer; ++o) {
        int32_t best = 0;
        for (i = 1; i < k; ++i) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        for (i = 0; i < k; ++i) {
            y[i] = i == best ? 1.0f : 0.0f;
        }
        x += k;
        y += k;
    }
}
