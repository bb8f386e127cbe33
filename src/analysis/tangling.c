/* Exact trajectory tangling, blocked and distributed.
 *
 * Q(t) = max_{t' != t} |x'_t - x'_t'|^2 / (|x_t - x_t'|^2 + eps). The n x n pair matrix is
 * cut into fixed square tiles; only tiles (I, J) with I <= J are computed because q is
 * symmetric, each giving row maxima for I and column maxima for J. Squared distances come
 * from two GEMMs per tile (|a|^2 + |b|^2 - 2 a.b on centred data, clamped at 0), so memory
 * is O(n d + tile^2) and the arithmetic runs at GEMM speed. Tiles are dealt to ranks
 * round-robin; since each tile is computed identically whichever rank owns it and the
 * maximum (ties -> lowest t') is exact, the result does not depend on the rank count.
 * gla_tangling first screens each tile in float32 (see "float32 screen" below) and evaluates
 * in double only the pairs that can still be a maximum; gla_tangling_exact is the plain
 * double path. Both give the same q and argmax. */
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

/* ---------------------------------------------------------------- float32 screen
 *
 * Most of the n^2 pairs cannot be a row maximum, and deciding that needs far less precision
 * than the maximum itself. Each tile is first computed with SGEMM (twice the DGEMM rate) on
 * float copies of the centred data; from norms alone, every float Gram entry S obeys
 *   |S - G| <= k (|a|^2 + |b|^2) + abs,   G = any double evaluation of a.b,
 * with k ~ (D + 16) 2^-24 covering the float rounding of the inputs, SGEMM's accumulation
 * (gamma_D, whatever the summation order), the double evaluation and the float arithmetic
 * below, and abs covering the values flushed to zero. That brackets every pair's ratio:
 *   lb = max(dd_lo, 0) / (dx_hi + eps) <= q <= dd_hi / (max(dx_lo, 0) + eps).
 * A row's threshold is the largest lb in the tile or the best exact value already found,
 * whichever is larger (both are <= the row's true maximum); only pairs whose upper bound
 * reaches the threshold of their row (or, off the diagonal, of their column) are evaluated
 * in double. All maximisers, ties included, are evaluated, so q and argmax are exact.
 *
 * What "exact" means: a pair's value is the double Gram formula of the exact path with the
 * dot product as one fused multiply-add chain over k, which is how OpenBLAS's DGEMM
 * micro-kernels compute every entry (checked bitwise in the tests), except the last row of
 * a tile with an odd number of rows, which OpenBLAS's edge kernel sums differently: that row
 * is taken from a one-row DGEMM. Every pair therefore has one value whichever path (pair
 * evaluation or dense fallback) computes it and whichever rank owns its tile, so thresholds
 * may use the rank-local running best and the result stays rank-invariant. Tiles with too
 * many candidates (near-ties beyond float resolution, tiny eps) are computed densely with
 * the same chain. Scaling by powers of two keeps the float copies in range; exponents are
 * exact, so scaled bounds are bounds. */

enum { GLA_LANES = 16 };

typedef struct gla_screen {
  int d;
  int ex, ed;              /* float copies are x 2^ex, x' 2^ed, |v| < 2^-60 flushed to 0 */
  float *xi, *di, *xj, *dj; /* [T x d] float copies of the tile's row and column blocks */
  size_t bi, bj;           /* first rows of the blocks now in xi/di and xj/dj */
  float *hx, *lx, *hd, *ld; /* [n] per-row halves of the bound terms (see gla_screen_init_) */
  float eps_lo;            /* <= scaled eps */
  double rscale;           /* scaled ratio = q * rscale (a power of two) */
  float *sx, *sd;          /* [T x T] -2 a.b by SGEMM */
  float *lbc, *tr, *tc;    /* [T] column lower bounds, row and column thresholds */
  unsigned char *flag;     /* [T + 8] candidate flags of one row */
  int *ca, *cb;            /* [cap] candidate pairs */
  size_t cap;
  double *bt, *btd;        /* [d x T] transposed tile columns (dense fallback) */
  double *r1x, *r1d;       /* [T] odd tile's last row by one-row DGEMM */
  int r1_ok;
  int64_t tiles, dense, pairs; /* statistics (local) */
} gla_screen;

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define GLA_CLONES_FMA __attribute__((target_clones("arch=x86-64-v3", "default")))
#define GLA_CLONES_F32 __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GLA_CLONES_FMA
#define GLA_CLONES_F32
#endif

