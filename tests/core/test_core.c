/* Sharding arithmetic and random-stream properties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/core.h"
#include "gaitlab/experiment.h"
#include "gaitlab/rng.h"

static void test_shard_cover(void **state) {
  (void)state;
  for (int64_t n = 0; n <= 60; ++n)
    for (int p = 1; p <= 17; ++p) {
      int64_t next = 0, lo = n, hi = 0;
      for (int r = 0; r < p; ++r) {
        int64_t b, e;
        gl_shard_range(n, p, r, &b, &e);
        assert_int_equal(b, next);   /* contiguous, in rank order */
        assert_true(e >= b);
        if (e - b < lo) lo = e - b;
        if (e - b > hi) hi = e - b;
        next = e;
      }
      assert_int_equal(next, n);      /* covers everything exactly once */
      assert_true(hi - lo <= 1);      /* balanced */
    }
  int64_t b, e;
  gl_shard_range(10, 4, 0, &b, &e); /* 10 = 3 + 3 + 2 + 2 */
  assert_int_equal(b, 0); assert_int_equal(e, 3);
  gl_shard_range(10, 4, 3, &b, &e);
  assert_int_equal(b, 8); assert_int_equal(e, 10);
  gl_shard_range(3, 5, 4, &b, &e);  /* more ranks than agents: empty tail */
  assert_int_equal(b, 3); assert_int_equal(e, 3);
}

/* Known-answer vectors of Philox-4x64-10 from the Random123 distribution (kat_vectors):
 * checks we drive the library as specified (counter and key word order). */
static void test_philox_kat(void **state) {
  (void)state;
  glr_stream s;
  glr_init(&s, 0, 0, (glr_purpose)0);
  assert_true(glr_u64(&s) == 0x16554d9eca36314cULL);
  assert_true(glr_u64(&s) == 0xdb20fe9d672d0fdcULL);
  assert_true(glr_u64(&s) == 0xd7e772cee186176bULL);
  assert_true(glr_u64(&s) == 0x7e68b68aec7ba23bULL);
}

static void test_stream_position(void **state) {
  (void)state;
  glr_stream a, b;
  glr_init(&a, 42, 17, GLR_OBS_NOISE);
  uint64_t seq[11];
  for (int i = 0; i < 11; ++i) seq[i] = glr_u64(&a);
  assert_int_equal(glr_position(&a), 11);
  for (int p = 0; p <= 10; ++p) {
    glr_init(&b, 42, 17, GLR_OBS_NOISE);
    glr_seek(&b, (uint64_t)p);
    assert_int_equal(glr_position(&b), p);
    assert_true(glr_u64(&b) == seq[p]);
  }
}

/* Streams that differ in any key part must look independent: the sample correlation of
 * 20000 uniforms is ~N(0, 1/20000) under independence, so |r| < 0.03 (4.2 sigma). */
static double corr(glr_stream *x, glr_stream *y, int n) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    double a = glr_uniform(x), b = glr_uniform(y);
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b;
  }
  double cov = sxy / n - (sx / n) * (sy / n);
  return cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
}

static void test_stream_independence(void **state) {
  (void)state;
  const int n = 20000;
  glr_stream a, b;
  uint64_t keys[4][3] = {{1, 0, GLR_OBS_NOISE}, {1, 1, GLR_OBS_NOISE}, {2, 0, GLR_OBS_NOISE}, {1, 0, GLR_PUSH}};
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) {
      glr_init(&a, keys[i][0], keys[i][1], (glr_purpose)keys[i][2]);
      glr_init(&b, keys[j][0], keys[j][1], (glr_purpose)keys[j][2]);
      assert_true(fabs(corr(&a, &b, n)) < 0.03);
    }
  /* Uniform moments: mean 1/2 +- 4.2 * sqrt(1/12/n); variance 1/12 within 2%. Normal: mean
   * 0 +- 4.2/sqrt(n), variance 1 within 4%. */
  glr_init(&a, 9, 3, GLR_TEST);
  double s = 0, ss = 0, ns = 0, nss = 0;
  for (int i = 0; i < n; ++i) {
    double u = glr_uniform(&a);
    assert_true(u >= 0.0 && u < 1.0);
    s += u; ss += u * u;
    double z = glr_normal(&a);
    ns += z; nss += z * z;
  }
  assert_true(fabs(s / n - 0.5) < 4.2 * sqrt(1.0 / 12.0 / n));
  assert_true(fabs((ss / n - (s / n) * (s / n)) * 12.0 - 1.0) < 0.02);
  assert_true(fabs(ns / n) < 4.2 / sqrt((double)n));
  assert_true(fabs(nss / n - 1.0) < 0.04);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shard_cover),
      cmocka_unit_test(test_philox_kat),
      cmocka_unit_test(test_stream_position),
      cmocka_unit_test(test_stream_independence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
