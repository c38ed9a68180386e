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
#if defined(ECM_MVE)   /* Helium, past one word: 16 bytes per step, the last one predicated */
    if (n > 4) {
        for (; n > 0; n -= 16, dst += 16, src += 16) {
            const mve_pred16_t p = vctp8q((uint32_t)n);
            vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
        }
        return;
    }
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
static void im2col(const ec_conv2d_s8_params *p, const int8_t *x, int32_t pix, int8_t *col)
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

void ecm_conv2d_s8(const ec_conv2d_s8_params *p, const int8_t *x, const int8_t *w, int32_t w16, const int32_t *bias_eff,
                   const int32_t *multiplier, const int32_t *shift, const int32_t *rq, int8_t *y, void *scratch)
{
    const int32_t pixels = p->n * p->out_h * p->out_w, oc = p->out_c, k4 = k4_of(p);
    int8_t *col0 = (int8_t *)scratch + 4 * (size_t)k4 + 8 * (size_t)((oc + 3) / 4 * 4), *col1 = col0 + k4;
    ecm_gemm g;
    int32_t pix;
    g.w = w;
    g.bias_eff = bias_eff;
    g.multiplier = multiplier;
    g.shift = shift;
    g.rq = rq;
    g.n = oc;
    g.k = k4;
    g.k4 = k4;
    g.off = p->output_offset;
    g.lo = p->act_min;
    g.hi = p->act_max;
    g.q = (int16_t *)scratch;
    g.n4 = (p->out_c + 3) / 4 * 4;
    g.w16 = ECM_W16 && w16;   /* the pre-widened form exists only where the DSP path is compiled */
    g.acc = (int32_t *)((int8_t *)scratch + 2 * g.k4 * (int32_t)sizeof(int16_t));
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
