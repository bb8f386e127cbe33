/* PPO arithmetic against hand-worked cases, closed forms, numeric integration and finite
 * differences (docs/task_and_training.md §17). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/rng.h"
#include "gaitlab/train.h"

/* Hand-worked: gamma 0.9, lambda 0.8 (gamma*lambda = 0.72).
 * env 0, no episode end, V_T = 2:
 *   t2: d = 3 + 0.9*2 - 1.5 = 3.3                      A = 3.3
 *   t1: d = 2 + 0.9*1.5 - 1 = 2.35                     A = 2.35 + 0.72*3.3 = 4.726
 *   t0: d = 1 + 0.9*1 - 0.5 = 1.4                      A = 1.4 + 0.72*4.726 = 4.80272
 * env 1: time-out at t0 with V(s_T) = 4, failure at t2 (V_T = 10 must be ignored):
 *   t2: d = 1 - 3 = -2                                 A = -2
 *   t1: d = 1 + 0.9*3 - 2 = 1.7                        A = 1.7 + 0.72*(-2) = 0.26
 *   t0: d = 1 + 0.9*4 - 1 = 3.6 (no look-ahead)        A = 3.6 */
static void test_gae(void **state) {
  (void)state;
  const int n = 2, T = 3;
  /* time-major [t][env] */
  const float rew[] = {1, 1, 2, 1, 3, 1};
  const float val[] = {0.5f, 1, 1, 2, 1.5f, 3};
  const unsigned char end[] = {0, 1, 0, 0, 0, 1};
  const float boot[] = {0, 4, 0, 0, 0, 0};
  const float last[] = {2, 10};
  float adv[6], ret[6];
  glt_gae(n, T, rew, val, end, boot, last, 0.9, 0.8, adv, ret);
  const double A[] = {4.80272, 3.6, 4.726, 0.26, 3.3, -2.0};
  for (int k = 0; k < 6; ++k) {
    assert_float_equal(adv[k], A[k], 2e-6);
    assert_float_equal(ret[k], A[k] + val[k], 2e-6);
  }
  /* without the bootstrap the time-out step is terminal: A = 1 - 1 = 0 */
  glt_gae(n, T, rew, val, end, NULL, last, 0.9, 0.8, adv, ret);
  assert_float_equal(adv[1], 0.0, 1e-7);
  assert_float_equal(adv[0], 4.80272, 2e-6);
}

/* Two torch-semantics Adam steps, hand-worked (lr 0.1, betas 0.9/0.999, eps 1e-8).
 * Step 1, g = (0.5, -0.1): bias correction makes m^ = g, v^ = g^2, so p -= 0.1*sign(g).
 * Step 2, g = (1, 0): m = (0.145, -0.009), m^ = m/0.19; v = (1.24975e-3, 9.99e-6),
 * v^ = v/1.999e-3; p0 = 0.9 - 0.1*0.763158/0.790688 = 0.8034818,
 * p1 = -1.9 + 0.1*0.0473684/0.0706929 = -1.8329942. */
static void test_adam(void **state) {
  (void)state;
  glt_adam a;
  assert_int_equal(glt_adam_init(&a, 2, 0.9, 0.999, 1e-8), GL_OK);
  float p[2] = {1.0f, -2.0f};
  const float g1[2] = {0.5f, -0.1f}, g2[2] = {1.0f, 0.0f};
  glt_adam_step(&a, p, g1, 0.1);
  assert_float_equal(p[0], 0.9, 1e-6);
  assert_float_equal(p[1], -1.9, 1e-6);
  glt_adam_step(&a, p, g2, 0.1);
  assert_int_equal(a.step, 2);
  assert_float_equal(p[0], 0.8034818006, 1e-6);
  assert_float_equal(p[1], -1.8329941941, 1e-6);
  /* without bias correction step 1 would have moved p by lr*0.1*g/sqrt(1e-3 g^2) = 0.316 lr */
  glt_adam_free(&a);
}

static double rel_err(double a, double b) {
  if (a == 0.0 && b == 0.0) return 0.0;
  return fabs(a - b) / (fabs(a) + fabs(b));
}

/* Analytic dL/dmu, dL/dlogstd, dL/dvalue of the per-sample PPO loss against centred finite
 * differences in double, in both surrogate branches, with the bounds and entropy terms on. */
