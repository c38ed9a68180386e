/* edgec runtime: int32 labels -> one-hot float rows (see ec_labels.h). */
#include "ec_labels.h"

void ec_one_hot_f32(const int32_t *x, int32_t n, int32_t k, const int32_t *labels, float *y)
{
    int32_t i, j;
    for (i = 0; i < n; ++i) {
        for (j = 0; j < k; ++j) {
            y[(size_t)i * (size_t)k + (size_t)j] = x[i] == labels[j] ? 1.0f : 0.0f;
        }
    }
}
