/* Cross-agent alignment (include/gaitlab/align.h) against answers derived independently:
 * invariances of CCA and Procrustes, the null distribution of canonical correlations, CCA
 * by the covariance eigenproblem, a hand-worked Procrustes example, the periodic resampling
 * against analytic values within the spline error bound, and the file-level function on
 * synthetic analysed recordings (matching, resampling over different periods, controls,
 * crafted inconsistent files, the written results). Serial. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mpi.h>

#include "analysis/ana_h5_test.h"
#include "gaitlab/align.h"
#include "gaitlab/rng.h"

/* LAPACK, for the independent computations and random orthogonal matrices. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b,
            const int *ldb, int *info, size_t uplo_len);
void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
            double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
            double *work, const int *lwork, int *info, size_t l1, size_t l2);

static void gaussian(glr_stream *s, double *x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = glr_normal(s);
}

/* q [k x k] row-major: a random orthogonal matrix, the Q of the QR of a Gaussian matrix. */
static void random_orthogonal(glr_stream *s, int k, double *q) {
  double a[64], tau[8], work[256];
  int lwork = 256, info = 0;
  assert_true(k <= 8);
  gaussian(s, a, (size_t)k * (size_t)k);
  dgeqrf_(&k, &k, a, &k, tau, work, &lwork, &info);
  assert_int_equal(info, 0);
  dorgqr_(&k, &k, &k, a, &k, tau, work, &lwork, &info);
  assert_int_equal(info, 0);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) q[i * k + j] = a[j * k + i]; /* column-major -> row-major */
}

/* c [n x m] = a [n x k] b [k x m], row-major */
static void matmul(const double *a, const double *b, int n, int k, int m, double *c) {
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) {
      double s = 0;
      for (int t = 0; t < k; ++t) s += a[i * k + t] * b[t * m + j];
      c[i * m + j] = s;
    }
}

/* ---------------------------------------------------------------- invariances */

static void test_rotated_copy(void **st) {
  (void)st;
  enum { N = 200, K = 6 };
  glr_stream s;
  glr_init(&s, 11, 0, GLR_TEST);
  double a[N * K], b[N * K], q[K * K], rho[K], rot[K * K], disp = -1;
  gaussian(&s, a, N * K);
  for (int i = 0; i < N; ++i) /* give the columns different scales */
    for (int j = 0; j < K; ++j) a[i * K + j] *= 1.0 + j;
  random_orthogonal(&s, K, q);
  matmul(a, q, N, K, K, b);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < K; ++j) b[i * K + j] = 3.7 * b[i * K + j] + (j - 2.5) * 10.0;
  /* B = 3.7 A Q + t: the same points rotated, scaled and translated */
  assert_int_equal(gla_cca(a, K, b, K, N, rho), GL_OK);
  for (int i = 0; i < K; ++i) assert_true(fabs(rho[i] - 1.0) < 1e-10);
  assert_int_equal(gla_procrustes(a, b, N, K, &disp, rot), GL_OK);
  assert_true(disp >= 0 && disp < 1e-12);
  for (int i = 0; i < K * K; ++i) assert_true(fabs(rot[i] - q[i]) < 1e-10); /* R recovers Q */
  /* A general invertible linear map: CCA still 1, but Procrustes (rotation only) sees it. */
  double m[K * K];
  gaussian(&s, m, K * K);
  for (int i = 0; i < K; ++i) m[i * K + i] += 3.0; /* well conditioned */
  matmul(a, m, N, K, K, b);
  assert_int_equal(gla_cca(a, K, b, K, N, rho), GL_OK);
  for (int i = 0; i < K; ++i) assert_true(fabs(rho[i] - 1.0) < 1e-10);
  assert_int_equal(gla_procrustes(a, b, N, K, &disp, NULL), GL_OK);
  assert_true(disp > 0.01);
  /* a rank-deficient input is refused, not answered with an arbitrary direction */
  for (int i = 0; i < N; ++i) b[i * K + 3] = 2 * b[i * K + 1] - b[i * K + 0];
  assert_int_equal(gla_cca(a, K, b, K, N, rho), GL_ERR_NUMERIC);
}

