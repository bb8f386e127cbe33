/* Cross-agent comparison of structured activity (include/gaitlab/align.h): periodic
 * resampling onto a common phase grid, PCA per agent, canonical correlations, orthogonal
 * Procrustes and two correspondence-breaking controls, plus reading analysed recordings and
 * writing the results. Everything here is small and serial (a few hundred rows, k <= a few
 * dozen columns): the CLI runs it on rank 0. */
#include <cblas.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis_internal.h"
#include "gaitlab/align.h"
#include "gaitlab/core.h"

/* LAPACK (Fortran interface, hidden string lengths last), as the rest of src/analysis. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *info, size_t jobu_len, size_t jobvt_len);

/* ================================================================ math */

gl_err gla_align_resample(const double *x, int p, int d, int g, double *out) {
  if (p < 2 || d < 1 || g < 1)
    return gl_error(GL_ERR_INPUT, "periodic resampling needs a cycle of at least 2 samples, 1 unit and 1 grid point (got %d, %d, %d)",
                    p, d, g);
  double *y = NULL, *s = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(y, p), done);
  GL_GOTO(err, GL_ALLOC(s, (size_t)g + 1), done);
  for (int j = 0; j < d; ++j) {
    for (int i = 0; i < p; ++i) y[i] = x[(size_t)i * (size_t)d + (size_t)j];
    /* With a sampling period of 1/p, sample i sits at phase i/p and gla_spline_periodic
     * closes the loop with sample 0 at phase 1; its g + 1 evaluation points linspace(0, 1)
     * are exactly the phases k/g, k = 0..g, of which the last (phase 1 = phase 0) is dropped. */
    GL_GOTO(err, gla_spline_periodic(y, p, 1.0 / p, g + 1, s), done);
    for (int k = 0; k < g; ++k) out[(size_t)k * (size_t)d + (size_t)j] = s[k];
  }
done:
  free(y);
  free(s);
  return err;
}

/* Subtract each column's mean of a row-major [n x k] matrix. */
static void gla_align_centre_(double *x, int n, int k) {
  for (int j = 0; j < k; ++j) {
    double mu = 0;
    for (int i = 0; i < n; ++i) mu += x[(size_t)i * (size_t)k + (size_t)j];
    mu /= n;
    for (int i = 0; i < n; ++i) x[(size_t)i * (size_t)k + (size_t)j] -= mu;
  }
}

/* Eigendecomposition of the symmetric d x d matrix a (overwritten by the eigenvectors,
 * column j = eigenvector j), w ascending. */
static gl_err gla_align_syev_(double *a, int d, double *w) {
  int lwork = -1, liwork = -1, iwq = 0, info = 0;
  double wq = 0, *work = NULL;
  int *iwork = NULL;
  gl_err err = GL_OK;
  dsyevd_("V", "U", &d, a, &d, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  lwork = (int)wq + 1;
  liwork = iwq > 0 ? iwq : 1;
  GL_GOTO(err, GL_ALLOC(work, lwork), done);
  GL_GOTO(err, GL_ALLOC(iwork, liwork), done);
  dsyevd_("V", "U", &d, a, &d, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  if (info != 0) err = gl_error(GL_ERR_NUMERIC, "LAPACK dsyevd failed (info %d) on a %d x %d covariance", info, d, d);
done:
  free(work);
  free(iwork);
  return err;
}

gl_err gla_align_pca(const double *x, int n, int d, int k, double *scores) {
  int kmax = n - 1 < d ? n - 1 : d;
  if (k < 1 || k > kmax)
    return gl_error(GL_ERR_INPUT, "%d PCs requested, but %d rows of %d units allow at most min(rows - 1, units) = %d",
                    k, n, d, kmax < 0 ? 0 : kmax);
  double *xc = NULL, *cov = NULL, *w = NULL, *vk = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(xc, (size_t)n * (size_t)d), done);
  GL_GOTO(err, GL_ALLOC(cov, (size_t)d * (size_t)d), done);
  GL_GOTO(err, GL_ALLOC(w, d), done);
  GL_GOTO(err, GL_ALLOC(vk, (size_t)d * (size_t)k), done);
  memcpy(xc, x, (size_t)n * (size_t)d * sizeof *xc);
  gla_align_centre_(xc, n, d);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, n, 1.0 / (n - 1), xc, d, xc, d, 0.0,
              cov, d);
  GL_GOTO(err, gla_align_syev_(cov, d, w), done);
  /* A k-th component without variance would hand CCA an arbitrary direction. */
  if (!(w[d - k] > 1e-12 * w[d - 1])) {
    err = gl_error(GL_ERR_NUMERIC, "the activity spans fewer than %d dimensions (PC %d has variance %g, PC 1 %g): lower pcs",
                   k, k, w[d - k], w[d - 1]);
    goto done;
  }
  for (int c = 0; c < k; ++c) {
    const double *v = cov + (size_t)(d - 1 - c) * (size_t)d; /* descending variance */
    int imax = 0;
    for (int i = 1; i < d; ++i)
      if (fabs(v[i]) > fabs(v[imax])) imax = i;
    double sgn = v[imax] < 0 ? -1.0 : 1.0;
    for (int i = 0; i < d; ++i) vk[(size_t)i * (size_t)k + (size_t)c] = sgn * v[i];
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, d, 1.0, xc, d, vk, k, 0.0, scores, k);
done:
  free(xc);
  free(cov);
  free(w);
  free(vk);
  return err;
}

/* SVD of the column-major r x c matrix m (destroyed): s [min(r, c)] descending; u [r x r]
 * and vt [c x c] column-major when non-NULL (both or neither). */
