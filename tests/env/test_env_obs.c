/* Observation layout and scales on hand-built states (docs/task_and_training.md §3), noise
 * bounds/mean, heading controller (§5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"
#include "gaitlab/policy.h"

/* Independent rotation matrix of a unit quaternion (w, x, y, z), row-major body->world. */
static void quat_to_R(const double q[4], double R[9]) {
  double w = q[0], x = q[1], y = q[2], z = q[3];
  R[0] = 1 - 2 * (y * y + z * z); R[1] = 2 * (x * y - z * w);     R[2] = 2 * (x * z + y * w);
  R[3] = 2 * (x * y + z * w);     R[4] = 1 - 2 * (x * x + z * z); R[5] = 2 * (y * z - x * w);
  R[6] = 2 * (x * z - y * w);     R[7] = 2 * (y * z + x * w);     R[8] = 1 - 2 * (x * x + y * y);
}

/* quaternion of yaw psi then pitch theta (intrinsic z-y) */
static void quat_yaw_pitch(double psi, double theta, double q[4]) {
  double cz = cos(psi / 2), sz = sin(psi / 2), cy = cos(theta / 2), sy = sin(theta / 2);
  q[0] = cz * cy;
  q[1] = -sz * sy;
  q[2] = cz * sy;
  q[3] = sz * cy;
}

typedef struct fixture {
  gle_env *e;
  gle_agent *a;
} fixture;

static void make(fixture *f, int noise, int heading) {
  gle_task t;
  env_test_task(&t);
  t.obs_noise = noise;
  t.heading_command = heading;
  ENV_OK(gle_env_create(&f->e, &t));
  ENV_OK(gle_agent_create(&f->a, f->e, 7, 3));
  double cmd[3] = {0.7, -0.3, 0.4};
  ENV_OK(gle_agent_reset(f->a, cmd));
}

static void destroy(fixture *f) {
  gle_agent_destroy(f->a);
  gle_env_destroy(f->e);
}

/* A tilted, yawed, moving base with known joints and previous action. */
static void set_state(gle_agent *a, double z, double q[4]) {
  mjData *d = gle_agent_mjdata(a);
  d->qpos[0] = 1.0;
  d->qpos[1] = 2.0;
  d->qpos[2] = z;
  quat_yaw_pitch(0.5, 0.3, q);
  for (int i = 0; i < 4; ++i) d->qpos[3 + i] = q[i];
  d->qvel[0] = 0.3;
  d->qvel[1] = -0.2;
  d->qvel[2] = 0.1;
  d->qvel[3] = 0.5;
  d->qvel[4] = -0.4;
  d->qvel[5] = 0.3;
  for (int j = 0; j < 12; ++j) {
    d->qpos[7 + j] = 0.1 * (j + 1) - 0.6;
    d->qvel[6 + j] = 0.5 * j - 2.0;
    a->b.prev_action[j] = 0.05 * j - 0.3;
  }
}

