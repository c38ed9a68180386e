/* edgec runtime: scalar pointwise functions (float32), shared by the unary kernel and by every
 * kernel that applies a fused activation. static inline so each kernel file inlines its copy.
 *
 * alpha/beta per kind: CLIP [alpha, beta] = [min, max]; LEAKY_RELU alpha = slope; ELU alpha;
 * SELU alpha, beta = gamma; HARD_SIGMOID y = max(0, min(1, alpha*x + beta)); POW y = x^alpha;
 * AFFINE y = alpha*x + beta. */
#ifndef EC_POINTWISE_H
#define EC_POINTWISE_H

#include <math.h>

#include "ec_types.h"

static inline float ec_pointwise_f32(float x, const ec_act_f32 *a)
{
    switch (a->kind) {
    case EC_PW_RELU: return x > 0.0f ? x : 0.0f;
    case EC_PW_CLIP: return x < a->alpha ? a->alpha : (x > a->beta ? a->beta : x);
    case EC_PW_LEAKY_RELU: return x >= 0.0f ? x : a->alpha * x;
    case EC_PW_ELU: return x >= 0.0f ? x : a->alpha * (expf(x) - 1.0f);
    case EC_PW_SELU: return x > 0.0f ? a->beta * x : a->beta * (a->alpha * expf(x) - a->alpha);
    case EC_PW_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case EC_PW_TANH: return tanhf(x);
    case EC_PW_HARD_SIGMOID: {
        float y = a->alpha * x + a->beta;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case EC_PW_HARD_SWISH: {
        float y = x / 6.0f + 0.5f;
        return x * (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
    }
    case EC_PW_SOFTPLUS: return x > 20.0f ? x : log1pf(expf(x));
    case EC_PW_SOFTSIGN: return x / (1.0f + fabsf(x));
    case EC_PW_NEG: return -x;
    case EC_PW_ABS: return fabsf(x);
    case EC_PW_EXP: return expf(x);
    case EC_PW_SQRT: return sqrtf(x);
    case EC_PW_POW: return powf(x, a->alpha);
    case EC_PW_LOG: return logf(x);
    case EC_PW_RECIPROCAL: return 1.0f / x;
    case EC_PW_AFFINE: return a->alpha * x + a->beta;
    default: return x;
    }
}

#endif /* EC_POINTWISE_H */
