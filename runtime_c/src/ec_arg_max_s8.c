/* edgec runtime: first index of the largest score per row (int8_t scores), optionally mapped to a
 * label. One file per score type so a model links only the one it uses. */
#include "ec_select.h"

void ec_arg_max_s8(const int8_t *x, int32_t outer, int32_t k, const int32_t *labels, int32_t *y)
{
    EC_ARG_MAX_ROWS(x, outer, k, labels, y);
}
