/* edgec runtime: byte copy (identity, reshape into another buffer, graph output copies). */
#include <string.h>

#include "ec_movement.h"

void ec_copy_f32(const ec_copy_params *p, const void *x, void *y)
{
    if (x != y && p->nbytes > 0) {
        memmove(y, x, (size_t)p->nbytes);
    }
}
