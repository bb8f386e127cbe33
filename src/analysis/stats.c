/* Small serial statistics on replicated data: percentiles in the two conventions the
 * literature uses, derivative rules, the tangling epsilon and z-scoring. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

double gla_percentile_linear(const double *s, size_t n, double p) {
  if (n == 0) return NAN;
  double pos = p / 100.0 * (double)(n - 1);
  size_t i = (size_t)floor(pos);
  if (i >= n - 1) return s[n - 1];
  double t = pos - (double)i, a = s[i], b = s[i + 1];
  /* numpy's lerp: symmetric form keeps monotonicity near t = 1 */
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

double gla_percentile_hazen(const double *s, size_t n, double p) {
  if (n == 0) return NAN;
  double pos = (double)n * p / 100.0 + 0.5; /* 1-based position */
  if (pos <= 1.0) return s[0];
  if (pos >= (double)n) return s[n - 1];
  size_t i = (size_t)floor(pos); /* 1-based lower */
  double t = pos - (double)i;
  return s[i - 1] + (s[i] - s[i - 1]) * t;
}

static int gla_cmp_double_(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

gl_err gla_summarize(const double *q, size_t n, gla_summary *s) {
  double *sorted = NULL;
  GL_CALL(GL_ALLOC(sorted, n));
  memcpy(sorted, q, n * sizeof *q);
  qsort(sorted, n, sizeof *sorted, gla_cmp_double_);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += q[i];
  s->max = n ? sorted[n - 1] : NAN;
  s->mean = n ? sum / (double)n : NAN;
  s->median = gla_percentile_linear(sorted, n, 50);
  s->p90_linear = gla_percentile_linear(sorted, n, 90);
  s->p90_hazen = gla_percentile_hazen(sorted, n, 90);
  free(sorted);
  return GL_OK;
}

gl_err gla_derivative(const double *x, size_t n, int d, const size_t *seg, int nseg,
                      gla_deriv rule, double dt, double *xd) {
  if (!(dt > 0)) return gl_error(GL_ERR_INPUT, "derivative: sampling period must be > 0");
  if (seg[nseg] != n) return gl_error(GL_ERR_INTERNAL, "derivative: segments do not cover the data");
  const double inv = 1.0 / dt;
  for (int s = 0; s < nseg; ++s) {
    size_t a = seg[s], b = seg[s + 1], len = b - a;
    if (len == 0) continue;
    if (len == 1) {
      memset(xd + a * (size_t)d, 0, (size_t)d * sizeof *xd);
      continue;
    }
    for (size_t k = a; k < b; ++k) {
      const double *xk = x + k * (size_t)d;
      double *o = xd + k * (size_t)d;
      size_t prev = k == a ? b - 1 : k - 1, next = k + 1 == b ? a : k + 1;
      switch (rule) {
        case GLA_DERIV_AUTO:
        case GLA_DERIV_PERIODIC_BACKWARD:
          for (int j = 0; j < d; ++j) o[j] = (xk[j] - x[prev * (size_t)d + j]) * inv;
          break;
        case GLA_DERIV_BACKWARD: {
          size_t kk = k == a ? a + 1 : k; /* first row copies the second */
          for (int j = 0; j < d; ++j)
            o[j] = (x[kk * (size_t)d + j] - x[(kk - 1) * (size_t)d + j]) * inv;
          break;
        }
        case GLA_DERIV_CENTRAL:
          if (k == a)
            for (int j = 0; j < d; ++j) o[j] = (x[(k + 1) * (size_t)d + j] - xk[j]) * inv;
          else if (k + 1 == b)
            for (int j = 0; j < d; ++j) o[j] = (xk[j] - x[(k - 1) * (size_t)d + j]) * inv;
          else
            for (int j = 0; j < d; ++j)
              o[j] = (x[(k + 1) * (size_t)d + j] - x[(k - 1) * (size_t)d + j]) * (0.5 * inv);
          break;
        case GLA_DERIV_PERIODIC_CENTRAL:
          for (int j = 0; j < d; ++j)
            o[j] = (x[next * (size_t)d + j] - x[prev * (size_t)d + j]) * (0.5 * inv);
          break;
        default:
          return gl_error(GL_ERR_INTERNAL, "unknown derivative rule %d", (int)rule);
      }
    }
  }
  return GL_OK;
}

double gla_epsilon(const double *x, size_t n, int d, gla_eps_rule rule, int ddof, double factor) {
  if (rule == GLA_EPS_AUTHORS) {
    size_t m = n * (size_t)d;
    if (m <= (size_t)ddof) return 0;
    double mean = 0, ss = 0;
    for (size_t i = 0; i < m; ++i) mean += x[i];
    mean /= (double)m;
    for (size_t i = 0; i < m; ++i) ss += (x[i] - mean) * (x[i] - mean);
    return factor * ss / (double)(m - (size_t)ddof);
  }
  if (n <= (size_t)ddof) return 0;
  double total = 0;
  for (int j = 0; j < d; ++j) {
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; ++i) mean += x[i * (size_t)d + j];
    mean /= (double)n;
    for (size_t i = 0; i < n; ++i) {
      double v = x[i * (size_t)d + j] - mean;
      ss += v * v;
    }
    total += ss / (double)(n - (size_t)ddof);
  }
  return factor * total;
}

void gla_zscore(double *x, size_t n, int d, double *mean, double *scale) {
  for (int j = 0; j < d; ++j) {
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; ++i) m += x[i * (size_t)d + j];
    m = n ? m / (double)n : 0;
    for (size_t i = 0; i < n; ++i) {
      double v = x[i * (size_t)d + j] - m;
      ss += v * v;
    }
    double var = n ? ss / (double)n : 0;
    /* sklearn's constant-feature test: variance indistinguishable from rounding noise */
    double eps = DBL_EPSILON, nn = (double)n;
    int constant = var <= nn * eps * var + (nn * m * eps) * (nn * m * eps);
    double sc = constant ? 0 : sqrt(var);
    for (size_t i = 0; i < n; ++i) {
      double *v = x + i * (size_t)d + j;
      *v = constant ? 0.0 : (*v - m) / sc;
    }
    if (mean) mean[j] = m;
    if (scale) scale[j] = sc;
  }
}

void gla_normalize(double *x, size_t n, int d, int mode, double k, double *mean, double *scale) {
  if (mode == GLA_NORM_ZSCORE) {
    gla_zscore(x, n, d, mean, scale);
    return;
  }
  for (int j = 0; j < d; ++j) {
    double lo = INFINITY, hi = -INFINITY, f = 1.0;
    if (mode == GLA_NORM_RANGE) {
      for (size_t i = 0; i < n; ++i) {
        double v = x[i * (size_t)d + j];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
      double den = n ? hi - lo + k : 0;
      f = den > 0 ? 1.0 / den : 0.0;
    }
    double m = 0;
    for (size_t i = 0; i < n; ++i) m += x[i * (size_t)d + j] * f;
    m = n ? m / (double)n : 0;
    if (mode == GLA_NORM_NONE) {
      if (mean) mean[j] = 0;
      if (scale) scale[j] = 1;
      continue; /* leave data untouched: centring happens where it matters (PCA, tangling) */
    }
    for (size_t i = 0; i < n; ++i) x[i * (size_t)d + j] = x[i * (size_t)d + j] * f - m;
    if (mean) mean[j] = m;
    if (scale) scale[j] = f > 0 ? 1.0 / f : 0.0;
  }
}
