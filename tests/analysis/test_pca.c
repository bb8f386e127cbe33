/* Distributed PCA (reproducible Gram sums + ScaLAPACK pdsyevd) against serial LAPACK dsyev
 * on random correlated data, and rank invariance: world vs MPI_COMM_SELF to 1e-12, and
 * bitwise with a 1-process grid. Runs on 1, 2 and 4 ranks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/analysis.h"
#include "gaitlab/rng.h"

void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info, size_t, size_t);

enum { NB = 23, D = 20, K = 12 };

/* block b has 10 + (7 b mod 31) rows; x = z L + offset, L random, for spectral spread */
static int block_rows(int b) { return 10 + (7 * b) % 31; }

static double *make_data(size_t *n_out) {
  size_t n = 0;
  for (int b = 0; b < NB; ++b) n += (size_t)block_rows(b);
  double *x = malloc(sizeof(double) * n * D), L[D * D];
  glr_stream s;
  glr_init(&s, 11, 0, GLR_TEST);
  for (int i = 0; i < D * D; ++i) L[i] = glr_normal(&s) * (i % D <= i / D ? 1.0 : 0.0);
  for (size_t i = 0; i < n; ++i) {
    double z[D];
    for (int j = 0; j < D; ++j) z[j] = glr_normal(&s) * pow(0.8, j);
    for (int j = 0; j < D; ++j) {
      double v = 3.0 + j;
      for (int k = 0; k < D; ++k) v += z[k] * L[k * D + j];
      x[i * D + j] = v;
    }
  }
  *n_out = n;
  return x;
}

static void fit_blocks(const double *x, MPI_Comm comm, int grid, gla_pca *p) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  double *loc = malloc(sizeof(double) * 2000 * D);
  int64_t br[NB];
  int nb = 0;
  size_t off = 0, rows = 0;
  for (int b = 0; b < NB; ++b) {
    size_t m = (size_t)block_rows(b);
    if (b % size == rank) {
      memcpy(loc + rows * D, x + off * D, m * D * sizeof(double));
      rows += m;
      br[nb++] = (int64_t)m;
    }
    off += m;
  }
  assert_int_equal(gla_pca_fit(loc, br, nb, D, K, grid, comm, p), GL_OK);
  free(loc);
}

static void test_against_lapack(void **st) {
  (void)st;
  size_t n;
  double *x = make_data(&n);
  gla_pca p;
  fit_blocks(x, MPI_COMM_WORLD, 0, &p);
  /* independent serial reference: long double mean and covariance, LAPACK dsyev */
  long double mean[D] = {0};
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < D; ++j) mean[j] += x[i * D + j];
  for (int j = 0; j < D; ++j) mean[j] /= (long double)n;
  double cov[D * D], w[D], work[10 * D];
  for (int a = 0; a < D; ++a)
    for (int b = 0; b < D; ++b) {
      long double s = 0;
      for (size_t i = 0; i < n; ++i) s += (x[i * D + a] - mean[a]) * (x[i * D + b] - mean[b]);
      cov[a * D + b] = (double)(s / (long double)(n - 1));
    }
  int dd = D, lw = 10 * D, info;
  dsyev_("V", "U", &dd, cov, &dd, w, work, &lw, &info, 1, 1);
  assert_int_equal(info, 0);
  double trace = 0;
  for (int j = 0; j < D; ++j) trace += w[j];
  assert_int_equal(p.k, K);
  assert_int_equal(p.nrows, (int64_t)n);
  for (int j = 0; j < D; ++j) assert_true(fabs(p.mean[j] - (double)mean[j]) < 1e-13 * fabs((double)mean[j]));
  for (int c = 0; c < K; ++c) {
    double lam = w[D - 1 - c], *v = cov + (size_t)(D - 1 - c) * D;
    assert_true(fabs(p.variance[c] - lam) < 1e-11 * w[D - 1]);
    assert_true(fabs(p.ratio[c] - lam / trace) < 1e-11);
    int im = 0;
    for (int j = 1; j < D; ++j)
      if (fabs(v[j]) > fabs(v[im])) im = j;
    double sg = v[im] < 0 ? -1 : 1;
    /* eigenvector accuracy ~ eps |C| / gap */
    double gap = fabs(w[D - 1 - c] - w[D - 2 - c]);
    if (c > 0 && fabs(w[D - c] - w[D - 1 - c]) < gap) gap = fabs(w[D - c] - w[D - 1 - c]);
    double tol = 1e-13 * w[D - 1] / gap + 1e-13;
    for (int j = 0; j < D; ++j) { if (!(fabs(p.components[c * D + j] - sg * v[j]) < tol)) fprintf(stderr, "c=%d j=%d got %.17g want %.17g tol %g\n", c, j, p.components[c*D+j], sg*v[j], tol); assert_true(fabs(p.components[c * D + j] - sg * v[j]) < tol); }
  }
  /* scores: centred data times components, and their variance equals the eigenvalue */
  double *sc = malloc(sizeof(double) * n * K);
  gla_pca_project(&p, x, n, sc);
  for (int c = 0; c < K; ++c) {
    double ss = 0;
    for (size_t i = 0; i < n; ++i) ss += sc[i * K + c] * sc[i * K + c];
    assert_true(fabs(ss / (double)(n - 1) - p.variance[c]) < 1e-10 * p.variance[0]);
  }
  free(sc);
  gla_pca_free(&p);
  free(x);
}

static void test_rank_invariance(void **st) {
  (void)st;
  size_t n;
  double *x = make_data(&n);
  gla_pca pw, ps, pw1;
  fit_blocks(x, MPI_COMM_WORLD, 0, &pw);
  fit_blocks(x, MPI_COMM_SELF, 0, &ps);
  fit_blocks(x, MPI_COMM_WORLD, 1, &pw1);
  for (int j = 0; j < D; ++j) assert_true(pw.mean[j] == ps.mean[j]); /* reproducible sums */
  for (int c = 0; c < K; ++c) {
    assert_true(fabs(pw.variance[c] - ps.variance[c]) <= 1e-12 * ps.variance[c]);
    assert_true(pw1.variance[c] == ps.variance[c]); /* 1-process grid: bitwise */
    for (int j = 0; j < D; ++j) {
      assert_true(fabs(pw.components[c * D + j] - ps.components[c * D + j]) <= 1e-12);
      assert_true(pw1.components[c * D + j] == ps.components[c * D + j]);
    }
  }
  gla_pca_free(&pw);
  gla_pca_free(&ps);
  gla_pca_free(&pw1);
  free(x);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_lapack),
      cmocka_unit_test(test_rank_invariance),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
