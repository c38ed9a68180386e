/* edgec runtime: broadcast binary element-wise op with an optional fused activation. */
#include "ec_elementwise.h"
#include "ec_pointwise.h"

static float apply(int32_t kind, float a, float b)
{
    switch (kind) {
    case EC_BIN_ADD: return a + b;
    case EC_BIN_SUB: return a - b;
    case EC_BIN_MUL: return a * b;
    case EC_BIN_DIV: return a / b;
    case EC_BIN_MAX: return a > b ? a : b;
    case EC_BIN_MIN: return a < b ? a : b;
    case EC_BIN_POW: return powf(a, b);
    case EC_BIN_PRELU: return a < 0.0f ? b * a : a;
    default: return a;
    }
}

/* The innermost dimension as a loop with fixed strides; outer dims walk an index odometer. */
void ec_binary_f32(const ec_binary_params *p, const float *a, const float *b, float *y)
{
    int32_t idx[EC_MAX_RANK] = {0};
    const int32_t last = p->rank - 1;
    const int32_t n = p->rank > 0 ? p->shape[last] : 1;
    const int32_t sa = p->rank > 0 ? p->a_strides[last] : 0;
    const int32_t sb = p->rank > 0 ? p->b_strides[last] : 0;
    int32_t outer = 1, o, i, d;
    for (d = 0; d < last; ++d) {
        outer *= p->shape[d];
    }
    for (o = 0; o < outer; ++o) {
        int32_t offa = 0, offb = 0;
        for (d = 0; d < last; ++d) {
            offa += idx[d] * p->a_strides[d];
            offb += idx[d] * p->b_strides[d];
        }
        {
            const float *pa = a + offa;
            const float *pb = b + offb;
            if (p->kind == EC_BIN_ADD && sa == 1 && sb == 1) {
                for (i = 0; i < n; ++i) {
                    y[i] = pa[i] + pb[i];
                }
            } else if (p->kind == EC_BIN_MUL && sa == 1 && sb == 1) {
                for (i = 0; i < n; ++i) {
                    y[i] = pa[i] * pb[i];
                }
            } else {
                for (i = 0; i < n; ++i) {
                    y[i] = apply(p->kind, pa[i * sa], pb[i * sb]);
                }
            }
            if (p->act.kind != EC_PW_NONE) {
                for (i = 0; i < n; ++i) {
                    y[i] = ec_pointwise_f32(y[i], &p->act);
                }
            }
        }
        y += n;
        for (d = last - 1; d >= 0; --d) {
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