static gl_err gla_align_svd_(double *m, int r, int c, double *s, double *u, double *vt) {
  const char *job = u ? "A" : "N";
  int lwork = -1, info = 0, ldu = u ? r : 1, ldvt = u ? c : 1;
  double wq = 0, du = 0, dvt = 0, *work = NULL;
  dgesvd_(job, job, &r, &c, m, &r, s, u ? u : &du, &ldu, vt ? vt : &dvt, &ldvt, &wq, &lwork, &info,
          1, 1);
  lwork = (int)wq + 1;
  GL_CALL(GL_ALLOC(work, lwork));
  dgesvd_(job, job, &r, &c, m, &r, s, u ? u : &du, &ldu, vt ? vt : &dvt, &ldvt, work, &lwork,
          &info, 1, 1);
  free(work);
  if (info != 0) return gl_error(GL_ERR_NUMERIC, "LAPACK dgesvd failed (info %d) on a %d x %d matrix", info, r, c);
  return GL_OK;
}

/* q [n x k] column-major: an orthonormal basis of the centred columns of a [n x k]
 * row-major, from the Householder QR (dgeqrf + dorgqr). Rank-deficient input is refused:
 * dorgqr would still return k orthonormal columns, one of them an arbitrary direction. */
static gl_err gla_align_orth_(const double *a, int n, int k, double *q) {
  double *tau = NULL, *work = NULL, wq = 0, fro = 0;
  int lwork = -1, info = 0;
  gl_err err = GL_OK;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) q[(size_t)j * (size_t)n + (size_t)i] = a[(size_t)i * (size_t)k + (size_t)j];
  for (int j = 0; j < k; ++j) {
    double *col = q + (size_t)j * (size_t)n, mu = 0;
    for (int i = 0; i < n; ++i) mu += col[i];
    mu /= n;
    for (int i = 0; i < n; ++i) {
      col[i] -= mu;
      fro += col[i] * col[i];
    }
  }
  fro = sqrt(fro);
  GL_GOTO(err, GL_ALLOC(tau, k), done);
  dgeqrf_(&n, &k, q, &n, tau, &wq, &lwork, &info);
  lwork = (int)wq + 1;
  GL_GOTO(err, GL_ALLOC(work, lwork), done);
  dgeqrf_(&n, &k, q, &n, tau, work, &lwork, &info);
  if (info != 0) {
    err = gl_error(GL_ERR_NUMERIC, "LAPACK dgeqrf failed (info %d)", info);
    goto done;
  }
  for (int j = 0; j < k; ++j)
    if (!(fabs(q[(size_t)j * (size_t)n + (size_t)j]) > 1e-10 * fro)) {
      err = gl_error(GL_ERR_NUMERIC, "CCA: the %d centred columns are linearly dependent (or not finite): rank below %d", k, k);
      goto done;
    }
  dorgqr_(&n, &k, &k, q, &n, tau, work, &lwork, &info);
  if (info != 0) err = gl_error(GL_ERR_NUMERIC, "LAPACK dorgqr failed (info %d)", info);
done:
  free(tau);
  free(work);
  return err;
}

gl_err gla_cca(const double *a, int ka, const double *b, int kb, int n, double *rho) {
  if (ka < 1 || kb < 1 || n <= ka || n <= kb)
    return gl_error(GL_ERR_INPUT, "CCA needs more rows than columns after centring (rows %d, columns %d and %d)", n, ka, kb);
  int km = ka < kb ? ka : kb;
  double *qa = NULL, *qb = NULL, *m = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(qa, (size_t)n * (size_t)ka), done);
  GL_GOTO(err, GL_ALLOC(qb, (size_t)n * (size_t)kb), done);
  GL_GOTO(err, GL_ALLOC(m, (size_t)ka * (size_t)kb), done);
  GL_GOTO(err, gla_align_orth_(a, n, ka, qa), done);
  GL_GOTO(err, gla_align_orth_(b, n, kb, qb), done);
  /* Bjorck & Golub (1973): the cosines of the principal angles between the two column
   * spaces, i.e. the canonical correlations, are the singular values of Qa^T Qb. */
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, ka, kb, n, 1.0, qa, n, qb, n, 0.0, m, ka);
  GL_GOTO(err, gla_align_svd_(m, ka, kb, rho, NULL, NULL), done);
  for (int i = 0; i < km; ++i) rho[i] = rho[i] > 1.0 ? 1.0 : rho[i] < 0.0 ? 0.0 : rho[i];
done:
  free(qa);
  free(qb);
  free(m);
  return err;
}

/* Centre x [n x k] and scale it to unit Frobenius norm. */
static gl_err gla_align_unit_(double *x, int n, int k) {
  gla_align_centre_(x, n, k);
  double s = 0;
  for (size_t i = 0; i < (size_t)n * (size_t)k; ++i) s += x[i] * x[i];
  s = sqrt(s);
  if (!(s > 0) || !isfinite(s))
    return gl_error(GL_ERR_NUMERIC, "Procrustes: a %d x %d matrix is constant or not finite", n, k);
  for (size_t i = 0; i < (size_t)n * (size_t)k; ++i) x[i] /= s;
  return GL_OK;
}