/* Independent Gaussian A, B [n x k]. After centring, each column space is a uniformly
 * random k-dimensional subspace of the (n - 1)-dimensional space orthogonal to 1, and
 * sum_i rho_i^2 = |Qa^T Qb|_F^2 = tr(Pa Pb), so E[sum rho^2] = tr(E Pa E Pb) = (n - 1) (k /
 * (n - 1))^2 = k^2 / (n - 1) exactly. For k << n, sum rho^2 ~ chi^2(k^2) / n: relative sd
 * sqrt(2) / k per trial, sqrt(2) / (k sqrt(T)) = 0.063 for the mean of T = 20 trials at
 * k = 5, so +-25 % is four standard deviations. By Jensen the mean correlation is at most
 * sqrt(k / (n - 1)) ~ 0.1; the largest sits near the Wachter edge, ~ 2 sqrt(k / n) = 0.2. */
static void test_null(void **st) {
  (void)st;
  enum { N = 500, K = 5, T = 20 };
  glr_stream s;
  glr_init(&s, 12, 0, GLR_TEST);
  static double a[N * K], b[N * K];
  double rho[K], sum2 = 0, mean = 0, mx = 0;
  for (int t = 0; t < T; ++t) {
    gaussian(&s, a, N * K);
    gaussian(&s, b, N * K);
    assert_int_equal(gla_cca(a, K, b, K, N, rho), GL_OK);
    for (int i = 0; i < K; ++i) {
      sum2 += rho[i] * rho[i] / T;
      mean += rho[i] / (K * T);
      mx = rho[i] > mx ? rho[i] : mx;
      if (i) assert_true(rho[i] <= rho[i - 1]); /* descending */
    }
  }
  double expect = (double)K * K / (N - 1);
  printf("null: mean sum rho^2 %.5f (expected %.5f), mean rho %.4f, max rho %.4f\n", sum2, expect, mean, mx);
  assert_true(fabs(sum2 / expect - 1.0) < 0.25);
  assert_true(mean < sqrt((double)K / (N - 1)));
  assert_true(mean > 0.25 * sqrt((double)K / (N - 1)));
  assert_true(mx < 0.3);
}

/* Canonical correlations the textbook way: rho^2 are the eigenvalues of
 * Cxx^-1 Cxy Cyy^-1 Cyx (covariances of the centred data; the 1/(n-1) cancels). */
static void test_cca_direct(void **st) {
  (void)st;
  enum { N = 300, KX = 4, KY = 3 };
  glr_stream s;
  glr_init(&s, 13, 0, GLR_TEST);
  static double x[N * KX], y[N * KY];
  double w[KX * KY], rho[KY];
  gaussian(&s, x, N * KX);
  gaussian(&s, w, KX * KY);
  matmul(x, w, N, KX, KY, y);
  for (int i = 0; i < N * KY; ++i) y[i] = 0.3 * y[i] + glr_normal(&s) * (1.0 + (i % KY)); /* partial */
  assert_int_equal(gla_cca(x, KX, y, KY, N, rho), GL_OK);
  /* centre, then the three covariances (column-major, symmetric ones are their own transpose) */
  double mx[KX] = {0}, my[KY] = {0}, cxx[KX * KX] = {0}, cyy[KY * KY] = {0}, cxy[KX * KY] = {0};
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < KX; ++j) mx[j] += x[i * KX + j] / N;
    for (int j = 0; j < KY; ++j) my[j] += y[i * KY + j] / N;
  }
  for (int i = 0; i < N; ++i) {
    for (int p = 0; p < KX; ++p) {
      double xp = x[i * KX + p] - mx[p];
      for (int q = 0; q < KX; ++q) cxx[q * KX + p] += xp * (x[i * KX + q] - mx[q]);
      for (int q = 0; q < KY; ++q) cxy[q * KX + p] += xp * (y[i * KY + q] - my[q]);
    }
    for (int p = 0; p < KY; ++p)
      for (int q = 0; q < KY; ++q) cyy[q * KY + p] += (y[i * KY + p] - my[p]) * (y[i * KY + q] - my[q]);
  }
  /* z [KY x KX] = Cyy^-1 Cyx, then t [KX x KX] = Cxy z, then m = Cxx^-1 t */
  double z[KY * KX], t[KX * KX], wr[KX], wi[KX], work[256], dummy = 0;
  int ky = KY, kx = KX, info = 0, lwork = 256, one = 1;
  for (int p = 0; p < KY; ++p)
    for (int q = 0; q < KX; ++q) z[q * KY + p] = cxy[p * KX + q]; /* Cyx = Cxy^T */
  dposv_("U", &ky, &kx, cyy, &ky, z, &ky, &info, 1);
  assert_int_equal(info, 0);
  for (int p = 0; p < KX; ++p)
    for (int q = 0; q < KX; ++q) {
      double v = 0;
      for (int r = 0; r < KY; ++r) v += cxy[r * KX + p] * z[q * KY + r];
      t[q * KX + p] = v;
    }
  dposv_("U", &kx, &kx, cxx, &kx, t, &kx, &info, 1);
  assert_int_equal(info, 0);
  dgeev_("N", "N", &kx, t, &kx, wr, wi, &dummy, &one, &dummy, &one, work, &lwork, &info, 1, 1);
  assert_int_equal(info, 0);
  /* sort descending; the KX - KY smallest eigenvalues are 0 (rank of Cxy) */
  for (int i = 0; i < KX; ++i)
    for (int j = i + 1; j < KX; ++j)
      if (wr[j] > wr[i]) {
        double tmp = wr[i];
        wr[i] = wr[j];
        wr[j] = tmp;
      }
  for (int i = 0; i < KY; ++i) {
    assert_true(fabs(wi[i]) < 1e-12);
    printf("cca: rho %d = %.12f, direct %.12f\n", i, rho[i], sqrt(wr[i]));
    assert_true(fabs(rho[i] - sqrt(wr[i])) < 1e-9);
  }
  assert_true(fabs(wr[KX - 1]) < 1e-12);
  assert_true(rho[0] > 0.3 && rho[KY - 1] < rho[0]); /* a non-trivial spectrum */
}

