/* The float32 screen of gla_tangling against the plain double path gla_tangling_exact:
 * random walks and i.i.d. data (D = 16, 37, 128, even and odd tile heights), near-ties (a
 * circle whose every Q is equal in exact arithmetic), exact ties (duplicated samples), tiny
 * and huge epsilon, tiles the float screen cannot decide (dense fallback), within-condition tiles that straddle conditions, extreme scales, the
 * golden curves, and degenerate data the screen must decline. Every case also checks the
 * screened result on the world communicator against MPI_COMM_SELF (bitwise), and that the
 * screen really pruned (pairs evaluated in double << n^2). Runs on 1, 2 and 4 ranks.
 *
 * Equality with the exact path is bitwise when the BLAS's DGEMM sums each entry as one FMA
 * chain (probed below on this machine's BLAS: OpenBLAS's x86-64 kernels do). Otherwise q
 * must agree to 1e-12 and argmax may differ only between pairs whose values agree to 1e-12. */
#include <cblas.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/analysis.h"
#include "gaitlab/rng.h"

static int faithful = -1; /* DGEMM entries == FMA chains on this BLAS (probed once) */

static double chain(const double *a, const double *b, int d) {
  double s = 0;
  for (int k = 0; k < d; ++k) s = fma(a[k], b[k], s);
  return s;
}

/* Tiles of even height: every entry must be the chain; odd height: all rows but the last. */
static int probe_blas(void) {
  const int dims[] = {16, 37, 128}, m = 9, nc = 21;
  glr_stream s;
  glr_init(&s, 99, 0, GLR_TEST);
  int ok = 1;
  for (int t = 0; t < 3; ++t) {
    int d = dims[t];
    double *a = malloc(sizeof(double) * (size_t)(m + nc) * (size_t)d), *c = malloc(sizeof(double) * m * nc);
    for (int i = 0; i < (m + nc) * d; ++i) a[i] = glr_normal(&s);
    for (int rows = m - 1; rows <= m; ++rows) {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, nc, d, 1.0, a, d, a + m * d, d,
                  0.0, c, nc);
      for (int i = 0; i < (rows & 1 ? rows - 1 : rows); ++i)
        for (int j = 0; j < nc; ++j) ok &= c[i * nc + j] == chain(a + i * d, a + (m + j) * d, d);
    }
    free(a);
    free(c);
  }
  return ok;
}

/* Direct-difference value of one pair (independent of either path's Gram arithmetic). */
static double pair_q(const double *x, const double *xd, int d, double eps, int64_t t, int64_t u) {
  double dx = 0, dd = 0;
  for (int k = 0; k < d; ++k) {
    double a = x[t * d + k] - x[u * d + k], b = xd[t * d + k] - xd[u * d + k];
    dx += a * a;
    dd += b * b;
  }
  return dd / (dx + eps);
}

typedef struct outcome {
  double *q;
  int64_t *arg;
  int64_t tiles, dense, pairs; /* screen counts summed over ranks */
} outcome;

static void run(int screen, const double *x, const double *xd, size_t n, int d,
                const gla_tangle_opts *o, MPI_Comm comm, outcome *r) {
  double *x2 = malloc(sizeof(double) * n * (size_t)d), *xd2 = malloc(sizeof(double) * n * (size_t)d);
  memcpy(x2, x, sizeof(double) * n * (size_t)d);
  memcpy(xd2, xd, sizeof(double) * n * (size_t)d);
  r->q = malloc(sizeof(double) * n);
  r->arg = malloc(sizeof(int64_t) * n);
  gl_err e = screen ? gla_tangling(x2, xd2, n, d, o, r->q, r->arg, comm)
                    : gla_tangling_exact(x2, xd2, n, d, o, r->q, r->arg, comm);
  assert_int_equal(e, GL_OK);
  int64_t st[3];
  gla_tangling_screen_stats(&st[0], &st[1], &st[2]);
  MPI_Allreduce(MPI_IN_PLACE, st, 3, MPI_INT64_T, MPI_SUM, comm);
  r->tiles = st[0], r->dense = st[1], r->pairs = st[2];
  free(x2);
  free(xd2);
}

static void release(outcome *r) {
  free(r->q);
  free(r->arg);
}