gl_err gla_procrustes(const double *a, const double *b, int n, int k, double *disparity,
                      double *rot) {
  if (n < 2 || k < 1) return gl_error(GL_ERR_INPUT, "Procrustes needs at least 2 rows and 1 column (got %d x %d)", n, k);
  size_t nk = (size_t)n * (size_t)k, kk = (size_t)k * (size_t)k;
  double *A = NULL, *B = NULL, *m = NULL, *u = NULL, *vt = NULL, *r = NULL, *s = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(A, nk), done);
  GL_GOTO(err, GL_ALLOC(B, nk), done);
  GL_GOTO(err, GL_ALLOC(m, kk), done);
  GL_GOTO(err, GL_ALLOC(u, kk), done);
  GL_GOTO(err, GL_ALLOC(vt, kk), done);
  GL_GOTO(err, GL_ALLOC(r, kk), done);
  GL_GOTO(err, GL_ALLOC(s, k), done);
  memcpy(A, a, nk * sizeof *A);
  memcpy(B, b, nk * sizeof *B);
  GL_GOTO(err, gla_align_unit_(A, n, k), done);
  GL_GOTO(err, gla_align_unit_(B, n, k), done);
  /* Row-major [n x k] is column-major [k x n]: m = A^T B, column-major. */
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, k, k, n, 1.0, A, k, B, k, 0.0, m, k);
  GL_GOTO(err, gla_align_svd_(m, k, k, s, u, vt), done);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, k, k, k, 1.0, u, k, vt, k, 0.0, r, k);
  double scale = 0, sum = 0;
  for (int i = 0; i < k; ++i) scale += s[i];
  /* The residual itself rather than 1 - scale^2: no cancellation near a perfect match. */
  for (int row = 0; row < n; ++row)
    for (int i = 0; i < k; ++i) {
      double br = 0;
      for (int j = 0; j < k; ++j) br += B[(size_t)row * (size_t)k + (size_t)j] * r[(size_t)j * (size_t)k + (size_t)i];
      double e = A[(size_t)row * (size_t)k + (size_t)i] - scale * br;
      sum += e * e;
    }
  *disparity = sum;
  if (rot)
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j) rot[(size_t)i * (size_t)k + (size_t)j] = r[(size_t)j * (size_t)k + (size_t)i];
done:
  free(A);
  free(B);
  free(m);
  free(u);
  free(vt);
  free(r);
  free(s);
  return err;
}

/* ================================================================ one pair of agents */

static void gla_align_nan_(gla_align_score *s, int k) {
  for (int i = 0; i < k; ++i) s->rho[i] = NAN;
  s->mean_rho = s->disparity = NAN;
}

static gl_err gla_align_score_(const double *sa, const double *sb, int rows, int k,
                               gla_align_score *s) {
  GL_CALL(gla_cca(sa, k, sb, k, rows, s->rho));
  double m = 0;
  for (int i = 0; i < k; ++i) m += s->rho[i];
  s->mean_rho = m / k;
  return gla_procrustes(sa, sb, rows, k, &s->disparity, NULL);
}

/* sa, sb [n g x k]: the two agents' PC scores, condition-major, g phase points each. */
static gl_err gla_align_compare_scores_(const double *sa, const double *sb, int n, int g, int k,
                                        gla_align_result *res) {
  int rows = n * g;
  size_t rk = (size_t)k * sizeof *sb;
  double *sh = NULL;
  gl_err err = GL_OK;
  GL_CALL(gla_align_score_(sa, sb, rows, k, &res->real));
  GL_CALL(GL_ALLOC(sh, (size_t)rows * (size_t)k));
  /* Control (a): the same trajectories, paired with the wrong condition. Only what all
   * conditions share (the generic gait loop) can still be matched. */
  if (n >= 2) {
    for (int c = 0; c < n; ++c)
      memcpy(sh + (size_t)c * (size_t)g * (size_t)k, sb + (size_t)((c + 1) % n) * (size_t)g * (size_t)k,
             (size_t)g * rk);
    err = gla_align_score_(sa, sh, rows, k, &res->cond_shift);
    if (err) {
      gl_error_context(err, "condition-shift control");
      goto done;
    }
  } else {
    gla_align_nan_(&res->cond_shift, k);
  }
  /* Control (b): each of b's cycles rotated by half a cycle, so phase k of a meets phase
   * k + g/2 of b. Note that a half-cycle shift negates every odd harmonic: activity that is
   * nearly one sinusoid per unit stays linearly (even orthogonally: -I) mappable, so this
   * control only breaks what the higher harmonics and the conditions add. */
  for (int c = 0; c < n; ++c)
    for (int t = 0; t < g; ++t)
      memcpy(sh + ((size_t)c * (size_t)g + (size_t)t) * (size_t)k,
             sb + ((size_t)c * (size_t)g + (size_t)((t + g / 2) % g)) * (size_t)k, rk);
  err = gla_align_score_(sa, sh, rows, k, &res->phase_shift);
  if (err) gl_error_context(err, "phase-shift control");
done:
  free(sh);
  return err;
}

gl_err gla_align_compare(const double *xa, int da, const double *xb, int db, int n, int g,
                         int k, gla_align_result *res) {
  if (n < 1 || g < 2) return gl_error(GL_ERR_INPUT, "comparison needs at least 1 condition and 2 phase points (got %d, %d)", n, g);
  double *sa = NULL, *sb = NULL;
  int rows = n * g;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(sa, (size_t)rows * (size_t)k), done);
  GL_GOTO(err, GL_ALLOC(sb, (size_t)rows * (size_t)k), done);
  GL_GOTO(err, gla_align_pca(xa, rows, da, k, sa), done);
  GL_GOTO(err, gla_align_pca(xb, rows, db, k, sb), done);
  err = gla_align_compare_scores_(sa, sb, n, g, k, res);
done:
  free(sa);
  free(sb);
  return err;
}

