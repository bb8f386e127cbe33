/* Whole-robot behaviour: PD stance, falls, pushes, resets, determinism, checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"

static void make(const gle_task *t, gle_env **e, gle_agent **a, uint64_t seed, uint64_t index) {
  ENV_OK(gle_env_create(e, t));
  ENV_OK(gle_agent_create(a, *e, seed, index));
}

static void test_pd_stand(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 1, 0);
  double cmd[3] = {0, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  float act[12] = {0};
  gle_step_info info;
  double fsum = 0, fleg[4] = {0}, zmin = 1e9;
  int navg = 0;
  for (int k = 0; k < 500; ++k) { /* 10 s */
    ENV_OK(gle_agent_step(a, act, &info));
    assert_int_equal(info.terminated, 0);
    assert_int_equal(info.nonfinite, 0);
    assert_int_equal(info.warnings, 0);
    if (info.base_pos[2] < zmin) zmin = info.base_pos[2];
    if (k >= 450) {
      for (int f = 0; f < 4; ++f) {
        fsum += info.foot_force[f];
        fleg[f] += info.foot_force[f];
      }
      navg++;
    }
  }
  const mjModel *m = gle_agent_mjmodel(a);
  mjData *d = gle_agent_mjdata(a);
  double mg = mj_getTotalmass((mjModel *)m) * 9.81;
  double z = d->qpos[2];
  /* tilt: angle between body z and world z */
  double R[9];
  mju_quat2Mat(R, d->qpos + 3);
  double tilt = acos(R[8]) * 180 / M_PI;
  print_message("PD stand (53.16 kg, Kp 80, Kd 2): z %.4f m (min %.4f), tilt %.3f deg, "
                "feet %.1f %.1f %.1f %.1f N (sum %.1f, mg %.1f), drift %.2f mm\n",
                z, zmin, tilt, fleg[0] / navg, fleg[1] / navg, fleg[2] / navg, fleg[3] / navg,
                fsum / navg, mg, 1e3 * hypot(d->qpos[0], d->qpos[1]));
  /* 44.97 kg settles at 0.519 m (reference); the heavier URDF robot sags more but stays
   * on extended legs (feet touch at 0.549 m) */
  assert_true(z > 0.47 && z < 0.53);
  assert_true(tilt < 2.0);
  ASSERT_NEAR(fsum / navg, mg, 0.02 * mg);
  for (int f = 0; f < 4; ++f) ASSERT_NEAR(fleg[f] / navg, mg / 4, 0.15 * mg / 4);
  assert_true(hypot(d->qpos[0], d->qpos[1]) < 0.02);
  for (int i = 0; i < 18; ++i) assert_true(fabs(d->qvel[i]) < 1e-2);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