static void gla_screen_free_(gla_screen *s) {
  free(s->xi);
  free(s->di);
  free(s->xj);
  free(s->dj);
  free(s->hx);
  free(s->lx);
  free(s->hd);
  free(s->ld);
  free(s->sx);
  free(s->sd);
  free(s->lbc);
  free(s->tr);
  free(s->tc);
  free(s->flag);
  free(s->ca);
  free(s->cb);
  free(s->bt);
  free(s->btd);
  free(s->r1x);
  free(s->r1d);
  memset(s, 0, sizeof *s);
}

/* Largest |entry| and whether all are finite. */
static double gla_absmax_(const double *x, size_t m, int *finite) {
  double mx = 0;
  int ok = 1;
  for (size_t i = 0; i < m; ++i) {
    double a = fabs(x[i]);
    ok &= isfinite(a);
    mx = a > mx ? a : mx;
  }
  *finite = ok;
  return mx;
}

/* Power-of-two exponent e with max * 2^e in [0.5, 1). */
static int gla_scale_exp_(double mx) {
  int e;
  frexp(mx, &e);
  return -e;
}

GLA_CLONES_F32
static void gla_to_float_(const double *restrict x, size_t m, int e, float *restrict out) {
  const double f = ldexp(1.0, e); /* |e| < 600: an exact power of two */
  for (size_t i = 0; i < m; ++i) {
    double v = x[i] * f;
    out[i] = fabs(v) < 0x1p-60 ? 0.0f : (float)v; /* no subnormals anywhere in SGEMM */
  }
}

/* Returns 0 (and allocates nothing) when the screen does not apply: it then changes nothing
 * but speed, and the exact path runs. */