static void test_layout_and_scales(void **state) {
  (void)state;
  fixture f;
  make(&f, 0, 0);
  double q[4], R[9];
  set_state(f.a, 0.8, q);
  quat_to_R(q, R);
  float o[GLE_OBS_FULL];
  ENV_OK(gle_agent_observe(f.a, o));
  const double v[3] = {0.3, -0.2, 0.1};
  for (int i = 0; i < 3; ++i) {
    double vb = R[0 + i] * v[0] + R[3 + i] * v[1] + R[6 + i] * v[2]; /* R^T v */
    ASSERT_NEAR(o[i], 2.0 * vb, 1e-6);
  }
  ASSERT_NEAR(o[3], 0.25 * 0.5, 1e-7);
  ASSERT_NEAR(o[4], 0.25 * -0.4, 1e-7);
  ASSERT_NEAR(o[5], 0.25 * 0.3, 1e-7);
  /* yaw 0.5 then pitch 0.3: gravity in body = (sin 0.3, 0, -cos 0.3) (yaw does not matter) */
  ASSERT_NEAR(o[6], sin(0.3), 1e-6);
  ASSERT_NEAR(o[7], 0.0, 1e-6);
  ASSERT_NEAR(o[8], -cos(0.3), 1e-6);
  ASSERT_NEAR(o[9], 2 * 0.7, 1e-6);
  ASSERT_NEAR(o[10], 2 * -0.3, 1e-6);
  ASSERT_NEAR(o[11], 0.25 * 0.4, 1e-6); /* heading off: r given directly */
  for (int j = 0; j < 12; ++j) {
    ASSERT_NEAR(o[12 + j], 0.1 * (j + 1) - 0.6, 1e-6); /* absolute q */
    ASSERT_NEAR(o[24 + j], 0.05 * (0.5 * j - 2.0), 1e-6);
    ASSERT_NEAR(o[176 + j], 0.05 * j - 0.3, 1e-6);
  }
  /* plane: every height = clip(z - 0.5, -1, 1) * 5 */
  for (int k = 0; k < GLE_NHEIGHT; ++k) ASSERT_NEAR(o[36 + k], 5 * 0.3, 1e-5);
  set_state(f.a, 2.0, q);
  ENV_OK(gle_agent_observe(f.a, o));
  for (int k = 0; k < GLE_NHEIGHT; ++k) ASSERT_NEAR(o[36 + k], 5.0, 0);
  set_state(f.a, 0.3, q);
  ENV_OK(gle_agent_observe(f.a, o));
  for (int k = 0; k < GLE_NHEIGHT; ++k) ASSERT_NEAR(o[36 + k], -1.0, 1e-6);
  set_state(f.a, -1.0, q);
  ENV_OK(gle_agent_observe(f.a, o));
  for (int k = 0; k < GLE_NHEIGHT; ++k) ASSERT_NEAR(o[36 + k], -5.0, 0);

  /* roll only: gravity (0, -sin phi, -cos phi) */
  mjData *d = gle_agent_mjdata(f.a);
  d->qpos[3] = cos(0.2);
  d->qpos[4] = sin(0.2);
  d->qpos[5] = d->qpos[6] = 0;
  ENV_OK(gle_agent_observe(f.a, o));
  ASSERT_NEAR(o[6], 0, 1e-7);
  ASSERT_NEAR(o[7], -sin(0.4), 1e-6);
  ASSERT_NEAR(o[8], -cos(0.4), 1e-6);
  destroy(&f);
}

static void test_scan_grid(void **state) {
  (void)state;
  double pts[GLE_NHEIGHT][2];
  const double pos[3] = {1.0, -2.0, 0.6};
  gle_height_points(pos, 0.0, pts);
  /* x outer (14 values), y inner (10): index ix*10 + iy */
  ASSERT_NEAR(pts[0][0], 1.0 - 0.8, 1e-12);
  ASSERT_NEAR(pts[0][1], -2.0 - 0.5, 1e-12);
  ASSERT_NEAR(pts[4][1], -2.0 - 0.1, 1e-12);
  ASSERT_NEAR(pts[5][1], -2.0 + 0.1, 1e-12);
  ASSERT_NEAR(pts[6 * 10][0], 1.0 - 0.2, 1e-12);
  ASSERT_NEAR(pts[7 * 10][0], 1.0 + 0.2, 1e-12);
  ASSERT_NEAR(pts[139][0], 1.8, 1e-12);
  ASSERT_NEAR(pts[139][1], -1.5, 1e-12);
  /* yaw 90 deg: body (x, y) -> world (-y, x) */
  gle_height_points(pos, M_PI / 2, pts);
  ASSERT_NEAR(pts[0][0], 1.0 + 0.5, 1e-12);
  ASSERT_NEAR(pts[0][1], -2.0 - 0.8, 1e-12);
}