static void test_fall_terminates(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 1, 0);
  double cmd[3] = {0, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  mjData *d = gle_agent_mjdata(a);
  d->qpos[2] = 0.3; /* upside down, 0.2 m above the floor */
  d->qpos[3] = 0;
  d->qpos[4] = 1;
  float act[12] = {0};
  gle_step_info info;
  int k, hit = -1;
  for (k = 0; k < 50 && hit < 0; ++k) {
    ENV_OK(gle_agent_step(a, act, &info));
    if (info.terminated) hit = k;
  }
  /* free fall of 0.2 m takes ~0.2 s = 10 policy steps */
  assert_true(hit >= 5 && hit < 20);
  gle_contacts c;
  gle_contacts_get(e, gle_agent_mjmodel(a), d, &c);
  assert_true(mju_norm3(c.base_force) > 1.0);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

static void test_push(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  t.push_interval = 3;
  t.push_vel = 0.8;
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 11, 5);
  double cmd[3] = {0, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  mjData *d = gle_agent_mjdata(a);
  gle_agent_push(a, 0.7, -0.4);
  double vz = d->qvel[2], w[3] = {d->qvel[3], d->qvel[4], d->qvel[5]};
  ASSERT_NEAR(d->qvel[0], 0.7, 0);
  ASSERT_NEAR(d->qvel[1], -0.4, 0);
  ASSERT_NEAR(d->qvel[2], vz, 0);
  for (int i = 0; i < 3; ++i) ASSERT_NEAR(d->qvel[3 + i], w[i], 0);

  /* training pushes: after steps 3 and 6 the world vx, vy are the agent's GLR_PUSH draws */
  glr_stream s;
  glr_init(&s, 11, 5, GLR_PUSH);
  float act[12] = {0};
  gle_step_info info;
  for (int k = 1; k <= 6; ++k) {
    ENV_OK(gle_agent_step(a, act, &info));
    if (k % 3 == 0) {
      double vx = glr_uniform_range(&s, -0.8, 0.8), vy = glr_uniform_range(&s, -0.8, 0.8);
      ASSERT_NEAR(d->qvel[0], vx, 0);
      ASSERT_NEAR(d->qvel[1], vy, 0);
      /* the step reports the pushed velocity (push precedes rewards and observation) */
      double R[9], vb[3];
      mju_quat2Mat(R, d->qpos + 3);
      mju_mulMatTVec(vb, R, d->qvel, 3, 3);
      ASSERT_NEAR(info.base_lin_vel[0], vb[0], 1e-6);
    } else {
      assert_true(fabs(d->qvel[0]) < 0.8);
    }
  }
  /* the push clock is the agent's lifetime step count, not reset by an episode reset */
  ENV_OK(gle_agent_reset(a, cmd));
  ENV_OK(gle_agent_step(a, act, &info));
  ENV_OK(gle_agent_step(a, act, &info));
  ENV_OK(gle_agent_step(a, act, &info)); /* lifetime step 9: pushed */
  double vx = glr_uniform_range(&s, -0.8, 0.8);
  ASSERT_NEAR(d->qvel[0], vx, 0);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

static void test_reset_ranges_and_friction(void **state) {
  (void)state;
  gle_task t;
  gle_task_defaults(&t);
  gle_env *e;
  ENV_OK(gle_env_create(&e, &t));
  for (uint64_t idx = 0; idx < 20; ++idx) {
    gle_agent *a;
    ENV_OK(gle_agent_create(&a, e, 3, idx));
    glr_stream s;
    glr_init(&s, 3, idx, GLR_FRICTION);
    double mu = glr_uniform_range(&s, 0.75, 1.125);
    ASSERT_NEAR(gle_agent_friction(a), mu, 0);
    const mjModel *m = gle_agent_mjmodel(a);
    for (int g = 0; g < m->ngeom; ++g) ASSERT_NEAR(m->geom_friction[3 * g], mu, 0);
    double cmd[3] = {0.1, 0.2, 0.3};
    ENV_OK(gle_agent_reset(a, cmd));
    mjData *d = gle_agent_mjdata(a);
    assert_true(fabs(d->qpos[0]) <= 0.5 && fabs(d->qpos[1]) <= 0.5);
    ASSERT_NEAR(d->qpos[2], 0.62, 0);
    ASSERT_NEAR(d->qpos[3], 1, 0);
    for (int j = 0; j < 12; ++j) {
      double ratio = d->qpos[7 + j] / t.default_q[j];
      assert_true(ratio >= 0.5 && ratio < 1.5);
      assert_true(fabs(d->qvel[6 + j]) <= 0.1);
    }
    for (int i = 0; i < 6; ++i) ASSERT_NEAR(d->qvel[i], 0, 0);
    assert_int_equal(gle_agent_steps(a), 0);
    gle_agent_destroy(a);
  }
  gle_env_destroy(e);
}

/* Run an agent with noise and pushes on; collect obs and qpos. */
static void run_agent(gle_agent *a, int nsteps, float *obs_out, double *qpos_out) {
  double cmd[3] = {0.5, -0.2, 1.0};
  ENV_OK(gle_agent_reset(a, cmd));
  gle_step_info info;
  for (int k = 0; k < nsteps; ++k) {
    float *o = obs_out + (size_t)k * GLE_OBS_FULL;
    ENV_OK(gle_agent_observe(a, o));
    float act[12];
    for (int j = 0; j < 12; ++j) act[j] = 0.2f * o[12 + j] * (float)((j % 3) - 1);
    ENV_OK(gle_agent_step(a, act, &info));
  }
  memcpy(qpos_out, ((mjData *)gle_agent_mjdata(a))->qpos, 19 * sizeof(double));
}

static void test_determinism(void **state) {
  (void)state;
  gle_task t;
  gle_task_defaults(&t); /* noise, friction, pushes, heading: all random parts on */
  t.push_interval = 10;
  gle_env *e;
  ENV_OK(gle_env_create(&e, &t));
  enum { N = 40 };
  float *o1 = malloc(sizeof(float) * N * GLE_OBS_FULL), *o2 = malloc(sizeof(float) * N * GLE_OBS_FULL);
  double q1[19], q2[19];
  gle_agent *a, *b, *c;
  ENV_OK(gle_agent_create(&a, e, 42, 17));
  ENV_OK(gle_agent_create(&b, e, 42, 17));
  ENV_OK(gle_agent_create(&c, e, 42, 18));
  run_agent(a, N, o1, q1);
  run_agent(c, 5, o2, q2); /* interleaving another agent changes nothing */
  run_agent(b, N, o2, q2);
  assert_memory_equal(o1, o2, sizeof(float) * N * GLE_OBS_FULL);
  assert_memory_equal(q1, q2, sizeof q1);
  run_agent(c, N, o2, q2);
  assert_memory_not_equal(q1, q2, sizeof q1);
  assert_true(gle_agent_friction(a) != gle_agent_friction(c));
  gle_agent_destroy(a);
  gle_agent_destroy(b);
  gle_agent_destroy(c);
  free(o1);
  free(o2);
  gle_env_destroy(e);
}

static void test_state_save_load(void **state) {
  (void)state;
  gle_task t;
  gle_task_defaults(&t);
  t.push_interval = 7;
  gle_env *e;
  ENV_OK(gle_env_create(&e, &t));
  gle_agent *a, *b, *other;
  ENV_OK(gle_agent_create(&a, e, 9, 2));
  ENV_OK(gle_agent_create(&b, e, 9, 2));
  ENV_OK(gle_agent_create(&other, e, 9, 3));
  double cmd[3] = {0.8, 0.1, -2.0};
  ENV_OK(gle_agent_reset(a, cmd));
  float act[12], o[GLE_OBS_FULL];
  gle_step_info info;
  for (int k = 0; k < 25; ++k) {
    ENV_OK(gle_agent_observe(a, o));
    for (int j = 0; j < 12; ++j) act[j] = 0.3f * sinf(0.3f * (float)k + (float)j);
    ENV_OK(gle_agent_step(a, act, &info));
  }
  size_t n = gle_agent_state_size(a);
  unsigned char *buf = malloc(n);
  ENV_OK(gle_agent_state_save(a, buf));
  /* b: some unrelated history, then load */
  ENV_OK(gle_agent_reset(b, (double[3]){0, 0, 0}));
  for (int k = 0; k < 3; ++k) ENV_OK(gle_agent_step(b, act, &info));
  ENV_OK(gle_agent_state_load(b, buf));
  assert_int_equal(gle_agent_steps(b), 25);
  enum { M = 40 };
  float oa[GLE_OBS_FULL], ob[GLE_OBS_FULL];
  gle_step_info ia, ib;
  for (int k = 0; k < M; ++k) {
    ENV_OK(gle_agent_observe(a, oa));
    ENV_OK(gle_agent_observe(b, ob));
    assert_memory_equal(oa, ob, sizeof oa);
    for (int j = 0; j < 12; ++j) act[j] = 0.05f * oa[12 + j];
    ENV_OK(gle_agent_step(a, act, &ia));
    ENV_OK(gle_agent_step(b, act, &ib));
    assert_memory_equal(&ia, &ib, sizeof ia);
  }
  mjData *da = gle_agent_mjdata(a), *db = gle_agent_mjdata(b);
  assert_memory_equal(da->qpos, db->qpos, 19 * sizeof(double));
  assert_memory_equal(da->qvel, db->qvel, 18 * sizeof(double));
  /* a state belongs to its (seed, index) */
  assert_int_equal(gle_agent_state_load(other, buf), GL_ERR_INPUT);
  buf[0] ^= 0xff;
  assert_int_equal(gle_agent_state_load(b, buf), GL_ERR_INPUT);
  free(buf);
  gle_agent_destroy(a);
  gle_agent_destroy(b);
  gle_agent_destroy(other);
  gle_env_destroy(e);
}

static void test_nonfinite_and_quirks(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  t.episode_steps = 5;
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 1, 0);
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  float act[12] = {0};
  gle_step_info info;
  act[3] = NAN;
  assert_int_equal(gle_agent_step(a, act, &info), GL_ERR_NUMERIC);
  act[3] = 0;
  mjData *d = gle_agent_mjdata(a);
  /* timeout: Isaac's progress >= max_episode_length - 1 */
  for (int k = 1; k <= 4; ++k) {
    ENV_OK(gle_agent_step(a, act, &info));
    assert_int_equal(info.timed_out, k >= 4);
  }
  ASSERT_NEAR(d->time, 4 * 4 * 0.005, 1e-12); /* exactly decimation substeps */
  /* a NaN in the state is detected (MuJoCo resets the data and warns) */
  d->qvel[8] = NAN;
  ENV_OK(gle_agent_step(a, act, &info));
  assert_int_equal(info.nonfinite, 1);
  assert_true(info.warnings >= 1);
  ASSERT_NEAR(info.reward, 0, 0);
  gle_agent_destroy(a);
  gle_env_destroy(e);

  /* quirk Q1 switch: a fifth physics step per action */
  t.extra_substep = 1;
  make(&t, &e, &a, 1, 0);
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  ENV_OK(gle_agent_step(a, act, &info));
  ASSERT_NEAR(((mjData *)gle_agent_mjdata(a))->time, 5 * 0.005, 1e-12);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

/* Foot forces come out in recording order LF RF LH RH, not the joint order LF LH RF RH:
 * extend one leg at a time so only its foot touches the floor. */
static void test_foot_force_order(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  t.decimation = 1;
  t.kp = t.kd = 0.0;
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 1, 0);
  static const int rec_of_leg[4] = {GLE_FOOT_LF, GLE_FOOT_LH, GLE_FOOT_RF, GLE_FOOT_RH};
  for (int leg = 0; leg < 4; ++leg) {
    ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
    mjData *d = gle_agent_mjdata(a);
    /* default pose touches at base z 0.549; a straight leg reaches 0.6305 below the base */
    d->qpos[2] = 0.60;
    d->qpos[7 + 3 * leg + 1] = 0.0;
    d->qpos[7 + 3 * leg + 2] = 0.0;
    float act[12] = {0};
    gle_step_info info;
    ENV_OK(gle_agent_step(a, act, &info));
    for (int f = 0; f < 4; ++f) {
      if (f == rec_of_leg[leg]) assert_true(info.foot_force[f] > 10.0);
      else ASSERT_NEAR(info.foot_force[f], 0.0, 0);
    }
  }
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

/* Total linear momentum of the robot (kg m/s), from the whole-tree COM velocity. */
static void momentum(const mjModel *m, mjData *d, double p[3]) {
  mj_forward(m, d);
  mj_subtreeVel(m, d);
  for (int k = 0; k < 3; ++k) p[k] = m->body_subtreemass[0] * d->subtree_linvel[k];
}

/* A force disturbance in free flight: internal (joint, PD) forces cancel, so the momentum
 * changes by (force + gravity) x time, up to what implicit joint damping leaves (< 1e-3):
 * the applied force's size, its direction (body y turned into the world), its duration in
 * substeps (4 = one policy step, then 6 spanning two) and its removal afterwards. */
static void test_force_momentum(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  gle_env *e;
  gle_agent *a;
  make(&t, &e, &a, 3, 5);
  double cmd[3] = {0.5, 0, 0};
  ENV_OK(gle_agent_reset(a, cmd));
  const mjModel *m = gle_agent_mjmodel(a);
  mjData *d = gle_agent_mjdata(a);
  d->qpos[2] += 3.0; /* in the air for the whole test (falls < 0.1 m) */
  const double M = m->body_subtreemass[0], g = 9.81, dt = m->opt.timestep;
  const double W = gle_agent_weight(a);
  ASSERT_NEAR(W, M * g, 1e-9 * W);
  float act[12] = {0};
  gle_step_info info;
  const int spans[2] = {4, 6};
  for (int trial = 0; trial < 2; ++trial) {
    const double F = 0.5 * W, fb[3] = {0, F, 0};
    double p0[3], p1[3], R[9];
    momentum(m, d, p0);
    mju_quat2Mat(R, d->qpos + 3);
    gle_agent_apply_force(a, fb, spans[trial]);
    const int steps = trial == 0 ? 1 : 2;
    for (int k = 0; k < steps; ++k) ENV_OK(gle_agent_step(a, act, &info));
    momentum(m, d, p1);
    const double T = spans[trial] * dt, Tall = steps * t.decimation * dt;
    const double dxy[2] = {p1[0] - p0[0], p1[1] - p0[1]};
    const double nxy = hypot(dxy[0], dxy[1]);
    print_message("force %.1f N for %d substeps: |dp_xy| %.6f (F T %.6f), dp_z %.6f (-M g T %.6f)\n",
                  F, spans[trial], nxy, F * T, p1[2] - p0[2], -M * g * Tall);
    ASSERT_NEAR(nxy, F * T, 1e-3 * F * T);
    /* along the body's y axis at the onset (column 1 of R), to the tilt of 20-40 ms */
    assert_true((dxy[0] * R[1] + dxy[1] * R[4]) / (nxy * hypot(R[1], R[4])) > 0.999);
    ASSERT_NEAR(p1[2] - p0[2], -M * g * Tall, 2e-3 * M * g * Tall);
  }
  /* removed: the next step's horizontal momentum change is what joint damping (implicit in
   * MuJoCo's Euler step, so not exactly internal) leaves, ~2e-4 against 5.2 with the force */
  double p0[3], p1[3];
  momentum(m, d, p0);
  ENV_OK(gle_agent_step(a, act, &info));
  momentum(m, d, p1);
  ASSERT_NEAR(hypot(p1[0] - p0[0], p1[1] - p0[1]), 0.0, 1e-3 * 0.5 * W * t.decimation * dt);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pd_stand),
      cmocka_unit_test(test_fall_terminates),
      cmocka_unit_test(test_push),
      cmocka_unit_test(test_reset_ranges_and_friction),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_state_save_load),
      cmocka_unit_test(test_nonfinite_and_quirks),
      cmocka_unit_test(test_foot_force_order),
      cmocka_unit_test(test_force_momentum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
