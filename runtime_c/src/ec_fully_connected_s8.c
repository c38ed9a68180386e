/* edgec runtime: int8 fully connected layer, W [N][k_pad] (see ec_matmul_s8.h).
 *
 * For a chunk of up to KCHUNK inner elements, up to four rows of X are converted once into int16
 * rows holding x + input_offset (zero-padded to the weights' k_pad), then every output of a
 * block of OUT_BLOCK takes dot products with its weight row: four rows at a time while four are
 * left (each weight load serves four rows), else one row against four weight rows at a time (the
 * usual M = 1 case). The dot products vectorise whole into 16-bit multiply-adds: their length
 * `n` is a multiple of EC_FC_S8_KALIGN, computed once per chunk where the compiler can see that
 * (so it needs no scalar epilogue). Partial sums are exact int32, so the order of accumulation
 * cannot change the result.
 *
 * Scratch (the caller's, ec_fully_connected_s8_scratch_size bytes): the accumulators, int32
 * [min(OUT_BLOCK, N)][ROWS, or 1 when M < ROWS], then the rows, int16 [rows][kc] with rows = ROWS when M >= ROWS
 * (else 1: the only width used) and kc = min(KCHUNK, k_pad), so small layers need little. No
 * arrays on the stack (its frame is 0.2-0.6 KB at -O2 on x86-64, register spills). */
#include "ec_dot_s8.h"
#include "ec_fixedpoint.h"
#include "ec_matmul_s8.h"

#define ROWS 4        /* ec_dot4_s8 is written out for exactly 4 rows */
#define KCHUNK 512    /* multiple of EC_FC_S8_KALIGN */
#define OUT_BLOCK 64  /* multiple of 4 */

/* kc: inner elements per chunk (and per scratch row): a whole padded row when short. */
static int32_t chunk_len(const ec_fc_s8_params *p)
{
    const int32_t kpad = (p->k + EC_FC_S8_KALIGN - 1) / EC_FC_S8_KALIGN * EC_FC_S8_KALIGN;
    return kpad < KCHUNK ? kpad : KCHUNK;
}

/* Outputs per block: the rows of the accumulators. */
static int32_t out_block(const ec_fc_s8_params *p)
{
    return p->n < OUT_BLOCK ? p->n : OUT_BLOCK;
}

/* Rows of X handled together (and accumulators per output): ROWS, or 1 when M < ROWS. */
static int32_t row_width(const ec_fc_s8_params *p)
{
    return p->m >= ROWS ? ROWS : 1;
}

/* Bytes: accumulators int32 [out_block][row_width], then rows of X int16 [row_width][kc]. */
int32_t ec_fully_connected_s8_scratch_size(const ec_fc_s8_params *p)
{
    const int32_t rows = row_width(p);
    return out_block(p) * rows * (int32_t)sizeof(int32_t) + rows * chunk_len(p) * (int32_t)sizeof(int16_t);
}

/* acc[t * as] += sum_{k < n} col[k] * w[t * stride + k] for the 4 weight rows t (one row of X). */
static void dot1x4(const int16_t *col, const int8_t *w, size_t stride, int32_t n, int32_t *acc, int32_t as)
{
    const int8_t *w0 = w, *w1 = w + stride, *w2 = w + 2 * stride, *w3 = w + 3 * stride;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, k;
    for (k = 0; k < n; ++k) {
        const int32_t cv = col[k];
        s0 += cv * w0[k];
        s1 += cv * w1[k];
        s2 += cv * w2[k];
        s3 += cv * w3[k];
    }
    acc[0] += s0;
    acc[as] += s1;
    acc[2 * as] += s2;
    acc[3 * as] += s3;
}

/* acc[0] += sum_{k < n} col[k] * w[k] (a single weight row). */
static void dot1(const int16_t *col, const int8_t *w, int32_t n, int32_t *acc)
{
    int32_t s = 0, k;
    for (k = 0; k < n; ++k) {
        s += (int32_t)col[k] * w[k];
    }
    *acc += s;
}

/* col[r * kc + 0..len) = x[r][k0 + ..] + input_offset for `rows` rows, zero-padded to a
 * multiple of EC_FC_S8_KALIGN. */
