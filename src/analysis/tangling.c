/* Exact trajectory tangling, blocked and distributed.
 *
 * Q(t) = max_{t' != t} |x'_t - x'_t'|^2 / (|x_t - x_t'|^2 + eps). The n x n pair matrix is
 * cut into fixed square tiles; only tiles (I, J) with I <= J are computed because q is
 * symmetric, each giving row maxima for I and column maxima for J. Squared distances come
 * from two GEMMs per tile (|a|^2 + |b|^2 - 2 a.b on centred data, clamped at 0), so memory
 * is O(n d + tile^2) and the arithmetic runs at GEMM speed. Tiles are dealt to ranks
 * round-robin; since each tile is computed identically whichever rank owns it and the
 * maximum (ties -> lowest t') is exact, the result does not depend on the rank count. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/analysis.h"

enum { GLA_TILE_DEFAULT = 512 };

static void gla_centre_(double *x, size_t n, int d, double *tmp) {
  memset(tmp, 0, (size_t)d * sizeof *tmp);
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) tmp[j] += x[i * (size_t)d + j];
  for (int j = 0; j < d; ++j) tmp[j] /= (double)n;
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x[i * (size_t)d + j] -= tmp[j];
}

static void gla_sqnorms_(const double *x, size_t n, int d, double *nrm) {
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    const double *r = x + i * (size_t)d;
    for (int j = 0; j < d; ++j) s += r[j] * r[j];
    nrm[i] = s;
  }
}

typedef struct gla_tile_ctx {
  const double *nx, *nd;
  double eps;
  double *best;
  int64_t *arg;
  const int *cond; /* non-NULL only for within-condition tangling */
} gla_tile_ctx;

/* q for a whole tile, computed in place over gx (gd is scratch), then folded into the row
 * maxima (tile rows) and, for off-diagonal tiles, the column maxima (tile columns, i.e. the
 * pairs seen from the other side). Max passes carry no index: the position is searched only
 * when a maximum can improve the running best, which keeps the O(n^2) passes to streaming
 * compare/max. The build targets baseline x86-64 (SSE2); an AVX2 clone picked at load time
 * widens the vectors. Results are identical: ISO C mode does not contract to FMA and
 * max/compare are exact. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void gla_tile_update_(const gla_tile_ctx *c, double *restrict gx, const double *restrict gd,
                             size_t i0, size_t ni, size_t j0, size_t nj, int diag,
                             double *restrict colmax) {
  const double *restrict nxj = c->nx + j0, *restrict ndj = c->nd + j0;
  const double eps = c->eps;
  for (size_t b = 0; b < nj; ++b) colmax[b] = -1.0;
  for (size_t a = 0; a < ni; ++a) {
    const size_t i = i0 + a;
    double *restrict q = gx + a * nj;
    const double *restrict gdr = gd + a * nj;
    const double nxi = c->nx[i], ndi = c->nd[i];
    for (size_t b = 0; b < nj; ++b) {
      double dx = nxi + nxj[b] - 2.0 * q[b];
      double dd = ndi + ndj[b] - 2.0 * gdr[b];
      dx = dx > 0.0 ? dx : 0.0;
      dd = dd > 0.0 ? dd : 0.0;
      q[b] = dd / (dx + eps);
    }
    if (diag) q[a] = -1.0; /* t' = t is not a pair */
    if (c->cond)
      for (size_t b = 0; b < nj; ++b)
        if (c->cond[j0 + b] != c->cond[i]) q[b] = -1.0;
    double m = -1.0;
    for (size_t b = 0; b < nj; ++b) m = q[b] > m ? q[b] : m;
    if (m >= c->best[i] && m >= 0.0) {
      size_t b = 0;
      while (q[b] != m) ++b;
      int64_t j = (int64_t)(j0 + b);
      if (m > c->best[i] || j < c->arg[i]) {
        c->best[i] = m;
        c->arg[i] = j;
      }
    }
    if (!diag)
      for (size_t b = 0; b < nj; ++b) colmax[b] = q[b] > colmax[b] ? q[b] : colmax[b];
  }
  if (diag) return;
  for (size_t b = 0; b < nj; ++b) {
    const size_t j = j0 + b;
    double m = colmax[b];
    if (m < c->best[j] || m < 0.0) continue;
    size_t a = 0;
    while (gx[a * nj + b] != m) ++a; /* lowest i: the tie rule */
    int64_t i = (int64_t)(i0 + a);
    if (m > c->best[j] || i < c->arg[j]) {
      c->best[j] = m;
      c->arg[j] = i;
    }
  }
}