static gl_err gla_screen_init_(gla_screen *s, const double *x, const double *xd, size_t n, int d,
                               double eps, const double *nx, const double *nd, size_t T, int *use) {
  *use = 0;
  memset(s, 0, sizeof *s);
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
  if (!__builtin_cpu_supports("fma")) return GL_OK; /* the chain needs a hardware FMA */
#endif
  if (n < 2 || d < 1 || d > 4096) return GL_OK;
  int fx, fd;
  double mx = gla_absmax_(x, n * (size_t)d, &fx), md = gla_absmax_(xd, n * (size_t)d, &fd);
  if (!fx || !fd || !(md > 0)) return GL_OK; /* non-finite, or every q is 0 (all ties) */
  if (md < 1e-150 || md > 1e150 || mx > 1e150 || (mx > 0 && mx < 1e-150)) return GL_OK;
  int ex = mx > 0 ? gla_scale_exp_(mx) : 0, ed = gla_scale_exp_(md);
  double epss = ldexp(eps, 2 * ex);
  if (epss > 0x1p100) return GL_OK; /* eps dwarfs the data: nothing to screen */
  gl_err err = GL_OK;
  s->d = d;
  /* candidates above 1/8 of a tile cost more as pair chains than as a dense chain tile */
  s->cap = T * T / 8 > 64 ? T * T / 8 : 64;
  GL_GOTO(err, GL_ALLOC(s->xi, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->di, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->xj, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->dj, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->hx, n), fail);
  GL_GOTO(err, GL_ALLOC(s->lx, n), fail);
  GL_GOTO(err, GL_ALLOC(s->hd, n), fail);
  GL_GOTO(err, GL_ALLOC(s->ld, n), fail);
  GL_GOTO(err, GL_ALLOC(s->sx, T * T), fail);
  GL_GOTO(err, GL_ALLOC(s->sd, T * T), fail);
  GL_GOTO(err, GL_ALLOC(s->lbc, T), fail);
  GL_GOTO(err, GL_ALLOC(s->tr, T), fail);
  GL_GOTO(err, GL_ALLOC(s->tc, T), fail);
  GL_GOTO(err, GL_ALLOC(s->flag, T + 8), fail);
  GL_GOTO(err, GL_ALLOC(s->ca, s->cap), fail);
  GL_GOTO(err, GL_ALLOC(s->cb, s->cap), fail);
  GL_GOTO(err, GL_ALLOC(s->bt, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->btd, T * (size_t)d), fail);
  GL_GOTO(err, GL_ALLOC(s->r1x, T), fail);
  GL_GOTO(err, GL_ALLOC(s->r1d, T), fail);
  s->ex = ex;
  s->ed = ed;
  s->bi = s->bj = (size_t)-1;
  /* k: (D + 3) u (SGEMM gamma_D and the input rounding, relative to |a||b| <= s/2 where
   * s = |a|^2 + |b|^2, doubled by the factor 2 of 2 a.b) plus ~6u of float arithmetic on
   * terms of size s, rounded generously up; plus the double side, (D + 8) 2^-52. abs: D
   * flushed products of size < 2^-59 each (scaled data are < 1), doubled. */
  const double u = 0x1p-24;
  const double k = (d + 16) * 1.02 * u + (d + 8) * 0x1p-52;
  const double ab = d * 0x1p-56;
  const double eps_hi = epss * (1 + 0x1p-20) > 0x1p-100 ? epss * (1 + 0x1p-20) : 0x1p-100;
  s->eps_lo = epss * (1 - 0x1p-20) < 0x1p-100 ? 0.0f : (float)(epss * (1 - 0x1p-20));
  if ((double)s->eps_lo > epss) s->eps_lo = nextafterf(s->eps_lo, 0.0f);
  const double px = ldexp(1.0, 2 * ex), pd = ldexp(1.0, 2 * ed);
  for (size_t i = 0; i < n; ++i) {
    double a = nx[i] * px, b = nd[i] * pd;
    /* per-row halves: den_hi = hx_i + hx_j - 2S, den_lo = lx_i + lx_j - 2S, etc. */
    s->hx[i] = (float)(a * (1 + k) + 0.5 * (ab + eps_hi));
    s->lx[i] = (float)(a * (1 - k) - 0.5 * ab);
    s->hd[i] = (float)(b * (1 + k) + 0.5 * ab);
    s->ld[i] = (float)(b * (1 - k) - 0.5 * ab);
  }
  s->rscale = ldexp(1.0, 2 * (ed - ex));
  *use = 1;
  return GL_OK;
fail:
  gla_screen_free_(s);
  return err;
}

/* Threshold in scaled float units, rounded down: candidates are the pairs whose upper bound
 * reaches it, so lowering it only admits more. */
static float gla_thr_(double lb_scaled, double best, double rscale) {
  double t = lb_scaled * (1 - 0x1p-18), b = best * rscale;
  t = b > t ? b : t;
  t *= 1 - 0x1p-18; /* the float rounding of the bound expressions and of t * den */
  if (!(t >= 0x1p-100)) return 0.0f;
  if (t > 0x1p100) return 0x1p100f;
  float f = (float)t;
  return (double)f > t ? nextafterf(f, 0.0f) : f;
}

/* Row lower bounds of one tile row: returns max_b lb(a, b) and folds lb into lbc[b] (when
 * col). With masked, columns of another condition than ci are excluded: they count as
 * 0, a bound for any valid pair. */
