/* edgec runtime: GaussianNB over more than EC_GNB_BLOCK features: numpy's recursive halving of the
 * feature range (pairwise summation) as a loop with an explicit stack of pending right halves. */
#include "ec_gnb.h"

float ec_gnb_wide_sum_f32(const ec_gnb_f32_params *p, const float *x, int32_t c)
{
    int32_t right_start[32], right_n[32], pending[32];
    float left[32];
    int32_t depth = 0, start = 0, n = p->n_features;
    float ret;
    for (;;) {
        while (n > EC_GNB_BLOCK) {             /* descend into the left half, remember the right */
            const int32_t half = n / 2 - (n / 2) % 8;
            right_start[depth] = start + half;
            right_n[depth] = n - half;
            pending[depth] = 1;
            ++depth;
            n = half;
        }
        ret = ec_gnb_range_f32(p, x, c, start, n);
        for (;;) {                             /* climb: a finished left half starts its right */
            if (depth == 0) {
                return ret;
            }
            if (pending[depth - 1]) {
                pending[depth - 1] = 0;
                left[depth - 1] = ret;
                start = right_start[depth - 1];
                n = right_n[depth - 1];
                break;
            }
            --depth;
            ret = left[depth] + ret;
        }
    }
}
