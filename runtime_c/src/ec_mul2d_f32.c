/* edgec runtime: y = a mul b over at most two broadcast dims, no activation (see ec_elementwise.h).
 * The general ec_binary_f32's arithmetic on one element, without its rank-6 walk. */
#include "ec_elementwise.h"

void ec_mul2d_f32(const float *a, const float *b, float *y, int32_t rows, int32_t len,
                 int32_t a_row, int32_t a_col, int32_t b_row, int32_t b_col)
{
    int32_t r, i;
    for (r = 0; r < rows; ++r) {
        for (i = 0; i < len; ++i) {
            const int32_t ia = r * a_row + i * a_col, ib = r * b_row + i * b_col;
            y[i] = a[ia] * b[ib];
        }
        y += len;
    }
}