/* ================================================================ reading analysed files */

/* One input file while it is being read: its condition table, and one layer at a time. */
typedef struct gla_afile_ {
  const char *path;
  hid_t f;
  int ncond;
  double *uvr;    /* [ncond x 3] */
  int d;          /* current layer: units */
  int64_t *off;   /* [ncond + 1] condition_offset */
  double *x;      /* [off[ncond] x d] normalized */
  int *map;       /* [nused] this file's condition for each common condition */
  double *scores; /* [nused g x k] */
} gla_afile_;

static void gla_afile_layer_free_(gla_afile_ *f) {
  free(f->off);
  free(f->x);
  free(f->map);
  free(f->scores);
  f->off = NULL;
  f->x = f->scores = NULL;
  f->map = NULL;
  f->d = 0;
}

static void gla_afile_close_(gla_afile_ *f) {
  gla_afile_layer_free_(f);
  free(f->uvr);
  f->uvr = NULL;
  glh5_close(&f->f); /* read-only: nothing a failed close could lose */
}

static void gla_align_fmt_dims_(char *buf, size_t n, int nd, const long long *dims) {
  size_t o = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < nd && o < n; ++i) {
    const char *sep = i ? " x " : "";
    o += (size_t)(dims[i] < 0 ? snprintf(buf + o, n - o, "%s*", sep) : snprintf(buf + o, n - o, "%s%lld", sep, dims[i]));
  }
  if (o < n) snprintf(buf + o, n - o, "]");
}

/* The extent of dataset obj, checked before anything is read from it: it must exist, be
 * numeric, have nd dimensions and match want (entries < 0: any). */
static gl_err gla_align_shape_(const gla_afile_ *f, const char *obj, int nd, const long long *want,
                               const char *why, long long *dims) {
  int got = 0;
  hsize_t dd[GLH5_MAXRANK] = {0};
  H5T_class_t cls = H5T_NO_CLASS;
  GL_CALL(glh5_shape(f->f, obj, &got, dd, &cls));
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is not numeric", f->path, obj);
  if (got != nd) return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %d dimensions, expected %d", f->path, obj, got, nd);
  double total = 1;
  for (int i = 0; i < nd; ++i) {
    dims[i] = (long long)dd[i];
    total *= (double)dd[i];
  }
  if (total > 1e9 || dd[0] > INT32_MAX || (nd > 1 && dd[1] > INT32_MAX))
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is implausibly large", f->path, obj);
  for (int i = 0; i < nd; ++i)
    if (want[i] >= 0 && dims[i] != want[i]) {
      char a[96], b[96];
      gla_align_fmt_dims_(a, sizeof a, nd, dims);
      gla_align_fmt_dims_(b, sizeof b, nd, want);
      return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is %s, expected %s (%s)", f->path, obj, a, b, why);
    }
  return GL_OK;
}

/* Whole dataset as doubles after gla_align_shape_. */
static gl_err gla_align_get_(const gla_afile_ *f, const char *obj, int nd, const long long *want,
                             const char *why, double **out, long long *dims) {
  hsize_t hd[GLH5_MAXRANK];
  *out = NULL;
  GL_CALL(gla_align_shape_(f, obj, nd, want, why, dims));
  return glh5_read_alloc(f->f, obj, H5T_NATIVE_DOUBLE, nd, NULL, hd, out);
}

static gl_err gla_afile_open_(const char *path, gla_afile_ *f) {
  f->path = path;
  if (access(path, R_OK) != 0) return gl_error(GL_ERR_INPUT, "'%s': %s", path, strerror(errno));
  GL_CALL(glh5_open(&f->f, path, GLH5_READ));
  static const char *const names[3] = {"/conditions/u", "/conditions/v", "/conditions/r"};
  long long any = -1, n = 0;
  double *c = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, gla_align_shape_(f, names[0], 1, &any, "", &n), done);
  if (n < 1) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object /conditions/u is empty", path);
    goto done;
  }
  f->ncond = (int)n;
  GL_GOTO(err, GL_ALLOC(f->uvr, (size_t)n * 3), done);
  for (int q = 0; q < 3; ++q) {
    long long dims[1];
    GL_GOTO(err, gla_align_get_(f, names[q], 1, &n, "one entry per condition, like /conditions/u", &c, dims), done);
    for (long long i = 0; i < n; ++i) f->uvr[i * 3 + q] = c[i];
    free(c);
    c = NULL;
  }
done:
  free(c);
  return err;
}

/* ---- layers present in a file: the groups under /analysis that hold `normalized` */

typedef struct gla_align_names_ {
  char **v;
  int n;
} gla_align_names_;

static void gla_align_names_free_(gla_align_names_ *nm) {
  glh5_free_names(nm->v, nm->n);
  memset(nm, 0, sizeof *nm);
}

static gl_err gla_align_list_layers_(const gla_afile_ *f, gla_align_names_ *nm) {
  memset(nm, 0, sizeof *nm);
  int e = 0;
  GL_CALL(glh5_exists(f->f, "/analysis", &e));
  if (!e) return GL_OK;
  hid_t g;
  char **all = NULL;
  int n = 0;
  GL_CALL(glh5_group_open(f->f, "/analysis", &g));
  gl_err err = glh5_list_groups(g, &all, &n);
  int kept = 0; /* the layers are compacted to the front of the listing, which nm then owns */
  for (int i = 0; i < n && !err; ++i) {
    char *sub = NULL;
    err = glh5_path_with(all[i], "/normalized", &sub);
    if (!err) err = glh5_exists(g, sub, &e);
    free(sub);
    if (err || !e) continue;
    char *t = all[kept];
    all[kept++] = all[i];
    all[i] = t;
  }
  for (int i = kept; i < n; ++i) free(all[i]);
  nm->v = all;
  nm->n = kept;
  if (err) gla_align_names_free_(nm);
  return glh5_release(err, &g);
}