static void test_ppo_gradients(void **state) {
  (void)state;
  glt_params p;
  glt_params_defaults(&p);
  p.entropy_coef = 0.01; /* exercise every term */
  p.bounds_coef = 0.3;
  glr_stream r;
  glr_init(&r, 7, 0, GLR_TEST);
  enum { K = 12 };
  int checked_clip = 0, checked_free = 0;
  for (int trial = 0; trial < 40; ++trial) {
    double mu[K], ls[K], act[K], dmu[K], dls[K], dv;
    for (int j = 0; j < K; ++j) {
      mu[j] = glr_uniform_range(&r, -1.6, 1.6); /* some beyond the 1.1 bound */
      if (fabs(fabs(mu[j]) - 1.1) < 1e-3) mu[j] += 0.01;
      ls[j] = glr_uniform_range(&r, -1.0, 0.3);
      act[j] = mu[j] + exp(ls[j]) * glr_normal(&r);
    }
    double nlp = glt_neglogp(K, act, mu, ls);
    /* old log-prob chosen so the ratio is either well inside or well outside the band */
    double lr_shift = (trial % 2) ? glr_uniform_range(&r, -0.1, 0.1)
                                  : (glr_uniform(&r) < 0.5 ? -0.6 : 0.6);
    glt_sample_in s = {K, mu, ls, act, nlp + lr_shift, glr_uniform_range(&r, -2, 2),
                       glr_uniform_range(&r, -1, 1), glr_uniform_range(&r, -1, 1)};
    const double inv_n = 1.0 / 7.0;
    for (int j = 0; j < K; ++j) dls[j] = 0.0;
    glt_loss_acc acc = {0};
    glt_ppo_sample(&p, &s, inv_n, dmu, dls, &dv, &acc);
    double ratio = exp(lr_shift);
    int clipped_branch = (s.adv > 0 && ratio > 1.2) || (s.adv < 0 && ratio < 0.8);
    if (clipped_branch) checked_clip++;
    else checked_free++;
    const double h = 1e-6;
    for (int j = 0; j < K; ++j) {
      double mu_p[K], mu_m[K], ls_p[K], ls_m[K];
      for (int q = 0; q < K; ++q) mu_p[q] = mu_m[q] = mu[q], ls_p[q] = ls_m[q] = ls[q];
      mu_p[j] += h, mu_m[j] -= h, ls_p[j] += h, ls_m[j] -= h;
      glt_sample_in a = s, b = s;
      a.mu = mu_p, b.mu = mu_m;
      double fd = (glt_ppo_sample(&p, &a, inv_n, NULL, NULL, NULL, NULL) -
                   glt_ppo_sample(&p, &b, inv_n, NULL, NULL, NULL, NULL)) / (2 * h);
      assert_true(rel_err(fd, dmu[j]) < 1e-6 || fabs(fd - dmu[j]) < 1e-10);
      a = s, b = s;
      a.logstd = ls_p, b.logstd = ls_m;
      fd = (glt_ppo_sample(&p, &a, inv_n, NULL, NULL, NULL, NULL) -
            glt_ppo_sample(&p, &b, inv_n, NULL, NULL, NULL, NULL)) / (2 * h);
      assert_true(rel_err(fd, dls[j]) < 1e-6 || fabs(fd - dls[j]) < 1e-10);
    }
    glt_sample_in a = s, b = s;
    a.value += h, b.value -= h;
    double fd = (glt_ppo_sample(&p, &a, inv_n, NULL, NULL, NULL, NULL) -
                 glt_ppo_sample(&p, &b, inv_n, NULL, NULL, NULL, NULL)) / (2 * h);
    assert_true(rel_err(fd, dv) < 1e-6);
    /* critic term is 0.5 * coef * (v - R)^2 -> gradient coef * (v - R) / n */
    assert_float_equal(dv, p.critic_coef * (s.value - s.ret) * inv_n, 1e-14);
  }
  assert_true(checked_clip > 3 && checked_free > 3);
}

