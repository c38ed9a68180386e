/* edgec runtime: int8 broadcast add / subtract (TFLM ADD / SUB int8 arithmetic, see
 * ec_elementwise_s8.h). The innermost dim is a strided row; outer dims walk an index odometer. */
#include "ec_elementwise_s8.h"
#include "ec_fixedpoint.h"

static void add_row(const ec_add_s8_params *p, const int8_t *a, int32_t sa, const int8_t *b, int32_t sb,
                    int8_t *y, int32_t n)
{
    const int32_t scale = (int32_t)1 << EC_ADD_S8_LEFT_SHIFT;
    int32_t i;
    for (i = 0; i < n; ++i) {
        const int32_t va = ec_mul_by_quantized_mul(((int32_t)a[i * sa] + p->a_offset) * scale,
                                                   p->a_multiplier, p->a_shift);
        const int32_t vb = ec_mul_by_quantized_mul(((int32_t)b[i * sb] + p->b_offset) * scale,
                                                   p->b_multiplier, p->b_shift);
        const int32_t raw = p->subtract ? va - vb : va + vb;
        const int32_t out = ec_mul_by_quantized_mul(raw, p->out_multiplier, p->out_shift) + p->out_offset;
        y[i] = (int8_t)ec_clamp_s32(out, p->act_min, p->act_max);
    }
}

void ec_add_s8(const ec_add_s8_params *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    int32_t idx[EC_MAX_RANK] = {0};
    const int32_t last = p->rank - 1;
    const int32_t n = p->rank > 0 ? p->shape[last] : 1;
    const int32_t sa = p->rank > 0 ? p->a_strides[last] : 0;
    const int32_t sb = p->rank > 0 ? p->b_strides[last] : 0;
    int32_t outer = 1, o, d;
    for (d = 0; d < last; ++d) {
        outer *= p->shape[d];
    }
    for (o = 0; o < outer; ++o) {
        int32_t offa = 0, offb = 0;
        for (d = 0; d < last; ++d) {
            offa += idx[d] * p->a_strides[d];
            offb += idx[d] * p->b_strides[d];
        }
        add_row(p, a + offa, sa, b + offb, sb, y, n);
        y += n;
        for (d = last - 1; d >= 0; --d) {
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