/* Screened (world and self) against exact (world); returns the world screen counts. */
static outcome compare(const char *label, const double *x, const double *xd, size_t n, int d,
                       const gla_tangle_opts *o) {
  if (faithful < 0) faithful = probe_blas();
  outcome s, self, e;
  run(1, x, xd, n, d, o, MPI_COMM_WORLD, &s);
  run(1, x, xd, n, d, o, MPI_COMM_SELF, &self);
  run(0, x, xd, n, d, o, MPI_COMM_WORLD, &e);
  assert_int_equal(e.tiles, 0); /* the exact path never screens */
  size_t nbit = 0, narg = 0;
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    assert_true(s.q[i] == self.q[i]); /* rank invariance, bitwise */
    assert_int_equal(s.arg[i], self.arg[i]);
    nbit += s.q[i] != e.q[i];
    narg += s.arg[i] != e.arg[i];
    double rel = e.q[i] > 0 ? fabs(s.q[i] - e.q[i]) / e.q[i] : fabs(s.q[i]);
    worst = rel > worst ? rel : worst;
    if (s.arg[i] != e.arg[i]) { /* allowed only without a faithful BLAS, and only near-ties */
      assert_false(faithful);
      assert_true(s.arg[i] >= 0 && e.arg[i] >= 0);
      double a = pair_q(x, xd, d, o->eps, (int64_t)i, s.arg[i]);
      double b = pair_q(x, xd, d, o->eps, (int64_t)i, e.arg[i]);
      assert_true(fabs(a - b) <= 1e-12 * fabs(b));
    }
  }
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    printf("%-34s n=%5zu d=%3d tile=%3d: tiles %5lld dense %3lld pairs %8lld (%.4f of n^2) "
           "q differing %zu argmax differing %zu worst rel %.2e%s\n",
           label, n, d, o->tile, (long long)s.tiles, (long long)s.dense, (long long)s.pairs,
           (double)s.pairs / ((double)n * (double)n), nbit, narg, worst,
           faithful ? " (bitwise expected)" : "");
  if (faithful) {
    assert_int_equal(nbit, 0);
    assert_int_equal(narg, 0);
  }
  assert_true(worst <= 1e-12);
  outcome counts = {NULL, NULL, s.tiles, s.dense, s.pairs};
  release(&s);
  release(&self);
  release(&e);
  return counts;
}

static void random_walk(uint64_t seed, size_t n, int d, double step, double offset, double *x) {
  glr_stream s;
  glr_init(&s, seed, 0, GLR_TEST);
  for (int j = 0; j < d; ++j) x[j] = offset + glr_normal(&s);
  for (size_t i = 1; i < n; ++i)
    for (int j = 0; j < d; ++j) x[i * d + j] = x[(i - 1) * d + j] + step * glr_normal(&s);
}

static void derivative(const double *x, size_t n, int d, gla_deriv rule, double dt, double *xd) {
  size_t seg[2] = {0, n};
  assert_int_equal(gla_derivative(x, n, d, seg, 1, rule, dt, xd), GL_OK);
}

static void test_random(void **st) {
  (void)st;
  const size_t n = 2000;
  const int dims[] = {16, 128};
  double *x = malloc(sizeof(double) * n * 128), *xd = malloc(sizeof(double) * n * 128);
  for (int t = 0; t < 2; ++t) {
    int d = dims[t];
    random_walk(11 + (uint64_t)t, n, d, 0.1, 3.0, x);
    derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
    gla_tangle_opts o = {gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1), 0, 0, NULL};
    outcome c = compare(d == 16 ? "random walk D=16" : "random walk D=128", x, xd, n, d, &o);
    /* 4 x 4 tiles of 512 (last 464 rows), upper triangle: 10; the screen must prune */
    assert_int_equal(c.tiles, 10);
    assert_int_equal(c.dense, 0);
    assert_true(c.pairs < (int64_t)(n * n / 50));
  }
  /* i.i.d. Gaussian x and x' (no temporal structure), D = 128 */
  glr_stream s;
  glr_init(&s, 12, 0, GLR_TEST);
  for (size_t i = 0; i < n * 128; ++i) x[i] = glr_normal(&s);
  for (size_t i = 0; i < n * 128; ++i) xd[i] = glr_normal(&s);
  gla_tangle_opts o = {gla_epsilon(x, n, 128, GLA_EPS_AUTHORS, 0, 0.1), 0, 0, NULL};
  outcome c = compare("iid gaussian D=128", x, xd, n, 128, &o);
  assert_int_equal(c.dense, 0);
  assert_true(c.pairs < (int64_t)(n * n / 10));
  free(x);
  free(xd);
}

