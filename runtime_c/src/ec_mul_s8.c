/* edgec runtime: int8 broadcast multiply (TFLM MUL int8 arithmetic, see ec_elementwise_s8.h).
 * Rows are walked with ec_broadcast.h. */
#include "ec_broadcast.h"
#include "ec_elementwise_s8.h"
#include "ec_fixedpoint.h"

static void mul_row(const ec_mul_s8_params *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                    int8_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t prod = ((int32_t)a[i * sa] + p->a_offset) * ((int32_t)b[i * sb] + p->b_offset);
        const int32_t out = ec_mul_by_quantized_mul(prod, p->out_multiplier, p->out_shift) + p->out_offset;
        y[i] = (int8_t)ec_clamp_s32(out, p->act_min, p->act_max);
    }
}

void ec_mul_s8(const ec_mul_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    ec_bcast_walk w;
    int32_t o, off_a, off_b;
    ec_bcast_begin(&w, p->rank, p->shape, p->a_strides, p->b_strides);
    for (o = 0; o < w.rows; ++o) {
        ec_bcast_offsets(&w, p->rank, p->a_strides, p->b_strides, &off_a, &off_b);
        mul_row(p, a + off_a, w.a_step, b + off_b, w.b_step, y, w.len);
        y += w.len;
        ec_bcast_next(&w, p->rank, p->shape);
    }
}
