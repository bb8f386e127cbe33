/* Tangling throughput against the DGEMM rate measured on the same machine in the same run.
 *   mpiexec -n R bench_tangling N [D=128] [tile=256]
 * Prints one line per run: N, D, ranks, seconds, effective GFLOP/s (4 N^2 D, the unblocked
 * Gram count used by the anchors), the flops actually executed (2 N^2 D, upper tiles only),
 * and the DGEMM GFLOP/s of all ranks together (n = 2048 per rank, concurrently). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gaitlab/analysis.h"
#include "gaitlab/rng.h"

static double dgemm_rate(MPI_Comm comm) {
  const int n = 2048;
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n),
         *c = malloc(sizeof(double) * n * n);
  for (long i = 0; i < (long)n * n; ++i) a[i] = b[i] = 1.0 / (1 + i % 97);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
  MPI_Barrier(comm);
  double t0 = MPI_Wtime();
  int reps = 3;
  for (int r = 0; r < reps; ++r)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
  MPI_Barrier(comm);
  double t = MPI_Wtime() - t0;
  int size;
  MPI_Comm_size(comm, &size);
  free(a);
  free(b);
  free(c);
  return 2.0 * n * n * (double)n * reps * size / t / 1e9;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  size_t n = argc > 1 ? (size_t)atol(argv[1]) : 20000;
  int d = argc > 2 ? atoi(argv[2]) : 128;
  int tile = argc > 3 ? atoi(argv[3]) : 0; /* 0 = library default */
  double *x = malloc(sizeof(double) * n * (size_t)d), *xd = malloc(sizeof(double) * n * (size_t)d);
  double *q = malloc(sizeof(double) * n);
  int64_t *arg = malloc(sizeof(int64_t) * n);
  if (!x || !xd || !q || !arg) {
    fprintf(stderr, "out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 5);
  }
  glr_stream s;
  glr_init(&s, 1, 0, GLR_TEST); /* same random walk on every rank */
  for (int j = 0; j < d; ++j) x[j] = glr_normal(&s);
  for (size_t i = 1; i < n; ++i)
    for (int j = 0; j < d; ++j) x[i * (size_t)d + j] = x[(i - 1) * (size_t)d + j] + 0.1 * glr_normal(&s);
  size_t seg[2] = {0, n};
  gla_derivative(x, n, d, seg, 1, GLA_DERIV_BACKWARD, 0.02, xd);
  double eps = gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1);
  double rate = dgemm_rate(MPI_COMM_WORLD);
  gla_tangle_opts o = {eps, tile, 0, NULL};
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  gl_err err = gla_tangling(x, xd, n, d, &o, q, arg, MPI_COMM_WORLD);
  double t = MPI_Wtime() - t0;
  if (err) {
    fprintf(stderr, "tangling failed: %s\n", gl_errmsg());
    MPI_Abort(MPI_COMM_WORLD, (int)err);
  }
  /* the same tiles with GEMMs only: how close the whole kernel runs to its GEMM floor */
  size_t T = (size_t)(tile > 0 ? tile : 512);
  double *gx = malloc(sizeof(double) * T * T), *gd = malloc(sizeof(double) * T * T);
  MPI_Barrier(MPI_COMM_WORLD);
  double g0 = MPI_Wtime();
  size_t nt = n <= 50000 ? (n + T - 1) / T : 0, pair = 0; /* skipped for huge N (minutes) */
  for (size_t ti = 0; ti < nt; ++ti)
    for (size_t tj = ti; tj < nt; ++tj, ++pair) {
      if ((int)(pair % (size_t)size) != rank) continue;
      size_t i0 = ti * T, j0 = tj * T, ni = i0 + T <= n ? T : n - i0, nj = j0 + T <= n ? T : n - j0;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0, x + i0 * d, d,
                  x + j0 * d, d, 0.0, gx, (int)nj);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0, xd + i0 * d, d,
                  xd + j0 * d, d, 0.0, gd, (int)nj);
    }
  MPI_Barrier(MPI_COMM_WORLD);
  double tg = nt ? MPI_Wtime() - g0 : NAN;
  free(gx);
  free(gd);
  double flop_eff = 4.0 * (double)n * (double)n * d, flop_exec = flop_eff / 2;
  gla_summary sm;
  gla_summarize(q, n, &sm);
  if (rank == 0)
    printf("N=%zu D=%d ranks=%d tile=%d seconds=%.3f effective_gflops=%.1f executed_gflops=%.1f "
           "dgemm_gflops=%.1f executed/dgemm=%.2f gemm_only_seconds=%.3f Qmax=%.6g Qmean=%.6g\n",
           n, d, size, tile, t, flop_eff / t / 1e9, flop_exec / t / 1e9, rate,
           flop_exec / t / 1e9 / rate, tg, sm.max, sm.mean);
  free(x);
  free(xd);
  free(q);
  free(arg);
  MPI_Finalize();
  return 0;
}
