/* Distributed PCA. Each rank forms the Gram matrix of its own row blocks (DSYRK); the
 * blocks are summed reproducibly (gla_rsum), so the covariance is bitwise identical for any
 * rank count; the eigendecomposition runs in ScaLAPACK (pdsyevd) on a BLACS grid. The same
 * code path serves ~300 cycle-averaged rows and millions of raw samples: only the D x D
 * covariance ever travels. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/analysis.h"
#include "gaitlab/core.h"

/* BLACS / ScaLAPACK have no C header on Debian: declare what we use (docs/building.md §3). */
void Cblacs_pinfo(int *mypnum, int *nprocs);
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *ctx, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctx, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctx);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz,
              const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info, size_t jobz_len, size_t uplo_len);

void gla_pca_free(gla_pca *p) {
  free(p->mean);
  free(p->components);
  free(p->variance);
  free(p->ratio);
  memset(p, 0, sizeof *p);
}

static double gla_maxabs_(const double *v, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double a = fabs(v[i]);
    if (isnan(a)) return a; /* a NaN is the max, so that the reduction reports it */
    if (a > m) m = a;
  }
  return m;
}

/* Global column means (and, with var, the ddof-0 variances) of the blocked rows: per-block
 * partial sums, reduced with gla_rsum so that the result is the same for any assignment of
 * blocks to ranks. nterms: the number of blocks over all ranks; nglob: rows over all ranks. */
gl_err gla_block_moments(const double *x, const int64_t *brows, int nb, int d, int64_t nterms,
                         int64_t nglob, MPI_Comm comm, double *mean, double *var) {
  double *cs = NULL;
  gla_rsum rs = {0};
  gl_err err = GL_OK;
  size_t ncs = (size_t)d * (nb ? (size_t)nb : 1);
  GL_CALL(GL_ALLOC(cs, ncs));
  for (int pass = 0; pass < (var ? 2 : 1); ++pass) {
    memset(cs, 0, ncs * sizeof *cs);
    const double *p = x;
    for (int b = 0; b < nb; ++b) {
      double *s = cs + (size_t)b * (size_t)d;
      for (int64_t r = 0; r < brows[b]; ++r, p += d)
        for (int j = 0; j < d; ++j) s[j] += pass ? (p[j] - mean[j]) * (p[j] - mean[j]) : p[j];
    }
    double bound = gla_maxabs_(cs, (size_t)d * (size_t)nb);
    GL_MPI_GOTO(err, MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, comm), done);
    GL_GOTO(err, gla_rsum_init(&rs, (size_t)d, bound, nterms), done);
    for (int b = 0; b < nb; ++b) gla_rsum_add(&rs, cs + (size_t)b * (size_t)d);
    double *out = pass ? var : mean;
    GL_GOTO(err, gla_rsum_finish(&rs, out, comm), done);
    gla_rsum_free(&rs);
    for (int j = 0; j < d; ++j) out[j] /= (double)(nglob ? nglob : 1);
  }
done:
  gla_rsum_free(&rs);
  free(cs);
  return err;
}