/* At ratio 1 the surrogate's gradient w.r.t. mu is -A (a - mu)/sigma^2 / n exactly. */
static void test_ppo_ratio_one(void **state) {
  (void)state;
  glt_params p;
  glt_params_defaults(&p);
  p.bounds_coef = 0.0;
  double mu[2] = {0.2, -0.3}, ls[2] = {0.0, log(0.5)}, act[2] = {0.7, -0.1}, dmu[2], dls[2] = {0};
  double nlp = glt_neglogp(2, act, mu, ls);
  glt_sample_in s = {2, mu, ls, act, nlp, 1.5, 0.0, 0.0};
  glt_loss_acc acc = {0};
  double L = glt_ppo_sample(&p, &s, 1.0, dmu, dls, NULL, &acc);
  assert_float_equal(L, -1.5, 1e-12);          /* -A * ratio */
  assert_float_equal(acc.ratio_dev, 0.0, 1e-15);
  assert_float_equal(dmu[0], -1.5 * 0.5 / 1.0, 1e-12);
  assert_float_equal(dmu[1], -1.5 * 0.2 / 0.25, 1e-12);
  /* d/dlogstd of -A * ratio = A * (1 - z^2) * (-1)... = -A (z^2 - 1) */
  assert_float_equal(dls[0], -1.5 * (0.25 - 1.0), 1e-12);
  assert_float_equal(dls[1], -1.5 * (0.16 - 1.0), 1e-12);
  /* neglogp vs the Gaussian density written out */
  double ref = 0.0;
  for (int j = 0; j < 2; ++j) {
    double sg = exp(ls[j]);
    ref -= log(exp(-0.5 * pow((act[j] - mu[j]) / sg, 2)) / (sg * sqrt(2 * M_PI)));
  }
  assert_float_equal(nlp, ref, 1e-12);
}

/* KL(p0||p1) for 1-D Gaussians by numeric integration (Simpson, +-12 sigma0). */
static double kl_numeric(double m0, double s0, double m1, double s1) {
  const int N = 20000;
  double a = m0 - 12 * s0, b = m0 + 12 * s0, h = (b - a) / N, sum = 0.0;
  for (int i = 0; i <= N; ++i) {
    double x = a + i * h;
    double lp0 = -0.5 * pow((x - m0) / s0, 2) - log(s0 * sqrt(2 * M_PI));
    double lp1 = -0.5 * pow((x - m1) / s1, 2) - log(s1 * sqrt(2 * M_PI));
    double f = exp(lp0) * (lp0 - lp1);
    sum += f * ((i == 0 || i == N) ? 1 : (i % 2 ? 4 : 2));
  }
  return sum * h / 3.0;
}

static void test_kl(void **state) {
  (void)state;
  double m0[3] = {0.1, -0.5, 1.0}, s0[3] = {1.0, 0.5, 0.2}, m1[3] = {0.1, -0.5, 1.0};
  double s1[3] = {1.0, 0.5, 0.2};
  assert_float_equal(glt_gauss_kl_exact(3, m0, s0, m1, s1), 0.0, 1e-15);
  /* rl_games' guards bias the identical case by ~1e-5 * (1 - 1/(2 s^2)) per dim */
  assert_true(fabs(glt_gauss_kl(3, m0, s0, m1, s1)) < 2e-4);
  /* equal sigma: dm^2 / (2 sigma^2) */
  double ma[1] = {0.0}, mb[1] = {0.3}, sa[1] = {0.5};
  assert_float_equal(glt_gauss_kl_exact(1, ma, sa, mb, sa), 0.09 / 0.5, 1e-14);
  /* sigma 1 vs 2: log 2 + 1/8 - 1/2 */
  double one[1] = {1.0}, two[1] = {2.0};
  assert_float_equal(glt_gauss_kl_exact(1, ma, one, ma, two), log(2.0) + 0.125 - 0.5, 1e-14);
  glr_stream r;
  glr_init(&r, 3, 0, GLR_TEST);
  for (int trial = 0; trial < 10; ++trial) {
    double a0 = glr_uniform_range(&r, -1, 1), b0 = glr_uniform_range(&r, 0.2, 1.5);
    double a1 = glr_uniform_range(&r, -1, 1), b1 = glr_uniform_range(&r, 0.2, 1.5);
    double num = kl_numeric(a0, b0, a1, b1);
    assert_float_equal(glt_gauss_kl_exact(1, &a0, &b0, &a1, &b1), num, 1e-8 * (1 + num));
    /* guarded version: within the guard's order of magnitude of the exact one */
    assert_float_equal(glt_gauss_kl(1, &a0, &b0, &a1, &b1), num, 1e-3 * (1 + num));
  }
}

