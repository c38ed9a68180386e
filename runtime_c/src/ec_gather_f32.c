/* edgec runtime: gather slices along one axis by int64 indices (constant or run-time). */
#include <string.h>

#include "ec_movement.h"

void ec_gather_f32(const ec_gather_params *p, const void *x, const int64_t *indices, void *y)
{
    const size_t slice = (size_t)p->inner * (size_t)p->elem_size;
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    int32_t o, j;
    for (o = 0; o < p->outer; ++o) {
        const unsigned char *xo = xb + (size_t)o * (size_t)p->axis_dim * slice;
        for (j = 0; j < p->count; ++j) {
            int64_t k = indices[j];
            if (k < 0) {
                k += p->axis_dim;
            }
            k = k < 0 ? 0 : (k >= p->axis_dim ? p->axis_dim - 1 : k);
            memcpy(yb, xo + (size_t)k * slice, slice);
            yb += slice;
        }
    }
}
