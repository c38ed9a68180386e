/* edgec runtime: int32 scores to float (the float outputs of the int16/int8 classical modes). */
#include "ec_classic_q.h"

void ec_scale_s32(const int32_t *x, int32_t n, float scale, float *y)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        y[i] = (float)x[i] * scale;
    }
}