gl_err gla_tangling(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                    double *q, int64_t *argmax, MPI_Comm comm) {
  if (n > (size_t)INT_MAX) return gl_error(GL_ERR_INPUT, "tangling: more than 2^31 samples");
  if (!(o->eps > 0) || !isfinite(o->eps))
    return gl_error(GL_ERR_NUMERIC, "tangling: epsilon must be finite and > 0 (got %g)", o->eps);
  if (o->within_condition && !o->condition)
    return gl_error(GL_ERR_INTERNAL, "tangling: within_condition needs condition labels");
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  size_t T = o->tile > 0 ? (size_t)o->tile : GLA_TILE_DEFAULT;
  if (T > n && n > 0) T = n;
  gl_err err = GL_OK;
  double *nx = NULL, *nd = NULL, *best = NULL, *gx = NULL, *gd = NULL, *qrow = NULL;
  int64_t *arg = NULL;
  struct di { double v; int i; } *buf = NULL;
  GL_GOTO(err, GL_ALLOC(nx, n), done);
  GL_GOTO(err, GL_ALLOC(nd, n), done);
  GL_GOTO(err, GL_ALLOC(best, n), done);
  GL_GOTO(err, GL_ALLOC(arg, n), done);
  GL_GOTO(err, GL_ALLOC(gx, T * T), done);
  GL_GOTO(err, GL_ALLOC(gd, T * T), done);
  GL_GOTO(err, GL_ALLOC(qrow, T > (size_t)d ? T : (size_t)d), done);
  GL_GOTO(err, GL_ALLOC(buf, n), done);
  if (n == 0) goto done;
  /* Centring leaves every difference unchanged but removes the |mean|^2 that would
   * otherwise cancel catastrophically in |a|^2 + |b|^2 - 2 a.b. */
  gla_centre_(x, n, d, qrow);
  gla_centre_(xdot, n, d, qrow);
  gla_sqnorms_(x, n, d, nx);
  gla_sqnorms_(xdot, n, d, nd);
  for (size_t i = 0; i < n; ++i) {
    best[i] = -1.0;
    arg[i] = INT64_MAX;
  }
  gla_tile_ctx ctx = {nx, nd, o->eps, best, arg, o->within_condition ? o->condition : NULL};
  size_t nt = (n + T - 1) / T;
  uint64_t pair = 0;
  for (size_t ti = 0; ti < nt; ++ti) {
    size_t i0 = ti * T, ni = i0 + T <= n ? T : n - i0;
    for (size_t tj = ti; tj < nt; ++tj, ++pair) {
      if ((int)(pair % (uint64_t)size) != rank) continue;
      size_t j0 = tj * T, nj = j0 + T <= n ? T : n - j0;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0,
                  x + i0 * (size_t)d, d, x + j0 * (size_t)d, d, 0.0, gx, (int)nj);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0,
                  xdot + i0 * (size_t)d, d, xdot + j0 * (size_t)d, d, 0.0, gd, (int)nj);
      gla_tile_update_(&ctx, gx, gd, i0, ni, j0, nj, ti == tj, qrow);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    buf[i].v = best[i];
    buf[i].i = arg[i] == INT64_MAX ? INT_MAX : (int)arg[i];
  }
  /* MAXLOC keeps the lower index on equal values: the same tie rule as the local scan. */
  if (MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE_INT, MPI_MAXLOC, comm) != MPI_SUCCESS) {
    err = gl_error(GL_ERR_MPI, "MPI_Allreduce failed combining tangling maxima");
    goto done;
  }
  for (size_t i = 0; i < n; ++i) {
    int none = buf[i].v < 0.0;
    q[i] = none ? 0.0 : buf[i].v;
    argmax[i] = none ? -1 : buf[i].i;
  }
done:
  free(nx);
  free(nd);
  free(best);
  free(arg);
  free(gx);
  free(gd);
  free(qrow);
  free(buf);
  return err;
}

gl_err gla_tangling_direct(const double *x, const double *xdot, size_t n, int d,
                           const gla_tangle_opts *o, double *q, int64_t *argmax) {
  for (size_t t = 0; t < n; ++t) {
    double best = -1.0;
    int64_t arg = -1;
    for (size_t u = 0; u < n; ++u) {
      if (u == t) continue;
      if (o->within_condition && o->condition[u] != o->condition[t]) continue;
      double dx = 0, dd = 0;
      for (int j = 0; j < d; ++j) {
        double a = x[t * (size_t)d + j] - x[u * (size_t)d + j];
        double b = xdot[t * (size_t)d + j] - xdot[u * (size_t)d + j];
        dx += a * a;
        dd += b * b;
      }
      double v = dd / (dx + o->eps);
      if (v > best) {
        best = v;
        arg = (int64_t)u;
      }
    }
    q[t] = best < 0 ? 0.0 : best;
    argmax[t] = arg;
  }
  return GL_OK;
}
