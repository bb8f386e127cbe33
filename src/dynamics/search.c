/* Fixed/slow point search (docs/dynamics.md §2-3): Levenberg-Marquardt on
 * q(x) = 1/2 |F(x) - x|^2 with the analytic J = dF/dx - I, sharded over ranks by initial
 * index; merge and eigenvalues on rank 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "gaitlab/core.h"
#include "gaitlab/dynamics.h"

void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info);
void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
            double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
            double *work, const int *lwork, int *info);

#define N GLD_NX

static double gld_residual_(const gld_net *n, const double *u, const double *x, double *r,
                            double *J) {
  gld_step(n, x, u, r, J, NULL);
  double q = 0;
  for (int k = 0; k < N; ++k) {
    r[k] -= x[k];
    q += r[k] * r[k];
  }
  if (J)
    for (int k = 0; k < N; ++k) J[(size_t)k * N + k] -= 1.0;
  return 0.5 * q;
}

/* Solve (J^T J + lambda I) d = -J^T r into d. A is scratch [N][N]. 1 when not positive
 * definite (the caller raises lambda), else 0. */
static int gld_lm_solve_(const double *J, const double *JtJ, const double *r, double lambda,
                         double *A, double *d) {
  memcpy(A, JtJ, (size_t)N * N * sizeof *A);
  for (int k = 0; k < N; ++k) A[(size_t)k * N + k] += lambda;
  cblas_dgemv(CblasRowMajor, CblasTrans, N, N, -1.0, J, N, r, 1, 0.0, d, 1);
  int n = N, one = 1, info = 0;
  dposv_("L", &n, &one, A, &n, d, &n, &info); /* symmetric: row/column order is moot */
  return info != 0;
}

/* Classic LM: a step that lowers q is taken and lambda shrinks tenfold; otherwise lambda
 * grows tenfold. Each trial counts as an iteration, so max_iter bounds the work. Stops on
 * q < tol, on max_iter, or when lambda passes 1e16 (no step lowers q in double: a local
 * minimum of q with q > 0, i.e. a slow point). */
gl_err gld_minimize(const gld_net *n, const double *u, const gld_config *c, double *x,
                    double *q_out, int *iterations) {
  double *J = NULL, *JtJ = NULL, *A = NULL, *r = NULL, *d = NULL, *xt = NULL, *rt = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(J, (size_t)N * N), done);
  GL_GOTO(err, GL_ALLOC(JtJ, (size_t)N * N), done);
  GL_GOTO(err, GL_ALLOC(A, (size_t)N * N), done);
  GL_GOTO(err, GL_ALLOC(r, N), done);
  GL_GOTO(err, GL_ALLOC(rt, N), done);
  GL_GOTO(err, GL_ALLOC(d, N), done);
  GL_GOTO(err, GL_ALLOC(xt, N), done);
  double lambda = c->lambda0, q = gld_residual_(n, u, x, r, J);
  int it = 0, fresh = 1;
  if (!isfinite(q)) {
    err = gl_error(GL_ERR_NUMERIC, "dynamics: q is not finite at an initial state");
    goto done;
  }
  while (q >= c->tol && it < c->max_iter && lambda < 1e16) {
    if (fresh)
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, N, N, 1.0, J, N, J, N, 0.0, JtJ, N);
    fresh = 0;
    ++it;
    if (gld_lm_solve_(J, JtJ, r, lambda, A, d)) {
      lambda *= 10;
      continue;
    }
    for (int k = 0; k < N; ++k) xt[k] = x[k] + d[k];
    double qt = gld_residual_(n, u, xt, rt, NULL);
    if (isfinite(qt) && qt < q) {
      memcpy(x, xt, N * sizeof *x);
      q = gld_residual_(n, u, x, r, J);
      fresh = 1;
      lambda = lambda / 10 > 1e-12 ? lambda / 10 : 1e-12;
    } else {
      lambda *= 10;
    }
  }
  *q_out = q;
  *iterations = it;
done:
  free(J); free(JtJ); free(A); free(r); free(rt); free(d); free(xt);
  return err;
}

void gld_points_free(gld_points *p) {
  free(p->x_end); free(p->q_end); free(p->iter_end); free(p->x); free(p->q); free(p->init);
  free(p->iterations); free(p->members); free(p->is_fixed); free(p->eig_re); free(p->eig_im);
  free(p->radius); free(p->unstable); free(p->jac_x); free(p->jac_u); free(p->jac_obs);
  free(p->proj_h); free(p->proj_c);
  memset(p, 0, sizeof *p);
}

