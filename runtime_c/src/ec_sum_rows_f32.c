/* edgec runtime: sum or mean of contiguous rows (see ec_reduce.h). Same operation order as
 * ec_reduce_f32 on such rows: EC_SUM_LANES partial sums per block of EC_SUM_BLOCK, the tail,
 * then the lanes, block totals added from 0.0f. */
#include "ec_reduce.h"

#define EC_SUM_LANES 8
#define EC_SUM_BLOCK 256

void ec_sum_rows_f32(const float *x, int32_t rows, int32_t n, int32_t mean, float *y)
{
    int32_t r, i0, i, j;
    for (r = 0; r < rows; ++r) {
        float total = 0.0f;
        for (i0 = 0; i0 < n; i0 += EC_SUM_BLOCK) {
            const int32_t end = n - i0 < EC_SUM_BLOCK ? n : i0 + EC_SUM_BLOCK;
            float lane[EC_SUM_LANES] = {0.0f};
            float block = 0.0f;
            for (i = i0; i + EC_SUM_LANES <= end; i += EC_SUM_LANES) {
                for (j = 0; j < EC_SUM_LANES; ++j) {
                    lane[j] += x[i + j];
                }
            }
            for (; i < end; ++i) {
                block += x[i];
            }
            for (j = 0; j < EC_SUM_LANES; ++j) {
                block += lane[j];
            }
            total += block;
        }
        total = 0.0f + total;   /* the general kernel adds the row to its identity */
        y[r] = mean ? total / (float)n : total;
        x += n;
    }
}