static inline float gla_lb_row_(const float *restrict sx, const float *restrict sd, size_t nj,
                                float hxi, float ldi, const float *restrict hxj,
                                const float *restrict ldj, int masked, const int *restrict cj,
                                int ci, int col, float *restrict lbc) {
  float pm[GLA_LANES] = {0};
  size_t b = 0;
  /* per-lane partial maxima: the form GCC vectorises without -ffast-math */
  for (; b + GLA_LANES <= nj; b += GLA_LANES)
    for (int l = 0; l < GLA_LANES; ++l) {
      float den = (hxi + hxj[b + l]) + sx[b + l];
      float num = (ldi + ldj[b + l]) + sd[b + l];
      num = num > 0.0f ? num : 0.0f;
      float lb = num / den;
      if (masked) lb = cj[b + l] == ci ? lb : 0.0f;
      pm[l] = lb > pm[l] ? lb : pm[l];
      if (col) {
        float o = lbc[b + l];
        lbc[b + l] = lb > o ? lb : o;
      }
    }
  for (; b < nj; ++b) {
    float den = (hxi + hxj[b]) + sx[b];
    float num = (ldi + ldj[b]) + sd[b];
    num = num > 0.0f ? num : 0.0f;
    float lb = num / den;
    if (masked) lb = cj[b] == ci ? lb : 0.0f;
    pm[0] = lb > pm[0] ? lb : pm[0];
    if (col) {
      float o = lbc[b];
      lbc[b] = lb > o ? lb : o;
    }
  }
  float m = 0.0f;
  for (int l = 0; l < GLA_LANES; ++l) m = pm[l] > m ? pm[l] : m;
  return m;
}

/* Flags of one tile row: upper bound >= min(row threshold, column threshold). */
static inline void gla_flag_row_(const float *restrict sx, const float *restrict sd, size_t nj,
                                 float hdi, float lxi, const float *restrict hdj,
                                 const float *restrict lxj, float ti, const float *restrict tc,
                                 float eps_lo, unsigned char *restrict flag) {
  for (size_t b = 0; b < nj; ++b) {
    float num = (hdi + hdj[b]) + sd[b];
    float den = (lxi + lxj[b]) + sx[b];
    den = (den > 0.0f ? den : 0.0f) + eps_lo;
    float t = tc ? (ti < tc[b] ? ti : tc[b]) : ti;
    flag[b] = num >= t * den;
  }
}

GLA_CLONES_F32
static void gla_screen_lb_(gla_screen *s, size_t i0, size_t ni, size_t j0, size_t nj, int diag,
                           const int *cond, float *lbr) {
  const int *cj = cond ? cond + j0 : NULL;
  float *lbc = diag ? NULL : s->lbc;
  if (lbc) memset(lbc, 0, nj * sizeof *lbc);
  for (size_t a = 0; a < ni; ++a) {
    const size_t i = i0 + a;
    const float *sx = s->sx + a * nj, *sd = s->sd + a * nj, *hx = s->hx + j0, *ld = s->ld + j0;
    const float hxi = s->hx[i], ldi = s->ld[i];
    const int ci = cj ? cond[i] : 0;
    /* constant flags let each call inline into a branch-free loop; on the diagonal the
     * row is split around the excluded pair t' = t */
    if (diag && !cj) {
      float m0 = gla_lb_row_(sx, sd, a, hxi, ldi, hx, ld, 0, NULL, 0, 0, NULL);
      float m1 = gla_lb_row_(sx + a + 1, sd + a + 1, nj - a - 1, hxi, ldi, hx + a + 1,
                             ld + a + 1, 0, NULL, 0, 0, NULL);
      lbr[a] = m0 > m1 ? m0 : m1;
    } else if (diag) {
      float m0 = gla_lb_row_(sx, sd, a, hxi, ldi, hx, ld, 1, cj, ci, 0, NULL);
      float m1 = gla_lb_row_(sx + a + 1, sd + a + 1, nj - a - 1, hxi, ldi, hx + a + 1,
                             ld + a + 1, 1, cj + a + 1, ci, 0, NULL);
      lbr[a] = m0 > m1 ? m0 : m1;
    } else if (!cj) {
      lbr[a] = gla_lb_row_(sx, sd, nj, hxi, ldi, hx, ld, 0, NULL, 0, 1, lbc);
    } else {
      lbr[a] = gla_lb_row_(sx, sd, nj, hxi, ldi, hx, ld, 1, cj, ci, 1, lbc);
    }
  }
}

