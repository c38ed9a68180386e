/* edgec runtime, cmsis target: int8 general convolution, im2col + 2 x 2 blocks (see ecm_nn_s8.h).
 *
 * Two output pixels at a time: their im2col rows (K raw int8 each, the input zero point for taps
 * in the padding, which the folded bias accounts for) are gathered into scratch, then
 * ecm_gemm_s8.h's core computes both pixels' outputs, every channel pair at once. */
#include "ecm_gemm_s8.h"
#include "ecm_nn_s8.h"

/* K = k_h * k_w * in_c rounded up to 4. */
static int32_t k4_of(const ec_conv2d_s8_params *p)
{
    return (p->k_h * p->k_w * p->in_c + 3) / 4 * 4;
}

int32_t ecm_conv2d_s8_scratch_size(const ec_conv2d_s8_params *p)
{
    return 2 * k4_of(p) * (int32_t)sizeof(int16_t) + 2 * ((p->out_c + 3) / 4 * 4) * (int32_t)sizeof(int32_t)
           + 2 * k4_of(p);
}

/* dst[0..n) = src[0..n): words while four bytes remain (a call to memcpy costs more than the
 * few bytes of a kernel row). */
static inline void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
#if defined(ECM_MVE)   /* Helium: 16 bytes per step, the last one predicated */
    for (; n > 0; n -= 16, dst += 16, src += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
    return;
#endif
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        memcpy(dst, src, 4);
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* dst[0..n) = v. */
static inline void fill_bytes(int8_t *dst, int8_t v, int32_t n)
{
#if defined(ECM_MVE)
    const int8x16_t vv = vdupq_n_s8(v);
    for (; n > 0; n -= 16, dst += 16) {
        vstrbq_p_s8(dst, vv, vctp8q((uint32_t)n));
    }
    return;
#endif
    for (; n > 0; --n) {
        *dst++ = v;
    }
}

/* col[0..k4) = the im2col row of output pixel `pix` (in n, oh, ow order), zeros past K. A kernel
 * row inside the image is one contiguous run of k_w * in_c bytes (dilation 1). */
static void im2col_taps(const ec_conv2d_s8_params *p, const int8_t *x, int32_t pix, int8_t *col)
{
    const int32_t per_image = p->out_h * p->out_w, r = pix % per_image, ic = p->in_c;
    const int8_t *img = x + (size_t)(pix / per_image) * (size_t)p->in_h * (size_t)p->in_w * (size_t)ic;
    const int32_t ih0 = (r / p->out_w) * p->stride_h - p->pad_top, iw0 = (r % p->out_w) * p->stride_w - p->pad_left;
    const int32_t k = p->k_h * p->k_w * ic, k4 = k4_of(p), run = p->k_w * ic;
    const int8_t zp = (int8_t)-p->input_offset;
    const int whole_rows = p->dil_w == 1 && iw0 >= 0 && iw0 + p->k_w <= p->in_w;
    int32_t kh, kw;
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = ih0 + kh * p->dil_h;
        const int8_t *row = img + (size_t)ih * (size_t)p->in_w * (size_t)ic;
        if (ih < 0 || ih >= p->in_h) {
            fill_bytes(col, zp, run);
            col += run;
            continue;
        }
        if (whole_rows) {
            copy_bytes(col, row + (size_t)iw0 * (size_t)ic, run);
            col += run;
            continue;
        }
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t iw = iw0 + kw * p->dil_w;
            if (iw >= 0 && iw < p->in_w) {
                copy_bytes(col, row + (size_t)iw * (size_t)ic, ic);
            } else {
                fill_bytes(col, zp, ic);
            }
            col += ic;
        }
    }
    if (k4 > k) {
        fill_bytes(col, 0, k4 - k);
    }
}

#if defined(ECM_MVE)
/* col[0..K) for a pixel at the image's edge (dilation 1 across), kernel origin (ih0, iw0) in
 * image img: per kernel row at most three predicated runs, the zero point left of the image, the
 * taps inside it, the zero point right of it (a row outside is all zero point). */
