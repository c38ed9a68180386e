/* edgec runtime: float32 -> int8 (float arithmetic: used outside the int8 path only). */
#include <math.h>

#include "ec_quant.h"

void ec_quantize_f32(const ec_quantize_params *p, const float *x, int8_t *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        const float r = roundf(x[i] / p->scale); /* half away from zero, as TFLite */
        const int32_t q = (r < -256.0f ? -256 : (r > 256.0f ? 256 : (int32_t)r)) + p->zero_point;
        y[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
    }
}
