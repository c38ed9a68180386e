/* edgec runtime: general 2-D convolution, NHWC, weights [groups][k_h][k_w][ICg][OCg].
 *
 * The output is computed in tiles of TILE_PX neighbouring pixels of one row times TILE_OC
 * output channels, held in a small accumulator array: each weight row loaded serves TILE_PX
 * pixels, and the fixed-size inner loops vectorise. Taps that fall in the padding for some
 * pixel of a tile (borders) and tiles cut short at row or channel ends take a per-pixel path.
 * A 1x1, stride-1, unpadded convolution is a matrix product over all pixels: it is run as one
 * long output row so that almost every tile is full. */
#include "ec_conv.h"
#include "ec_pointwise.h"

#define TILE_PX 4   /* tap_full is written out for exactly 4 pixels */
#define TILE_OC 8

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

/* One tile: output row oh, columns ow..ow+npx, channels [0, noc) of the block that x (image and
 * group offset applied) and w (group and channel-block offset applied) point at. */
static void conv_tile(const ec_conv2d_params *p, const float *x, const float *w, int32_t oh, int32_t ow,
                      int32_t npx, int32_t noc, float acc[TILE_PX][TILE_OC])
{
    const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
    int32_t kh, kw, q;
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
        if (ih < 0 || ih >= p->in_h) {
            continue;
        }
        for (kw = 0; kw < p->k_w; ++kw) {
            const float *wk = w + (size_t)(kh * p->k_w + kw) * (size_t)icg * (size_t)ocg;
            const float *xs[TILE_PX];
            int32_t valid = 0;
            for (q = 0; q < TILE_PX; ++q) {
                const int32_t iw = (ow + q) * p->stride_w - p->pad_left + kw * p->dil_w;
                xs[q] = NULL;
                if (q < npx && iw >= 0 && iw < p->in_w) {
                    xs[q] = x + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c;
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

/* All tiles of one output row (image n, row oh). */
static void conv_row(const ec_conv2d_params *p, const float *x_img, const float *w, const float *bias,
                     int32_t oh, float *y_row)
{
    const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
    const size_t w_group = (size_t)p->k_h * (size_t)p->k_w * (size_t)icg * (size_t)ocg;
    float acc[TILE_PX][TILE_OC];
    int32_t ow, g, o0, q, j;
    for (ow = 0; ow < p->out_w; ow += TILE_PX) {
        const int32_t npx = p->out_w - ow < TILE_PX ? p->out_w - ow : TILE_PX;
        for (g = 0; g < p->groups; ++g) {
            for (o0 = 0; o0 < ocg; o0 += TILE_OC) {
                const int32_t noc = ocg - o0 < TILE_OC ? ocg - o0 : TILE_OC;
                const int32_t oc = g * ocg + o0;
                for (q = 0; q < TILE_PX; ++q) {
                    for (j = 0; j < TILE_OC; ++j) {
                        acc[q][j] = (bias != NULL && j < noc) ? bias[oc + j] : 0.0f;
                    }
                }
                conv_tile(p, x_img + (size_t)g * (size_t)icg, w + (size_t)g * w_group + (size_t)o0, oh, ow,
                          npx, noc, acc);
                store_tile(&p->act, p->out_c, npx, noc, acc, y_row + (size_t)ow * (size_t)p->out_c + (size_t)oc);
            }
        }
    }
}

void ec_conv2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias, float *y)
{
    ec_conv2d_params flat = *p;
    size_t x_img, y_row;
    int32_t n, oh;
    if (p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w) {
        flat.n = 1;   /* every pixel is independent: one row of n * h * w pixels */
        flat.in_h = flat.out_h = 1;
        flat.in_w = flat.out_w = p->n * p->in_h * p->in_w;
        p = &flat;
    }
    x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    y_row = (size_t)p->out_w * (size_t)p->out_c;
    for (n = 0; n < p->n; ++n) {
        for (oh = 0; oh < p->out_h; ++oh) {
            conv_row(p, x + (size_t)n * x_img, w, bias, oh, y + ((size_t)n * (size_t)p->out_h + (size_t)oh) * y_row);
        }
    }
}
