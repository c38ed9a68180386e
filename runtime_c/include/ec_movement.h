/* edgec runtime: data-movement kernels (copy, fill, remap, concat, gather).
 * Tensors are dense row-major arrays; these kernels never compute, they move elements of
 * `elem_size` bytes (4 for float32, the main case; 1, 2 and 8 let integer tensors move too).
 * Data pointers are void so any element type passes. Unless a kernel says otherwise, the
 * output must not overlap an input. */
#ifndef EC_MOVEMENT_H
#define EC_MOVEMENT_H

#include "ec_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t nbytes; /* bytes to copy */
} ec_copy_params;

/* y[0..nbytes) = x[0..nbytes); x and y may overlap (memmove). */
void ec_copy_f32(const ec_copy_params *p, const void *x, void *y);

typedef struct {
    int32_t size; /* number of float32 elements */
    float value;
} ec_fill_params;

/* y[i] = value for i < size. */
void ec_fill_f32(const ec_fill_params *p, float *y);

/* A separable remap: output element (i_0, .., i_{rank-1}) is input element
 * sum_d maps[map_start[d] + i_d] (an offset in elements), or `value` when any of those table
 * entries is negative. Transpose, slice (any step), pad (constant/reflect/edge), tile, expand
 * and nearest resize are all such remaps; the compiler builds the tables. */
typedef struct {
    int32_t rank;                   /* 1..EC_MAX_RANK output dims */
    int32_t shape[EC_MAX_RANK];     /* output dims */
    int32_t map_start[EC_MAX_RANK]; /* where dim d's table (shape[d] entries) starts in maps */
    int32_t elem_size;              /* bytes per element: 1, 2, 4 or 8 */
    int32_t inner_run;              /* 1: the last dim's table is m, m+1, m+2, ... (row memcpy) */
    int32_t padded;                 /* 1: some table entry is negative */
    float value;                    /* the fill; for elem_size != 4 only 0 is supported */
} ec_remap_params;

void ec_remap_f32(const ec_remap_params *p, const int32_t *maps, const void *x, void *y);

/* Concatenation, one call per input: x is `outer` rows of row_bytes; row o goes to
 * y + o * y_row_bytes + y_offset. */
typedef struct {
    int32_t outer;
    int32_t row_bytes;
    int32_t y_row_bytes;
    int32_t y_offset;
} ec_concat_params;

void ec_concat_f32(const ec_concat_params *p, const void *x, void *y);

/* Gather along one axis: x is [outer, axis_dim, inner], y is [outer, count, inner] with
 * y[o, j, :] = x[o, indices[j], :]. Indices may be negative (counted from the end); out-of-range
 * ones are clamped into [0, axis_dim) so bad run-time data cannot read outside x. */
typedef struct {
    int32_t outer;
    int32_t axis_dim;
    int32_t count; /* number of indices */
    int32_t inner; /* elements per gathered slice */
    int32_t elem_size;
} ec_gather_params;

void ec_gather_f32(const ec_gather_params *p, const void *x, const int64_t *indices, void *y);

#ifdef __cplusplus
}
#endif
#endif /* EC_MOVEMENT_H */