static void im2col_edge(const ec_conv2d_s8_params *p, const int8_t *img, int32_t ih0, int32_t iw0, int8_t *col)
{
    const int32_t ic = p->in_c, run = p->k_w * ic;
    const int8_t zp = (int8_t)-p->input_offset;
    /* kernel columns [a, b) lie inside the image */
    const int32_t a = iw0 < 0 ? (-iw0 < p->k_w ? -iw0 : p->k_w) : 0;
    const int32_t b0 = p->in_w - iw0 < p->k_w ? p->in_w - iw0 : p->k_w, b = b0 < a ? a : b0;
    int32_t kh;
    if (run <= 16) {   /* one step per kernel row: a gather of the lanes inside, the zero point elsewhere */
        const int8x16_t zv = vdupq_n_s8(zp);
        const mve_pred16_t all = vctp8q((uint32_t)run), in = vctp8q((uint32_t)(b * ic)) & ~vctp8q((uint32_t)(a * ic));
        const uint8x16_t lanes = vsubq_n_u8(vidupq_n_u8(0, 1), (uint8_t)(a * ic));   /* from column a on */
        for (kh = 0; kh < p->k_h; ++kh, col += run) {
            const int32_t ih = ih0 + kh * p->dil_h;
            int8x16_t v = zv;
            if (ih >= 0 && ih < p->in_h && b > a) {
                const int8_t *src = img + ((size_t)ih * (size_t)p->in_w + (size_t)(iw0 + a)) * (size_t)ic;
                v = vpselq_s8(vldrbq_gather_offset_z_s8(src, lanes, in), zv, in);
            }
            vstrbq_p_s8(col, v, all);
        }
        return;
    }
    for (kh = 0; kh < p->k_h; ++kh, col += run) {
        const int32_t ih = ih0 + kh * p->dil_h;
        if (ih < 0 || ih >= p->in_h) {
            fill_bytes(col, zp, run);
            continue;
        }
        fill_bytes(col, zp, a * ic);
        copy_bytes(col + a * ic, img + ((size_t)ih * (size_t)p->in_w + (size_t)(iw0 + a)) * (size_t)ic, (b - a) * ic);
        fill_bytes(col + b * ic, zp, (p->k_w - b) * ic);
    }
}

/* im2col_taps, with Helium's shortcut for a pixel whose kernel lies inside the image (dilation
 * 1 across): its kernel rows are k_h runs of k_w * in_c bytes, one image row apart, copied 16
 * bytes per predicated step with no per-tap bookkeeping. */
static void im2col(const ec_conv2d_s8_params *p, const int8_t *x, int32_t pix, int8_t *col)
{
    /* locals: the stores into col may alias *p, which would reload these for every row */
    const int32_t per_image = p->out_h * p->out_w, r = pix % per_image, ic = p->in_c, k_h = p->k_h;
    const int32_t ih0 = (r / p->out_w) * p->stride_h - p->pad_top, iw0 = (r % p->out_w) * p->stride_w - p->pad_left;
    const int32_t run = p->k_w * ic;
    const size_t row = (size_t)p->in_w * (size_t)ic, step = (size_t)p->dil_h * row;
    const int8_t *src;
    int32_t kh, j;
    if (p->dil_w != 1) {
        im2col_taps(p, x, pix, col);
        return;
    }
    src = x + ((size_t)(pix / per_image) * (size_t)p->in_h) * row;
    if (ih0 < 0 || iw0 < 0 || ih0 + (k_h - 1) * p->dil_h >= p->in_h || iw0 + p->k_w > p->in_w) {
        im2col_edge(p, src, ih0, iw0, col);
        return;
    }
    src += (size_t)ih0 * row + (size_t)iw0 * (size_t)ic;
    if (run <= 16) {   /* one step per kernel row (the usual first layer: few input channels) */
        const mve_pred16_t pr = vctp8q((uint32_t)run);
        for (kh = 0; kh < k_h; ++kh, src += step, col += run) {
            vstrbq_p_s8(col, vldrbq_z_s8(src, pr), pr);
        }
    } else {   /* whole steps of 16 unpredicated, then the rest of the row */
        const int32_t whole = run & ~15;
        const mve_pred16_t pr = vctp8q((uint32_t)(run - whole));
        for (kh = 0; kh < k_h; ++kh, src += step, col += run) {
            for (j = 0; j < whole; j += 16) {
                vstrbq_s8(col + j, vldrbq_s8(src + j));
            }
            if (whole < run) {
                vstrbq_p_s8(col + whole, vldrbq_z_s8(src + whole, pr), pr);
            }
        }
    }
}
#else
#define im2col im2col_taps
#endif

void ecm_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                   const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch)
{
    const int32_t pixels = p->n * p->out_h * p->out_w, oc = p->out_c, k4 = k4_of(p);
    int8_t *col0 = (int8_t *)scratch + 4 * (size_t)k4 + 8 * (size_t)((oc + 3) / 4 * 4), *col1 = col0 + k4;
    ecm_gemm g;
    int32_t pix;
    ecm_gemm_init(&g, w, w16, bias_eff, multiplier, shift, rq, oc, k4, k4, p->output_offset, p->act_min, p->act_max,
                  scratch);
#if defined(ECM_MVE)   /* the rows' zeros past K, once: Helium's im2col writes K bytes a pixel */
    {
        const int32_t k = p->k_h * p->k_w * p->in_c;
        fill_bytes(col0 + k, 0, k4 - k);
        fill_bytes(col1 + k, 0, k4 - k);
    }
#endif
    for (pix = 0; pix < pixels; pix += 2) {
        const int32_t rows = pix + 1 < pixels ? 2 : 1;
        int8_t *y0 = y + (size_t)pix * (size_t)oc;
        im2col(p, x, pix, col0);
        if (rows == 2) {
            im2col(p, x, pix + 1, col1);
        }
        ecm_gemm_rows(&g, col0, col1, rows, y0, y0 + oc);
    }
}
