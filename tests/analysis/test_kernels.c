/* Serial building blocks against hand-derived answers: cycle alignment (toy check of
 * docs/analysis.md §2, ties, missing lift-offs, falls), percentiles, derivative
 * rules, z-scoring, the periodic spline golden values (§7), speed axis with a known
 * answer, subspace overlap, and the reproducible sum. */
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

static void test_liftoffs_toy(void **st) {
  (void)st;
  /* contact true only at the sample before each lift-off */
  int expect[] = {2, 12, 22, 33, 43, 52};
  float f[60];
  for (int k = 0; k < 60; ++k) f[k] = 0.0f;
  for (int i = 0; i < 6; ++i) f[expect[i] - 1] = 50.0f;
  int lo[16];
  int n = gla_liftoffs(f, 1, 60, 60, 1.0, lo, 16);
  assert_int_equal(n, 6);
  for (int i = 0; i < 6; ++i) assert_int_equal(lo[i], expect[i]);
  int64_t hist[61] = {0};
  for (int i = 0; i + 1 < n; ++i) hist[lo[i + 1] - lo[i]]++;
  assert_int_equal(gla_mode_period(hist, 60), 10); /* lengths 10, 10, 11, 10, 9 */
  assert_int_equal(hist[10], 3);                   /* three cycles averaged */
  /* threshold: 0.5 N of "soft contact" is not contact at 1 N, but is with the 0/>0 rule */
  for (int k = 0; k < 60; ++k) f[k] = f[k] > 0 ? f[k] : 0.5f;
  assert_int_equal(gla_liftoffs(f, 1, 60, 60, 1.0, lo, 16), 6);
  assert_int_equal(gla_liftoffs(f, 1, 60, 60, 0.0, lo, 16), 0);
  /* a fall at sample 30 (nvalid) drops the later lift-offs; NaN stops too */
  for (int k = 0; k < 60; ++k) f[k] = f[k] > 1 ? f[k] : 0.0f;
  assert_int_equal(gla_liftoffs(f, 1, 60, 30, 1.0, lo, 16), 3);
  f[25] = NAN;
  assert_int_equal(gla_liftoffs(f, 1, 60, 60, 1.0, lo, 16), 3);
  /* strided access (foot 1 of 4) */
  float f4[40 * 4] = {0};
  for (int k = 0; k < 40; ++k) f4[4 * k + 1] = (k % 8) < 4 ? 100.0f : 0.0f;
  n = gla_liftoffs(f4 + 1, 4, 40, 40, 1.0, lo, 16);
  assert_int_equal(n, 5);
  assert_int_equal(lo[0], 4);
  assert_int_equal(lo[4], 36);
}

static void test_mode_ties(void **st) {
  (void)st;
  int64_t h[20] = {0};
  assert_int_equal(gla_mode_period(h, 19), 0); /* no cycles */
  h[12] = 5;
  h[11] = 5;
  h[13] = 4;
  assert_int_equal(gla_mode_period(h, 19), 11); /* tie -> shorter */
  h[13] = 6;
  assert_int_equal(gla_mode_period(h, 19), 13);
}

static void test_percentiles(void **st) {
  (void)st;
  double s[] = {1, 2, 3, 4, 10};
  /* numpy: percentile([1,2,3,4,10], 90) = 7.6; hazen: pos = 5*0.9+0.5 = 5 -> 10 */
  assert_true(fabs(gla_percentile_linear(s, 5, 90) - 7.6) < 1e-12);
  assert_true(fabs(gla_percentile_hazen(s, 5, 90) - 10.0) < 1e-12);
  /* hazen at 50 = 3; at 70: pos 4 -> 4; at 60: pos 3.5 -> 3.5 */
  assert_true(fabs(gla_percentile_hazen(s, 5, 60) - 3.5) < 1e-12);
  assert_true(fabs(gla_percentile_hazen(s, 5, 5) - 1.0) < 1e-12); /* clamped */
  assert_true(fabs(gla_percentile_linear(s, 5, 50) - 3.0) < 1e-12);
  gla_summary sm;
  assert_int_equal(gla_summarize(s, 5, &sm), GL_OK);
  assert_true(sm.max == 10 && fabs(sm.mean - 4.0) < 1e-15 && sm.median == 3.0);
}

