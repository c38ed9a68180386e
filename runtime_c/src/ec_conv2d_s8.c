/* edgec runtime: int8 general 2-D convolution, NHWC, weights [out_c][k_pad] (see ec_conv_s8.h).
 *
 * Output pixels are taken TILE_PX at a time (in n, oh, ow order, so a tile may span rows and
 * images). For a chunk of up to KCHUNK im2col elements, the tile's inputs are gathered once into
 * int16 columns holding x + input_offset (0 for taps in the padding, which thus add nothing, as
 * TFLite's skipped taps), then each output channel of a block of OC_BLOCK takes TILE_PX dot
 * products of the columns with its weight row. The dot products vectorise whole into 16-bit
 * multiply-adds: their length is a multiple of EC_CONV_S8_KALIGN, computed once per chunk where
 * the compiler can see that (so it needs no scalar epilogue). Every partial sum is an exact
 * int32, so the order of accumulation cannot change the result.
 *
 * Scratch (the caller's, ec_conv2d_s8_scratch_size bytes): the accumulators, int32
 * [min(OC_BLOCK, OCg)][TILE_PX], then the columns, int16 [TILE_PX][kc] with kc = min(KCHUNK,
 * k_pad): a chunk never exceeds the padded weight row, so small layers need little. No arrays
 * on the stack (its frame is 0.2-0.6 KB at -O2 on x86-64, register spills). */
#include "ec_conv_s8.h"
#include "ec_dot_s8.h"
#include "ec_fixedpoint.h"

#define TILE_PX 4     /* ec_dot4_s8 is written out for exactly 4 pixels */
#define KCHUNK 512    /* multiple of EC_CONV_S8_KALIGN */
#define OC_BLOCK 64

/* Where the pixels of one tile read: their image and the input row/column of tap (0, 0). Slots
 * past npx repeat the first pixel (computed, never stored). */
typedef struct {
    int32_t npx;
    const int8_t *img[TILE_PX];
    int32_t ih0[TILE_PX];
    int32_t iw0[TILE_PX];
} pixel_tile;

static void locate_pixels(const ec_conv2d_s8_params *p, const int8_t *x, int32_t first, int32_t npx,
                          pixel_tile *t)
{
    const int32_t per_image = p->out_h * p->out_w;
    const size_t x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int32_t q;
    t->npx = npx;
    for (q = 0; q < TILE_PX; ++q) {
        const int32_t pix = first + (q < npx ? q : 0);
        const int32_t r = pix % per_image;
        t->img[q] = x + (size_t)(pix / per_image) * x_img;
        t->ih0[q] = (r / p->out_w) * p->stride_h - p->pad_top;
        t->iw0[q] = (r % p->out_w) * p->stride_w - p->pad_left;
    }
}

/* col[0..len) = x + input_offset for im2col elements [k0, k0 + len) of the pixel whose tap (0, 0)
 * is (ih0, iw0) in img (element k = (kh * k_w + kw) * ICg + i; 0 in the padding), then zeros up
 * to a multiple of EC_CONV_S8_KALIGN. `cin` is the group's first input channel. */
static void gather(const ec_conv2d_s8_params *p, const int8_t *img, int32_t ih0, int32_t iw0, int32_t cin,
                   int32_t k0, int32_t len, int16_t *col)
{
    const int32_t icg = p->in_c / p->groups;
    int32_t tap = k0 / icg, i = k0 % icg, done = 0, j;
    while (done < len) {
        const int32_t cnt = icg - i < len - done ? icg - i : len - done;
        const int32_t ih = ih0 + (tap / p->k_w) * p->dil_h, iw = iw0 + (tap % p->k_w) * p->dil_w;
        int16_t *c = col + done;
        if (ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
            const int8_t *src = img + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c
                                + (size_t)(cin + i);
            for (j = 0; j < cnt; ++j) {
                c[j] = (int16_t)(src[j] + p->input_offset);
            }
        } else {
            for (j = 0; j < cnt; ++j) {
                c[j] = 0;
            }
        }
        done += cnt;
        ++tap;
        i = 0;
    }
    for (; done % EC_CONV_S8_KALIGN != 0; ++done) {
        col[done] = 0;
    }
}

/* k_pad: K = k_h * k_w * ICg rounded up to EC_CONV_S8_KALIGN (the weight row stride). */
static int32_t padded_k(const ec_conv2d_s8_params *p)
{
    const int32_t kdim = p->k_h * p->k_w * (p->in_c / p->groups);
    return (kdim + EC_CONV_S8_KALIGN - 1) / EC_CONV_S8_KALIGN * EC_CONV_S8_KALIGN;
}

/* kc: im2col elements per chunk (and per scratch column): a whole padded row when short. */
static int32_t chunk_len(const ec_conv2d_s8_params *p)
{
    const int32_t kpad = padded_k(p);
    return kpad < KCHUNK ? kpad : KCHUNK;
}

