/* Small serial linear algebra on replicated results: the speed axis (top right singular
 * vector of condition means), periodic splines for figures and subspace overlap. Every
 * rank computes the same thing on the same bits, so no communication is needed. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_spline.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/analysis.h"

void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info, size_t jobu_len, size_t jobvt_len);

/* Right singular vectors of the row-major [m x n] matrix: vt [min(m,n) x n] row-major
 * (row i = i-th right singular vector), s [min(m,n)] descending. */
static gl_err gla_svd_right_(const double *a_rm, int m, int n, double *s, double *vt) {
  int mn = m < n ? m : n, info = 0, lwork = -1, one = 1;
  double *a = NULL, *vtc = NULL, *work = NULL, wq = 0, udummy = 0;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(a, (size_t)m * (size_t)n), done);
  GL_GOTO(err, GL_ALLOC(vtc, (size_t)mn * (size_t)n), done);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) a[(size_t)j * (size_t)m + (size_t)i] = a_rm[(size_t)i * (size_t)n + (size_t)j];
  dgesvd_("N", "S", &m, &n, a, &m, s, &udummy, &one, vtc, &mn, &wq, &lwork, &info, 1, 1);
  lwork = (int)wq + 1;
  GL_GOTO(err, GL_ALLOC(work, (size_t)lwork), done);
  dgesvd_("N", "S", &m, &n, a, &m, s, &udummy, &one, vtc, &mn, work, &lwork, &info, 1, 1);
  if (info) {
    err = gl_error(GL_ERR_NUMERIC, "LAPACK dgesvd failed (info %d)", info);
    goto done;
  }
  for (int i = 0; i < mn; ++i)
    for (int j = 0; j < n; ++j) vt[(size_t)i * (size_t)n + (size_t)j] = vtc[(size_t)j * (size_t)mn + (size_t)i];
done:
  free(a);
  free(vtc);
  free(work);
  return err;
}

gl_err gla_speed_axis(const double *cond_means, int s, int m, const double *speeds,
                      int centered, double *d, double *fraction) {
  if (s < 1 || m < 1) return gl_error(GL_ERR_INPUT, "speed axis needs conditions and PCs");
  double *x = NULL, *sv = NULL, *vt = NULL;
  int mn = s < m ? s : m;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(x, (size_t)s * (size_t)m), done);
  GL_GOTO(err, GL_ALLOC(sv, mn), done);
  GL_GOTO(err, GL_ALLOC(vt, (size_t)mn * (size_t)m), done);
  memcpy(x, cond_means, (size_t)s * (size_t)m * sizeof *x);
  if (centered)
    for (int j = 0; j < m; ++j) {
      double mu = 0;
      for (int i = 0; i < s; ++i) mu += x[(size_t)i * (size_t)m + (size_t)j];
      mu /= s;
      for (int i = 0; i < s; ++i) x[(size_t)i * (size_t)m + (size_t)j] -= mu;
    }
  GL_GOTO(err, gla_svd_right_(x, s, m, sv, vt), done);
  memcpy(d, vt, (size_t)m * sizeof *d);
  /* Orientation: projections rise with commanded speed. */
  double cov = 0, smean = 0, pmean = 0, fro = 0, proj2 = 0;
  for (int i = 0; i < s; ++i) {
    double pi = 0;
    for (int j = 0; j < m; ++j) pi += x[(size_t)i * (size_t)m + (size_t)j] * d[j];
    pmean += pi;
    if (speeds) smean += speeds[i];
    proj2 += pi * pi;
    for (int j = 0; j < m; ++j) fro += x[(size_t)i * (size_t)m + (size_t)j] * x[(size_t)i * (size_t)m + (size_t)j];
  }
  pmean /= s;
  smean /= s;
  double svar = 0;
  if (speeds)
    for (int i = 0; i < s; ++i) {
      double pi = 0;
      for (int j = 0; j < m; ++j) pi += x[(size_t)i * (size_t)m + (size_t)j] * d[j];
      cov += (pi - pmean) * (speeds[i] - smean);
      svar += (speeds[i] - smean) * (speeds[i] - smean);
    }
  double flip;
  if (speeds && svar > 0 && cov != 0) {
    flip = cov < 0 ? -1.0 : 1.0;
  } else {
    int imax = 0;
    for (int j = 1; j < m; ++j)
      if (fabs(d[j]) > fabs(d[imax])) imax = j;
    flip = d[imax] < 0 ? -1.0 : 1.0;
  }
  for (int j = 0; j < m; ++j) d[j] *= flip;
  *fraction = fro > 0 ? proj2 / fro : 0.0;
