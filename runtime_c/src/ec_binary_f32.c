/* edgec runtime: broadcast binary element-wise op with an optional fused activation. */
#include "ec_broadcast.h"
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

/* One row of the output: y[i] = act(a[i * sa] OP b[i * sb]) for i < n. */
static void binary_row(const ec_binary_params *p, const float *pa, int32_t sa, const float *pb, int32_t sb,
                       float *y, int32_t n)
{
    int32_t i;
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

/* The innermost dimension as a row with fixed strides; rows are walked with ec_broadcast.h. */
void ec_binary_f32(const ec_binary_params *p, const float *a, const float *b, float *y)
{
    ec_bcast_walk w;
    int32_t o, off_a, off_b;
    ec_bcast_begin(&w, p->rank, p->shape, p->a_strides, p->b_strides);
    for (o = 0; o < w.rows; ++o) {
        ec_bcast_offsets(&w, p->rank, p->a_strides, p->b_strides, &off_a, &off_b);
        binary_row(p, a + off_a, w.a_step, b + off_b, w.b_step, y, w.len);
        y += w.len;
        ec_bcast_next(&w, p->rank, p->shape);
    }
}