static double gld_dist_(const double *a, const double *b) {
  double s = 0;
  for (int k = 0; k < N; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
  return sqrt(s);
}

gl_err gld_merge(gld_points *p, double merge_tol, double q_fixed) {
  const int m = p->ninit;
  int *rep = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(rep, m), done); /* index of the kept state of each point */
  int n = 0;
  for (int g = 0; g < m; ++g) {
    const double *xg = p->x_end + (size_t)g * N;
    int k = 0;
    while (k < n && gld_dist_(xg, p->x_end + (size_t)rep[k] * N) > merge_tol) ++k;
    if (k == n) rep[n++] = g;
  }
  p->n = n;
  GL_GOTO(err, GL_ALLOC(p->x, (size_t)n * N), done);
  GL_GOTO(err, GL_ALLOC(p->q, n), done);
  GL_GOTO(err, GL_ALLOC(p->init, n), done);
  GL_GOTO(err, GL_ALLOC(p->iterations, n), done);
  GL_GOTO(err, GL_ALLOC(p->members, n), done);
  GL_GOTO(err, GL_ALLOC(p->is_fixed, n), done);
  for (int k = 0; k < n; ++k) {
    int g = rep[k];
    memcpy(p->x + (size_t)k * N, p->x_end + (size_t)g * N, N * sizeof *p->x);
    p->q[k] = p->q_end[g];
    p->init[k] = g;
    p->iterations[k] = p->iter_end[g];
    p->is_fixed[k] = p->q_end[g] < q_fixed;
  }
  for (int g = 0; g < m; ++g) { /* membership by the same first-match rule */
    const double *xg = p->x_end + (size_t)g * N;
    int k = 0;
    while (k < n - 1 && gld_dist_(xg, p->x + (size_t)k * N) > merge_tol) ++k;
    p->members[k]++;
  }
done:
  free(rep);
  return err;
}

typedef struct gld_eig_ { double re, im, mod; } gld_eig_;

static int gld_eig_cmp_(const void *a, const void *b) {
  const gld_eig_ *x = a, *y = b;
  if (x->mod != y->mod) return x->mod < y->mod ? 1 : -1;
  if (x->re != y->re) return x->re < y->re ? 1 : -1;
  if (x->im != y->im) return x->im < y->im ? 1 : -1;
  return 0;
}

gl_err gld_eigen(const double *A, int n, double *re, double *im, double *radius,
                 int *unstable) {
  double *a = NULL, *work = NULL;
  gld_eig_ *e = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(a, (size_t)n * n), done);
  GL_GOTO(err, GL_ALLOC(e, n), done);
  /* dgeev wants column-major: pass A^T, whose eigenvalues are A's. */
  memcpy(a, A, (size_t)n * n * sizeof *a);
  int lwork = -1, info = 0, one = 1;
  double wq = 0, dummy = 0;
  dgeev_("N", "N", &n, a, &n, re, im, &dummy, &one, &dummy, &one, &wq, &lwork, &info);
  if (info != 0) {
    err = gl_error(GL_ERR_NUMERIC, "dynamics: dgeev workspace query failed (info %d)", info);
    goto done;
  }
  lwork = (int)wq;
  GL_GOTO(err, GL_ALLOC(work, lwork), done);
  dgeev_("N", "N", &n, a, &n, re, im, &dummy, &one, &dummy, &one, work, &lwork, &info);
  if (info != 0) {
    err = gl_error(GL_ERR_NUMERIC, "dynamics: dgeev failed to converge (info %d) on a %d x %d Jacobian", info, n, n);
    goto done;
  }
  for (int k = 0; k < n; ++k) e[k] = (gld_eig_){re[k], im[k], hypot(re[k], im[k])};
  qsort(e, (size_t)n, sizeof *e, gld_eig_cmp_);
  *radius = n ? e[0].mod : 0;
  *unstable = 0;
  for (int k = 0; k < n; ++k) {
    re[k] = e[k].re;
    im[k] = e[k].im;
    *unstable += e[k].mod > 1.0;
  }
done:
  free(a); free(e); free(work);
  return err;
}