/* Collects candidate pairs; returns 0 when there are more than s->cap (dense fallback). */
GLA_CLONES_F32
static int gla_screen_flag_(gla_screen *s, size_t i0, size_t ni, size_t j0, size_t nj, int diag,
                            const int *cond, size_t *ncand) {
  size_t nc = 0;
  unsigned char *flag = s->flag;
  memset(flag + nj, 0, 8);
  for (size_t a = 0; a < ni; ++a) {
    const size_t i = i0 + a;
    if (diag)
      gla_flag_row_(s->sx + a * nj, s->sd + a * nj, nj, s->hd[i], s->lx[i], s->hd + j0,
                    s->lx + j0, s->tr[a], NULL, s->eps_lo, flag);
    else
      gla_flag_row_(s->sx + a * nj, s->sd + a * nj, nj, s->hd[i], s->lx[i], s->hd + j0,
                    s->lx + j0, s->tr[a], s->tc, s->eps_lo, flag);
    for (size_t b = 0; b < nj; b += 8) {
      uint64_t w;
      memcpy(&w, flag + b, 8);
      if (!w) continue;
      size_t e = b + 8 < nj ? b + 8 : nj;
      for (size_t c = b; c < e; ++c) {
        if (!flag[c] || (diag && c == a) || (cond && cond[j0 + c] != cond[i])) continue;
        if (nc == s->cap) return 0;
        s->ca[nc] = (int)a;
        s->cb[nc] = (int)c;
        ++nc;
      }
    }
  }
  *ncand = nc;
  return 1;
}

/* Four pairs' dot products as single FMA chains (the DGEMM micro-kernel's order), eight
 * chains interleaved for throughput. */
GLA_CLONES_FMA
static void gla_dot4x2_(const double *const *a, const double *const *b, const double *const *p,
                        const double *const *r, int d, double *gx, double *gd) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (int k = 0; k < d; ++k) {
    s0 = fma(a[0][k], b[0][k], s0);
    s1 = fma(a[1][k], b[1][k], s1);
    s2 = fma(a[2][k], b[2][k], s2);
    s3 = fma(a[3][k], b[3][k], s3);
    t0 = fma(p[0][k], r[0][k], t0);
    t1 = fma(p[1][k], r[1][k], t1);
    t2 = fma(p[2][k], r[2][k], t2);
    t3 = fma(p[3][k], r[3][k], t3);
  }
  gx[0] = s0, gx[1] = s1, gx[2] = s2, gx[3] = s3;
  gd[0] = t0, gd[1] = t1, gd[2] = t2, gd[3] = t3;
}

/* Dense tile by the same chains: c [ni x nj] = A [ni x d] . (bt [d x nj]); every c entry is
 * one FMA chain over k in lane order. */
GLA_CLONES_FMA
static void gla_chain_gemm_(const double *restrict A, const double *restrict bt, size_t ni,
                            size_t nj, int d, double *restrict c) {
  size_t a = 0;
  for (; a + 4 <= ni; a += 4) {
    double *restrict c0 = c + a * nj, *restrict c1 = c0 + nj, *restrict c2 = c1 + nj,
                     *restrict c3 = c2 + nj;
    const double *x0 = A + a * (size_t)d, *x1 = x0 + d, *x2 = x1 + d, *x3 = x2 + d;
    memset(c0, 0, 4 * nj * sizeof *c0);
    for (int k = 0; k < d; ++k) {
      const double *restrict t = bt + (size_t)k * nj;
      const double w0 = x0[k], w1 = x1[k], w2 = x2[k], w3 = x3[k];
      for (size_t b = 0; b < nj; ++b) {
        c0[b] = fma(w0, t[b], c0[b]);
        c1[b] = fma(w1, t[b], c1[b]);
        c2[b] = fma(w2, t[b], c2[b]);
        c3[b] = fma(w3, t[b], c3[b]);
      }
    }
  }
  for (; a < ni; ++a) {
    double *restrict c0 = c + a * nj;
    const double *x0 = A + a * (size_t)d;
    memset(c0, 0, nj * sizeof *c0);
    for (int k = 0; k < d; ++k) {
      const double *restrict t = bt + (size_t)k * nj;
      for (size_t b = 0; b < nj; ++b) c0[b] = fma(x0[k], t[b], c0[b]);
    }
  }
}

