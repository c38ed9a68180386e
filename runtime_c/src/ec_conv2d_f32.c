/* edgec runtime: general 2-D convolution, NHWC, weights [groups][k_h][k_w][ICg][OCg].
 *
 * The output is computed in tiles of TILE_PX consecutive output pixels (in n, oh, ow order, so
 * a tile may span rows and images) times TILE_OC output channels, held in a small accumulator
 * array: each weight row loaded serves TILE_PX pixels, and the fixed-size inner loops vectorise.
 * A kernel tap that falls in the padding for some pixel of a tile (borders), and tiles cut short
 * at the end of the output or of a group's channels, take a per-pixel path. A 1x1 stride-1
 * unpadded convolution (a matrix product over pixels) thus runs on full tiles throughout.
 * Stack use: about 1.3 KB (the chunk's tile table and the accumulators); no scratch buffer. */
#include "ec_conv.h"
#include "ec_pointwise.h"

#define TILE_PX 4   /* tap_full is written out for exactly 4 pixels */
#define TILE_OC 8
#define CHUNK_TILES 16

/* Where the pixels of one tile read: their image and the input row/column of tap (0, 0). */
typedef struct {
    int32_t npx;
    const float *img[TILE_PX];
    int32_t ih0[TILE_PX];
    int32_t iw0[TILE_PX];
} pixel_tile;

/* acc += the TILE_PX x TILE_OC block of one kernel tap: xs[q][0..icg) times w rows (stride ocg). */
static void tap_full(const float *const xs[TILE_PX], const float *w, int32_t icg, int32_t ocg,
                     float acc[TILE_PX][TILE_OC])
{
    float t[TILE_PX][TILE_OC];
    int32_t i, j, q;
    for (q = 0; q < TILE_PX; ++q) {
        for (j = 0; j < TILE_OC; ++j) {
            t[q][j] = acc[q][j];
        }
    }
    for (i = 0; i < icg; ++i) {
        const float *wr = w + (size_t)i * (size_t)ocg;
        const float v0 = xs[0][i], v1 = xs[1][i], v2 = xs[2][i], v3 = xs[3][i];
        for (j = 0; j < TILE_OC; ++j) {
            const float wv = wr[j];
            t[0][j] += v0 * wv;
            t[1][j] += v1 * wv;
            t[2][j] += v2 * wv;
            t[3][j] += v3 * wv;
        }
    }
    for (q = 0; q < TILE_PX; ++q) {
        for (j = 0; j < TILE_OC; ++j) {
            acc[q][j] = t[q][j];
        }
    }
}

/* acc[0..noc) += one pixel's tap: x[0..icg) times w rows (stride ocg). */
static void tap_pixel(const float *x, const float *w, int32_t icg, int32_t ocg, int32_t noc, float *acc)
{
    int32_t i, j;
    for (i = 0; i < icg; ++i) {
        const float *wr = w + (size_t)i * (size_t)ocg;
        const float v = x[i];
        for (j = 0; j < noc; ++j) {
            acc[j] += v * wr[j];
        }
    }
}

/* Pixels [first, first + npx) of the flattened output: image pointers and tap-(0, 0) positions. */
static void locate_pixels(const ec_conv2d_params *p, const float *x, int32_t first, int32_t npx,
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

/* acc += every tap for the tile's pixels and channels [0, noc) of the block that w (group and
 * channel-block offset applied) starts at; `cin` is the group's first input channel. */
static void conv_tile(const ec_conv2d_params *p, const pixel_tile *t, int32_t cin, const float *w, int32_t noc,
                      float acc[TILE_PX][TILE_OC])
{
    const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
    int32_t kh, kw, q;
    for (kh = 0; kh < p->k_h; ++kh) {
        for (kw = 0; kw < p->k_w; ++kw) {
            const float *wk = w + (size_t)(kh * p->k_w + kw) * (size_t)icg * (size_t)ocg;
            const float *xs[TILE_PX];
            int32_t valid = 0;
            for (q = 0; q < TILE_PX; ++q) {
                const int32_t ih = t->ih0[q] + kh * p->dil_h, iw = t->iw0[q] + kw * p->dil_w;
                xs[q] = NULL;
                if (q < t->npx && ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w) {
                    xs[q] = t->img[q] + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c + (size_t)cin;
                    ++valid;
                }
            }
            if (valid == TILE_PX && noc == TILE_OC) {
                tap_full(xs, wk, icg, ocg, acc);
                continue;
            }
            for (q = 0; q < TILE_PX; ++q) {
                if (xs[q] != NULL) {
                    tap_pixel(xs[q], wk, icg, ocg, noc, acc[q]);
                }
            }
        }
    }
}

/* Writes act(acc) for npx pixels x noc channels; y points at the tile's first output. */
static void store_tile(const ec_act_f32 *act, int32_t out_c, int32_t npx, int32_t noc,
                       float acc[TILE_PX][TILE_OC], float *y)
{
    int32_t q, j;
    for (q = 0; q < npx; ++q) {
        float *yq = y + (size_t)q * (size_t)out_c;
        if (act->kind == EC_PW_NONE) {
            for (j = 0; j < noc; ++j) {
                yq[j] = acc[q][j];
            }
        } else {
            for (j = 0; j < noc; ++j) {
                yq[j] = ec_pointwise_f32(acc[q][j], act);
            }
        }
    }
}

/* One tile's outputs: bias, every tap, activation. */
static void run_tile(const ec_conv2d_params *p, const pixel_tile *t, int32_t g, int32_t o0, const float *w,
                     const float *bias, float *y)
{
    const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
    const int32_t noc = ocg - o0 < TILE_OC ? ocg - o0 : TILE_OC;
    const int32_t oc = g * ocg + o0;
    const size_t w_group = (size_t)p->k_h * (size_t)p->k_w * (size_t)icg * (size_t)ocg;
    float acc[TILE_PX][TILE_OC];
    int32_t q, j;
    for (q = 0; q < TILE_PX; ++q) {
        for (j = 0; j < TILE_OC; ++j) {
            acc[q][j] = (bias != NULL && j < noc) ? bias[oc + j] : 0.0f;
        }
    }
    conv_tile(p, t, g * icg, w + (size_t)g * w_group + (size_t)o0, noc, acc);
    store_tile(&p->act, p->out_c, t->npx, noc, acc, y + (size_t)oc);
}

/* Pixels are taken CHUNK_TILES tiles at a time and each channel block runs over the whole chunk,
 * so a block's weights are read from cache for many pixels even when all weights do not fit. */
void ec_conv2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias, float *y)
{
    const int32_t ocg = p->out_c / p->groups;
    const int32_t pixels = p->n * p->out_h * p->out_w;
    pixel_tile tiles[CHUNK_TILES];
    int32_t first, ntiles, k, g, o0;
    for (first = 0; first < pixels; first += CHUNK_TILES * TILE_PX) {
        for (ntiles = 0; ntiles < CHUNK_TILES && first + ntiles * TILE_PX < pixels; ++ntiles) {
            const int32_t start = first + ntiles * TILE_PX;
            locate_pixels(p, x, start, pixels - start < TILE_PX ? pixels - start : TILE_PX, &tiles[ntiles]);
        }
        for (g = 0; g < p->groups; ++g) {
            for (o0 = 0; o0 < ocg; o0 += TILE_OC) {
                for (k = 0; k < ntiles; ++k) {
                    run_tile(p, &tiles[k], g, o0, w, bias, y + (size_t)(first + k * TILE_PX) * (size_t)p->out_c);
                }
            }
        }
    }
}
