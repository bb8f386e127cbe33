/* Tangling: analytic golden values (docs/analysis.md §10) through the distributed
 * blocked path, blocked vs the direct pairwise formula, and rank invariance (the world
 * communicator against MPI_COMM_SELF, bitwise). Runs on 1, 2 and 4 ranks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/analysis.h"
#include "gaitlab/rng.h"

enum { N = 200 };

typedef struct golden {
  double max, mean, median, p90, p90m;
} golden;

/* curve 0: circle; 1: Lissajous [sin t, beta cos t, cos 2t]; embedded in d columns */
static void curve(int kind, double beta, int d, double *x) {
  memset(x, 0, (size_t)N * (size_t)d * sizeof *x);
  for (int k = 0; k < N; ++k) {
    double t = 2.0 * M_PI * k / N;
    double *r = x + (size_t)k * (size_t)d;
    if (kind == 0) {
      r[0] = cos(t);
      r[1] = sin(t);
    } else {
      r[0] = sin(t);
      r[1] = beta * cos(t);
      r[2] = cos(2 * t);
    }
  }
}

static void run_golden(int kind, double beta, int d, gla_deriv rule, gla_eps_rule er, int ddof,
                       const golden *g, double eps_expect) {
  double *x = malloc(sizeof(double) * N * (size_t)d), *xd = malloc(sizeof(double) * N * (size_t)d);
  double q[N];
  int64_t arg[N];
  curve(kind, beta, d, x);
  size_t seg[2] = {0, N};
  assert_int_equal(gla_derivative(x, N, d, seg, 1, rule, 2 * M_PI / N, xd), GL_OK);
  double eps = gla_epsilon(x, N, d, er, ddof, 0.1);
  if (eps_expect > 0) assert_true(fabs(eps - eps_expect) < 1e-12 * eps_expect);
  gla_tangle_opts o = {eps, 64, 0, NULL}; /* small tiles: several tiles and ranks in play */
  assert_int_equal(gla_tangling(x, xd, N, d, &o, q, arg, MPI_COMM_WORLD), GL_OK);
  gla_summary s;
  assert_int_equal(gla_summarize(q, N, &s), GL_OK);
  const double tol = 1.5e-6 * (fabs(g->max) > 10 ? fabs(g->max) / 10 : 1.0); /* +-1 last digit */
  assert_true(fabs(s.max - g->max) <= tol);
  assert_true(fabs(s.mean - g->mean) <= tol);
  assert_true(fabs(s.median - g->median) <= tol);
  assert_true(fabs(s.p90_linear - g->p90) <= tol);
  assert_true(fabs(s.p90_hazen - g->p90m) <= tol);
  if (kind == 0 && rule == GLA_DERIV_PERIODIC_BACKWARD)
    for (int t = 0; t < N; ++t) assert_int_equal((arg[t] - t + N) % N, N / 2); /* antipode */
  free(x);
  free(xd);
}

static void test_circle(void **st) {
  (void)st;
  golden b = {0.985155, 0.977429, 0.975530, 0.984102, 0.984113};
  run_golden(0, 0, 2, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b, 0.1);
  golden p = {0.975530, 0.975530, 0.975530, 0.975530, 0.975530};
  run_golden(0, 0, 2, GLA_DERIV_PERIODIC_BACKWARD, GLA_EPS_RUSSO, 0, &p, 0.1);
  golden c = {0.977816, 0.975941, 0.975289, 0.977659, 0.977671};
  run_golden(0, 0, 2, GLA_DERIV_CENTRAL, GLA_EPS_RUSSO, 0, &c, 0.1);
  golden pc = {0.975289, 0.975289, 0.975289, 0.975289, 0.975289};
  run_golden(0, 0, 2, GLA_DERIV_PERIODIC_CENTRAL, GLA_EPS_RUSSO, 0, &pc, 0.1);
  golden b1 = {0.984987, 0.977295, 0.975410, 0.983925, 0.983939};
  run_golden(0, 0, 2, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 1, &b1, 0);
  /* authors' epsilon: flattened variance */
  golden a = {1.007062, 0.992309, 0.987573, 1.005247, 1.005350};
  run_golden(0, 0, 2, GLA_DERIV_BACKWARD, GLA_EPS_AUTHORS, 0, &a, 0.05);
  golden ap = {0.987573, 0.987573, 0.987573, 0.987573, 0.987573};
  run_golden(0, 0, 2, GLA_DERIV_PERIODIC_BACKWARD, GLA_EPS_AUTHORS, 0, &ap, 0.05);
  /* circle embedded in D = 128: total vs flattened epsilon (10.4) */
  run_golden(0, 0, 128, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b, 0.1);
  golden f = {2.231861, 1.048410, 0.999846, 1.096975, 1.099156};
  run_golden(0, 0, 128, GLA_DERIV_BACKWARD, GLA_EPS_AUTHORS, 0, &f, 7.8125e-4);
}

