/* Raw-sample PCA at scale: z-score (gla_block_moments) + covariance + eigendecomposition
 * (gla_pca_fit) of N x D samples held in blocks of M rows (one block per agent, as the
 * analysis holds them), against DSYRK on the same local rows measured in the same run.
 *   mpiexec -n R bench_pca [N=350000] [D=128] [M=1000] [dump.npy]
 * Prints one JSON object (rank 0). The bound is the time of one cblas_dsyrk over each
 * rank's whole local matrix (N/R x D), the floor of any covariance that reads the data
 * once; the ratio is that time over the time of the full z-score + PCA. With a fourth
 * argument and one rank, the raw data are also written as a .npy file so that
 * bench/bench_pca.sh can time NumPy's cov + eigh on the same numbers and compare the
 * spectra. The data: a random walk in 8 latent directions plus noise, from the rng stream
 * of each block's global index, so every rank count sees the same rows. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/analysis.h"
#include "gaitlab/rng.h"

enum { LATENT = 8 };

static void fill_block(double *x, int64_t b, int m, int d, const double *load) {
  glr_stream s;
  glr_init(&s, (uint64_t)b, 0, GLR_TEST);
  double z[LATENT];
  for (int k = 0; k < LATENT; ++k) z[k] = glr_normal(&s);
  for (int r = 0; r < m; ++r) {
    for (int k = 0; k < LATENT; ++k) z[k] = 0.99 * z[k] + 0.1 * glr_normal(&s);
    for (int j = 0; j < d; ++j) {
      double v = 0.05 * glr_normal(&s) + 3.0 * (j % 5);
      for (int k = 0; k < LATENT; ++k) v += load[k * d + j] * z[k];
      x[(size_t)r * (size_t)d + (size_t)j] = v;
    }
  }
}

static int write_npy(const char *path, const double *x, int64_t n, int d) {
  FILE *f = fopen(path, "wb");
  if (!f) return 1;
  char hdr[128];
  int len = snprintf(hdr, sizeof hdr, "{'descr': '<f8', 'fortran_order': False, 'shape': (%lld, %d), }",
                     (long long)n, d);
  int pad = 64 - (10 + len + 1) % 64;
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  unsigned short hl = (unsigned short)(len + pad + 1);
  fwrite(&hl, 2, 1, f);
  fwrite(hdr, 1, (size_t)len, f);
  for (int i = 0; i < pad; ++i) fputc(' ', f);
  fputc('\n', f);
  size_t w = fwrite(x, sizeof *x, (size_t)n * (size_t)d, f);
  return fclose(f) != 0 || w != (size_t)n * (size_t)d;
}

static double tmax(double t) {
  MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return t;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int64_t n = argc > 1 ? atoll(argv[1]) : 350000;
  int d = argc > 2 ? atoi(argv[2]) : 128, m = argc > 3 ? atoi(argv[3]) : 1000;
  const char *dump = argc > 4 ? argv[4] : NULL;
  int64_t nblocks = n / m, b0 = nblocks * rank / size, b1 = nblocks * (rank + 1) / size;
  n = nblocks * m;
  int nb = (int)(b1 - b0);
  size_t nloc = (size_t)nb * (size_t)m;
  double *x = malloc(sizeof(double) * (nloc ? nloc : 1) * (size_t)d);
  double *load = malloc(sizeof(double) * LATENT * (size_t)d), *g = malloc(sizeof(double) * (size_t)d * d);
  double *mean = malloc(sizeof(double) * (size_t)d), *var = malloc(sizeof(double) * (size_t)d);
  int64_t *brows = malloc(sizeof(int64_t) * (size_t)(nb ? nb : 1));
  if (!x || !load || !g || !mean || !var || !brows) {
    fprintf(stderr, "bench_pca: out of memory for %zu x %d rows\n", nloc, d);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  glr_stream ls;
  glr_init(&ls, 0, 1, GLR_TEST);
  for (int i = 0; i < LATENT * d; ++i) load[i] = glr_normal(&ls);
  for (int b = 0; b < nb; ++b) {
    brows[b] = m;
    fill_block(x + (size_t)b * (size_t)m * (size_t)d, b0 + b, m, d, load);
  }
  if (dump && size == 1 && write_npy(dump, x, n, d)) {
    fprintf(stderr, "bench_pca: cannot write %s\n", dump);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  /* The bound: one DSYRK over the local rows (best of 3, data already in memory). */
  double t_syrk = INFINITY;
  for (int k = 0; k < 3; ++k) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int)nloc, 1.0, x, d, 0.0, g, d);
    double t = tmax(MPI_Wtime() - t0);
    t_syrk = t < t_syrk ? t : t_syrk;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  gl_err err = gla_block_moments(x, brows, nb, d, nblocks, n, MPI_COMM_WORLD, mean, var);
  for (int j = 0; j < d; ++j) var[j] = sqrt(var[j]);
  for (size_t i = 0; !err && i < nloc; ++i)
    for (int j = 0; j < d; ++j) {
      double *v = x + i * (size_t)d + (size_t)j;
      *v = var[j] > 0 ? (*v - mean[j]) / var[j] : 0.0;
    }
  double t_z = tmax(MPI_Wtime() - t0);
  gla_pca p = {0};
  t0 = MPI_Wtime();
  if (!err) err = gla_pca_fit(x, brows, nb, d, d, 1, MPI_COMM_WORLD, &p);
  double t_pca = tmax(MPI_Wtime() - t0);
  if (err) {
    fprintf(stderr, "bench_pca: %s\n", gl_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  /* A digest of the result so that runs on different rank counts can be compared bitwise. */
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < d * d; ++i) {
    uint64_t u;
    memcpy(&u, p.components + i, 8);
    h = (h ^ u) * 1099511628211ull;
  }
  for (int i = 0; i < d; ++i) {
    uint64_t u;
    memcpy(&u, p.variance + i, 8);
    h = (h ^ u) * 1099511628211ull;
  }
  double flops = (double)n * d * (d + 1); /* DSYRK's count: k n (n + 1) */
  if (rank == 0) {
    printf("{\"ranks\": %d, \"n\": %lld, \"d\": %d, \"block_rows\": %d, \"t_dsyrk_s\": %.4f, "
           "\"dsyrk_gflops_per_rank\": %.2f, \"t_zscore_s\": %.4f, \"t_pca_s\": %.4f, "
           "\"t_total_s\": %.4f, \"ratio_to_dsyrk\": %.3f, \"digest\": \"%016llx\", \"top_variance\": [",
           size, (long long)n, d, m, t_syrk, flops / size / t_syrk * 1e-9, t_z, t_pca, t_z + t_pca,
           t_syrk / (t_z + t_pca), (unsigned long long)h);
    for (int i = 0; i < 10 && i < d; ++i) printf("%s%.12g", i ? ", " : "", p.variance[i]);
    printf("]}\n");
  }
  gla_pca_free(&p);
  free(x);
  free(load);
  free(g);
  free(mean);
  free(var);
  free(brows);
  MPI_Finalize();
  return 0;
}
