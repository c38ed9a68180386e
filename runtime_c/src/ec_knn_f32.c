/* edgec runtime: brute-force k nearest neighbours, vote or mean (see ec_neighbors.h). */
#include <float.h>

#include "ec_neighbors.h"

/* scikit-learn's fixed-size max-heap push: the same comparisons, hence the same survivors. */
static void heap_push(float *values, int32_t *ids, int32_t size, float val, int32_t idx)
{
    int32_t cur = 0;
    if (val >= values[0]) {
        return;
    }
    for (;;) {
        const int32_t left = 2 * cur + 1, right = left + 1;
        int32_t swap;
        if (left >= size) {
            break;
        } else if (right >= size) {
            if (values[left] > val) {
                swap = left;
            } else {
                break;
            }
        } else if (values[left] >= values[right]) {
            if (val < values[left]) {
                swap = left;
            } else {
                break;
            }
        } else if (val < values[right]) {
            swap = right;
        } else {
            break;
        }
        values[cur] = values[swap];
        ids[cur] = ids[swap];
        cur = swap;
    }
    values[cur] = val;
    ids[cur] = idx;
}

/* Sorts the k entries by (distance, row id): insertion sort, k is small. */
static void sort_neighbours(float *values, int32_t *ids, int32_t k)
{
    int32_t i, j;
    for (i = 1; i < k; ++i) {
        const float v = values[i];
        const int32_t id = ids[i];
        for (j = i; j > 0 && (values[j - 1] > v || (values[j - 1] == v && ids[j - 1] > id)); --j) {
            values[j] = values[j - 1];
            ids[j] = ids[j - 1];
        }
        values[j] = v;
        ids[j] = id;
    }
}

/* The k nearest rows into values/ids (sorted); heaps: n_parts heaps of k entries each, then
 * values/ids, every entry cleared (FLT_MAX, id -1). The rows' distances come a block at a time (a
 * block may straddle two parts). */
static void nearest(const ec_knn_f32_params *p, const float *x, float *heap_values, int32_t *heap_ids,
                    float *values, int32_t *ids)
{
    const int32_t k = p->k;
    float d[EC_KNN_BLOCK];
    int32_t part, r = 0, i;
    for (part = 0; part < p->n_parts; ++part) {
        for (; r < p->part_end[part]; ++r) {
            if (r % EC_KNN_BLOCK == 0) {
                p->block(p, x, r / EC_KNN_BLOCK, d);
            }
            heap_push(heap_values + part * k, heap_ids + part * k, k, d[r % EC_KNN_BLOCK], r);
        }
    }
    /* one part: its k entries all enter (the same set, which the sort orders) */
    for (i = 0; i < p->n_parts * k; ++i) {
        heap_push(values, ids, k, heap_values[i], heap_ids[i]);
    }
    sort_neighbours(values, ids, k);
}

void ec_knn_f32(const ec_knn_f32_params *p, const float *x, int32_t n_samples, float *y, void *scratch)
{
    const int32_t k = p->k, heaps = k * (p->n_parts + 1);
    float *heap_values = (float *)scratch, *w = heap_values + k * p->n_parts;
    int32_t *heap_ids = (int32_t *)(heap_values + heaps), *ids = heap_ids + k * p->n_parts;
    int32_t s, i;
    for (s = 0; s < n_samples; ++s) {
        float *ys = y + (size_t)s * (size_t)p->n_outputs;
        float total = 0.0f;
        for (i = 0; i < heaps; ++i) {
            heap_values[i] = FLT_MAX;
            heap_ids[i] = -1;
        }
        nearest(p, x + (size_t)s * (size_t)p->n_features, heap_values, heap_ids, w, ids);
        for (i = 0; i < p->n_outputs; ++i) {
            ys[i] = 0.0f;
        }
        if (p->weigh != NULL) {
            p->weigh(p, w);
        } else {
            for (i = 0; i < k; ++i) {
                w[i] = 1.0f;
            }
        }
        for (i = 0; i < k; ++i) {
            total += w[i];
        }
        p->tally(p, ids, w, ys);
        for (i = 0; i < p->n_outputs; ++i) {
            ys[i] /= total;
        }
    }
}