done:
  free(x);
  free(sv);
  free(vt);
  return err;
}

gl_err gla_spline_periodic(const double *y, int p, double dt, int npts, double *out) {
  if (p < 2 || npts < 2 || !(dt > 0))
    return gl_error(GL_ERR_INPUT, "periodic spline needs >= 2 samples and >= 2 points");
  double *t = NULL, *yy = NULL;
  gl_err err = GL_OK;
  gsl_spline *sp = NULL;
  gsl_interp_accel *acc = NULL;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  GL_GOTO(err, GL_ALLOC(t, p + 1), done);
  GL_GOTO(err, GL_ALLOC(yy, p + 1), done);
  for (int i = 0; i <= p; ++i) {
    t[i] = i * dt;
    yy[i] = y[i % p]; /* closes the loop exactly: GSL requires y[first] == y[last] */
  }
  sp = gsl_spline_alloc(gsl_interp_cspline_periodic, (size_t)p + 1);
  acc = gsl_interp_accel_alloc();
  if (!sp || !acc || gsl_spline_init(sp, t, yy, (size_t)p + 1) != GSL_SUCCESS) {
    err = gl_error(GL_ERR_LIB, "GSL periodic spline initialisation failed");
    goto done;
  }
  double T = t[p];
  for (int i = 0; i < npts; ++i) {
    double ti = i == npts - 1 ? T : T * (double)i / (double)(npts - 1);
    if (gsl_spline_eval_e(sp, ti, acc, &out[i]) != GSL_SUCCESS) {
      err = gl_error(GL_ERR_LIB, "GSL spline evaluation failed at t = %g", ti);
      goto done;
    }
  }
done:
  if (sp) gsl_spline_free(sp);
  if (acc) gsl_interp_accel_free(acc);
  gsl_set_error_handler(old);
  free(t);
  free(yy);
  return err;
}

/* V(R, W) = 1 - |R - R W W^T|_F / |R|_F, W given as k rows of length d. */
static double gla_vfrac_(const double *r, int rows, int d, const double *w, int k, double *tmp) {
  double num = 0, den = 0;
  for (int i = 0; i < rows; ++i) {
    const double *ri = r + (size_t)i * (size_t)d;
    for (int c = 0; c < k; ++c) {
      double s = 0;
      for (int j = 0; j < d; ++j) s += ri[j] * w[(size_t)c * (size_t)d + (size_t)j];
      tmp[c] = s;
    }
    for (int j = 0; j < d; ++j) {
      double proj = 0;
      for (int c = 0; c < k; ++c) proj += tmp[c] * w[(size_t)c * (size_t)d + (size_t)j];
      double e = ri[j] - proj;
      num += e * e;
      den += ri[j] * ri[j];
    }
  }
  return den > 0 ? 1.0 - sqrt(num) / sqrt(den) : 0.0;
}

gl_err gla_subspace_overlap(const double *const *r, const int *rows, int nc, int d, int k,
                            double *overlap) {
  double **w = NULL, *sv = NULL, *tmp = NULL;
  int *kc = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(w, nc), done);
  GL_GOTO(err, GL_ALLOC(kc, nc), done);
  GL_GOTO(err, GL_ALLOC(sv, d), done);
  GL_GOTO(err, GL_ALLOC(tmp, k > 0 ? k : 1), done);
  for (int c = 0; c < nc; ++c) {
    int mn = rows[c] < d ? rows[c] : d;
    kc[c] = k < mn ? k : mn;
    if (mn < 1) continue;
    double *vt = NULL;
    GL_GOTO(err, GL_ALLOC(vt, (size_t)mn * (size_t)d), done);
    w[c] = vt;
    GL_GOTO(err, gla_svd_right_(r[c], rows[c], d, sv, vt), done);
  }
  for (int a = 0; a < nc; ++a)     /* W_a */
    for (int c = 0; c < nc; ++c) { /* R_c */
      double own = w[c] ? gla_vfrac_(r[c], rows[c], d, w[c], kc[c], tmp) : 0.0;
      double v = w[a] && rows[c] > 0 ? gla_vfrac_(r[c], rows[c], d, w[a], kc[a], tmp) : 0.0;
      overlap[(size_t)a * (size_t)nc + (size_t)c] = own > 0 ? v / own : NAN;
    }
done:
  if (w)
    for (int c = 0; c < nc; ++c) free(w[c]);
  free(w);
  free(kc);
  free(sv);
  free(tmp);
  return err;
}