static void test_noise(void **state) {
  (void)state;
  fixture clean, noisy;
  make(&clean, 0, 0);
  make(&noisy, 1, 0);
  double q[4];
  set_state(clean.a, 0.7, q);
  set_state(noisy.a, 0.7, q);
  float o0[GLE_OBS_FULL], o[GLE_OBS_FULL], o2[GLE_OBS_FULL];
  ENV_OK(gle_agent_observe(clean.a, o0));
  ENV_OK(gle_agent_observe(clean.a, o2));
  assert_memory_equal(o0, o2, sizeof o0); /* noise off: exactly the same every time */
  static const double amp_of[6] = {0.2, 0.05, 0.05, 0.01, 0.075, 0.3};
  const int N = 3000;
  double sum[GLE_OBS_FULL] = {0}, maxdev[GLE_OBS_FULL] = {0};
  for (int n = 0; n < N; ++n) {
    ENV_OK(gle_agent_observe(noisy.a, o));
    for (int i = 0; i < GLE_OBS_FULL; ++i) {
      double dv = (double)o[i] - (double)o0[i];
      sum[i] += dv;
      if (fabs(dv) > maxdev[i]) maxdev[i] = fabs(dv);
    }
  }
  for (int i = 0; i < GLE_OBS_FULL; ++i) {
    double amp;
    if (i < 3) amp = amp_of[0];
    else if (i < 6) amp = amp_of[1];
    else if (i < 9) amp = amp_of[2];
    else if (i < 12) amp = 0;
    else if (i < 24) amp = amp_of[3];
    else if (i < 36) amp = amp_of[4];
    else if (i < 176) amp = amp_of[5];
    else amp = 0;
    if (amp == 0) {
      if (maxdev[i] != 0) fail_msg("obs[%d] (commands/action) got noise %g", i, maxdev[i]);
      continue;
    }
    /* U(-amp, amp): bounded, nearly reaches the bound, mean 0 (5 sigma of amp/sqrt(3N)) */
    if (!(maxdev[i] <= amp * (1 + 1e-5) + 1e-6)) fail_msg("obs[%d] noise %g > %g", i, maxdev[i], amp);
    if (!(maxdev[i] > 0.99 * amp)) fail_msg("obs[%d] noise max %g << %g", i, maxdev[i], amp);
    double mean = sum[i] / N, tol = 5 * amp / sqrt(3.0 * N);
    if (!(fabs(mean) < tol)) fail_msg("obs[%d] noise mean %g (tol %g)", i, mean, tol);
  }
  destroy(&clean);
  destroy(&noisy);
}

static void test_heading_controller(void **state) {
  (void)state;
  fixture f;
  make(&f, 0, 1);
  mjData *d = gle_agent_mjdata(f.a);
  double cmd[3];
  /* reset: identity orientation, target 0.4 -> r = 0.2 */
  gle_agent_command(f.a, cmd);
  ASSERT_NEAR(cmd[2], 0.2, 1e-12);
  float o[GLE_OBS_FULL];
  ENV_OK(gle_agent_observe(f.a, o));
  ASSERT_NEAR(o[11], 0.25 * 0.2, 1e-7);
  /* yaw 3.0, target -3.0: wrap(-6) = 2 pi - 6 -> r = 0.5 (2 pi - 6) */
  d->qpos[3] = cos(1.5);
  d->qpos[4] = d->qpos[5] = 0;
  d->qpos[6] = sin(1.5);
  double c2[3] = {0.5, 0, -3.0};
  ENV_OK(gle_agent_set_command(f.a, c2));
  gle_agent_command(f.a, cmd);
  ASSERT_NEAR(cmd[2], 0.5 * (2 * M_PI - 6.0), 1e-9);
  /* large error saturates at +-1 */
  double c3[3] = {0.5, 0, 3.0 - 2.5};
  ENV_OK(gle_agent_set_command(f.a, c3));
  gle_agent_command(f.a, cmd);
  ASSERT_NEAR(cmd[2], -1.0, 0);
  ASSERT_NEAR(gle_wrap_to_pi(M_PI + 0.1), -M_PI + 0.1, 1e-12);
  ASSERT_NEAR(gle_wrap_to_pi(-M_PI - 0.1), M_PI - 0.1, 1e-12);
  ASSERT_NEAR(gle_wrap_to_pi(7.0), 7.0 - 2 * M_PI, 1e-12);
  destroy(&f);
}

