/* edgec runtime: a small fully connected layer, W unpacked [N][K], for K <= EC_FC_KCHUNK and
 * no activation or ReLU (see ec_matmul.h). Each output is summed over k in order from 0.0f,
 * exactly as ec_fully_connected_f32 does within one chunk, then 0.0f + sum + bias, so both give
 * the same bits. Four outputs at a time keep four independent sums in flight (a last partial
 * group recomputes its first row in the missing lanes and drops them). No activation switch,
 * no blocking: tiny models link a few hundred bytes instead of the general kernel. */
#include "ec_matmul.h"

void ec_dense_f32(const float *x, const float *w, const float *bias, float *y,
                  int32_t m, int32_t k, int32_t n, int32_t relu)
{
    int32_t i, j, kk;
    for (i = 0; i < m; ++i) {
        for (j = 0; j < n; j += 4) {
            const float *w0 = w + (size_t)j * (size_t)k;
            const float *w1 = j + 1 < n ? w0 + k : w0;
            const float *w2 = j + 2 < n ? w0 + 2 * k : w0;
            const float *w3 = j + 3 < n ? w0 + 3 * k : w0;
            float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            int32_t c;
            for (kk = 0; kk < k; ++kk) {
                const float xv = x[kk];
                a[0] += xv * w0[kk];
                a[1] += xv * w1[kk];
                a[2] += xv * w2[kk];
                a[3] += xv * w3[kk];
            }
            for (c = 0; c < 4 && j + c < n; ++c) {
                const float v = (0.0f + a[c]) + (bias != NULL ? bias[j + c] : 0.0f);
                y[j + c] = relu && !(v > 0.0f) ? 0.0f : v;
            }
        }
        x += k;
        y += n;
    }
}
