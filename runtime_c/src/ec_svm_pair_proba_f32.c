/* edgec runtime: class probabilities of a multiclass SVM (libsvm's svm_predict_probability):
 * Platt sigmoids on the pairwise decision values, then iterative pairwise coupling, in double. */
#include <math.h>

#include "ec_svm.h"

static double platt(double dec, double a, double b)
{
    const double f = dec * a + b;
    if (f >= 0.0) {
        const double e = exp(-f);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + exp(f));
}

/* p[k] from r[k][k] (r[i][j]: probability that i beats j). q: k*k, qp: k doubles of scratch. */
static void couple(int32_t k, const double *r, double *q, double *qp, double *p)
{
    const double eps = 0.005 / (double)k;
    const int32_t max_iter = k > 100 ? k : 100;
    int32_t t, j, iter;
    for (t = 0; t < k; ++t) {
        p[t] = 1.0 / (double)k;
        q[t * k + t] = 0.0;
        for (j = 0; j < t; ++j) {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = q[j * k + t];
        }
        for (j = t + 1; j < k; ++j) {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    for (iter = 0; iter < max_iter; ++iter) {
        double pqp = 0.0, max_error = 0.0;
        for (t = 0; t < k; ++t) {
            qp[t] = 0.0;
            for (j = 0; j < k; ++j) {
                qp[t] += q[t * k + j] * p[j];
            }
            pqp += p[t] * qp[t];
        }
        for (t = 0; t < k; ++t) {
            const double error = fabs(qp[t] - pqp);
            if (error > max_error) {
                max_error = error;
            }
        }
        if (max_error < eps) {
            break;
        }
        for (t = 0; t < k; ++t) {
            const double diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for (j = 0; j < k; ++j) {
                qp[j] = (qp[j] + diff * q[t * k + j]) / (1.0 + diff);
                p[j] /= (1.0 + diff);
            }
        }
    }
}

void ec_svm_pair_proba_f32(const ec_svm_proba_params *p, const float *dec, int32_t n_samples, void *scratch,
                           float *proba)
{
    const int32_t k = p->n_classes;
    const int32_t n_pairs = k * (k - 1) / 2;
    double *r = (double *)scratch;
    double *q = r + (size_t)k * (size_t)k;
    double *qp = q + (size_t)k * (size_t)k;
    double *pr = qp + k;
    int32_t s, i, j, pair, c;
    for (s = 0; s < n_samples; ++s) {
        const float *ds = dec + (size_t)s * (size_t)n_pairs;
        pair = 0;
        for (i = 0; i < k; ++i) {
            for (j = i + 1; j < k; ++j) {
                const float *sg = p->sigmoid + 4 * pair;
                double v = platt((double)ds[pair], (double)sg[0] + (double)sg[1], (double)sg[2] + (double)sg[3]);
                v = v < 1e-7 ? 1e-7 : (v > 1.0 - 1e-7 ? 1.0 - 1e-7 : v);
                r[i * k + j] = v;
                r[j * k + i] = 1.0 - v;
                ++pair;
            }
        }
        couple(k, r, q, qp, pr);
        for (c = 0; c < k; ++c) {
            proba[(size_t)s * (size_t)k + c] = (float)pr[c];
        }
    }
}
