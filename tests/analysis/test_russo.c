/* External-recordings mode with the Russo preset on the EMG sample data of
 * aarusso/trajectory-tangling (29 muscles, 2 pedaling conditions, 1 kHz). Checks what can be
 * derived independently of gaitlab's code paths: the analysed-times mask (3530 rows per
 * condition), the 20-sample stride (353 time points), epsilon = 0.1 x summed variance (ddof
 * 1) of the top-8 PC scores, Q recomputed by the direct pairwise formula with MATLAB's
 * per-condition diff + duplicated first row, range normalisation (constant 0: every
 * muscle's range becomes 1), and PCA bookkeeping. Runs on 1 and 2 ranks. */
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

#include "gaitlab/analysis.h"
#include "gaitlab/cli.h"
#include "analysis/ana_h5_test.h"

static char data_path[1024], out_path[256];

static double *rd(const char *path, const char *ds, size_t *n) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  hssize_t m = H5Sget_simple_extent_npoints(sp);
  double *v = malloc(sizeof(double) * (size_t)m);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  *n = (size_t)m;
  return v;
}

static void test_russo_preset(void **st) {
  (void)st;
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  glcli_args a;
  memset(&a, 0, sizeof a);
  a.positional[0] = data_path;
  a.npositional = 1;
  a.out = out_path;
  a.quiet = 1;
  a.sets[a.nsets++] = "analysis.preset=russo";
  a.sets[a.nsets++] = "analysis.range_constant=0"; /* EMG: full normalisation (tangling_demo.m) */
  a.sets[a.nsets++] = "analysis.external.datasets=[/condition_0/A, /condition_1/A]";
  a.sets[a.nsets++] = "analysis.external.times=times_ms";
  a.sets[a.nsets++] = "analysis.external.analyze_times=analyze_times_ms";
  gl_err e = glcli_analyze(&a, MPI_COMM_WORLD);
  if (e) fprintf(stderr, "%s\n", gl_errmsg());
  assert_int_equal(e, GL_OK);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) return;
  size_t n;
  double *off = rd(out_path, "/analysis/external/condition_offset", &n);
  assert_int_equal(n, 3);
  assert_true(off[0] == 0 && off[1] == 3530 && off[2] == 7060);
  const size_t R = 7060, D = 29, K = 8, stride = 20;
  /* range normalisation with constant 0 on the raw data */
  size_t n0;
  double *raw0 = rd(data_path, "/condition_0/A", &n0), *raw1 = rd(data_path, "/condition_1/A", &n);
  double *scale = rd(out_path, "/analysis/external/norm_scale", &n);
  for (size_t j = 0; j < D; ++j) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n0 / D; ++i) {
      lo = fmin(lo, fmin(raw0[i * D + j], raw1[i * D + j]));
      hi = fmax(hi, fmax(raw0[i * D + j], raw1[i * D + j]));
    }
    assert_true(fabs(scale[j] - (hi - lo)) <= 1e-12 * (hi - lo));
  }
  /* PCA bookkeeping */
  double *var = rd(out_path, "/analysis/external/pca/explained_variance", &n);
  double *ratio = rd(out_path, "/analysis/external/pca/explained_variance_ratio", &n);
  assert_true(n >= K);
  double rs = 0;
  for (size_t c = 0; c < n; ++c) {
    rs += ratio[c];
    if (c) assert_true(var[c] <= var[c - 1]);
  }
  assert_true(rs <= 1.0 + 1e-12 && rs > 0.5);
  size_t kk;
  double *sc = rd(out_path, "/analysis/external/pca/scores", &kk);
  size_t k = kk / R;
  assert_int_equal(k * R, kk);
  /* X = top-8 scores, per-condition diff with the first row duplicated, / 1 ms */
  double *x = malloc(sizeof(double) * R * K), *xd = malloc(sizeof(double) * R * K);
  for (size_t i = 0; i < R; ++i)
    for (size_t j = 0; j < K; ++j) x[i * K + j] = sc[i * k + j];
  for (size_t c = 0; c < 2; ++c)
    for (size_t i = 0; i < 3530; ++i) {
      size_t r = c * 3530 + i, rr = i == 0 ? r + 1 : r;
      for (size_t j = 0; j < K; ++j) xd[r * K + j] = (x[rr * K + j] - x[(rr - 1) * K + j]) / 0.001;
    }
  double eps = 0;
  for (size_t j = 0; j < K; ++j) {
    double m = 0, ss = 0;
    for (size_t i = 0; i < R; ++i) m += x[i * K + j];
    m /= (double)R;
    for (size_t i = 0; i < R; ++i) ss += (x[i * K + j] - m) * (x[i * K + j] - m);
    eps += ss / (double)(R - 1);
  }
  eps *= 0.1;
  double eps_file = tget_attr_double(out_path, "/analysis/external/tangling", "epsilon");
  assert_true(fabs(eps_file - eps) <= 1e-12 * eps);
  /* Q on t = 1:20:end over the concatenated index, t' likewise, direct pairwise formula */
  double *q = rd(out_path, "/analysis/external/tangling/q", &n);
  double *rowv = rd(out_path, "/analysis/external/tangling/row", &kk);
  size_t m = (R - 1) / stride + 1;
  assert_int_equal(n, m);
  assert_int_equal(m, 353);
  for (size_t i = 0; i < m; ++i) {
    assert_true(rowv[i] == (double)(i * stride));
    double best = 0;
    for (size_t u = 0; u < m; ++u) {
      if (u == i) continue;
      double dx = 0, dd = 0;
      for (size_t j = 0; j < K; ++j) {
        double a1 = x[i * stride * K + j] - x[u * stride * K + j];
        double b1 = xd[i * stride * K + j] - xd[u * stride * K + j];
        dx += a1 * a1;
        dd += b1 * b1;
      }
      best = fmax(best, dd / (dx + eps));
    }
    assert_true(fabs(q[i] - best) <= 1e-10 * best);
  }
  free(off); free(raw0); free(raw1); free(scale); free(var); free(ratio); free(sc);
  free(x); free(xd); free(q); free(rowv);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  /* The data are not part of the repository: tests/analysis/tests.cmake registers this test
   * only where the file exists and passes its path. */
  if (argc < 2) {
    if (rank == 0) fprintf(stderr, "usage: %s RUSSO_EMG_CYCLING.h5\n", argv[0]);
    MPI_Finalize();
    return 2;
  }
  snprintf(data_path, sizeof data_path, "%s", argv[1]);
  snprintf(out_path, sizeof out_path, "ana_russo_np%d.h5", size);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_russo_preset)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) unlink(out_path);
  MPI_Finalize();
  return rc;
}