static gl_err gla_align_missing_layer_(const gla_afile_ *f, const char *layer) {
  gla_align_names_ nm;
  GL_CALL(gla_align_list_layers_(f, &nm));
  char list[512] = "none (run gaitlab analyze first)";
  for (int i = 0, o = 0; i < nm.n && o < (int)sizeof list; ++i)
    o += snprintf(list + o, sizeof list - (size_t)o, "%s%s", i ? ", " : "", nm.v[i]);
  gla_align_names_free_(&nm);
  return gl_error(GL_ERR_INPUT, "'%s': layer '%s' is missing (no HDF5 object /analysis/%s/normalized); analysed layers there: %s",
                  f->path, layer, layer, list);
}

/* condition_offset [ncond + 1]: 0, non-decreasing integers; no 1-sample cycles. */
static gl_err gla_align_offsets_(gla_afile_ *f, const char *obj, const double *off) {
  for (int c = 0; c <= f->ncond; ++c) {
    double prev = c ? off[c - 1] : 0;
    if (!(off[c] >= prev) || off[c] != floor(off[c]) || off[c] > INT32_MAX || (c == 0 && off[0] != 0))
      return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s must start at 0 and be non-decreasing integers (entry %d is %g)",
                      f->path, obj, c, off[c]);
    if (c && off[c] - prev == 1)
      return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s gives condition %d a 1-sample cycle, which cannot be resampled",
                      f->path, obj, c - 1);
    f->off[c] = (int64_t)off[c];
  }
  return GL_OK;
}

/* /analysis/<layer>/{condition_offset, normalized, row_condition}, each checked against the
 * condition table and the others. */
static gl_err gla_afile_layer_load_(gla_afile_ *f, const char *layer) {
  char obj[600];
  double *off = NULL, *rc = NULL;
  long long dims[2], want[2];
  gl_err err = GL_OK;
  if (snprintf(obj, sizeof obj, "/analysis/%s/normalized", layer) >= (int)sizeof obj)
    return gl_error(GL_ERR_INPUT, "layer name '%.40s...' is too long", layer);
  int e = 0;
  GL_CALL(glh5_exists(f->f, obj, &e));
  if (!e) return gla_align_missing_layer_(f, layer);
  snprintf(obj, sizeof obj, "/analysis/%s/condition_offset", layer);
  want[0] = f->ncond + 1;
  GL_GOTO(err, gla_align_get_(f, obj, 1, want, "one entry per condition of /conditions/u, plus one", &off, dims), done);
  GL_GOTO(err, GL_ALLOC(f->off, f->ncond + 1), done);
  GL_GOTO(err, gla_align_offsets_(f, obj, off), done);
  long long rows = f->off[f->ncond];
  snprintf(obj, sizeof obj, "/analysis/%s/normalized", layer);
  want[0] = rows;
  want[1] = -1;
  GL_GOTO(err, gla_align_get_(f, obj, 2, want, "rows = the last entry of condition_offset", &f->x, dims), done);
  f->d = (int)dims[1];
  if (f->d < 1) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has no units", f->path, obj);
    goto done;
  }
  for (size_t i = 0; i < (size_t)rows * (size_t)f->d; ++i)
    if (!isfinite(f->x[i])) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s holds a non-finite value (row %zu)", f->path, obj, i / (size_t)f->d);
      goto done;
    }
  snprintf(obj, sizeof obj, "/analysis/%s/row_condition", layer);
  GL_GOTO(err, gla_align_get_(f, obj, 1, want, "one entry per row of normalized", &rc, dims), done);
  for (int c = 0; c < f->ncond; ++c)
    for (int64_t i = f->off[c]; i < f->off[c + 1]; ++i)
      if (rc[i] != c) {
        err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s says row %lld is condition %g, condition_offset says %d",
                       f->path, obj, (long long)i, rc[i], c);
        goto done;
      }
done:
  free(off);
  free(rc);
  return err;
}

/* ---- matching conditions and comparing */

static int gla_align_has_(const gla_afile_ *f, int c) { return f->off[c + 1] > f->off[c]; }

/* Conditions of file 0 with cycles whose (u, v, r) is, identically, a condition with cycles
 * of every other file; each file's map[] lists its matching conditions in file 0's order. */
static gl_err gla_align_match_(gla_afile_ *f, int nf, const char *layer, int *nused) {
  int n0 = f[0].ncond, n = 0;
  int *alive = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(alive, n0), done);
  for (int c = 0; c < n0; ++c) alive[c] = gla_align_has_(&f[0], c) ? c : -1;
  for (int j = 0; j < nf; ++j) GL_GOTO(err, GL_ALLOC(f[j].map, n0), done);
  for (int j = 1; j < nf; ++j) {
    int left = 0;
    for (int c = 0; c < n0; ++c) {
      if (alive[c] < 0) continue;
      const double *a = f[0].uvr + 3 * (size_t)c;
      int hit = -1;
      for (int e = 0; e < f[j].ncond && hit < 0; ++e) {
        const double *b = f[j].uvr + 3 * (size_t)e;
        if (a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && gla_align_has_(&f[j], e)) hit = e;
      }
      alive[c] = hit < 0 ? -1 : c;
      f[j].map[c] = hit;
      left += hit >= 0;
    }
    if (left == 0) {
      err = gl_error(GL_ERR_INPUT, "'%s' and '%s' have no condition (u, v, r) with cycles of layer %s in common%s",
                     f[0].path, f[j].path, layer, j > 1 ? " (with the files before)" : "");
      goto done;
    }
  }
  /* compact to the conditions alive in every file */
  for (int c = 0; c < n0; ++c) {
    if (alive[c] < 0) continue;
    f[0].map[n] = c;
    for (int j = 1; j < nf; ++j) f[j].map[n] = f[j].map[c];
    ++n;
  }
  *nused = n;
