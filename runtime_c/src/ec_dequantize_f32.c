/* edgec runtime: int8 -> float32 (float arithmetic: used outside the int8 path only). */
#include "ec_quant.h"

void ec_dequantize_f32(const ec_quantize_params *p, const int8_t *x, float *y)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        y[i] = p->scale * (float)((int32_t)x[i] - p->zero_point);
    }
}
