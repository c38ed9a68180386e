/* edgec runtime: softmax / log-softmax along the middle dim of [outer, n, inner], float32.
 * Max-subtracted, float accumulation. inner == 1 walks contiguous rows; inner > 1 works on
 * column blocks of up to EC_SOFTMAX_BLOCK elements so every inner loop is contiguous.
 * In place (y == x) is allowed: each element of x is read before its y is written. */
#include <math.h>

#include "ec_reduce.h"

#define EC_SOFTMAX_BLOCK 64

/* One contiguous row of n elements. */
static void softmax_row(const float *x, float *y, int32_t n, int32_t log_out)
{
    float m = x[0], s = 0.0f;
    int32_t k;
    for (k = 1; k < n; ++k) {
        m = x[k] > m ? x[k] : m;
    }
    if (log_out) {
        for (k = 0; k < n; ++k) {
            s += expf(x[k] - m);
        }
        s = logf(s);
        for (k = 0; k < n; ++k) {
            y[k] = (x[k] - m) - s;
        }
        return;
    }
    for (k = 0; k < n; ++k) {
        y[k] = expf(x[k] - m);
        s += y[k];
    }
    for (k = 0; k < n; ++k) {
        y[k] = y[k] / s;
    }
}

/* Columns [0, w) of an [n, stride] block: softmax down each column. */
static void softmax_cols(const float *x, float *y, int32_t n, int32_t stride, int32_t w, int32_t log_out)
{
    float m[EC_SOFTMAX_BLOCK], s[EC_SOFTMAX_BLOCK];
    int32_t k, j;
    for (j = 0; j < w; ++j) {
        m[j] = x[j];
        s[j] = 0.0f;
    }
    for (k = 1; k < n; ++k) {
        const float *xr = x + (size_t)k * (size_t)stride;
        for (j = 0; j < w; ++j) {
            m[j] = xr[j] > m[j] ? xr[j] : m[j];
        }
    }
    for (k = 0; k < n; ++k) {
        const float *xr = x + (size_t)k * (size_t)stride;
        float *yr = y + (size_t)k * (size_t)stride;
        if (log_out) {
            for (j = 0; j < w; ++j) {
                s[j] += expf(xr[j] - m[j]);
            }
        } else {
            for (j = 0; j < w; ++j) {
                yr[j] = expf(xr[j] - m[j]);
                s[j] += yr[j];
            }
        }
    }
    if (log_out) {
        for (j = 0; j < w; ++j) {
            s[j] = logf(s[j]);
        }
    }
    for (k = 0; k < n; ++k) {
        const float *xr = x + (size_t)k * (size_t)stride;
        float *yr = y + (size_t)k * (size_t)stride;
        if (log_out) {
            for (j = 0; j < w; ++j) {
                yr[j] = (xr[j] - m[j]) - s[j];
            }
        } else {
            for (j = 0; j < w; ++j) {
                yr[j] = yr[j] / s[j];
            }
        }
    }
}

void ec_softmax_f32(const ec_softmax_params *p, const float *x, float *y)
{
    const size_t block = (size_t)p->n * (size_t)p->inner;
    int32_t o, i0;
    for (o = 0; o < p->outer; ++o) {
        const float *xo = x + (size_t)o * block;
        float *yo = y + (size_t)o * block;
        if (p->inner == 1) {
            softmax_row(xo, yo, p->n, p->log);
            continue;
        }
        for (i0 = 0; i0 < p->inner; i0 += EC_SOFTMAX_BLOCK) {
            const int32_t rest = p->inner - i0;
            const int32_t w = rest < EC_SOFTMAX_BLOCK ? rest : EC_SOFTMAX_BLOCK;
            softmax_cols(xo + i0, yo + i0, p->n, p->inner, w, p->log);
        }
    }
}
