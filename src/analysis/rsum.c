/* Reproducible sums. A double term v is scaled by 2^scale (exact) and split into an integer
 * part and a 31-bit fraction, both accumulated in int64. Integer addition is associative, so
 * the MPI reduction and the order of add() calls cannot change the result; the only rounding
 * is the fraction's (2^-31 of one unit) and the final conversion back to double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "gaitlab/core.h"

gl_err gla_rsum_init(gla_rsum *r, size_t n, double bound, int64_t nterms) {
  memset(r, 0, sizeof *r);
  if (!(bound >= 0) || !isfinite(bound))
    return gl_error(GL_ERR_NUMERIC, "non-finite value in data being summed");
  if (nterms < 1) nterms = 1;
  r->n = n;
  /* nterms * bound * 2^scale <= 2^61 leaves a factor-2 margin for the bound itself. */
  int e = 0;
  double tot = bound * (double)nterms;
  if (tot > 0) frexp(tot, &e); /* tot <= 2^e */
  r->scale = tot > 0 ? 61 - e : 0;
  r->limit = ldexp(1.0, 62) / (double)nterms;
  r->mul = r->scale >= -1022 && r->scale <= 1023 ? ldexp(1.0, r->scale) : 0.0;
  gl_err err = GL_ALLOC(r->hi, n ? n : 1);
  if (!err) err = GL_ALLOC(r->lo, n ? n : 1);
  if (err) gla_rsum_free(r);
  return err;
}

/* One term onto the grid: hi += floor(q), lo += round-half-away(frac(q) 2^31), q = v 2^scale.
 * Written without libm calls (it runs d(d+1)/2 times per PCA block): a product by an exact
 * power of two rounds exactly as ldexp does, the truncations below are exact because
 * |q| <= limit < 2^63, and t + (f - t >= 1/2) is llround for f >= 0. */
static inline void gla_rsum_put_(gla_rsum *r, size_t i, double v) {
  double q = r->mul != 0.0 ? v * r->mul : ldexp(v, r->scale);
  if (!(fabs(q) <= r->limit)) { /* also catches NaN */
    r->overflow = 1;
    return;
  }
  int64_t h = (int64_t)q; /* trunc(q), exactly representable */
  h -= (double)h > q;     /* floor(q) */
  double f = (q - (double)h) * 2147483648.0; /* exact: q - floor(q) in [0, 1) */
  int64_t t = (int64_t)f;
  r->hi[i] += h;
  r->lo[i] += t + (f - (double)t >= 0.5);
}

void gla_rsum_add(gla_rsum *r, const double *term) {
  for (size_t i = 0; i < r->n; ++i) gla_rsum_put_(r, i, term[i]);
}

void gla_rsum_add_scaled(gla_rsum *r, const double *term, double factor) {
  for (size_t i = 0; i < r->n; ++i) gla_rsum_put_(r, i, term[i] * factor);
}

gl_err gla_rsum_finish(gla_rsum *r, double *out, MPI_Comm comm) {
  int bad = r->overflow, anybad = 0;
  GL_MPI(MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, comm));
  if (anybad)
    return gl_error(GL_ERR_NUMERIC,
                    "non-finite value (or a term above its declared bound) in a reduction");
  if (MPI_Allreduce(MPI_IN_PLACE, r->hi, (int)r->n, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS ||
      MPI_Allreduce(MPI_IN_PLACE, r->lo, (int)r->n, MPI_INT64_T, MPI_SUM, comm) != MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Allreduce failed in a reproducible sum");
  for (size_t i = 0; i < r->n; ++i) {
    /* Fold the fraction's whole units into hi first so both parts convert exactly when the
     * sum is small, then combine in one rounding-dominated step. */
    int64_t carry = r->lo[i] >> 31;
    int64_t hi = r->hi[i] + carry, lo = r->lo[i] - (carry << 31);
    out[i] = ldexp((double)hi + ldexp((double)lo, -31), -r->scale);
  }
  return GL_OK;
}

void gla_rsum_free(gla_rsum *r) {
  free(r->hi);
  free(r->lo);
  r->hi = r->lo = NULL;
  r->n = 0;
}

void gla_rsum_add_range(gla_rsum *r, size_t offset, const double *term, size_t len) {
  for (size_t i = 0; i < len; ++i) gla_rsum_put_(r, offset + i, term[i]);
}