/* Rank 0: eigenvalues and Jacobians of every unique point. */
static gl_err gld_classify_(const gld_net *net, const double *u, const double *du_dobs,
                            gld_points *p) {
  const int n = p->n, in = net->in;
  double *fx = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(fx, N), done);
  GL_GOTO(err, GL_ALLOC(p->eig_re, (size_t)(n ? n : 1) * N), done);
  GL_GOTO(err, GL_ALLOC(p->eig_im, (size_t)(n ? n : 1) * N), done);
  GL_GOTO(err, GL_ALLOC(p->radius, n ? n : 1), done);
  GL_GOTO(err, GL_ALLOC(p->unstable, n ? n : 1), done);
  GL_GOTO(err, GL_ALLOC(p->jac_x, (size_t)(n ? n : 1) * N * N), done);
  GL_GOTO(err, GL_ALLOC(p->jac_u, (size_t)(n ? n : 1) * N * GLD_NU), done);
  if (du_dobs) GL_GOTO(err, GL_ALLOC(p->jac_obs, (size_t)(n ? n : 1) * N * (size_t)in), done);
  p->in = in;
  for (int k = 0; k < n; ++k) {
    double *Jx = p->jac_x + (size_t)k * N * N, *Ju = p->jac_u + (size_t)k * N * GLD_NU;
    gld_step(net, p->x + (size_t)k * N, u, fx, Jx, Ju);
    GL_GOTO(err, gld_eigen(Jx, N, p->eig_re + (size_t)k * N, p->eig_im + (size_t)k * N,
                           &p->radius[k], &p->unstable[k]), done);
    if (du_dobs) /* dF/dobs = dF/du du/dobs */
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, in, GLD_NU, 1.0, Ju, GLD_NU,
                  du_dobs, in, 0.0, p->jac_obs + (size_t)k * N * (size_t)in, in);
  }
done:
  free(fx);
  return err;
}

/* Gather every rank's [count][w] rows to all ranks in global order (contiguous shards). */
static gl_err gld_allgather_(const void *mine, int ninit, int w,
                             MPI_Datatype t, void *all, MPI_Comm comm) {
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  int *counts = NULL, *displs = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(counts, size), done);
  GL_GOTO(err, GL_ALLOC(displs, size), done);
  for (int r = 0; r < size; ++r) {
    int64_t b, e;
    gl_shard_range(ninit, size, r, &b, &e);
    counts[r] = (int)((e - b) * w);
    displs[r] = (int)(b * w);
  }
  GL_MPI_GOTO(err, MPI_Allgatherv(mine, counts[rank], t, all, counts, displs, t, comm), done);
done:
  free(counts);
  free(displs);
  return err;
}

gl_err gld_search(const gld_net *n, const double *u, const double *du_dobs,
                  const double *x0, int ninit, const gld_config *c, MPI_Comm comm,
                  gld_points *out) {
  int size, rank;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  memset(out, 0, sizeof *out);
  out->ninit = ninit;
  int64_t g0, g1;
  gl_shard_range(ninit, size, rank, &g0, &g1);
  const int nl = (int)(g1 - g0);
  double *xl = NULL, *ql = NULL;
  int *il = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(xl, (size_t)(nl ? nl : 1) * N), done);
  GL_GOTO(err, GL_ALLOC(ql, nl ? nl : 1), done);
  GL_GOTO(err, GL_ALLOC(il, nl ? nl : 1), done);
  memcpy(xl, x0 + (size_t)g0 * N, (size_t)nl * N * sizeof *xl);
  for (int i = 0; i < nl && !err; ++i)
    err = gld_minimize(n, u, c, xl + (size_t)i * N, &ql[i], &il[i]);
  GL_GOTO(err, gl_agree(comm, err), done);
  GL_GOTO(err, GL_ALLOC(out->x_end, (size_t)ninit * N), done);
  GL_GOTO(err, GL_ALLOC(out->q_end, ninit), done);
  GL_GOTO(err, GL_ALLOC(out->iter_end, ninit), done);
  GL_GOTO(err, gld_allgather_(xl, ninit, N, MPI_DOUBLE, out->x_end, comm), done);
  GL_GOTO(err, gld_allgather_(ql, ninit, 1, MPI_DOUBLE, out->q_end, comm), done);
  GL_GOTO(err, gld_allgather_(il, ninit, 1, MPI_INT, out->iter_end, comm), done);
  if (rank == 0) {
    err = gld_merge(out, c->merge_tol, c->q_fixed);
    if (!err) err = gld_classify_(n, u, du_dobs, out);
  }
  err = gl_agree(comm, err);
done:
  free(xl); free(ql); free(il);
  if (err) gld_points_free(out);
  return err;
}