static void gla_transpose_(const double *x, size_t nj, int d, double *bt) {
  for (size_t b = 0; b < nj; ++b)
    for (int k = 0; k < d; ++k) bt[(size_t)k * nj + b] = x[b * (size_t)d + k];
}

/* The last row of a tile with an odd row count, as the exact path's DGEMM gives it. */
static void gla_row1_(gla_screen *s, const double *x, const double *xd, size_t i, size_t j0,
                      size_t nj, int d) {
  if (s->r1_ok) return;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, (int)nj, d, 1.0, x + i * (size_t)d, d,
              x + j0 * (size_t)d, d, 0.0, s->r1x, (int)nj);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, (int)nj, d, 1.0, xd + i * (size_t)d, d,
              xd + j0 * (size_t)d, d, 0.0, s->r1d, (int)nj);
  s->r1_ok = 1;
}

static inline void gla_update_(double *best, int64_t *arg, size_t i, double v, int64_t j) {
  if (v > best[i] || (v == best[i] && j < arg[i])) {
    best[i] = v;
    arg[i] = j;
  }
}

/* Exact values of the candidates, folded into the row (and column) maxima. */
static void gla_screen_eval_(gla_screen *s, const gla_tile_ctx *c, const double *x,
                             const double *xd, size_t i0, size_t ni, size_t j0, size_t nj,
                             int diag, size_t nc) {
  const int d = s->d;
  const size_t odd = ni & 1 ? ni - 1 : (size_t)-1;
  for (size_t q = 0; q < nc; q += 4) {
    const double *pa[4], *pb[4], *pp[4], *pr[4];
    double gx[4], gd[4];
    for (int l = 0; l < 4; ++l) {
      size_t m = q + (size_t)l < nc ? q + (size_t)l : q; /* pad with a repeat */
      size_t i = i0 + (size_t)s->ca[m], j = j0 + (size_t)s->cb[m];
      pa[l] = x + i * (size_t)d;
      pb[l] = x + j * (size_t)d;
      pp[l] = xd + i * (size_t)d;
      pr[l] = xd + j * (size_t)d;
    }
    gla_dot4x2_(pa, pb, pp, pr, d, gx, gd);
    for (int l = 0; l < 4 && q + (size_t)l < nc; ++l) {
      const size_t a = (size_t)s->ca[q + l], b = (size_t)s->cb[q + l];
      const size_t i = i0 + a, j = j0 + b;
      if (a == odd) {
        gla_row1_(s, x, xd, i, j0, nj, d);
        gx[l] = s->r1x[b];
        gd[l] = s->r1d[b];
      }
      /* the exact path's expressions, operation for operation */
      double dx = c->nx[i] + c->nx[j] - 2.0 * gx[l];
      double dd = c->nd[i] + c->nd[j] - 2.0 * gd[l];
      dx = dx > 0.0 ? dx : 0.0;
      dd = dd > 0.0 ? dd : 0.0;
      const double v = dd / (dx + c->eps);
      gla_update_(c->best, c->arg, i, v, (int64_t)j);
      if (!diag) gla_update_(c->best, c->arg, j, v, (int64_t)i);
    }
  }
}