static void gather(const ec_fc_s8_params *p, const int8_t *x, int32_t rows, int32_t k0, int32_t len,
                   int16_t *col, int32_t kc)
{
    int32_t r, j;
    for (r = 0; r < rows; ++r) {
        const int8_t *xr = x + (size_t)r * (size_t)p->k + (size_t)k0;
        int16_t *cr = col + (size_t)r * (size_t)kc;
        for (j = 0; j < len; ++j) {
            cr[j] = (int16_t)(xr[j] + p->input_offset);
        }
        for (; j % EC_FC_S8_KALIGN != 0; ++j) {
            cr[j] = 0;
        }
    }
}

/* The dot products of outputs [0, cnt) (w at the first one's row) over one chunk of n elements,
 * for `rows` (4 or 1) rows of X; output j's accumulators start at acc[j * as]. */
static void chunk_dots(const int16_t *col, int32_t kc, const int8_t *w, size_t kpad, int32_t rows, int32_t cnt,
                       int32_t n, int32_t *acc, int32_t as)
{
    int32_t j = 0;
    if (rows == ROWS) {
        for (; j < cnt; ++j) {
            ec_dot4_s8(col, kc, w + (size_t)j * kpad, n, acc + (size_t)j * (size_t)as);
        }
        return;
    }
    for (; j + 4 <= cnt; j += 4) {
        dot1x4(col, w + (size_t)j * kpad, kpad, n, acc + (size_t)j * (size_t)as, as);
    }
    for (; j < cnt; ++j) {
        dot1(col, w + (size_t)j * kpad, n, acc + (size_t)j * (size_t)as);
    }
}

/* Requantizes outputs [n0, n0 + cnt) of `rows` rows into y (the first row's start). */
static void store(const ec_fc_s8_params *p, int32_t rows, int32_t n0, int32_t cnt, const int32_t *acc, int32_t as,
                  const int32_t *multiplier, const int32_t *shift, int8_t *y)
{
    int32_t r, j;
    for (r = 0; r < rows; ++r) {
        int8_t *yr = y + (size_t)r * (size_t)p->n + (size_t)n0;
        for (j = 0; j < cnt; ++j) {
            const int32_t v = ec_mul_by_quantized_mul(acc[(size_t)j * (size_t)as + (size_t)r], multiplier[n0 + j],
                                                      shift[n0 + j]);
            yr[j] = (int8_t)ec_clamp_s32(v + p->output_offset, p->act_min, p->act_max);
        }
    }
}

void ec_fully_connected_s8(const ec_fc_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                           const int32_t *multiplier, const int32_t *shift, int8_t *y, void *scratch)
{
    const int32_t kdim = p->k, kc = chunk_len(p), block = out_block(p);
    const size_t kpad = (size_t)((kdim + EC_FC_S8_KALIGN - 1) / EC_FC_S8_KALIGN * EC_FC_S8_KALIGN);
    const int32_t as = row_width(p);   /* accumulators per output */
    int32_t *acc = (int32_t *)scratch;
    int16_t *col = (int16_t *)(acc + (size_t)block * (size_t)as);
    int32_t i0, rows, n0, k0, j, r;
    for (i0 = 0; i0 < p->m; i0 += rows) {
        int32_t have_k0 = -1;   /* the chunk now in col */
        rows = p->m - i0 >= ROWS ? ROWS : 1;
        for (n0 = 0; n0 < p->n; n0 += block) {
            const int32_t cnt = p->n - n0 < block ? p->n - n0 : block;
            for (j = 0; j < cnt; ++j) {
                for (r = 0; r < as; ++r) {
                    acc[(size_t)j * (size_t)as + (size_t)r] = bias != NULL ? bias[n0 + j] : 0;
                }
            }
            for (k0 = 0; k0 < kdim; k0 += kc) {
                const int32_t len = kdim - k0 < kc ? kdim - k0 : kc;
                const int32_t n = (len + EC_FC_S8_KALIGN - 1) / EC_FC_S8_KALIGN * EC_FC_S8_KALIGN;
                if (k0 != have_k0) {
                    gather(p, x + (size_t)i0 * (size_t)kdim, rows, k0, len, col, kc);
                    have_k0 = k0;
                }
                chunk_dots(col, kc, w + (size_t)n0 * kpad + (size_t)k0, kpad, rows, cnt, n, acc, as);
            }
            store(p, rows, n0, cnt, acc, as, multiplier, shift, y + (size_t)i0 * (size_t)p->n);
        }
    }
}
