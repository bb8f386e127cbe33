/* PD torque formula and each reward term against hand-computed values
 * (docs/task_and_training.md §4, §6), and the step's reported terms against the state it
 * reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"

static void test_pd_torque(void **state) {
  (void)state;
  gle_task t;
  gle_task_defaults(&t);
  /* j = 1 (LF_HFE, default 0.4): 80 (0.5 * 0.2 + 0.4 - 0.5) - 2 * 1 = -2 */
  ASSERT_NEAR(gle_pd_torque(&t, 1, 0.2, 0.5, 1.0), -2.0, 1e-12);
  /* j = 5 (LH_KFE, default 0.8): 80 (0.5 * -1 + 0.8 - 0.1) - 2 * (-3) = 22 */
  ASSERT_NEAR(gle_pd_torque(&t, 5, -1.0, 0.1, -3.0), 22.0, 1e-12);
  ASSERT_NEAR(gle_pd_torque(&t, 0, 10.0, 0.0, 0.0), 80.0, 0);
  ASSERT_NEAR(gle_pd_torque(&t, 0, -10.0, 0.0, 0.0), -80.0, 0);
  ASSERT_NEAR(gle_pd_torque(&t, 0, 0.0, 0.0, 100.0), -80.0, 0);
  t.torque_limit = 33.0;
  ASSERT_NEAR(gle_pd_torque(&t, 0, 10.0, 0.0, 0.0), 33.0, 0);
}