static void test_lissajous(void **st) {
  (void)st;
  golden b0 = {180.408383, 102.945585, 103.365070, 175.175181, 176.385140};
  run_golden(1, 0.0, 3, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b0, 0.1);
  golden p0 = {180.408383, 102.943833, 103.365070, 175.175181, 176.385140};
  run_golden(1, 0.0, 3, GLA_DERIV_PERIODIC_BACKWARD, GLA_EPS_RUSSO, 0, &p0, 0.1);
  golden b25 = {83.703631, 48.250812, 48.268276, 81.450832, 81.810281};
  run_golden(1, 0.25, 3, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b25, 0.103125);
  golden b5 = {35.806891, 21.660544, 21.257433, 34.895058, 35.026399};
  run_golden(1, 0.5, 3, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b5, 0.1125);
  golden p5 = {35.806891, 21.656016, 21.257433, 34.895058, 35.026399};
  run_golden(1, 0.5, 3, GLA_DERIV_PERIODIC_BACKWARD, GLA_EPS_RUSSO, 0, &p5, 0.1125);
  golden b1 = {11.681301, 9.976443, 10.489293, 11.614295, 11.623059};
  run_golden(1, 1.0, 3, GLA_DERIV_BACKWARD, GLA_EPS_RUSSO, 0, &b1, 0.15);
  golden a25 = {134.199142, 75.662606, 74.869286, 131.158410, 131.240075};
  run_golden(1, 0.25, 3, GLA_DERIV_BACKWARD, GLA_EPS_AUTHORS, 0, &a25, 0.034375);
  golden a0 = {541.225150, 303.441564, 303.655966, 525.525544, 529.155421};
  run_golden(1, 0.0, 3, GLA_DERIV_BACKWARD, GLA_EPS_AUTHORS, 0, &a0, 0.1 / 3);
}

/* Random-walk data in several conditions: blocked (world) vs direct, and world vs self. */
static void test_blocked_vs_direct(void **st) {
  (void)st;
  const size_t n = 613; /* not a multiple of the tile */
  const int d = 37, nc = 3;
  double *x = malloc(sizeof(double) * n * d), *xd = malloc(sizeof(double) * n * d);
  double *x2 = malloc(sizeof(double) * n * d), *xd2 = malloc(sizeof(double) * n * d);
  double *q = malloc(sizeof(double) * n), *qd = malloc(sizeof(double) * n), *qs = malloc(sizeof(double) * n);
  int64_t *a = malloc(sizeof(int64_t) * n), *ad = malloc(sizeof(int64_t) * n), *as = malloc(sizeof(int64_t) * n);
  int *cond = malloc(sizeof(int) * n);
  size_t seg[4] = {0, 200, 401, n};
  glr_stream s;
  glr_init(&s, 7, 0, GLR_TEST);
  for (int j = 0; j < d; ++j) x[j] = 5.0 + glr_normal(&s); /* offset: centring matters */
  for (size_t i = 1; i < n; ++i)
    for (int j = 0; j < d; ++j) x[i * d + j] = x[(i - 1) * d + j] + 0.3 * glr_normal(&s);
  for (int c = 0; c < nc; ++c)
    for (size_t i = seg[c]; i < seg[c + 1]; ++i) cond[i] = c;
  assert_int_equal(gla_derivative(x, n, d, seg, nc, GLA_DERIV_BACKWARD, 0.02, xd), GL_OK);
  for (int within = 0; within < 2; ++within) {
    double eps = gla_epsilon(x, n, d, GLA_EPS_AUTHORS, 0, 0.1);
    gla_tangle_opts o = {eps, 100, within, cond};
    assert_int_equal(gla_tangling_direct(x, xd, n, d, &o, qd, ad), GL_OK);
    memcpy(x2, x, sizeof(double) * n * d);
    memcpy(xd2, xd, sizeof(double) * n * d);
    assert_int_equal(gla_tangling(x2, xd2, n, d, &o, q, a, MPI_COMM_WORLD), GL_OK);
    memcpy(x2, x, sizeof(double) * n * d);
    memcpy(xd2, xd, sizeof(double) * n * d);
    assert_int_equal(gla_tangling(x2, xd2, n, d, &o, qs, as, MPI_COMM_SELF), GL_OK);
    double worst = 0;
    for (size_t i = 0; i < n; ++i) {
      double rel = fabs(q[i] - qd[i]) / qd[i];
      worst = rel > worst ? rel : worst;
      assert_int_equal(a[i], ad[i]);
      assert_true(q[i] == qs[i]); /* bitwise: rank count does not matter */
      assert_int_equal(a[i], as[i]);
      if (within) assert_int_equal(cond[a[i]], cond[i]);
    }
    assert_true(worst < 1e-10);
  }
  free(x); free(xd); free(x2); free(xd2); free(q); free(qd); free(qs);
  free(a); free(ad); free(as); free(cond);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_circle),
      cmocka_unit_test(test_lissajous),
      cmocka_unit_test(test_blocked_vs_direct),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
