/* edgec runtime: the int8 GEMM inner product shared by ec_conv2d_s8 and ec_fully_connected_s8. */
#ifndef EC_DOT_S8_H
#define EC_DOT_S8_H

#include <stdint.h>

/* acc[r] += sum_{k < n} col[r * kc + k] * w[k] for 4 rows of int16 columns (x + input offset)
 * against one int8 weight row. Exact in int32 for n up to 2^15 (|col| <= 255, |w| <= 128). */
static inline void ec_dot4_s8(const int16_t *col, int32_t kc, const int8_t *w, int32_t n, int32_t acc[4])
{
    const int16_t *c0 = col, *c1 = col + kc, *c2 = col + 2 * kc, *c3 = col + 3 * kc;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, k;
    for (k = 0; k < n; ++k) {
        const int32_t wv = w[k];
        s0 += (int32_t)c0[k] * wv;
        s1 += (int32_t)c1[k] * wv;
        s2 += (int32_t)c2[k] * wv;
        s3 += (int32_t)c3[k] * wv;
    }
    acc[0] += s0;
    acc[1] += s1;
    acc[2] += s2;
    acc[3] += s3;
}

#endif /* EC_DOT_S8_H */
