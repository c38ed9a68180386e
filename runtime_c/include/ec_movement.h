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
 * offset + sum_d off_d(i_d) (offsets in elements), where off_d(i) = i * stride[d] for an affine
 * dim (map_start[d] < 0) and maps[map_start[d] + i] for a looked-up dim; a negative table entry
 * means the output element is `value` instead. Transpose, slice (any step), expand (stride 0),
 * pad (constant/reflect/edge/wrap), tile and nearest resize are all such remaps; the compiler
 * builds strides and tables (maps may be NULL when no dim is looked up). */
typedef struct {
    int32_t rank;                   /* 1..EC_MAX_RANK output dims */
    int32_t shape[EC_MAX_RANK];     /* output dims */
    int32_t stride[EC_MAX_RANK];    /* element stride of an affine dim (may be 0 or negative) */
    int32_t map_start[EC_MAX_RANK]; /* -1: affine dim; else where its table starts in maps */
    int32_t offset;                 /* input element offset of the affine part of element 0 */
    int32_t elem_size;              /* bytes per element: 1, 2, 4 or 8 */
    float value;                    /* the fill for elem_size 4; other sizes fill zero bytes... */
    int32_t fill_s8;                /* ...except elem_size 1, filled with this int8 (a zero point) */
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