/* Sum over blocks of (x_b - mean)^T (x_b - mean): upper triangle packed, [d(d+1)/2]. */
static gl_err gla_block_gram_(const double *x, const int64_t *brows, int nb, int d,
                              const double *mean, int64_t nterms, double *packed,
                              MPI_Comm comm) {
  int64_t maxrows = 1;
  for (int b = 0; b < nb; ++b) maxrows = brows[b] > maxrows ? brows[b] : maxrows;
  double *xc = NULL, *g = NULL;
  gla_rsum rs = {0};
  gl_err err = GL_OK;
  size_t np = (size_t)d * (size_t)(d + 1) / 2;
  GL_GOTO(err, GL_ALLOC(xc, (size_t)maxrows * (size_t)d), done);
  GL_GOTO(err, GL_ALLOC(g, (size_t)d * (size_t)d + np), done);
  /* |G_ij| <= max(G_ii, G_jj) by Cauchy-Schwarz: the largest diagonal bounds the block. */
  double bound = 0, *ss = g; /* g is free until the first DSYRK */
  const double *p = x;
  for (int b = 0; b < nb; ++b) {
    memset(ss, 0, (size_t)d * sizeof *ss);
    for (int64_t r = 0; r < brows[b]; ++r, p += d) /* row order: one pass over memory */
      for (int j = 0; j < d; ++j) {
        double v = p[j] - mean[j];
        ss[j] += v * v;
      }
    for (int j = 0; j < d; ++j)
      if (!(ss[j] <= bound)) bound = ss[j];
  }
  GL_MPI_GOTO(err, MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, comm), done);
  GL_GOTO(err, gla_rsum_init(&rs, np, 2.0 * bound, nterms), done);
  p = x;
  double *pk = g + (size_t)d * (size_t)d;
  for (int b = 0; b < nb; ++b) {
    int64_t m = brows[b];
    for (int64_t r = 0; r < m; ++r)
      for (int j = 0; j < d; ++j) xc[r * d + j] = p[r * d + j] - mean[j];
    p += m * d;
    if (m == 0) continue;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int)m, 1.0, xc, d, 0.0, g, d);
    size_t k = 0;
    for (int i = 0; i < d; ++i)
      for (int j = i; j < d; ++j) pk[k++] = g[(size_t)i * (size_t)d + (size_t)j];
    gla_rsum_add(&rs, pk);
  }
  GL_GOTO(err, gla_rsum_finish(&rs, packed, comm), done);
done:
  gla_rsum_free(&rs);
  free(xc);
  free(g);
  return err;
}

/* Eigen-decomposition of the replicated symmetric cov [d x d] with ScaLAPACK on a grid of
 * gp ranks of comm; every rank of comm receives w (ascending) and vectors (column-major,
 * column i = eigenvector of w[i]). One function (~90 lines) so that the BLACS grid and
 * the sub-communicator it lives on are created and released in one scope on every path
 * (a grid left open hangs the next one). */