done:
  free(alive);
  return err;
}

/* Resample file f's common conditions onto the grid and take its k PC scores. */
static gl_err gla_afile_scores_(gla_afile_ *f, int nused, int g, int k, const char *layer) {
  size_t gd = (size_t)g * (size_t)f->d;
  double *cyc = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(cyc, (size_t)nused * gd), done);
  GL_GOTO(err, GL_ALLOC(f->scores, (size_t)nused * (size_t)g * (size_t)k), done);
  for (int i = 0; i < nused; ++i) {
    int c = f->map[i];
    int64_t a = f->off[c], p = f->off[c + 1] - a;
    GL_GOTO(err, gla_align_resample(f->x + (size_t)a * (size_t)f->d, (int)p, f->d, g, cyc + (size_t)i * gd), done);
  }
  GL_GOTO(err, gla_align_pca(cyc, nused * g, f->d, k, f->scores), done);
done:
  free(cyc);
  return err ? gl_error_context(err, "'%s': layer %s", f->path, layer) : GL_OK;
}

static gl_err gla_align_layer_alloc_(gla_align_layer *L, int nf, int k) {
  size_t np = (size_t)nf * (size_t)(nf - 1) / 2, pk = np * (size_t)k;
  L->npairs = (int)np;
  GL_CALL(GL_ALLOC(L->conditions, (size_t)L->ncond * 3));
  GL_CALL(GL_ALLOC(L->pairs, 2 * np));
  GL_CALL(GL_ALLOC(L->rho, pk));
  GL_CALL(GL_ALLOC(L->rho_cond, pk));
  GL_CALL(GL_ALLOC(L->rho_phase, pk));
  GL_CALL(GL_ALLOC(L->disp, np));
  GL_CALL(GL_ALLOC(L->disp_cond, np));
  GL_CALL(GL_ALLOC(L->disp_phase, np));
  return GL_OK;
}

static gl_err gla_align_layer_run_(gla_afile_ *f, int nf, const char *layer, int g, int k,
                                   gla_align_layer *L) {
  int nused = 0;
  gl_err err = GL_OK;
  if (!(L->name = strdup(layer))) return gl_error(GL_ERR_NOMEM, "out of memory");
  for (int j = 0; j < nf; ++j) GL_GOTO(err, gla_afile_layer_load_(&f[j], layer), done);
  for (int j = 1; j < nf; ++j)
    if (f[j].d != f[0].d) {
      err = gl_error(GL_ERR_INPUT, "'%s' and '%s' disagree on layer %s: HDF5 object /analysis/%s/normalized has %d units in one, %d in the other",
                     f[0].path, f[j].path, layer, layer, f[0].d, f[j].d);
      goto done;
    }
  L->d = f[0].d;
  GL_GOTO(err, gla_align_match_(f, nf, layer, &nused), done);
  L->ncond = nused;
  if ((double)nused * g * (L->d > k ? L->d : k) > 1e9) {
    err = gl_error(GL_ERR_INPUT, "layer %s: %d conditions x %d phase points x %d units is too large", layer, nused, g, L->d);
    goto done;
  }
  GL_GOTO(err, gla_align_layer_alloc_(L, nf, k), done);
  for (int i = 0; i < nused; ++i) memcpy(L->conditions + 3 * (size_t)i, f[0].uvr + 3 * (size_t)f[0].map[i], 3 * sizeof(double));
  for (int j = 0; j < nf; ++j) GL_GOTO(err, gla_afile_scores_(&f[j], nused, g, k, layer), done);
  for (int i = 0, p = 0; i < nf; ++i)
    for (int j = i + 1; j < nf; ++j, ++p) {
      size_t pk = (size_t)p * (size_t)k;
      gla_align_result res = {{L->rho + pk, 0, 0}, {L->rho_cond + pk, 0, 0}, {L->rho_phase + pk, 0, 0}};
      L->pairs[2 * p] = i;
      L->pairs[2 * p + 1] = j;
      err = gla_align_compare_scores_(f[i].scores, f[j].scores, nused, g, k, &res);
      if (err) {
        gl_error_context(err, "'%s' vs '%s', layer %s", f[i].path, f[j].path, layer);
        goto done;
      }
      L->disp[p] = res.real.disparity;
      L->disp_cond[p] = res.cond_shift.disparity;
      L->disp_phase[p] = res.phase_shift.disparity;
    }
done:
  for (int j = 0; j < nf; ++j) gla_afile_layer_free_(&f[j]);
  return err;
}

static char *gla_align_stem_(const char *path) {
  const char *b = strrchr(path, '/');
  char *s = strdup(b ? b + 1 : path);
  size_t n = s ? strlen(s) : 0;
  if (n > 3 && strcmp(s + n - 3, ".h5") == 0) s[n - 3] = '\0';
  else if (n > 5 && strcmp(s + n - 5, ".hdf5") == 0) s[n - 5] = '\0';
  return s;
}