/* ---------------------------------------------------------------- Procrustes by hand */

/* A = (1,0), (-1,0), (0,1), (0,-1); B = the same square stretched x2 along x, then rotated by
 * (x, y) -> (-y, x), i.e. B = A diag(2, 1) Rot with Rot = [[0, 1], [-1, 0]], then scaled by 0.5
 * and translated by (5, -3). Both A and A diag(2,1) Rot are centred already; |A|_F^2 = 4,
 * |B0|_F^2 = 4 + 4 + 1 + 1 = 10. A^T B0 = sum_i a_i^T b_i = [[0, 4], [-2, 0]], singular
 * values 4 and 2, so for the unit-norm matrices s = (4 + 2) / (2 sqrt 10) = 3 / sqrt 10 and
 * disparity = 1 - s^2 = 1 - 9/10 = 0.1. Check on the residual: A/2 - s B0 R^T / sqrt 10 has
 * rows (+-0.1, 0) (x: 0.5 - 0.6) and (0, +-0.2) (y: 0.5 - 0.3): 2 (0.01) + 2 (0.04) = 0.1.
 * R = M (M^T M)^-1/2 with M = A^T B0: M^T M = diag(4, 16), so R = [[0, 1], [-1, 0]] = Rot. */
static void test_procrustes_hand(void **st) {
  (void)st;
  double a[8] = {1, 0, -1, 0, 0, 1, 0, -1};
  double b[8] = {0, 2, 0, -2, -1, 0, 1, 0}, rot[4], disp = -1;
  for (int i = 0; i < 4; ++i) {
    b[2 * i] = 0.5 * b[2 * i] + 5;
    b[2 * i + 1] = 0.5 * b[2 * i + 1] - 3;
  }
  assert_int_equal(gla_procrustes(a, b, 4, 2, &disp, rot), GL_OK);
  assert_true(fabs(disp - 0.1) < 1e-12);
  double want[4] = {0, 1, -1, 0};
  for (int i = 0; i < 4; ++i) assert_true(fabs(rot[i] - want[i]) < 1e-12);
  /* swapping the roles leaves the disparity unchanged (both are unit norm) */
  assert_int_equal(gla_procrustes(b, a, 4, 2, &disp, NULL), GL_OK);
  assert_true(fabs(disp - 0.1) < 1e-12);
  double c[8] = {3, 3, 3, 3, 3, 3, 3, 3}; /* a single point: no shape */
  assert_int_equal(gla_procrustes(a, c, 4, 2, &disp, NULL), GL_ERR_NUMERIC);
}

/* ---------------------------------------------------------------- resampling */

