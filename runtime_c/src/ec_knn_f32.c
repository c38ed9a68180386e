/* edgec runtime: brute-force k nearest neighbours, vote or mean (see ec_neighbors.h). */
#include <float.h>
#include <math.h>

#include "ec_neighbors.h"

/* Distance of x to one stored row; T: the row's element type, VALUE: the float row[j] stands for. */
#define EC_KNN_DISTANCE(T, VALUE)                                            \
    do {                                                                     \
        const T *row = (const T *)p->train + (size_t)r * (size_t)p->n_features; \
        for (j = 0; j < p->n_features; ++j) {                                \
            const float d = (VALUE) - x[j];                                  \
            acc += manhattan ? fabsf(d) : d * d;                             \
        }                                                                    \
    } while (0)

static float row_distance(const ec_knn_f32_params *p, const float *x, int32_t r)
{
    const int manhattan = p->metric == EC_KNN_MANHATTAN;
    float acc = 0.0f;
    int32_t j;
    switch (p->storage) {
    case EC_KNN_TRAIN_U8:
        EC_KNN_DISTANCE(uint8_t, (float)row[j]);
        break;
    case EC_KNN_TRAIN_S16:
        EC_KNN_DISTANCE(int16_t, (float)row[j]);
        break;
    case EC_KNN_TRAIN_DICT8:
        EC_KNN_DISTANCE(uint8_t, p->dict[p->dict_offset[j] + row[j]]);
        break;
    default:
        EC_KNN_DISTANCE(float, row[j]);
        break;
    }
    return acc;
}

static void heap_clear(float *values, int32_t *ids, int32_t k)
{
    int32_t i;
    for (i = 0; i < k; ++i) {
        values[i] = FLT_MAX;
        ids[i] = -1;
    }
}

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

/* The k nearest rows into values/ids (sorted); heaps: n_parts heaps of k entries each. */
static void nearest(const ec_knn_f32_params *p, const float *x, float *heap_values, int32_t *heap_ids,
                    float *values, int32_t *ids)
{
    const int32_t k = p->k;
    int32_t part, r = 0, i;
    for (part = 0; part < p->n_parts; ++part) {
        float *hv = heap_values + (size_t)part * (size_t)k;
        int32_t *hi = heap_ids + (size_t)part * (size_t)k;
        heap_clear(hv, hi, k);
        for (; r < p->part_end[part]; ++r) {
            heap_push(hv, hi, k, row_distance(p, x, r), r);
        }
    }
    heap_clear(values, ids, k);
    if (p->n_parts == 1) {
        for (i = 0; i < k; ++i) {
            values[i] = heap_values[i];
            ids[i] = heap_ids[i];
        }
    } else {
        for (i = 0; i < p->n_parts * k; ++i) {
            heap_push(values, ids, k, heap_values[i], heap_ids[i]);
        }
    }
    sort_neighbours(values, ids, k);
}

/* Turns the neighbours' distances into their weights, in place. */
static void weigh(const ec_knn_f32_params *p, float *dist)
{
    int32_t i, any_zero = 0;
    for (i = 0; i < p->k; ++i) {
        if (!p->distance_weights) {
            dist[i] = 1.0f;
        } else {
            if (p->metric == EC_KNN_EUCLIDEAN) {
                dist[i] = sqrtf(dist[i]);
            }
            any_zero |= dist[i] == 0.0f;
        }
    }
    if (!p->distance_weights) {
        return;
    }
    for (i = 0; i < p->k; ++i) {
        dist[i] = any_zero ? (dist[i] == 0.0f ? 1.0f : 0.0f) : 1.0f / dist[i];
    }
}

void ec_knn_f32(const ec_knn_f32_params *p, const float *x, int32_t n_samples, float *y, void *scratch)
{
    const size_t k = (size_t)p->k;
    float *heap_values = (float *)scratch;
    float *w = heap_values + k * (size_t)p->n_parts;
    int32_t *heap_ids = (int32_t *)(w + k);
    int32_t *ids = heap_ids + k * (size_t)p->n_parts;
    int32_t s, i, t;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)p->n_features;
        float *ys = y + (size_t)s * (size_t)p->n_outputs;
        float total = 0.0f;
        nearest(p, xs, heap_values, heap_ids, w, ids);
        weigh(p, w);
        for (t = 0; t < p->n_outputs; ++t) {
            ys[t] = 0.0f;
        }
        for (i = 0; i < p->k; ++i) {
            if (p->labels != NULL) {
                ys[p->labels_u8 ? ((const uint8_t *)p->labels)[ids[i]] : ((const int32_t *)p->labels)[ids[i]]] += w[i];
            } else {
                const float *row = p->targets + (size_t)ids[i] * (size_t)p->n_outputs;
                for (t = 0; t < p->n_outputs; ++t) {
                    ys[t] += row[t] * w[i];
                }
            }
            total += w[i];
        }
        for (t = 0; t < p->n_outputs; ++t) {
            ys[t] /= total;
        }
    }
}