/* Odd tile heights put OpenBLAS's edge kernel on the last row of every row tile; D = 37 is
 * not a multiple of any vector width. */
static void test_odd_tiles(void **st) {
  (void)st;
  const size_t n = 1999;
  const int d = 37;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  random_walk(21, n, d, 0.2, -4.0, x);
  derivative(x, n, d, GLA_DERIV_CENTRAL, 0.01, xd);
  gla_tangle_opts o = {gla_epsilon(x, n, d, GLA_EPS_RUSSO, 1, 0.1), 333, 0, NULL};
  outcome c = compare("random walk, odd tiles", x, xd, n, d, &o);
  assert_int_equal(c.tiles, 28); /* 6 x 333 + 1: 7 row tiles, 7 * 8 / 2 tile pairs */
  assert_true(c.pairs < (int64_t)(n * n / 20));
  free(x);
  free(xd);
}

/* A densely sampled circle in D = 128: with the periodic derivative every Q(t) is the same
 * number and the maximiser the antipode, so every row is a near-tie at float resolution. */
static void test_circle_near_ties(void **st) {
  (void)st;
  const size_t n = 2000;
  const int d = 128;
  double *x = calloc(n * d, sizeof(double)), *xd = malloc(sizeof(double) * n * d);
  for (size_t k = 0; k < n; ++k) {
    double t = 2.0 * M_PI * (double)k / (double)n;
    x[k * d] = cos(t);
    x[k * d + 1] = sin(t);
  }
  derivative(x, n, d, GLA_DERIV_PERIODIC_BACKWARD, 2.0 * M_PI / (double)n, xd);
  gla_tangle_opts o = {gla_epsilon(x, n, d, GLA_EPS_RUSSO, 0, 0.1), 0, 0, NULL};
  outcome c = compare("circle (near-ties)", x, xd, n, d, &o);
  (void)c;
  outcome s;
  run(1, x, xd, n, d, &o, MPI_COMM_WORLD, &s);
  /* Q = 4 s^2 / (4 + eps) with s = n sin(pi / n) / pi... checked loosely: the antipode */
  for (size_t t = 0; t < n; ++t) {
    int64_t off = (s.arg[t] - (int64_t)t + (int64_t)n) % (int64_t)n;
    assert_true(off >= (int64_t)n / 2 - 1 && off <= (int64_t)n / 2 + 1);
    assert_true(fabs(s.q[t] - 4.0 / 4.1) < 1e-4);
  }
  release(&s);
  free(x);
  free(xd);
}

/* Exact ties: 300 samples repeated 4 times (x and x' both). Each maximiser comes in four
 * copies, so argmax must be the lowest copy, i.e. below 300. */
static void test_duplicates(void **st) {
  (void)st;
  const size_t b = 300, n = 4 * b;
  const int d = 16;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  random_walk(31, b, d, 0.3, 0.0, x);
  derivative(x, b, d, GLA_DERIV_BACKWARD, 0.02, xd);
  for (size_t r = 1; r < 4; ++r) {
    memcpy(x + r * b * d, x, sizeof(double) * b * d);
    memcpy(xd + r * b * d, xd, sizeof(double) * b * d);
  }
  gla_tangle_opts o = {gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1), 128, 0, NULL};
  compare("duplicated samples (exact ties)", x, xd, n, d, &o);
  outcome s;
  run(1, x, xd, n, d, &o, MPI_COMM_WORLD, &s);
  for (size_t t = 0; t < n; ++t) {
    assert_true(s.arg[t] >= 0 && s.arg[t] < (int64_t)b);
    assert_true(s.q[t] == s.q[t % b]); /* copies have identical rows of q */
  }
  release(&s);
  free(x);
  free(xd);
}

/* eps far below float resolution of the distances (the screen cannot separate close pairs:
 * dense tiles) and far above the data (every ratio compressed). */
static void test_eps_extremes(void **st) {
  (void)st;
  const size_t n = 1000;
  const int d = 16;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  random_walk(41, n, d, 0.1, 1.0, x);
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  double var = gla_epsilon(x, n, d, GLA_EPS_RUSSO, 0, 1.0);
  const double f[] = {1e-14, 1e-6, 1e6, 1e40};
  const char *lab[] = {"eps = 1e-14 var", "eps = 1e-6 var", "eps = 1e6 var", "eps = 1e40 var"};
  for (int k = 0; k < 4; ++k) {
    gla_tangle_opts o = {f[k] * var, 100, 0, NULL};
    compare(lab[k], x, xd, n, d, &o);
  }
  /* near-duplicate points at tiny eps: pairs 1e-9 apart */
  for (size_t i = 1; i < n; i += 2)
    for (int j = 0; j < d; ++j) x[i * d + j] = x[(i - 1) * d + j] + 1e-9 * (j + 1);
  gla_tangle_opts o = {1e-20, 100, 0, NULL};
  compare("near-duplicates, eps = 1e-20", x, xd, n, d, &o);
  free(x);
  free(xd);
}