static void test_derivative_zscore(void **st) {
  (void)st;
  double x[] = {0, 1, 3, 6, 10, 100, 101};
  size_t seg[] = {0, 5, 7};
  double d[7];
  assert_int_equal(gla_derivative(x, 7, 1, seg, 2, GLA_DERIV_BACKWARD, 0.5, d), GL_OK);
  double eb[] = {2, 2, 4, 6, 8, 2, 2};
  for (int i = 0; i < 7; ++i) assert_true(d[i] == eb[i]);
  assert_int_equal(gla_derivative(x, 7, 1, seg, 2, GLA_DERIV_PERIODIC_BACKWARD, 0.5, d), GL_OK);
  assert_true(d[0] == -20 && d[5] == -2 && d[6] == 2);
  assert_int_equal(gla_derivative(x, 7, 1, seg, 2, GLA_DERIV_CENTRAL, 0.5, d), GL_OK);
  assert_true(d[0] == 2 && d[1] == 3 && d[4] == 8);
  /* z-score: ddof 0, constant column -> 0 */
  double z[] = {1, 5, 2, 5, 3, 5};
  double m[2], sc[2];
  gla_zscore(z, 3, 2, m, sc);
  assert_true(fabs(m[0] - 2) < 1e-15 && fabs(sc[0] - sqrt(2.0 / 3.0)) < 1e-15 && sc[1] == 0);
  assert_true(z[1] == 0 && z[3] == 0 && z[5] == 0);
  assert_true(fabs(z[0] + sqrt(1.5)) < 1e-14);
  /* epsilon rules on [[0,0],[2,4]]: flattened var = var{0,0,2,4} = 2.75; column sum 1 + 4 */
  double e[] = {0, 0, 2, 4};
  assert_true(fabs(gla_epsilon(e, 2, 2, GLA_EPS_AUTHORS, 0, 0.1) - 0.275) < 1e-15);
  assert_true(fabs(gla_epsilon(e, 2, 2, GLA_EPS_RUSSO, 0, 0.1) - 0.5) < 1e-15);
  assert_true(fabs(gla_epsilon(e, 2, 2, GLA_EPS_RUSSO, 1, 0.1) - 1.0) < 1e-15);
}

static void test_spline(void **st) {
  (void)st;
  /* docs/analysis.md §7: knots 0..0.2 (11), y = sin(2 pi 5 t), 1 ms grid, t = 0.031 */
  double y[10], out[201];
  for (int i = 0; i < 10; ++i) y[i] = sin(2 * M_PI * 5 * 0.02 * i);
  assert_int_equal(gla_spline_periodic(y, 10, 0.02, 201, out), GL_OK);
  assert_true(fabs(out[31] - 0.826732021) < 1e-9);
  assert_true(out[200] == out[0]);
  for (int i = 0; i < 10; ++i) assert_true(fabs(out[20 * i] - y[i]) < 1e-12); /* interpolates */
  /* a pure low harmonic is reproduced closely between knots */
  double y2[50], o2[1000];
  for (int i = 0; i < 50; ++i) y2[i] = sin(2 * M_PI * i / 50.0);
  assert_int_equal(gla_spline_periodic(y2, 50, 0.02, 1000, o2), GL_OK);
  for (int i = 0; i < 1000; ++i) assert_true(fabs(o2[i] - sin(2 * M_PI * i / 999.0)) < 1e-5);
}

static void test_speed_axis(void **st) {
  (void)st;
  /* condition means = speed_s * a + b, a known direction: centred answer is a/|a|;
   * with b = 0 the uncentred answer is also a/|a|; sign follows speed */
  const int S = 7, m = 10;
  double a[10], cm[70], sp[7], d[10], frac;
  double na = 0;
  for (int j = 0; j < m; ++j) {
    a[j] = (j % 3) - 1.0 + 0.1 * j;
    na += a[j] * a[j];
  }
  na = sqrt(na);
  for (int s = 0; s < S; ++s) {
    sp[s] = 0.4 + 0.1 * s;
    for (int j = 0; j < m; ++j) cm[s * m + j] = -sp[s] * a[j]; /* falls with speed */
  }
  assert_int_equal(gla_speed_axis(cm, S, m, sp, 0, d, &frac), GL_OK);
  for (int j = 0; j < m; ++j) assert_true(fabs(d[j] + a[j] / na) < 1e-12); /* rises with speed */
  assert_true(fabs(frac - 1.0) < 1e-12);
  double b[10];
  for (int j = 0; j < m; ++j) b[j] = j == 0 ? 5.0 : 0.0;
  for (int s = 0; s < S; ++s)
    for (int j = 0; j < m; ++j) cm[s * m + j] = sp[s] * a[j] + b[j];
  assert_int_equal(gla_speed_axis(cm, S, m, sp, 1, d, &frac), GL_OK);
  for (int j = 0; j < m; ++j) assert_true(fabs(d[j] - a[j] / na) < 1e-12);
  assert_true(fabs(frac - 1.0) < 1e-12);
  /* uncentred with the offset differs and keeps less than all variance */
  assert_int_equal(gla_speed_axis(cm, S, m, sp, 0, d, &frac), GL_OK);
  assert_true(fabs(d[0] - a[0] / na) > 1e-3 && frac < 1.0);
}