static void test_lr_schedule(void **state) {
  (void)state;
  const double thr = 0.008;
  assert_float_equal(glt_lr_update(3e-4, 0.017, thr, 1e-6, 1e-2), 2e-4, 1e-15);
  assert_float_equal(glt_lr_update(3e-4, 0.003, thr, 1e-6, 1e-2), 4.5e-4, 1e-15);
  assert_float_equal(glt_lr_update(3e-4, 0.008, thr, 1e-6, 1e-2), 3e-4, 0.0);
  /* band edges are inclusive (strict comparisons in rl_games) */
  assert_float_equal(glt_lr_update(3e-4, 0.016, thr, 1e-6, 1e-2), 3e-4, 0.0);
  assert_float_equal(glt_lr_update(3e-4, 0.004, thr, 1e-6, 1e-2), 3e-4, 0.0);
  assert_float_equal(glt_lr_update(1.2e-6, 1.0, thr, 1e-6, 1e-2), 1e-6, 0.0);
  assert_float_equal(glt_lr_update(9e-3, 0.0, thr, 1e-6, 1e-2), 1e-2, 0.0);
}

static void test_clip_grad(void **state) {
  (void)state;
  float g[2] = {3.0f, 4.0f};
  double norm = glt_clip_grad_norm(g, 2, 1.0);
  assert_float_equal(norm, 5.0, 1e-12);
  assert_float_equal(g[0], 3.0 / (5.0 + 1e-6), 1e-7);
  assert_float_equal(g[1], 4.0 / (5.0 + 1e-6), 1e-7);
  float h[2] = {0.3f, 0.4f};
  assert_float_equal(glt_clip_grad_norm(h, 2, 1.0), 0.5, 1e-7);
  assert_float_equal(h[0], 0.3f, 0.0); /* below the limit: untouched */
}

/* Prior (count 1, mean 0, var 1) merged with a batch (3, mean 2, var 4):
 * delta 2, total 4, mean 0 + 2*3/4 = 1.5, M2 = 1 + 12 + 4*1*3/4 = 16, var 16/4 = 4. */
static void test_value_norm(void **state) {
  (void)state;
  glt_vnorm v;
  glt_vnorm_init(&v);
  glt_vnorm_merge(&v, 3, 2.0, 4.0);
  assert_float_equal(v.count, 4.0, 0);
  assert_float_equal(v.mean, 1.5, 1e-15);
  assert_float_equal(v.var, 4.0, 1e-15);
  assert_float_equal(glt_vnorm_normalize(&v, 3.5), 2.0 / sqrt(4.0 + 1e-5), 1e-12);
  assert_float_equal(glt_vnorm_normalize(&v, 100.0), 5.0, 0);    /* clamp */
  assert_float_equal(glt_vnorm_denormalize(&v, 9.0), 5.0 * sqrt(4.00001) + 1.5, 1e-12);
  assert_float_equal(glt_vnorm_denormalize(&v, glt_vnorm_normalize(&v, -0.7)), -0.7, 1e-12);
  /* merging two halves equals merging the whole batch (moments from glt_moments) */
  float x[8] = {1, 3, -2, 5, 0.5f, 7, -1, 2};
  double c, m, var, c1, m1, v1, c2, m2, v2;
  assert_int_equal(glt_moments(MPI_COMM_SELF, 8, 1, x, 1, &c, &m, &var), GL_OK);
  assert_float_equal(m, 15.5 / 8, 1e-12);
  double ss = 0;
  for (int i = 0; i < 8; ++i) ss += (x[i] - m) * (x[i] - m);
  assert_float_equal(var, ss / 7, 1e-12);
  assert_int_equal(glt_moments(MPI_COMM_SELF, 3, 1, x, 1, &c1, &m1, &v1), GL_OK);
  assert_int_equal(glt_moments(MPI_COMM_SELF, 5, 1, x + 3, 1, &c2, &m2, &v2), GL_OK);
  glt_vnorm a, b;
  glt_vnorm_init(&a);
  glt_vnorm_init(&b);
  /* the merge formula uses M2 = var * count; feed population variances so halves combine */
  glt_vnorm_merge(&a, c, m, var * 7 / 8);
  glt_vnorm_merge(&b, c1, m1, v1 * 2 / 3);
  glt_vnorm_merge(&b, c2, m2, v2 * 4 / 5);
  assert_float_equal(a.mean, b.mean, 1e-12);
  assert_float_equal(a.var, b.var, 1e-12);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gae),          cmocka_unit_test(test_adam),
      cmocka_unit_test(test_ppo_gradients), cmocka_unit_test(test_ppo_ratio_one),
      cmocka_unit_test(test_kl),           cmocka_unit_test(test_lr_schedule),
      cmocka_unit_test(test_clip_grad),    cmocka_unit_test(test_value_norm),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