/* P = 27 samples of f0 = sin(2 pi phi), f1 = 0.5 cos(6 pi phi + 0.3) onto G = 50 points.
 * For a periodic cubic spline interpolant of f in C^4 with knot spacing h,
 * |f - s| <= 5/384 h^4 max|f''''| (Hall & Meyer 1976). With h = 1/27: unit 0, max|f''''| =
 * (2 pi)^4: 3.8e-5; unit 1, 0.5 (6 pi)^4: 1.55e-3. */
static void test_resample(void **st) {
  (void)st;
  enum { P = 27, G = 50 };
  double x[P * 2], out[G * 2];
  for (int i = 0; i < P; ++i) {
    double ph = (double)i / P;
    x[2 * i] = sin(2 * M_PI * ph);
    x[2 * i + 1] = 0.5 * cos(6 * M_PI * ph + 0.3);
  }
  assert_int_equal(gla_align_resample(x, P, 2, G, out), GL_OK);
  double h4 = pow(1.0 / P, 4), bound0 = 5.0 / 384 * h4 * pow(2 * M_PI, 4),
         bound1 = 5.0 / 384 * h4 * 0.5 * pow(6 * M_PI, 4), e0 = 0, e1 = 0;
  for (int k = 0; k < G; ++k) {
    double ph = (double)k / G;
    e0 = fmax(e0, fabs(out[2 * k] - sin(2 * M_PI * ph)));
    e1 = fmax(e1, fabs(out[2 * k + 1] - 0.5 * cos(6 * M_PI * ph + 0.3)));
  }
  printf("resample: max error %.3g (bound %.3g), %.3g (bound %.3g)\n", e0, bound0, e1, bound1);
  assert_true(e0 <= bound0 && e1 <= bound1);
  assert_true(fabs(out[0] - x[0]) < 1e-15 && fabs(out[1] - x[1]) < 1e-15); /* phase 0 = sample 0 */
  assert_int_equal(gla_align_resample(x, 1, 2, G, out), GL_ERR_INPUT);
}

/* ---------------------------------------------------------------- files */

enum { NL = 8, NH = 4, NK = 4 }; /* units, latent dims with large variance, PCs compared */
static const double cond_u[4] = {0.4, 0.7, 1.0, 1.3};

/* The underlying closed curve of condition c at phase ph: 8 latent dimensions (4 large, 4
 * small: a wide gap between PC 4 and PC 5, so the top-4 subspace is well defined), harmonics 1
 * and 2 with condition-specific phases and a condition-specific offset, mixed into 8 units by
 * a fixed orthogonal matrix. */
static void curve(int c, double ph, const double *mix, double *unit) {
  static const double amp[NL] = {3, 2.2, 1.6, 1.2, 0.1, 0.08, 0.06, 0.05};
  static const int harm[NL] = {1, 1, 2, 2, 1, 2, 1, 2};
  double z[NL];
  for (int i = 0; i < NL; ++i) {
    double beta = 1.3 * c * (i + 1) + 0.4 * i;
    z[i] = amp[i] * cos(2 * M_PI * harm[i] * ph + beta) + (i < NH ? 0.5 * c * (i % 2 ? 1 : -1) : 0);
  }
  matmul(z, mix, 1, NL, NL, unit);
}

typedef struct tfile {
  int nc;
  const int *cond; /* which curve (index into cond_u) each condition of the file is */
  const int *period;
  double scale;
  const double *rot; /* [NL x NL] applied after the curve, or NULL */
} tfile;

/* An analysed recording's layout: /conditions/{u,v,r}, /analysis/lstm_c/{normalized,
 * row_condition, condition_offset}; `mu` too when with_mu. */
