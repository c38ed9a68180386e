/* edgec runtime: separable remap (transpose, slice, expand, pad, tile, nearest resize). */
#include <string.h>

#include "ec_movement.h"

/* Writes n fill elements: the float value for 4-byte elements, fill_s8 for 1-byte elements,
 * zero bytes otherwise. */
static void fill_row(const ec_remap_params *p, unsigned char *y, int32_t n)
{
    int32_t i;
    if (p->elem_size == 1) {
        memset(y, p->fill_s8, (size_t)n);
        return;
    }
    if (p->elem_size != 4) {
        memset(y, 0, (size_t)n * (size_t)p->elem_size);
        return;
    }
    for (i = 0; i < n; ++i) {
        memcpy(y + (size_t)i * 4u, &p->value, 4u);
    }
}

/* One output row along a looked-up last dim; x points at the row's base element. */
static void table_row(const ec_remap_params *p, const int32_t *map, const unsigned char *x,
                      unsigned char *y, int32_t n)
{
    const size_t es = (size_t)p->elem_size;
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (map[i] < 0) {
            fill_row(p, y + (size_t)i * es, 1);
        } else {
            memcpy(y + (size_t)i * es, x + (ptrdiff_t)map[i] * (ptrdiff_t)es, es);
        }
    }
}

/* One output row along an affine last dim: a memcpy when contiguous, else a strided walk. */
static void strided_row(int32_t es, int32_t stride, const unsigned char *x, unsigned char *y, int32_t n)
{
    int32_t i;
    if (stride == 1) {
        memcpy(y, x, (size_t)n * (size_t)es);
    } else if (es == 4) {
        for (i = 0; i < n; ++i) {
            memcpy(y + (size_t)i * 4u, x + (ptrdiff_t)i * stride * 4, 4u);
        }
    } else {
        for (i = 0; i < n; ++i) {
            memcpy(y + (size_t)i * (size_t)es, x + (ptrdiff_t)i * stride * es, (size_t)es);
        }
    }
}

/* Outer dims walk an index odometer; each output row is then a fill, a copy or a table walk. */
void ec_remap_f32(const ec_remap_params *p, const int32_t *maps, const void *x, void *y)
{
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    const int32_t last = p->rank - 1;
    const int32_t n = p->shape[last];
    const size_t row = (size_t)n * (size_t)p->elem_size;
    int32_t idx[EC_MAX_RANK] = {0};
    int32_t outer = 1, o, d;
    for (d = 0; d < last; ++d) {
        outer *= p->shape[d];
    }
    for (o = 0; o < outer; ++o) {
        int32_t base = p->offset, pad = 0;
        for (d = 0; d < last; ++d) {
            if (p->map_start[d] < 0) {
                base += idx[d] * p->stride[d];
            } else {
                const int32_t m = maps[p->map_start[d] + idx[d]];
                pad |= m < 0;
                base += m;
            }
        }
        if (pad) {
            fill_row(p, yb, n);
        } else if (p->map_start[last] >= 0) {
            table_row(p, maps + p->map_start[last], xb + (ptrdiff_t)base * p->elem_size, yb, n);
        } else {
            strided_row(p->elem_size, p->stride[last], xb + (ptrdiff_t)base * p->elem_size, yb, n);
        }
        yb += row;
        for (d = last - 1; d >= 0; --d) {
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}