static void test_obs_after_reset(void **state) {
  (void)state;
  /* Q3 fixed: right after a reset the obs describes the new episode (fresh velocity,
   * upright gravity, zero previous action, new command). */
  fixture f;
  make(&f, 0, 0);
  double q[4];
  set_state(f.a, 0.7, q);
  double cmd[3] = {-0.5, 0.25, -0.3};
  ENV_OK(gle_agent_reset(f.a, cmd));
  float o[GLE_OBS_FULL];
  ENV_OK(gle_agent_observe(f.a, o));
  for (int i = 0; i < 6; ++i) ASSERT_NEAR(o[i], 0, 0);
  ASSERT_NEAR(o[8], -1, 0);
  ASSERT_NEAR(o[9], -1.0, 0);
  ASSERT_NEAR(o[10], 0.5, 0);
  ASSERT_NEAR(o[11], 0.25 * -0.3, 1e-7);
  for (int j = 0; j < 12; ++j) {
    ASSERT_NEAR(o[176 + j], 0, 0);
    ASSERT_NEAR(o[12 + j], gle_env_task(f.e)->default_q[j], 1e-7); /* lo == hi == 1 */
  }
  for (int k = 0; k < GLE_NHEIGHT; ++k) ASSERT_NEAR(o[36 + k], 5 * 0.12, 1e-5);
  destroy(&f);
}

/* The action-feedback agent's 188-d input, through a real step: after a reset columns
 * 176-187 are 0; after gle_agent_step(a) they hold a exactly (as given, Isaac joint order),
 * and after a second step b replaces a. The normaliser passes all 188 columns to an actor
 * with actor_in 188 and drops the last 12 for a 176-input actor. */
static void test_previous_action_columns(void **state) {
  (void)state;
  fixture f;
  make(&f, 1, 0); /* noise on: the previous action is observed without noise */
  float o[GLE_OBS_FULL], a[12], b[12];
  ENV_OK(gle_agent_observe(f.a, o));
  for (int j = 0; j < 12; ++j) ASSERT_NEAR(o[176 + j], 0, 0);
  for (int j = 0; j < 12; ++j) a[j] = 0.125f * (float)j - 0.7f, b[j] = 0.3f - 0.0625f * (float)j;
  gle_step_info info;
  ENV_OK(gle_agent_step(f.a, a, &info));
  ENV_OK(gle_agent_observe(f.a, o));
  for (int j = 0; j < 12; ++j) assert_true(o[176 + j] == a[j]);
  ENV_OK(gle_agent_step(f.a, b, &info));
  ENV_OK(gle_agent_observe(f.a, o));
  for (int j = 0; j < 12; ++j) assert_true(o[176 + j] == b[j]);

  glp_norm n;
  assert_int_equal(glp_norm_init(&n, GLE_OBS_FULL), GL_OK);
  for (int j = 0; j < GLE_OBS_FULL; ++j) n.mean[j] = 0.25, n.var[j] = 4.0 - 1e-5; /* sd 2 */
  float full[GLE_OBS_FULL], part[GLE_OBS];
  glp_norm_apply(&n, 1, o, GLE_OBS_FULL, full, GLE_OBS_FULL);
  glp_norm_apply(&n, 1, o, GLE_OBS_FULL, part, GLE_OBS);
  for (int j = 0; j < 12; ++j) ASSERT_NEAR(full[176 + j], (b[j] - 0.25) / 2.0, 1e-6);
  assert_memory_equal(full, part, sizeof part);
  glp_norm_free(&n);
  destroy(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout_and_scales), cmocka_unit_test(test_scan_grid),
      cmocka_unit_test(test_noise), cmocka_unit_test(test_heading_controller),
      cmocka_unit_test(test_obs_after_reset), cmocka_unit_test(test_previous_action_columns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
