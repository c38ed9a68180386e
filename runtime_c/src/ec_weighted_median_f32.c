/* edgec runtime: weighted median of each row without sorting (n is small: O(n^2), no scratch). */
#include "ec_median.h"

void ec_weighted_median_f32(const float *x, int32_t rows, int32_t n, const float *w, float half, float *y)
{
    int32_t r, j, k;
    for (r = 0; r < rows; ++r) {
        const float *xr = x + (size_t)r * (size_t)n;
        float best = xr[0];
        for (j = 1; j < n; ++j) {
            if (xr[j] > best) {
                best = xr[j];
            }
        }
        for (j = 0; j < n; ++j) {
            if (xr[j] < best) {
                float acc = 0.0f;
                for (k = 0; k < n; ++k) {
                    if (xr[k] <= xr[j]) {
                        acc += w[k];
                    }
                }
                if (acc >= half) {
                    best = xr[j];
                }
            }
        }
        y[r] = best;
    }
}
