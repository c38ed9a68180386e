/* edgec runtime: 2-D transposed convolution, NHWC, weights [groups][k_h][k_w][ICg][OCg].
 *
 * Gather form: each output pixel starts from the bias and adds every input pixel that scatters
 * onto it, i.e. ih with ih * stride_h = oh + pad_top - kh * dil_h (same for w). The innermost
 * loop runs over the contiguous output channels of a group. Output positions no input reaches
 * (output_padding) get the bias alone. */
#include "ec_conv.h"
#include "ec_pointwise.h"

/* The input index that tap k scatters onto output index o, or -1 if none. */
static int32_t source_index(int32_t o, int32_t k, int32_t pad, int32_t stride, int32_t dil, int32_t size)
{
    const int32_t t = o + pad - k * dil;
    if (t < 0 || t % stride != 0 || t / stride >= size) {
        return -1;
    }
    return t / stride;
}

/* y[g * ocg + o] += sum over i of x[g * icg + i] * w[g][tap][i][o], for every group g. */
static void add_tap(const ec_conv2d_params *p, const float *x, const float *w, size_t tap, float *y)
{
    const int32_t icg = p->in_c / p->groups, ocg = p->out_c / p->groups;
    const size_t taps = (size_t)p->k_h * (size_t)p->k_w;
    int32_t g, i, o;
    for (g = 0; g < p->groups; ++g) {
        const float *wg = w + ((size_t)g * taps + tap) * (size_t)icg * (size_t)ocg;
        float *yg = y + (size_t)g * (size_t)ocg;
        for (i = 0; i < icg; ++i) {
            const float v = x[g * icg + i];
            const float *wr = wg + (size_t)i * (size_t)ocg;
            for (o = 0; o < ocg; ++o) {
                yg[o] += v * wr[o];
            }
        }
    }
}

/* One output pixel (image x_img, row oh, column ow) into y[0..out_c). */
static void convt_pixel(const ec_conv2d_params *p, const float *x_img, const float *w, const float *bias,
                        int32_t oh, int32_t ow, float *y)
{
    int32_t kh, kw, j;
    for (j = 0; j < p->out_c; ++j) {
        y[j] = bias != NULL ? bias[j] : 0.0f;
    }
    for (kh = 0; kh < p->k_h; ++kh) {
        const int32_t ih = source_index(oh, kh, p->pad_top, p->stride_h, p->dil_h, p->in_h);
        if (ih < 0) {
            continue;
        }
        for (kw = 0; kw < p->k_w; ++kw) {
            const int32_t iw = source_index(ow, kw, p->pad_left, p->stride_w, p->dil_w, p->in_w);
            if (iw < 0) {
                continue;
            }
            add_tap(p, x_img + ((size_t)ih * (size_t)p->in_w + (size_t)iw) * (size_t)p->in_c, w,
                    (size_t)(kh * p->k_w + kw), y);
        }
    }
    if (p->act.kind != EC_PW_NONE) {
        for (j = 0; j < p->out_c; ++j) {
            y[j] = ec_pointwise_f32(y[j], &p->act);
        }
    }
}

void ec_conv_transpose2d_f32(const ec_conv2d_params *p, const float *x, const float *w, const float *bias,
                             float *y)
{
    const size_t x_img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    int32_t n, oh, ow;
    for (n = 0; n < p->n; ++n) {
        for (oh = 0; oh < p->out_h; ++oh) {
            for (ow = 0; ow < p->out_w; ++ow) {
                convt_pixel(p, x + (size_t)n * x_img, w, bias, oh, ow, y);
                y += p->out_c;
            }
        }
    }
}