/* Torques applied in a real step come from the state before the substep. */
static void test_pd_in_step(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  t.decimation = 1;
  gle_env *e;
  gle_agent *a;
  ENV_OK(gle_env_create(&e, &t));
  ENV_OK(gle_agent_create(&a, e, 1, 0));
  double cmd[3] = {0, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  mjData *d = gle_agent_mjdata(a);
  for (int j = 0; j < 12; ++j) d->qvel[6 + j] = 0.3 * j - 1.5;
  float act[12];
  double expect[12];
  for (int j = 0; j < 12; ++j) {
    act[j] = (float)(0.4 * j - 2.0) * (j == 11 ? 40.f : 1.f); /* last one saturates */
    expect[j] = gle_pd_torque(&t, j, act[j], d->qpos[7 + j], d->qvel[6 + j]);
  }
  ASSERT_NEAR(expect[11], 80.0, 0);
  gle_step_info info;
  ENV_OK(gle_agent_step(a, act, &info));
  for (int j = 0; j < 12; ++j) {
    ASSERT_NEAR(info.torque[j], expect[j], 1e-4);
    ASSERT_NEAR(d->ctrl[j], expect[j], 1e-12);
  }
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

static gle_reward_in base_input(void) {
  gle_reward_in in;
  memset(&in, 0, sizeof in);
  in.cmd[0] = 1.0;
  in.cmd[1] = 0.0;
  in.cmd[2] = 0.5;
  in.lin_vel_b[0] = 0.5;
  in.lin_vel_b[1] = 0.5;
  in.lin_vel_b[2] = 0.2;
  in.ang_vel_b[0] = 0.3;
  in.ang_vel_b[1] = -0.4;
  in.ang_vel_b[2] = 0.0;
  in.grav_b[0] = 0.1;
  in.grav_b[1] = -0.2;
  in.grav_b[2] = -0.97;
  in.base_height = 0.42;
  for (int j = 0; j < 12; ++j) {
    in.torque[j] = j < 2 ? 10.0 : 0.0;    /* sum tau^2 = 200 */
    in.qd[j] = j == 0 ? 1.0 : 0.0;
    in.prev_qd[j] = j == 0 ? -2.0 : 0.0;  /* (qd_prev - qd)^2 = 9 */
    in.action[j] = j == 3 ? 0.5 : 0.0;
    in.prev_action[j] = j == 3 ? -0.5 : 0.0; /* 1 */
  }
  return in;
}

static void test_reward_terms(void **state) {
  (void)state;
  gle_task t;
  gle_task_defaults(&t);
  const double dt = 0.02;
  gle_reward_in in = base_input();
  double r[GLE_R_NTERMS];
  double total = gle_reward_compute(&t, dt, &in, r);
  ASSERT_NEAR(r[GLE_R_LIN_VEL], 1.0 * dt * exp(-(0.25 + 0.25) / 0.25), 1e-15);
  ASSERT_NEAR(r[GLE_R_ANG_VEL], 0.5 * dt * exp(-0.25 / 0.25), 1e-15);
  ASSERT_NEAR(r[GLE_R_LIN_VEL_Z], -4.0 * dt * 0.04, 1e-15);
  ASSERT_NEAR(r[GLE_R_ANG_VEL_XY], -0.05 * dt * 0.25, 1e-15);
  ASSERT_NEAR(r[GLE_R_ORIENT], 0.0, 0);      /* scale 0 in the task */
  ASSERT_NEAR(r[GLE_R_BASE_HEIGHT], 0.0, 0); /* scale 0 in the task */
  ASSERT_NEAR(r[GLE_R_TORQUE], -2e-5 * dt * 200, 1e-15);
  ASSERT_NEAR(r[GLE_R_JOINT_ACC], -5e-4 * dt * 9, 1e-15); /* raw difference, not / dt */
  ASSERT_NEAR(r[GLE_R_ACTION_RATE], -0.01 * dt * 1, 1e-15);
  ASSERT_NEAR(r[GLE_R_AIR_TIME], 0.0, 0);
  ASSERT_NEAR(r[GLE_R_COLLISION], 0.0, 0);
  double sum = 0;
  for (int k = 0; k < GLE_R_NTERMS; ++k) sum += r[k];
  ASSERT_NEAR(total, sum, 1e-15);
  assert_true(total > 0);

  /* disabled terms with non-zero scales */
  t.reward_scale[GLE_R_ORIENT] = -1.0;
  t.reward_scale[GLE_R_BASE_HEIGHT] = -2.0;
  gle_reward_compute(&t, dt, &in, r);
  ASSERT_NEAR(r[GLE_R_ORIENT], -1.0 * dt * (0.01 + 0.04), 1e-15);
  ASSERT_NEAR(r[GLE_R_BASE_HEIGHT], -2.0 * dt * 0.01, 1e-15); /* (0.42 - 0.52)^2 */

  /* knees and air time */
  gle_task_defaults(&t);
  in.knee_contacts = 2;
  in.first_contact[0] = 1;
  in.air_time[0] = 0.72;
  in.first_contact[2] = 1;
  in.air_time[2] = 0.22;
  in.air_time[1] = 5.0; /* not a first contact: ignored */
  gle_reward_compute(&t, dt, &in, r);
  ASSERT_NEAR(r[GLE_R_COLLISION], -0.25 * dt * 2, 1e-15);
  ASSERT_NEAR(r[GLE_R_AIR_TIME], 1.0 * dt * ((0.72 - 0.5) + (0.22 - 0.5)), 1e-15);
  in.cmd[0] = 0.06;
  in.cmd[1] = 0.08; /* |cmd_xy| = 0.1: not > 0.1, no air-time reward */
  gle_reward_compute(&t, dt, &in, r);
  ASSERT_NEAR(r[GLE_R_AIR_TIME], 0.0, 0);

  /* the total is clipped at 0 */
  in = base_input();
  for (int j = 0; j < 12; ++j) in.torque[j] = 80.0;
  total = gle_reward_compute(&t, dt, &in, r);
  assert_true(r[GLE_R_TORQUE] < -(r[GLE_R_LIN_VEL] + r[GLE_R_ANG_VEL]));
  ASSERT_NEAR(total, 0.0, 0);
}

static void test_air_time_bookkeeping(void **state) {
  (void)state;
  double air[4] = {0, 0, 0, 0}, used[4];
  int first[4];
  int swing[4] = {0, 1, 1, 1}, stance[4] = {1, 1, 1, 1};
  /* foot 0 in the air for 10 steps, then touches down */
  for (int k = 0; k < 10; ++k) {
    gle_air_time_update(air, swing, 0.02, first, used);
    for (int f = 0; f < 4; ++f) assert_int_equal(first[f], 0);
  }
  ASSERT_NEAR(air[0], 0.2, 1e-12);
  ASSERT_NEAR(air[1], 0.0, 0);
  gle_air_time_update(air, stance, 0.02, first, used);
  assert_int_equal(first[0], 1);
  ASSERT_NEAR(used[0], 0.22, 1e-12); /* incremented before the reward reads it */
  ASSERT_NEAR(air[0], 0.0, 0);
  assert_int_equal(first[1], 0); /* air was 0 before: not a first contact */
  gle_air_time_update(air, stance, 0.02, first, used);
  assert_int_equal(first[0], 0);
}

/* The step's reported terms are those of the state it reports. */
static void test_step_terms_consistent(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  gle_env *e;
  gle_agent *a;
  ENV_OK(gle_env_create(&e, &t));
  ENV_OK(gle_agent_create(&a, e, 1, 0));
  double cmd[3] = {0.6, -0.2, 0.3};
  ENV_OK(gle_agent_reset(a, cmd));
  float act[12] = {0};
  gle_step_info info;
  float prev[12] = {0};
  for (int k = 0; k < 60; ++k) {
    for (int j = 0; j < 12; ++j) act[j] = (float)(0.3 * sin(0.2 * k + j));
    ENV_OK(gle_agent_step(a, act, &info));
    const float *v = info.base_lin_vel, *w = info.base_ang_vel;
    double lin = exp(-(pow(0.6 - v[0], 2) + pow(-0.2 - v[1], 2)) / 0.25) * 0.02;
    ASSERT_NEAR(info.reward_terms[GLE_R_LIN_VEL], lin, 1e-6);
    ASSERT_NEAR(info.reward_terms[GLE_R_ANG_VEL], exp(-pow(0.3 - w[2], 2) / 0.25) * 0.01, 1e-6);
    ASSERT_NEAR(info.reward_terms[GLE_R_LIN_VEL_Z], -0.08 * v[2] * v[2], 1e-6);
    double tq = 0, ar = 0;
    for (int j = 0; j < 12; ++j) {
      tq += (double)info.torque[j] * info.torque[j];
      ar += pow(act[j] - prev[j], 2);
      prev[j] = act[j];
    }
    ASSERT_NEAR(info.reward_terms[GLE_R_TORQUE], -4e-7 * tq, 1e-6 * fabs(4e-7 * tq) + 1e-9);
    ASSERT_NEAR(info.reward_terms[GLE_R_ACTION_RATE], -2e-4 * ar, 1e-8);
    double sum = 0;
    for (int i = 0; i < GLE_R_NTERMS; ++i) sum += info.reward_terms[i];
    ASSERT_NEAR(info.reward, sum > 0 ? sum : 0, 1e-6);
    for (int i = 0; i < 3; ++i) ASSERT_NEAR(info.command[i], cmd[i], 1e-7);
  }
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

/* Folded legs put the knee capsules on the floor: 4 knee contacts, no termination. */
static void test_knee_collision_from_contacts(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  t.decimation = 1;
  t.kp = 0.0; /* hold nothing: we only look at the first substep's contacts */
  t.kd = 0.0;
  gle_env *e;
  gle_agent *a;
  ENV_OK(gle_env_create(&e, &t));
  ENV_OK(gle_agent_create(&a, e, 1, 0));
  double cmd[3] = {0, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  mjData *d = gle_agent_mjdata(a);
  /* HFE 0, KFE folded so the shank points up; the knee (0.285 below the base, r 0.06)
   * penetrates the floor by 1 cm, the base capsule (r 0.10) stays clear */
  d->qpos[2] = 0.285 + 0.06 - 0.01;
  for (int l = 0; l < 4; ++l) {
    d->qpos[7 + 3 * l] = 0;
    d->qpos[8 + 3 * l] = 0;
    d->qpos[9 + 3 * l] = (l == 0 || l == 2) ? -2.5 : 2.5;
  }
  mju_zero(d->qvel, 18);
  float act[12] = {0};
  gle_step_info info;
  ENV_OK(gle_agent_step(a, act, &info));
  /* dt = decimation x timestep = 0.005 here */
  ASSERT_NEAR(info.reward_terms[GLE_R_COLLISION], -0.25 * 0.005 * 4, 1e-9);
  assert_int_equal(info.terminated, 0);
  for (int f = 0; f < 4; ++f) ASSERT_NEAR(info.foot_force[f], 0.0, 0);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pd_torque),
      cmocka_unit_test(test_pd_in_step),
      cmocka_unit_test(test_reward_terms),
      cmocka_unit_test(test_air_time_bookkeeping),
      cmocka_unit_test(test_step_terms_consistent),
      cmocka_unit_test(test_knee_collision_from_contacts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