static void write_tfile(const char *path, const tfile *t, const double *mix, int with_mu) {
  int rows = 0;
  for (int c = 0; c < t->nc; ++c) rows += t->period[c];
  double *x = calloc((size_t)rows * NL + 1, sizeof *x), u[8], z[8] = {0}, tmp[NL];
  int *rc = calloc((size_t)rows + 1, sizeof *rc);
  long long off[9] = {0};
  for (int c = 0, r = 0; c < t->nc; ++c) {
    u[c] = cond_u[t->cond[c]];
    off[c + 1] = off[c] + t->period[c];
    for (int i = 0; i < t->period[c]; ++i, ++r) {
      curve(t->cond[c], (double)i / t->period[c], mix, tmp);
      if (t->rot) matmul(tmp, t->rot, 1, NL, NL, x + (size_t)r * NL);
      else memcpy(x + (size_t)r * NL, tmp, sizeof tmp);
      for (int j = 0; j < NL; ++j) x[(size_t)r * NL + j] = t->scale * x[(size_t)r * NL + j] + 0.1 * j;
      rc[r] = c;
    }
  }
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t gc = H5Gcreate2(f, "conditions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dc = (hsize_t)t->nc, dx[2] = {(hsize_t)rows, NL}, dr = (hsize_t)rows, doff = dc + 1;
  tput(gc, "u", H5T_NATIVE_DOUBLE, 1, &dc, u);
  tput(gc, "v", H5T_NATIVE_DOUBLE, 1, &dc, z);
  tput(gc, "r", H5T_NATIVE_DOUBLE, 1, &dc, z);
  hid_t ga = H5Gcreate2(f, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  for (int l = 0; l < 1 + with_mu; ++l) {
    hid_t g = H5Gcreate2(ga, l ? "mu" : "lstm_c", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    tput(g, "normalized", H5T_NATIVE_DOUBLE, 2, dx, x);
    tput(g, "row_condition", H5T_NATIVE_INT, 1, &dr, rc);
    tput(g, "condition_offset", H5T_NATIVE_LLONG, 1, &doff, off);
    H5Gclose(g);
  }
  H5Gclose(ga);
  H5Gclose(gc);
  H5Fclose(f);
  free(x);
  free(rc);
}

typedef struct tdir {
  char dir[64], a[96], b[96], bad[96], out[96];
  double mix[NL * NL], rot[NL * NL];
} tdir;

/* a: curves 0, 1, 2, 3 (u = 0.4, 0.7, 1.0, 1.3) with periods 25, 22, 30 and 0 (no cycles);
 * b: curves 2, 0, 3, 1 with periods 28, 27, 26, 24, rotated, scaled by 2 and translated.
 * Common with cycles in both: u = 0.4, 0.7, 1.0, in a's order (1.3 has no cycles in a). */
static void make_files(tdir *t) {
  static const int ca[4] = {0, 1, 2, 3}, pa[4] = {25, 22, 30, 0};
  static const int cb[4] = {2, 0, 3, 1}, pb[4] = {28, 27, 26, 24};
  snprintf(t->dir, sizeof t->dir, "/tmp/test_align_XXXXXX");
  assert_non_null(mkdtemp(t->dir));
  snprintf(t->a, sizeof t->a, "%s/agent_a.h5", t->dir);
  snprintf(t->b, sizeof t->b, "%s/agent_b.h5", t->dir);
  snprintf(t->bad, sizeof t->bad, "%s/bad.h5", t->dir);
  snprintf(t->out, sizeof t->out, "%s/out.h5", t->dir);
  glr_stream s;
  glr_init(&s, 14, 0, GLR_TEST);
  random_orthogonal(&s, NL, t->mix);
  random_orthogonal(&s, NL, t->rot);
  tfile fa = {4, ca, pa, 1.0, NULL}, fb = {4, cb, pb, 2.0, t->rot};
  write_tfile(t->a, &fa, t->mix, 1);
  write_tfile(t->b, &fb, t->mix, 0);
}

static void remove_files(const tdir *t) {
  unlink(t->a);
  unlink(t->b);
  unlink(t->bad);
  unlink(t->out);
  rmdir(t->dir);
}

static double read1(const char *path, const char *obj, int i) {
  double v[64] = {0};
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Dclose(d);
  H5Fclose(f);
  return v[i];
}

/* b is a rotated, scaled, translated copy of a sampled with other periods, so the only
 * differences are the resampling errors. Per the bound of test_resample with h = 1/22 (the
 * coarsest cycle) and max|f''''| <= sum_i amp_i (2 pi harm_i)^4 ~ 1.6e5 (mixing by an
 * orthogonal matrix cannot raise a unit above the latent norm), the error is <= 5/384 h^4
 * 1.6e5 ~ 9e-3 per entry at worst and far smaller for most; against unit rms ~ 1.1 and PC 4's
 * scale ~ 0.8 that bounds 1 - rho ~ (err/scale)^2 / 2 below 1e-4 and the disparity, a sum of
 * squared relative residuals, below 1e-4. The condition-shift control pairs curves with
 * different phases and offsets, which no single linear map relates: clearly below 1. */
static void test_files(void **st) {
  (void)st;
  tdir t;
  make_files(&t);
  const char *paths[2] = {t.a, t.b};
  const char *lc[1] = {"lstm_c"};
  gla_align_opts o = {lc, 1, GLA_ALIGN_GRID, NK};
  gla_align_results r;
  assert_int_equal(gla_align_files(paths, 2, &o, &r), GL_OK);
  assert_int_equal(r.nlayers, 1);
  gla_align_layer *L = &r.layer[0];
  assert_int_equal(L->ncond, 3);
  assert_int_equal(L->npairs, 1);
  assert_true(L->conditions[0] == 0.4 && L->conditions[3] == 0.7 && L->conditions[6] == 1.0);
  assert_string_equal(r.names[1], "agent_b");
  for (int i = 0; i < NK; ++i) printf("files: rho %d = %.9f  cond-shift %.4f  phase-shift %.4f\n", i, L->rho[i], L->rho_cond[i], L->rho_phase[i]);
  printf("files: disparity %.3g, cond-shift %.4f, phase-shift %.4f\n", L->disp[0], L->disp_cond[0], L->disp_phase[0]);
  for (int i = 0; i < NK; ++i) assert_true(L->rho[i] > 1 - 1e-4);
  assert_true(L->disp[0] < 1e-4);
  double mc = 0;
  for (int i = 0; i < NK; ++i) mc += L->rho_cond[i] / NK;
  assert_true(mc < 0.9 && L->disp_cond[0] > 0.1);
  /* Half a cycle negates harmonic 1 and keeps harmonic 2: the latent dims map by the
   * orthogonal diag(-1, -1, 1, 1), so only the condition offsets break this control. */
  assert_true(L->disp_phase[0] > 0.01);
  /* the written file: datasets and conventions, no temporary left behind */
  assert_int_equal(gla_align_write(&r, t.out), GL_OK);
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s.tmp", t.out);
  assert_int_not_equal(access(tmp, F_OK), 0);
  assert_true(read1(t.out, "/align/lstm_c/canonical_correlations", NK - 1) == L->rho[NK - 1]);
  assert_true(read1(t.out, "/align/lstm_c/control_condition_shift/disparity", 0) == L->disp_cond[0]);
  assert_true(read1(t.out, "/align/lstm_c/conditions", 8) == 0.0);
  assert_true(read1(t.out, "/align/lstm_c/pairs", 1) == 1.0);
  assert_true(tget_attr_double(t.out, "/align/lstm_c", "grid_points") == GLA_ALIGN_GRID);
  gla_align_results_free(&r);
  /* a layer missing in b: one line naming b and the layer */
  const char *both[2] = {"lstm_c", "mu"};
  gla_align_opts o2 = {both, 2, GLA_ALIGN_GRID, NK};
  assert_int_equal(gla_align_files(paths, 2, &o2, &r), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), t.b));
  assert_non_null(strstr(gl_errmsg(), "layer 'mu' is missing"));
  assert_null(strchr(gl_errmsg(), '\n'));
  assert_null(r.layer);
  /* too many PCs for 8 units */
  gla_align_opts o3 = {lc, 1, GLA_ALIGN_GRID, 9};
  assert_int_equal(gla_align_files(paths, 2, &o3, &r), GL_ERR_INPUT);
  remove_files(&t);
}

/* One analysed file with a single inconsistency each; all must be GL_ERR_INPUT, no crash. */
static void write_bad(const char *path, int kind) {
  enum { R = 20 };
  double x[R * 3], u[2] = {0.4, 0.7}, z[2] = {0, 0};
  int rc[R];
  long long off[3] = {0, 10, 20};
  for (int i = 0; i < R * 3; ++i) x[i] = sin(i);
  for (int i = 0; i < R; ++i) rc[i] = i / 10;
  hsize_t dc = 2, dx[2] = {R, 3}, dr = R, doff = 3;
  if (kind == 0) off[2] = 25; /* condition_offset says 25 rows, normalized has 20 */
  if (kind == 1) doff = 2;    /* condition_offset too short */
  if (kind == 2) off[1] = 21; /* decreasing */
  if (kind == 3) rc[15] = 0;  /* row_condition disagrees */
  if (kind == 4) dr = 19;     /* row_condition too short */
  if (kind == 5) dc = 1;      /* /conditions/u shorter than v and r */
  if (kind == 6) x[7] = NAN;  /* non-finite activity */
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t gc = H5Gcreate2(f, "conditions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  tput(gc, "u", H5T_NATIVE_DOUBLE, 1, &dc, u);
  dc = 2;
  tput(gc, "v", H5T_NATIVE_DOUBLE, 1, &dc, z);
  tput(gc, "r", H5T_NATIVE_DOUBLE, 1, &dc, z);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t g = H5Gcreate2(f, "analysis/lstm_c", lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  tput(g, "normalized", H5T_NATIVE_DOUBLE, 2, dx, x);
  tput(g, "row_condition", H5T_NATIVE_INT, 1, &dr, rc);
  tput(g, "condition_offset", H5T_NATIVE_LLONG, 1, &doff, off);
  H5Gclose(g);
  H5Gclose(gc);
  H5Fclose(f);
}

static void test_crafted(void **st) {
  (void)st;
  static const char *const expect[] = {"condition_offset", "condition_offset", "condition_offset",
                                       "row_condition", "row_condition", "/conditions/", "non-finite"};
  tdir t;
  make_files(&t);
  const char *lc[1] = {"lstm_c"};
  gla_align_opts o = {lc, 1, 10, 2};
  gla_align_results r;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  for (int kind = 0; kind < 7; ++kind) {
    write_bad(t.bad, kind);
    const char *paths[2] = {t.bad, t.bad};
    assert_int_equal(gla_align_files(paths, 2, &o, &r), GL_ERR_INPUT);
    printf("crafted %d: %s\n", kind, gl_errmsg());
    assert_non_null(strstr(gl_errmsg(), t.bad));
    assert_non_null(strstr(gl_errmsg(), expect[kind]));
    const char *mixed[2] = {t.a, t.bad};
    assert_int_equal(gla_align_files(mixed, 2, &o, &r), GL_ERR_INPUT);
  }
  /* the consistent version of the same file works (the checks are not just always failing) */
  write_bad(t.bad, -1);
  const char *paths[2] = {t.bad, t.bad};
  assert_int_equal(gla_align_files(paths, 2, &o, &r), GL_OK);
  assert_true(fabs(r.layer[0].rho[0] - 1) < 1e-12 && r.layer[0].disp[0] < 1e-12);
  gla_align_results_free(&r);
  /* no common condition: one line naming both files */
  const char *paths2[2] = {t.bad, t.out};
  write_bad(t.out, -1);
  hid_t f = H5Fopen(t.out, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "/conditions/u", H5P_DEFAULT);
  double u2[2] = {2.5, 3.5};
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, u2);
  H5Dclose(d);
  H5Fclose(f);
  assert_int_equal(gla_align_files(paths2, 2, &o, &r), GL_ERR_INPUT);
  printf("no common: %s\n", gl_errmsg());
  assert_null(strchr(gl_errmsg(), '\n'));
  assert_non_null(strstr(gl_errmsg(), t.bad));
  assert_non_null(strstr(gl_errmsg(), t.out));
  assert_non_null(strstr(gl_errmsg(), "no condition"));
  /* one common condition (u = 0.4): the condition-shift control is NaN, the rest is not */
  f = H5Fopen(t.out, H5F_ACC_RDWR, H5P_DEFAULT);
  d = H5Dopen2(f, "/conditions/u", H5P_DEFAULT);
  u2[0] = 0.4;
  H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, u2);
  H5Dclose(d);
  H5Fclose(f);
  assert_int_equal(gla_align_files(paths2, 2, &o, &r), GL_OK);
  assert_int_equal(r.layer[0].ncond, 1);
  assert_true(isnan(r.layer[0].rho_cond[0]) && isnan(r.layer[0].disp_cond[0]));
  assert_true(fabs(r.layer[0].rho[0] - 1) < 1e-12 && isfinite(r.layer[0].disp_phase[0]));
  gla_align_results_free(&r);
  /* not a file, not HDF5 */
  const char *paths3[2] = {t.a, "/nonexistent/x.h5"};
  assert_int_equal(gla_align_files(paths3, 2, &o, &r), GL_ERR_INPUT);
  remove_files(&t);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rotated_copy), cmocka_unit_test(test_null),
      cmocka_unit_test(test_cca_direct),   cmocka_unit_test(test_procrustes_hand),
      cmocka_unit_test(test_resample),     cmocka_unit_test(test_files),
      cmocka_unit_test(test_crafted),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