/* Two tight clusters far apart: distances inside a cluster sit far below the float error of
 * |a|^2 + |b|^2 - 2 a.b, so with a tiny eps no pair there can be decided in float and the
 * tiles fall back to the dense chain. Tile height 99 is odd (edge-kernel rows). */
static void test_dense_fallback(void **st) {
  (void)st;
  const size_t n = 601;
  const int d = 16;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  glr_stream s;
  glr_init(&s, 71, 0, GLR_TEST);
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) {
      x[i * d + j] = (i % 2 ? 100.0 : -100.0) * (j + 1) / d + 1e-3 * glr_normal(&s);
      xd[i * d + j] = glr_normal(&s);
    }
  gla_tangle_opts o = {1e-6, 99, 0, NULL};
  outcome c = compare("two clusters, eps = 1e-6 (dense)", x, xd, n, d, &o);
  assert_true(c.dense > 0);
  assert_true(c.dense < c.tiles || c.tiles == 28);
  free(x);
  free(xd);
}

/* Condition labels that repeat (not contiguous) and tiles that straddle them. */
static void test_within_condition(void **st) {
  (void)st;
  const size_t n = 1500;
  const int d = 16;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  int *cond = malloc(sizeof(int) * n);
  random_walk(51, n, d, 0.2, 0.0, x);
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  for (size_t i = 0; i < n; ++i) cond[i] = (int)((i / 150) % 4);
  for (int within = 0; within < 2; ++within) {
    gla_tangle_opts o = {gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1), 128, within, cond};
    compare(within ? "within condition, mixed tiles" : "all conditions", x, xd, n, d, &o);
    outcome s;
    run(1, x, xd, n, d, &o, MPI_COMM_WORLD, &s);
    if (within)
      for (size_t i = 0; i < n; ++i) assert_int_equal(cond[s.arg[i]], cond[i]);
    release(&s);
  }
  /* a condition of a single sample has no t': q = 0, argmax = -1 on both paths */
  for (size_t i = 0; i < n; ++i) cond[i] = i == 700 ? 9 : (int)(i / 500);
  gla_tangle_opts o = {0.5, 128, 1, cond};
  compare("within condition, singleton", x, xd, n, d, &o);
  outcome s;
  run(1, x, xd, n, d, &o, MPI_COMM_WORLD, &s);
  assert_int_equal(s.arg[700], -1);
  assert_true(s.q[700] == 0.0);
  release(&s);
  free(x);
  free(xd);
  free(cond);
}

/* Scales far outside float range (the screen rescales by powers of two), a large offset
 * (centring), data of rank 2 in D = 128, and degenerate data the screen must decline. */