/* One tile through the screen (or, with too many candidates, densely by the chain). */
static void gla_screen_tile_(gla_screen *s, const gla_tile_ctx *c, const double *x,
                             const double *xd, size_t i0, size_t ni, size_t j0, size_t nj,
                             int diag, double *gx, double *gd, double *colbuf) {
  const int d = s->d;
  const int *cond = c->cond;
  if (cond) { /* within-condition: skip foreign tiles, mask only mixed ones */
    int ci = cond[i0], cjv = cond[j0], ui = 1, uj = 1;
    for (size_t a = 1; a < ni; ++a) ui &= cond[i0 + a] == ci;
    for (size_t b = 1; b < nj; ++b) uj &= cond[j0 + b] == cjv;
    if (ui && uj && ci != cjv) return;
    if (ui && uj) cond = NULL;
  }
  s->tiles++;
  s->r1_ok = 0;
  /* float copies per block, not of all n rows: O(T d) memory, and the conversion is 2/T of
   * the SGEMM work */
  if (s->bi != i0) {
    gla_to_float_(x + i0 * (size_t)d, ni * (size_t)d, s->ex, s->xi);
    gla_to_float_(xd + i0 * (size_t)d, ni * (size_t)d, s->ed, s->di);
    s->bi = i0;
  }
  const float *fx = s->xi, *fd = s->di;
  if (!diag) {
    if (s->bj != j0) {
      gla_to_float_(x + j0 * (size_t)d, nj * (size_t)d, s->ex, s->xj);
      gla_to_float_(xd + j0 * (size_t)d, nj * (size_t)d, s->ed, s->dj);
      s->bj = j0;
    }
    fx = s->xj;
    fd = s->dj;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, -2.0f, s->xi, d, fx,
              d, 0.0f, s->sx, (int)nj);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, -2.0f, s->di, d, fd,
              d, 0.0f, s->sd, (int)nj);
  gla_screen_lb_(s, i0, ni, j0, nj, diag, cond, s->tr); /* tr holds row lower bounds */
  for (size_t a = 0; a < ni; ++a) s->tr[a] = gla_thr_(s->tr[a], c->best[i0 + a], s->rscale);
  if (!diag)
    for (size_t b = 0; b < nj; ++b) s->tc[b] = gla_thr_(s->lbc[b], c->best[j0 + b], s->rscale);
  size_t nc = 0;
  if (gla_screen_flag_(s, i0, ni, j0, nj, diag, cond, &nc)) {
    s->pairs += (int64_t)nc;
    gla_screen_eval_(s, c, x, xd, i0, ni, j0, nj, diag, nc);
    return;
  }
  s->dense++;
  gla_transpose_(x + j0 * (size_t)d, nj, d, s->bt);
  gla_transpose_(xd + j0 * (size_t)d, nj, d, s->btd);
  gla_chain_gemm_(x + i0 * (size_t)d, s->bt, ni, nj, d, gx);
  gla_chain_gemm_(xd + i0 * (size_t)d, s->btd, ni, nj, d, gd);
  if (ni & 1) {
    gla_row1_(s, x, xd, i0 + ni - 1, j0, nj, d);
    memcpy(gx + (ni - 1) * nj, s->r1x, nj * sizeof *gx);
    memcpy(gd + (ni - 1) * nj, s->r1d, nj * sizeof *gd);
  }
  gla_tile_update_(c, gx, gd, i0, ni, j0, nj, diag, colbuf);
}

typedef struct gla_di {
  double v;
  int i;
} gla_di;

/* Every rank's maxima so far, combined (MAXLOC keeps the lower index on equal values: the
 * tie rule of the local scans). */
static gl_err gla_share_best_(double *best, int64_t *arg, gla_di *buf, size_t n, MPI_Comm comm) {
  for (size_t i = 0; i < n; ++i) {
    buf[i].v = best[i];
    buf[i].i = arg[i] == INT64_MAX ? INT_MAX : (int)arg[i];
  }
  if (MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE_INT, MPI_MAXLOC, comm) != MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Allreduce failed combining tangling maxima");
  for (size_t i = 0; i < n; ++i) {
    best[i] = buf[i].v;
    arg[i] = buf[i].i == INT_MAX ? INT64_MAX : buf[i].i;
  }
  return GL_OK;
}

/* This rank's counts for its last call (process-wide: the library runs one thread). */
static int64_t gla_last_stats_[3];

void gla_tangling_screen_stats(int64_t *tiles, int64_t *dense, int64_t *pairs) {
  *tiles = gla_last_stats_[0];
  *dense = gla_last_stats_[1];
  *pairs = gla_last_stats_[2];
}

/* The blocked all-pairs tangling over ranks. One function (~95 lines) because the screening
 * pass, the tile loop and the reduction of row maxima share the normalised copies and tile
 * buffers it allocates, and one cleanup label frees them on every path. */
