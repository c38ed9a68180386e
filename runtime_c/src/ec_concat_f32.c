/* edgec runtime: one input's share of a concatenation (row block copies). */
#include <string.h>

#include "ec_movement.h"

void ec_concat_f32(const ec_concat_params *p, const void *x, void *y)
{
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y + p->y_offset;
    int32_t o;
    for (o = 0; o < p->outer; ++o) {
        memcpy(yb, xb, (size_t)p->row_bytes);
        xb += p->row_bytes;
        yb += p->y_row_bytes;
    }
}
