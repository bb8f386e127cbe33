/* Observation normaliser against an independent two-pass computation of the rl_games
 * RunningMeanStd recursion, merge-order independence, merge == update, and apply. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/policy.h"
#include "gaitlab/rng.h"

#define DIM 37
#define STRIDE 41

static float *make_batch(int B, uint64_t key) {
  float *x = malloc(sizeof(float) * B * STRIDE);
  glr_stream s;
  glr_init(&s, 77, key, GLR_TEST);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < STRIDE; j++)
      x[b * STRIDE + j] = (float)(0.1 * j - 1 + (1 + 0.05 * j) * glr_normal(&s));
  return x;
}

/* One batch merged into the prior (count 1, mean 0, var 1) treats the prior as one pseudo
 * sample: total count 1 + B, mean sum/(1+B), and var = (1 + B*s2 + mean_b^2*B/(1+B))/(1+B)
 * with s2 the unbiased batch variance (torch.var default). Two-pass in long double. */
static void test_single_batch(void **state) {
  (void)state;
  const int B = 1000;
  float *x = make_batch(B, 1);
  glp_norm n;
  assert_int_equal(glp_norm_init(&n, DIM), GL_OK);
  assert_true(n.count == 1 && n.mean[3] == 0 && n.var[3] == 1);
  glp_norm_update(&n, B, x, STRIDE);
  assert_true(n.count == 1 + B);
  double worst = 0;
  for (int j = 0; j < DIM; j++) {
    long double m = 0, s2 = 0;
    for (int b = 0; b < B; b++) m += x[b * STRIDE + j];
    m /= B;
    for (int b = 0; b < B; b++) s2 += (x[b * STRIDE + j] - m) * (x[b * STRIDE + j] - m);
    s2 /= B - 1;
    long double em = m * B / (1 + B);
    long double ev = (1 + B * s2 + m * m * B / (1 + B)) / (1 + B);
    worst = fmax(worst, fabs((double)(n.mean[j] - em)) / (1 + fabs((double)em)));
    worst = fmax(worst, fabs((double)(n.var[j] - ev)) / (double)ev);
  }
  printf("normaliser vs two-pass: worst rel err %.3g\n", worst);
  assert_true(worst < 1e-13);
  glp_norm_free(&n);
  free(x);
}

/* Batches merged in any order give the same statistics (to rounding), and merge() of
 * precomputed moments equals update() on the raw batch. */
static void test_merge_order_and_merge(void **state) {
  (void)state;
  const int sizes[4] = {100, 7, 513, 64};
  float *x[4];
  for (int k = 0; k < 4; k++) x[k] = make_batch(sizes[k], (uint64_t)(10 + k));
  glp_norm a, b, c;
  assert_int_equal(glp_norm_init(&a, DIM), GL_OK);
  assert_int_equal(glp_norm_init(&b, DIM), GL_OK);
  assert_int_equal(glp_norm_init(&c, DIM), GL_OK);
  const int order[4] = {2, 0, 3, 1};
  for (int k = 0; k < 4; k++) glp_norm_update(&a, sizes[k], x[k], STRIDE);
  for (int k = 0; k < 4; k++) glp_norm_update(&b, sizes[order[k]], x[order[k]], STRIDE);
  /* c: the same batches as precomputed (count, mean, unbiased var) moments */
  for (int k = 0; k < 4; k++) {
    double m[DIM], v[DIM];
    for (int j = 0; j < DIM; j++) {
      double s = 0, q = 0;
      for (int r = 0; r < sizes[k]; r++) s += x[k][r * STRIDE + j];
      m[j] = s / sizes[k];
      for (int r = 0; r < sizes[k]; r++) q += pow(x[k][r * STRIDE + j] - m[j], 2);
      v[j] = q / (sizes[k] - 1);
    }
    glp_norm_merge(&c, sizes[k], m, v);
  }
  assert_true(a.count == b.count && a.count == c.count && a.count == 1 + 100 + 7 + 513 + 64);
  double worst = 0;
  for (int j = 0; j < DIM; j++) {
    worst = fmax(worst, fabs(a.mean[j] - b.mean[j]) + fabs(a.var[j] - b.var[j]) / a.var[j]);
    worst = fmax(worst, fabs(a.mean[j] - c.mean[j]) + fabs(a.var[j] - c.var[j]) / a.var[j]);
  }
  printf("merge order / merge vs update: worst diff %.3g\n", worst);
  assert_true(worst < 1e-12);
  /* and it really moved: mean of column 20 is about 0.1*20 - 1 = 1 */
  assert_true(fabs(a.mean[20] - 1.0) < 0.1);
  glp_norm_free(&a);
  glp_norm_free(&b);
  glp_norm_free(&c);
  for (int k = 0; k < 4; k++) free(x[k]);
}

static void test_apply(void **state) {
  (void)state;
  glp_norm n;
  assert_int_equal(glp_norm_init(&n, 4), GL_OK);
  n.mean[0] = 1; n.var[0] = 4;
  n.mean[1] = -2; n.var[1] = 0.25;
  n.mean[2] = 0; n.var[2] = 1e-6;
  n.mean[3] = 0; n.var[3] = 1;
  float x[2][5] = {{3, -2.5, 1, -9, 99}, {-100, 10, -1e-3f, 0.5f, 99}};
  float out[2][3];
  glp_norm_apply(&n, 2, &x[0][0], 5, &out[0][0], 3);
  assert_true(fabsf(out[0][0] - (float)(2 / sqrt(4 + 1e-5))) < 1e-6f);
  assert_true(fabsf(out[0][1] - (float)(-0.5 / sqrt(0.25 + 1e-5))) < 1e-6f);
  assert_true(out[0][2] == 5.0f);     /* 1/sqrt(1.1e-5) = 301 -> clamped */
  assert_true(out[1][0] == -5.0f);
  assert_true(out[1][1] == 5.0f);
  assert_true(fabsf(out[1][2] - (float)(-1e-3 / sqrt(1.1e-5))) < 1e-5f);
  glp_norm_free(&n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_batch),
      cmocka_unit_test(test_merge_order_and_merge),
      cmocka_unit_test(test_apply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