static gl_err gla_align_check_opts_(int nfiles, const gla_align_opts *o) {
  if (nfiles < 2) return gl_error(GL_ERR_INPUT, "align needs at least two files (got %d)", nfiles);
  if (o->grid < 2) return gl_error(GL_ERR_INPUT, "grid = %d: at least 2 phase points are needed", o->grid);
  if (o->pcs < 1) return gl_error(GL_ERR_INPUT, "pcs = %d: at least 1 PC is needed", o->pcs);
  return GL_OK;
}

/* The layers to compare: the options' list, or every layer of the first file. */
static gl_err gla_align_layers_(const gla_afile_ *f0, const gla_align_opts *o, gla_align_names_ *nm) {
  memset(nm, 0, sizeof *nm);
  if (o->layers && o->nlayers > 0) {
    GL_CALL(GL_ALLOC(nm->v, o->nlayers));
    for (int i = 0; i < o->nlayers; ++i, nm->n++)
      if (!(nm->v[i] = strdup(o->layers[i]))) return gl_error(GL_ERR_NOMEM, "out of memory");
    return GL_OK;
  }
  GL_CALL(gla_align_list_layers_(f0, nm));
  if (nm->n == 0) return gl_error(GL_ERR_INPUT, "'%s' has no analysed layer (no /analysis/<layer>/normalized): run gaitlab analyze first", f0->path);
  return GL_OK;
}

gl_err gla_align_files(const char *const *paths, int nfiles, const gla_align_opts *o,
                       gla_align_results *out) {
  memset(out, 0, sizeof *out);
  GL_CALL(gla_align_check_opts_(nfiles, o));
  glh5_quiet();
  gla_afile_ *f = NULL;
  gla_align_names_ nm = {0};
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(f, nfiles), done);
  for (int i = 0; i < nfiles; ++i) f[i].f = -1;
  out->nfiles = nfiles;
  out->grid = o->grid;
  out->pcs = o->pcs;
  GL_GOTO(err, GL_ALLOC(out->paths, nfiles), done);
  GL_GOTO(err, GL_ALLOC(out->names, nfiles), done);
  for (int i = 0; i < nfiles; ++i) {
    if (!(out->paths[i] = strdup(paths[i])) || !(out->names[i] = gla_align_stem_(paths[i]))) {
      err = gl_error(GL_ERR_NOMEM, "out of memory");
      goto done;
    }
    GL_GOTO(err, gla_afile_open_(paths[i], &f[i]), done);
  }
  GL_GOTO(err, gla_align_layers_(&f[0], o, &nm), done);
  GL_GOTO(err, GL_ALLOC(out->layer, nm.n), done);
  out->nlayers = nm.n; /* zeroed entries: freeing a partly filled one is safe */
  for (int l = 0; l < nm.n; ++l)
    GL_GOTO(err, gla_align_layer_run_(f, nfiles, nm.v[l], o->grid, o->pcs, &out->layer[l]), done);
done:
  if (f)
    for (int i = 0; i < nfiles; ++i) gla_afile_close_(&f[i]);
  free(f);
  gla_align_names_free_(&nm);
  if (err) gla_align_results_free(out);
  return err;
}

void gla_align_results_free(gla_align_results *r) {
  for (int i = 0; r->paths && i < r->nfiles; ++i) free(r->paths[i]);
  for (int i = 0; r->names && i < r->nfiles; ++i) free(r->names[i]);
  for (int l = 0; r->layer && l < r->nlayers; ++l) {
    gla_align_layer *L = &r->layer[l];
    free(L->name);
    free(L->conditions);
    free(L->pairs);
    free(L->rho);
    free(L->rho_cond);
    free(L->rho_phase);
    free(L->disp);
    free(L->disp_cond);
    free(L->disp_phase);
  }
  free(r->paths);
  free(r->names);
  free(r->layer);
  memset(r, 0, sizeof *r);
}

/* ================================================================ writing the results */

/* A 1-D attribute of variable-length UTF-8 strings (h5py: f.attrs["files"] -> array). */

static gl_err gla_align_put_(hid_t loc, const char *name, int rank, hsize_t d0, hsize_t d1,
                             const double *x) {
  hsize_t dims[2] = {d0, d1};
  return glh5_put(loc, name, H5T_NATIVE_DOUBLE, rank, dims, x, 1, H5P_DEFAULT);
}

/* canonical_correlations [P x k], mean_canonical_correlation [P] and disparity [P]. */
static gl_err gla_align_put_scores_(hid_t g, const gla_align_layer *L, int k, const double *rho,
                                    const double *disp) {
  hsize_t np = (hsize_t)L->npairs;
  double *mean = NULL;
  gl_err err = GL_OK;
  GL_CALL(GL_ALLOC(mean, L->npairs));
  for (int p = 0; p < L->npairs; ++p) {
    for (int i = 0; i < k; ++i) mean[p] += rho[(size_t)p * (size_t)k + (size_t)i];
    mean[p] /= k;
  }
  GL_GOTO(err, gla_align_put_(g, "canonical_correlations", 2, np, (hsize_t)k, rho), done);
  GL_GOTO(err, gla_align_put_(g, "mean_canonical_correlation", 1, np, 0, mean), done);
  GL_GOTO(err, gla_align_put_(g, "disparity", 1, np, 0, disp), done);
done:
  free(mean);
  return err;
}

static gl_err gla_align_control_(hid_t lg, const char *name, const char *definition, const char *note,
                                 const gla_align_layer *L, int k, const double *rho, const double *disp) {
  hid_t g;
  GL_CALL(glh5_group_create(lg, name, &g));
  gl_err err = gla_align_put_scores_(g, L, k, rho, disp);
  if (!err) err = glh5_attr_string(g, "definition", definition);
  if (!err && note) err = glh5_attr_string(g, "note", note);
  return glh5_release(err, &g);
}

