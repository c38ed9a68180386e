/* edgec runtime: a small fully connected layer, W unpacked [N][K], for K <= EC_FC_KCHUNK and
 * no activation or ReLU (see ec_matmul.h). Each output is summed over k in order from 0.0f,
 * exactly as ec_fully_connected_f32 does within one chunk, so both give the same bits; four
 * outputs at a time keep four independent sums in flight. No generic activation switch, no
 * blocking: tiny models link a few hundred bytes instead of the general kernel. */
#include "ec_matmul.h"

static float finish(float acc, const float *bias, int32_t j, int32_t relu)
{
    const float v = (0.0f + acc) + (bias != NULL ? bias[j] : 0.0f);
    return relu && !(v > 0.0f) ? 0.0f : v;
}

void ec_dense_f32(const float *x, const float *w, const float *bias, float *y,
                  int32_t m, int32_t k, int32_t n, int32_t relu)
{
    int32_t i, j, kk;
    for (i = 0; i < m; ++i) {
        for (j = 0; j + 4 <= n; j += 4) {
            const float *w0 = w + (size_t)j * (size_t)k;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            for (kk = 0; kk < k; ++kk) {
                const float xv = x[kk];
                a0 += xv * w0[kk];
                a1 += xv * w0[k + kk];
                a2 += xv * w0[2 * k + kk];
                a3 += xv * w0[3 * k + kk];
            }
            y[j] = finish(a0, bias, j, relu);
            y[j + 1] = finish(a1, bias, j + 1, relu);
            y[j + 2] = finish(a2, bias, j + 2, relu);
            y[j + 3] = finish(a3, bias, j + 3, relu);
        }
        for (; j < n; ++j) {
            const float *wj = w + (size_t)j * (size_t)k;
            float a = 0.0f;
            for (kk = 0; kk < k; ++kk) {
                a += x[kk] * wj[kk];
            }
            y[j] = finish(a, bias, j, relu);
        }
        x += k;
        y += n;
    }
}
