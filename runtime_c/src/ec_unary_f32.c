/* edgec runtime: y = fn(x), element by element. */
#include "ec_elementwise.h"
#include "ec_pointwise.h"

void ec_unary_f32(const ec_unary_params *p, const float *x, float *y)
{
    int32_t i;
    if (p->fn.kind == EC_PW_RELU) { /* the common case, kept branch-free for the vectoriser */
        for (i = 0; i < p->size; ++i) {
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        }
        return;
    }
    for (i = 0; i < p->size; ++i) {
        y[i] = ec_pointwise_f32(x[i], &p->fn);
    }
}