static gl_err gla_align_conventions_(hid_t g, const gla_align_results *r, const gla_align_layer *L) {
  GL_CALL(glh5_attr_int(g, "grid_points", r->grid));
  GL_CALL(glh5_attr_int(g, "pcs", r->pcs));
  GL_CALL(glh5_attr_int(g, "units", L->d));
  GL_CALL(glh5_attr_int(g, "n_conditions", L->ncond));
  GL_CALL(glh5_attr_string(g, "input", "/analysis/<layer>/normalized of each file (its normalised cycle averages); rows of condition c are condition_offset[c] .. condition_offset[c+1]-1, P = their count, row i at phase i/P"));
  GL_CALL(glh5_attr_string(g, "resampling", "per unit, a GSL periodic cubic spline (gsl_interp_cspline_periodic) through the closed cycle (row 0 repeated at phase 1), evaluated at phi_k = k/grid_points, k = 0..grid_points-1: every agent on the same phase grid whatever its gait period"));
  GL_CALL(glh5_attr_string(g, "conditions_rule", "conditions matched across files by identical (u, v, r) (SI, /conditions/u,v,r); used: those with cycles in every file, in the first file's order; conditions [n x 3] = their u, v, r"));
  GL_CALL(glh5_attr_string(g, "pca", "per file: X = the used conditions' resampled cycles stacked condition-major [n_conditions*grid_points x units]; columns centred; covariance (ddof 1) eigendecomposed by LAPACK dsyevd; scores S = (X - mean) V for the top-pcs eigenvectors (each signed so its largest-|loading| entry is positive)"));
  GL_CALL(glh5_attr_string(g, "cca", "canonical correlations of S_a and S_b (Bjorck & Golub 1973): both centred, thin QR (dgeqrf/dorgqr), singular values of Q_a^T Q_b, descending, clamped to [0, 1]; 1 = the same up to an invertible linear map"));
  GL_CALL(glh5_attr_string(g, "procrustes", "scipy.spatial.procrustes: S_a and S_b centred and scaled to unit Frobenius norm (A, B); A^T B = U diag(s) V^T; R = U V^T; disparity = |A - sum(s) B R^T|_F^2 = 1 - sum(s)^2; 0 = the same up to rotation/reflection, translation and scale, 1 = nothing in common"));
  GL_CALL(glh5_attr_string(g, "pairs", "row p = (i, j), i < j: indices into the root attribute files; row p of every result belongs to pair p"));
  return GL_OK;
}

static gl_err gla_align_write_layer_(hid_t top, const gla_align_results *r, const gla_align_layer *L) {
  hid_t g;
  int k = r->pcs;
  hsize_t dp[2] = {(hsize_t)L->npairs, 2};
  GL_CALL(glh5_group_create(top, L->name, &g));
  gl_err err = GL_OK;
  GL_GOTO(err, glh5_put(g, "pairs", H5T_NATIVE_INT, 2, dp, L->pairs, 1, H5P_DEFAULT), done);
  GL_GOTO(err, gla_align_put_(g, "conditions", 2, (hsize_t)L->ncond, 3, L->conditions), done);
  GL_GOTO(err, gla_align_put_scores_(g, L, k, L->rho, L->disp), done);
  GL_GOTO(err, gla_align_control_(g, "control_condition_shift",
                                  "condition i of file a paired with condition (i+1) mod n of file b (same phase), same PCA, CCA and Procrustes",
                                  L->ncond < 2 ? "NaN: only one common condition; this control needs two" : NULL,
                                  L, k, L->rho_cond, L->disp_cond), done);
  GL_GOTO(err, gla_align_control_(g, "control_phase_shift",
                                  "phase k of file a paired with phase (k + grid_points/2) mod grid_points of file b, within each condition (integer division), same PCA, CCA and Procrustes",
                                  "a half-cycle shift negates every odd harmonic, so activity close to one sinusoid per unit stays mappable (linearly, even orthogonally by -I): this control only breaks what higher harmonics and condition differences add",
                                  L, k, L->rho_phase, L->disp_phase), done);
  GL_GOTO(err, gla_align_conventions_(g, r, L), done);
done:
  return glh5_release(err, &g);
}

static gl_err gla_align_write_file_(hid_t f, void *ctx) {
  const gla_align_results *r = ctx;
  hid_t top;
  GL_CALL(glh5_attr_strings(f, "files", (const char *const *)r->paths, r->nfiles));
  GL_CALL(glh5_attr_strings(f, "names", (const char *const *)r->names, r->nfiles));
  GL_CALL(glh5_attr_string(f, "gaitlab_version", gl_version()));
  GL_CALL(glh5_attr_string(f, "git_hash", gl_git_hash()));
  GL_CALL(glh5_attr_string(f, "description", "gaitlab align: similarity of structured activity across agents (one file each), per layer under /align/<layer>; see each group's attributes"));
  GL_CALL(glh5_group_create(f, "align", &top));
  gl_err err = GL_OK;
  for (int l = 0; l < r->nlayers && !err; ++l) err = gla_align_write_layer_(top, r, &r->layer[l]);
  return glh5_release(err, &top);
}

gl_err gla_align_write(const gla_align_results *r, const char *out_path) {
  gl_err err = glh5_write_replace(out_path, gla_align_write_file_, (void *)r);
  return err ? gl_error_context(err, "writing '%s'", out_path) : GL_OK;
}