static void test_subspace(void **st) {
  (void)st;
  /* two conditions in orthogonal planes of R^4 and one in the first plane again */
  double r0[40], r1[40], r2[40];
  int rows[3] = {10, 10, 10};
  for (int i = 0; i < 10; ++i) {
    double t = 2 * M_PI * i / 10;
    double v0[4] = {cos(t), sin(t), 0, 0}, v1[4] = {0, 0, cos(t), 2 * sin(t)},
           v2[4] = {3 * cos(t), -sin(t), 0, 0};
    memcpy(r0 + 4 * i, v0, sizeof v0);
    memcpy(r1 + 4 * i, v1, sizeof v1);
    memcpy(r2 + 4 * i, v2, sizeof v2);
  }
  const double *r[3] = {r0, r1, r2};
  double ov[9];
  assert_int_equal(gla_subspace_overlap(r, rows, 3, 4, 2, ov), GL_OK);
  for (int c = 0; c < 3; ++c) assert_true(fabs(ov[c * 3 + c] - 1) < 1e-12);
  assert_true(fabs(ov[0 * 3 + 2] - 1) < 1e-12 && fabs(ov[2 * 3 + 0] - 1) < 1e-12);
  assert_true(fabs(ov[0 * 3 + 1]) < 1e-12 && fabs(ov[1 * 3 + 0]) < 1e-12);
}

static void test_rsum(void **st) {
  (void)st;
  /* order independence and accuracy: sum of terms with wildly different magnitudes */
  enum { K = 1000 };
  double t[K], fwd[1], bwd[1];
  glr_stream s;
  glr_init(&s, 3, 0, GLR_TEST);
  for (int i = 0; i < K; ++i) t[i] = glr_normal(&s) * pow(10.0, (i % 7) - 3);
  gla_rsum a, b;
  assert_int_equal(gla_rsum_init(&a, 1, 1e4, K), GL_OK);
  assert_int_equal(gla_rsum_init(&b, 1, 1e4, K), GL_OK);
  long double exact = 0;
  for (int i = 0; i < K; ++i) {
    gla_rsum_add(&a, &t[i]);
    gla_rsum_add(&b, &t[K - 1 - i]);
    exact += t[i];
  }
  assert_int_equal(gla_rsum_finish(&a, fwd, MPI_COMM_SELF), GL_OK);
  assert_int_equal(gla_rsum_finish(&b, bwd, MPI_COMM_SELF), GL_OK);
  assert_true(fwd[0] == bwd[0]);
  assert_true(fabs(fwd[0] - (double)exact) <= 1e-15 * fabs((double)exact) + 1e-20);
  gla_rsum_free(&a);
  gla_rsum_free(&b);
  /* a term above the declared bound is reported, not silently wrapped */
  double big = 1e30, out;
  assert_int_equal(gla_rsum_init(&a, 1, 1.0, 2), GL_OK);
  gla_rsum_add(&a, &big);
  assert_int_equal(gla_rsum_finish(&a, &out, MPI_COMM_SELF), GL_ERR_NUMERIC);
  gla_rsum_free(&a);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_liftoffs_toy), cmocka_unit_test(test_mode_ties),
      cmocka_unit_test(test_percentiles),  cmocka_unit_test(test_derivative_zscore),
      cmocka_unit_test(test_spline),       cmocka_unit_test(test_speed_axis),
      cmocka_unit_test(test_subspace),     cmocka_unit_test(test_rsum),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