static gl_err gla_tangling_run_(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                                double *q, int64_t *argmax, MPI_Comm comm, int screen) {
  if (n > (size_t)INT_MAX) return gl_error(GL_ERR_INPUT, "tangling: more than 2^31 samples");
  if (!(o->eps > 0) || !isfinite(o->eps))
    return gl_error(GL_ERR_NUMERIC, "tangling: epsilon must be finite and > 0 (got %g)", o->eps);
  if (o->within_condition && !o->condition)
    return gl_error(GL_ERR_INTERNAL, "tangling: within_condition needs condition labels");
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  memset(gla_last_stats_, 0, sizeof gla_last_stats_);
  size_t T = o->tile > 0 ? (size_t)o->tile : GLA_TILE_DEFAULT;
  if (T > n && n > 0) T = n;
  gl_err err = GL_OK;
  double *nx = NULL, *nd = NULL, *best = NULL, *gx = NULL, *gd = NULL, *qrow = NULL;
  int64_t *arg = NULL;
  gla_di *buf = NULL;
  gla_screen scr;
  int use = 0;
  memset(&scr, 0, sizeof scr);
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
  if (screen) {
    GL_GOTO(err, gla_screen_init_(&scr, x, xdot, n, d, o->eps, nx, nd, T, &use), done);
    /* The data are replicated, so ranks agree unless their CPUs differ (FMA): decide
     * together, the screen adds a collective. */
    if (size > 1 && MPI_Allreduce(MPI_IN_PLACE, &use, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) {
      err = gl_error(GL_ERR_MPI, "MPI_Allreduce failed agreeing on the tangling screen");
      goto done;
    }
  }
  gla_tile_ctx ctx = {nx, nd, o->eps, best, arg, o->within_condition ? o->condition : NULL};
  size_t nt = (n + T - 1) / T;
  /* The screen does the diagonal tiles first and shares their row maxima between ranks:
   * every row then enters the off-diagonal tiles with a near-final threshold, which prunes
   * most of them on the column side too. Any order gives the same (exact) result. */
  for (int phase = use ? 0 : 1; phase < 2; ++phase) {
    uint64_t pair = 0;
    for (size_t ti = 0; ti < nt; ++ti) {
      size_t i0 = ti * T, ni = i0 + T <= n ? T : n - i0;
      for (size_t tj = ti; tj < nt; ++tj, ++pair) {
        if ((int)(pair % (uint64_t)size) != rank) continue;
        if (use && (ti == tj) != (phase == 0)) continue;
        size_t j0 = tj * T, nj = j0 + T <= n ? T : n - j0;
        if (use) {
          gla_screen_tile_(&scr, &ctx, x, xdot, i0, ni, j0, nj, ti == tj, gx, gd, qrow);
          continue;
        }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0,
                    x + i0 * (size_t)d, d, x + j0 * (size_t)d, d, 0.0, gx, (int)nj);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ni, (int)nj, d, 1.0,
                    xdot + i0 * (size_t)d, d, xdot + j0 * (size_t)d, d, 0.0, gd, (int)nj);
        gla_tile_update_(&ctx, gx, gd, i0, ni, j0, nj, ti == tj, qrow);
      }
    }
    if (phase == 0 && size > 1) GL_GOTO(err, gla_share_best_(best, arg, buf, n, comm), done);
  }
  gla_last_stats_[0] = scr.tiles;
  gla_last_stats_[1] = scr.dense;
  gla_last_stats_[2] = scr.pairs;
  GL_GOTO(err, gla_share_best_(best, arg, buf, n, comm), done);
  for (size_t i = 0; i < n; ++i) {
    int none = best[i] < 0.0;
    q[i] = none ? 0.0 : best[i];
    argmax[i] = none ? -1 : arg[i];
  }
done:
  gla_screen_free_(&scr);
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

gl_err gla_tangling(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                    double *q, int64_t *argmax, MPI_Comm comm) {
  return gla_tangling_run_(x, xdot, n, d, o, q, argmax, comm, 1);
}

gl_err gla_tangling_exact(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                          double *q, int64_t *argmax, MPI_Comm comm) {
  return gla_tangling_run_(x, xdot, n, d, o, q, argmax, comm, 0);
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
