/* edgec runtime: one-vs-one votes per class from pairwise decision values (libsvm's predict). */
#include "ec_svm.h"

void ec_ovo_vote_f32(const float *dec, int32_t n_samples, int32_t n_classes, int32_t zero_to_first,
                     float *votes)
{
    const int32_t n_pairs = n_classes * (n_classes - 1) / 2;
    int32_t s, i, j, pair;
    for (s = 0; s < n_samples; ++s) {
        const float *ds = dec + (size_t)s * (size_t)n_pairs;
        float *vs = votes + (size_t)s * (size_t)n_classes;
        for (i = 0; i < n_classes; ++i) {
            vs[i] = 0.0f;
        }
        pair = 0;
        for (i = 0; i < n_classes; ++i) {
            for (j = i + 1; j < n_classes; ++j) {
                const int first = zero_to_first ? ds[pair] >= 0.0f : ds[pair] > 0.0f;
                vs[first ? i : j] += 1.0f;
                ++pair;
            }
        }
    }
}