static void test_scales_and_degenerate(void **st) {
  (void)st;
  const size_t n = 800;
  const int d = 128;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  random_walk(61, n, d, 0.1, 0.0, x);
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  for (size_t i = 0; i < n * d; ++i) x[i] *= 1e-60;
  for (size_t i = 0; i < n * d; ++i) xd[i] *= 1e70;
  double eps = gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1);
  gla_tangle_opts o = {eps, 256, 0, NULL};
  outcome c = compare("scaled 1e-60 / 1e70", x, xd, n, d, &o);
  assert_true(c.tiles > 0);
  random_walk(62, n, d, 0.1, 1e6, x); /* |mean| ~ 1e6, steps 0.1 */
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  o.eps = gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1);
  compare("offset 1e6", x, xd, n, d, &o);
  glr_stream s;
  glr_init(&s, 63, 0, GLR_TEST);
  for (size_t i = 0; i < n; ++i) {
    double a = glr_normal(&s), b = glr_normal(&s);
    for (int j = 0; j < d; ++j) x[i * d + j] = a * cos(j) + b * sin(3.0 * j);
  }
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  o.eps = gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1);
  compare("rank-2 data in D=128", x, xd, n, d, &o);
  /* x' = 0: every q is 0 (all ties, argmax = lowest t' != t); the screen declines */
  memset(xd, 0, sizeof(double) * n * d);
  c = compare("x' = 0 (declined)", x, xd, n, d, &o);
  assert_int_equal(c.tiles, 0);
  outcome r;
  run(1, x, xd, n, d, &o, MPI_COMM_WORLD, &r);
  for (size_t t = 0; t < n; ++t) {
    assert_true(r.q[t] == 0.0);
    assert_int_equal(r.arg[t], t == 0 ? 1 : 0);
  }
  release(&r);
  /* a non-finite entry: declined, and both paths agree */
  random_walk(64, n, d, 0.1, 0.0, x);
  derivative(x, n, d, GLA_DERIV_BACKWARD, 0.02, xd);
  double *x2 = malloc(sizeof(double) * n * d), *xd2 = malloc(sizeof(double) * n * d);
  double *q1 = malloc(sizeof(double) * n), *q2 = malloc(sizeof(double) * n);
  int64_t *a1 = malloc(sizeof(int64_t) * n), *a2 = malloc(sizeof(int64_t) * n);
  xd[5 * d + 3] = INFINITY;
  memcpy(x2, x, sizeof(double) * n * d);
  memcpy(xd2, xd, sizeof(double) * n * d);
  assert_int_equal(gla_tangling(x2, xd2, n, d, &o, q1, a1, MPI_COMM_WORLD), GL_OK);
  int64_t t0, t1, t2;
  gla_tangling_screen_stats(&t0, &t1, &t2);
  assert_int_equal(t0, 0);
  memcpy(x2, x, sizeof(double) * n * d);
  memcpy(xd2, xd, sizeof(double) * n * d);
  assert_int_equal(gla_tangling_exact(x2, xd2, n, d, &o, q2, a2, MPI_COMM_WORLD), GL_OK);
  assert_memory_equal(q1, q2, sizeof(double) * n);
  assert_memory_equal(a1, a2, sizeof(int64_t) * n);
  free(x2); free(xd2); free(q1); free(q2); free(a1); free(a2);
  free(x);
  free(xd);
}

/* The golden curves of docs/analysis.md §10 (N = 200), screened vs exact, plus
 * one golden value through the screen. */
static void test_golden_curves(void **st) {
  (void)st;
  const size_t n = 200;
  const int d = 128;
  double *x = calloc(n * d, sizeof(double)), *xd = malloc(sizeof(double) * n * d);
  const double betas[] = {0.0, 0.25, 0.5, 1.0};
  for (int kind = 0; kind < 5; ++kind) {
    memset(x, 0, sizeof(double) * n * d);
    int dd = kind == 0 ? d : 3;
    for (size_t k = 0; k < n; ++k) {
      double t = 2.0 * M_PI * (double)k / (double)n;
      double *r = x + k * (size_t)dd;
      if (kind == 0) {
        r[0] = cos(t);
        r[1] = sin(t);
      } else {
        r[0] = sin(t);
        r[1] = betas[kind - 1] * cos(t);
        r[2] = cos(2 * t);
      }
    }
    derivative(x, n, dd, GLA_DERIV_BACKWARD, 2.0 * M_PI / (double)n, xd);
    gla_tangle_opts o = {gla_epsilon(x, n, dd, kind == 0 ? GLA_EPS_AUTHORS : GLA_EPS_RUSSO, 0, 0.1),
                         64, 0, NULL};
    char lab[64];
    snprintf(lab, sizeof lab, kind == 0 ? "circle D=128, authors' eps" : "Lissajous beta=%.2f",
             kind ? betas[kind - 1] : 0.0);
    compare(lab, x, xd, n, dd, &o);
    outcome s;
    run(1, x, xd, n, dd, &o, MPI_COMM_WORLD, &s);
    double mx = 0;
    for (size_t t = 0; t < n; ++t) mx = s.q[t] > mx ? s.q[t] : mx;
    const double golden[] = {2.231861, 180.408383, 83.703631, 35.806891, 11.681301};
    assert_true(fabs(mx - golden[kind]) <= 1.5e-6 * (golden[kind] > 10 ? golden[kind] / 10 : 1));
    release(&s);
  }
  free(x);
  free(xd);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random),           cmocka_unit_test(test_odd_tiles),
      cmocka_unit_test(test_circle_near_ties), cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_eps_extremes),     cmocka_unit_test(test_dense_fallback),
      cmocka_unit_test(test_within_condition),
      cmocka_unit_test(test_scales_and_degenerate), cmocka_unit_test(test_golden_curves),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
