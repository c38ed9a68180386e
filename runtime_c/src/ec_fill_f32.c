/* edgec runtime: fills a float32 buffer with one value (constants whose elements are all equal). */
#include "ec_movement.h"

void ec_fill_f32(const ec_fill_params *p, float *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        y[i] = p->value;
    }
}