/* Output channels per block: the rows of the accumulators. */
static int32_t oc_block(const ec_conv2d_s8_params *p)
{
    const int32_t ocg = p->out_c / p->groups;
    return ocg < OC_BLOCK ? ocg : OC_BLOCK;
}

/* Bytes: accumulators int32 [oc_block][TILE_PX], then columns int16 [TILE_PX][kc]. */
int32_t ec_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p)
{
    return oc_block(p) * TILE_PX * (int32_t)sizeof(int32_t) + TILE_PX * chunk_len(p) * (int32_t)sizeof(int16_t);
}

/* Requantizes the tile's accumulators of output channels [oc0, oc0 + noc) into y (tile start). */
static void store(const ec_conv2d_s8_params *p, int32_t npx, int32_t oc0, int32_t noc,
                  int32_t (*acc)[TILE_PX], const int32_t *multiplier, const int32_t *shift, int8_t *y)
{
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    const size_t stride = (size_t)p->out_c;
    int32_t q, j;
    /* Channel-major: each channel's multiplier is set up once per tile. */
    for (j = 0; j < noc; ++j) {
        const ec_requant r = ec_requant_setup(multiplier[oc0 + j], shift[oc0 + j]);
        int8_t *yj = y + (size_t)(oc0 + j);
        if (npx == TILE_PX) {
            for (q = 0; q < TILE_PX; ++q) {
                yj[(size_t)q * stride] = (int8_t)ec_clamp_s32(ec_requant_apply(&r, acc[j][q]) + off, lo, hi);
            }
        } else {
            for (q = 0; q < npx; ++q) {
                yj[(size_t)q * stride] = (int8_t)ec_clamp_s32(ec_requant_apply(&r, acc[j][q]) + off, lo, hi);
            }
        }
    }
}

/* The scratch: accumulators acc[oc_block][TILE_PX], and col [TILE_PX][kc] holding the tile's
 * im2col chunk starting at element k0 of group g (-1: nothing yet). */
typedef struct {
    int32_t g, k0, kc;
    int32_t (*acc)[TILE_PX];
    int16_t *col;
} tile_columns;

/* tc->acc[j][q] = bias + every dot product of output channel oc0 + j (of group g) for the tile. */
static void accumulate(const ec_conv2d_s8_params *p, const pixel_tile *t, int32_t g, int32_t oc0, int32_t noc,
                       const int8_t *w, const int32_t *bias, tile_columns *tc)
{
    const int32_t icg = p->in_c / p->groups;
    const int32_t kdim = p->k_h * p->k_w * icg;
    const int32_t kpad = padded_k(p), kc = tc->kc;
    int32_t (*acc)[TILE_PX] = tc->acc;
    int32_t k0, j, q;
    for (j = 0; j < noc; ++j) {
        for (q = 0; q < TILE_PX; ++q) {
            acc[j][q] = bias != NULL ? bias[oc0 + j] : 0;
        }
    }
    for (k0 = 0; k0 < kdim; k0 += kc) {
        const int32_t len = kdim - k0 < kc ? kdim - k0 : kc;
        const int32_t n = (len + EC_CONV_S8_KALIGN - 1) / EC_CONV_S8_KALIGN * EC_CONV_S8_KALIGN;
        if (g != tc->g || k0 != tc->k0) {
            for (q = 0; q < TILE_PX; ++q) {
                gather(p, t->img[q], t->ih0[q], t->iw0[q], g * icg, k0, len, tc->col + (size_t)q * (size_t)kc);
            }
            tc->g = g;
            tc->k0 = k0;
        }
        for (j = 0; j < noc; ++j) {
            ec_dot4_s8(tc->col, kc, w + (size_t)(oc0 + j) * (size_t)kpad + (size_t)k0, n, acc[j]);
        }
    }
}

void ec_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, const int32_t *bias,
                  const int32_t *multiplier, const int32_t *shift, int8_t *y, void *scratch)
{
    const int32_t ocg = p->out_c / p->groups;
    const int32_t pixels = p->n * p->out_h * p->out_w;
    const int32_t block = oc_block(p);
    tile_columns tc;
    pixel_tile t;
    int32_t first, g, o0;
    tc.kc = chunk_len(p);
    tc.acc = (int32_t (*)[TILE_PX])scratch;
    tc.col = (int16_t *)(tc.acc + block);
    for (first = 0; first < pixels; first += TILE_PX) {
        locate_pixels(p, x, first, pixels - first < TILE_PX ? pixels - first : TILE_PX, &t);
        tc.g = -1;
        tc.k0 = -1;
        for (g = 0; g < p->groups; ++g) {
            for (o0 = 0; o0 < ocg; o0 += block) {
                const int32_t noc = ocg - o0 < block ? ocg - o0 : block;
                accumulate(p, &t, g, g * ocg + o0, noc, w, bias, &tc);
                store(p, t.npx, g * ocg + o0, noc, tc.acc, multiplier, shift, y + (size_t)first * (size_t)p->out_c);
            }
        }
    }
}