static gl_err gla_scalapack_eig_(const double *cov, int d, int gp, double *w, double *vec,
                                 MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (gp <= 0 || gp > size) gp = size;
  int nprow = (int)floor(sqrt((double)gp));
  while (gp % nprow) --nprow;
  int npcol = gp / nprow;
  MPI_Comm sub = MPI_COMM_NULL;
  if (MPI_Comm_split(comm, rank < gp ? 0 : MPI_UNDEFINED, rank, &sub) != MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Comm_split failed for the BLACS grid");
  gl_err err = GL_OK;
  memset(vec, 0, (size_t)d * (size_t)d * sizeof *vec);
  memset(w, 0, (size_t)d * sizeof *w);
  if (sub != MPI_COMM_NULL) {
    int me, np;
    Cblacs_pinfo(&me, &np);
    int handle = Csys2blacs_handle(sub);
    int ctx = handle, myrow, mycol, pr, pc;
    Cblacs_gridinit(&ctx, "Row", nprow, npcol);
    Cblacs_gridinfo(ctx, &pr, &pc, &myrow, &mycol);
    double *a = NULL, *z = NULL, *work = NULL;
    int *iwork = NULL;
    if (myrow >= 0 && mycol >= 0) {
      int nb = d < 32 ? d : 32, zero = 0, one = 1, info = 0;
      int mloc = numroc_(&d, &nb, &myrow, &zero, &nprow);
      int nloc = numroc_(&d, &nb, &mycol, &zero, &npcol);
      int lld = mloc > 1 ? mloc : 1;
      int desc[9];
      descinit_(desc, &d, &d, &nb, &nb, &zero, &zero, &ctx, &lld, &info);
      if (info) err = gl_error(GL_ERR_LIB, "ScaLAPACK descinit failed (info %d)", info);
      if (!err) err = GL_ALLOC(a, (size_t)lld * (size_t)(nloc > 0 ? nloc : 1));
      if (!err) err = GL_ALLOC(z, (size_t)lld * (size_t)(nloc > 0 ? nloc : 1));
      if (!err) {
        for (int lc = 0; lc < nloc; ++lc) {
          int gc = (lc / nb) * npcol * nb + mycol * nb + lc % nb;
          for (int lr = 0; lr < mloc; ++lr) {
            int gr = (lr / nb) * nprow * nb + myrow * nb + lr % nb;
            a[(size_t)lc * (size_t)lld + (size_t)lr] = cov[(size_t)gr * (size_t)d + (size_t)gc];
          }
        }
        double wq = 0;
        int iwq = 0, lwork = -1, liwork = -1;
        pdsyevd_("V", "U", &d, a, &one, &one, desc, w, z, &one, &one, desc, &wq, &lwork, &iwq,
                 &liwork, &info, 1, 1);
        /* The query underestimates for some grids (PDORMTR then rejects LWORK and leaves
         * the vectors untransformed): add the documented bound on top. */
        lwork = 2 * (int)wq + 1 + 6 * d + 2 * mloc * nloc + 2 * d + d * nb + 1024;
        liwork = iwq > 1 ? iwq : 1;
        err = GL_ALLOC(work, (size_t)lwork);
        if (!err) err = GL_ALLOC(iwork, (size_t)liwork);
        if (!err) {
          pdsyevd_("V", "U", &d, a, &one, &one, desc, w, z, &one, &one, desc, work, &lwork,
                   iwork, &liwork, &info, 1, 1);
          if (info) err = gl_error(GL_ERR_NUMERIC, "ScaLAPACK pdsyevd failed (info %d)", info);
        }
        if (!err)
          for (int lc = 0; lc < nloc; ++lc) {
            int gc = (lc / nb) * npcol * nb + mycol * nb + lc % nb;
            for (int lr = 0; lr < mloc; ++lr) {
              int gr = (lr / nb) * nprow * nb + myrow * nb + lr % nb;
              vec[(size_t)gc * (size_t)d + (size_t)gr] = z[(size_t)lc * (size_t)lld + (size_t)lr];
            }
          }
      }
      Cblacs_gridexit(ctx);
    }
    Cfree_blacs_system_handle(handle);
    free(a);
    free(z);
    free(work);
    free(iwork);
    const int rc = MPI_Comm_free(&sub);
    if (!err) err = gl_mpi_check(rc, "MPI_Comm_free");
  }
  GL_CALL(gl_agree(comm, err));
  /* Each eigenvector entry lives on exactly one grid rank, so the sum is exact. */
  GL_MPI(MPI_Allreduce(MPI_IN_PLACE, vec, d * d, MPI_DOUBLE, MPI_SUM, comm));
  GL_MPI(MPI_Bcast(w, d, MPI_DOUBLE, 0, comm));
  /* ScaLAPACK can report some argument errors by printing only: verify orthonormality. */
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {
      double s = cblas_ddot(d, vec + (size_t)i * (size_t)d, 1, vec + (size_t)j * (size_t)d, 1);
      if (fabs(s - (i == j)) > 1e-8)
        return gl_error(GL_ERR_NUMERIC, "ScaLAPACK pdsyevd returned non-orthonormal eigenvectors");
    }
  return GL_OK;
}

gl_err gla_pca_fit(const double *x, const int64_t *block_rows, int nblocks, int d, int k,
                   int grid_procs, MPI_Comm comm, gla_pca *out) {
  memset(out, 0, sizeof *out);
  if (d < 1) return gl_error(GL_ERR_INPUT, "PCA: no columns");
  int64_t loc[2] = {0, nblocks}, glob[2];
  for (int b = 0; b < nblocks; ++b) loc[0] += block_rows[b];
  GL_MPI(MPI_Allreduce(loc, glob, 2, MPI_INT64_T, MPI_SUM, comm));
  if (glob[0] < 2) return gl_error(GL_ERR_INPUT, "PCA needs at least 2 rows (got %lld)", (long long)glob[0]);
  if (k > d) k = d;
  if (k < 1) k = 1;
  gl_err err = GL_OK;
  double *packed = NULL, *cov = NULL, *w = NULL, *vec = NULL;
  size_t np = (size_t)d * (size_t)(d + 1) / 2;
  out->d = d;
  out->k = k;
  out->nrows = glob[0];
  GL_GOTO(err, GL_ALLOC(out->mean, d), fail);
  GL_GOTO(err, GL_ALLOC(out->components, (size_t)k * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(out->variance, k), fail);
  GL_GOTO(err, GL_ALLOC(out->ratio, k), fail);
  GL_GOTO(err, GL_ALLOC(packed, np), fail);
  GL_GOTO(err, GL_ALLOC(cov, (size_t)d * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(w, d), fail);
  GL_GOTO(err, GL_ALLOC(vec, (size_t)d * (size_t)d), fail);
  GL_GOTO(err, gla_block_moments(x, block_rows, nblocks, d, glob[1], glob[0], comm, out->mean, NULL), fail);
  GL_GOTO(err, gla_block_gram_(x, block_rows, nblocks, d, out->mean, glob[1], packed, comm), fail);
  double inv = 1.0 / (double)(glob[0] - 1), trace = 0;
  size_t t = 0;
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {
      double v = packed[t++] * inv;
      cov[(size_t)i * (size_t)d + (size_t)j] = cov[(size_t)j * (size_t)d + (size_t)i] = v;
      if (i == j) trace += v;
    }
  out->total_variance = trace;
  GL_GOTO(err, gla_scalapack_eig_(cov, d, grid_procs, w, vec, comm), fail);
  for (int c = 0; c < k; ++c) {
    int e = d - 1 - c; /* ascending eigenvalues: take from the top */
    const double *v = vec + (size_t)e * (size_t)d;
    int imax = 0;
    for (int j = 1; j < d; ++j)
      if (fabs(v[j]) > fabs(v[imax])) imax = j;
    double sgn = v[imax] < 0 ? -1.0 : 1.0; /* largest-|loading| entry positive */
    for (int j = 0; j < d; ++j) out->components[(size_t)c * (size_t)d + (size_t)j] = sgn * v[j];
    double lam = w[e] > 0 ? w[e] : 0.0;
    out->variance[c] = lam;
    out->ratio[c] = trace > 0 ? lam / trace : 0.0;
  }
  free(packed);
  free(cov);
  free(w);
  free(vec);
  return GL_OK;
fail:
  free(packed);
  free(cov);
  free(w);
  free(vec);
  gla_pca_free(out);
  return err;
}

void gla_pca_project(const gla_pca *p, const double *x, size_t n, double *scores) {
  enum { CH = 1024 };
  double *xc = malloc((size_t)CH * (size_t)p->d * sizeof *xc);
  for (size_t r0 = 0; r0 < n; r0 += CH) {
    size_t m = n - r0 < CH ? n - r0 : CH;
    if (!xc) { /* fall back to a row-by-row product when memory is tight */
      for (size_t r = r0; r < r0 + m; ++r)
        for (int c = 0; c < p->k; ++c) {
          double s = 0;
          for (int j = 0; j < p->d; ++j)
            s += (x[r * (size_t)p->d + (size_t)j] - p->mean[j]) *
                 p->components[(size_t)c * (size_t)p->d + (size_t)j];
          scores[r * (size_t)p->k + (size_t)c] = s;
        }
      continue;
    }
    for (size_t r = 0; r < m; ++r)
      for (int j = 0; j < p->d; ++j)
        xc[r * (size_t)p->d + (size_t)j] = x[(r0 + r) * (size_t)p->d + (size_t)j] - p->mean[j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, p->k, p->d, 1.0, xc, p->d,
                p->components, p->d, 0.0, scores + r0 * (size_t)p->k, p->k);
  }
  free(xc);
}
