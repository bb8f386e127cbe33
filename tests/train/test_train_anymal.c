/* The training environment's command sampling (glt_anymal_): which envs follow the heading
 * controller and which hold a constant yaw rate is decided by each env's global index, so
 * it must not change with the way envs are split over ranks, must match an independent
 * draw from the documented stream, and must produce the documented commands. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <mpi.h>
#include <mujoco/mujoco.h>

#include "gaitlab/env.h"
#include "gaitlab/rng.h"
#include "gaitlab/train.h"

#define NENV 48
#define SEED 11

static void task_for_test(gle_task *t) {
  gle_task_defaults(t);
  t->obs_noise = 0;
  t->push_interval = 0;
  t->heading_command = 1;
}

/* Heading targets all 2.5 rad from a spawn yaw of 0: the controller gives
 * r = clip(0.5 * 2.5, -1, 1) = 1 exactly. Yaw rates are drawn from [-0.3, -0.2], so the
 * two modes cannot be confused. */
static const glt_command_ranges ranges = {-1, 1, -1, 1, 2.5, 2.5, -0.3, -0.2, 0.5, 0.0};

/* r of every env after a reset, for envs [first, first + n). */
static void commands_after_reset(int64_t first, int n, double *r) {
  gle_task t;
  task_for_test(&t);
  glt_env env;
  assert_int_equal(glt_anymal_create(&env, &t, &ranges, SEED, first, n), GL_OK);
  for (int i = 0; i < n; ++i) {
    assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
    double cmd[3];
    gle_agent_command(glt_anymal_agent(&env, i), cmd);
    r[i] = cmd[2];
  }
  glt_anymal_destroy(&env);
}

static int expected_heading(int64_t index) {
  glr_stream s;
  glr_init(&s, SEED, (uint64_t)index, GLR_COMMAND_MODE);
  return glr_uniform(&s) < ranges.heading_fraction;
}

static void test_modes_follow_global_index(void **state) {
  (void)state;
  double whole[NENV], split[NENV];
  commands_after_reset(0, NENV, whole);
  /* three "ranks" of unequal size */
  commands_after_reset(0, 7, split);
  commands_after_reset(7, 25, split + 7);
  commands_after_reset(32, NENV - 32, split + 32);
  int nheading = 0;
  for (int i = 0; i < NENV; ++i) {
    assert_true(whole[i] == split[i]); /* bitwise: same draws whatever the split */
    if (expected_heading(i)) {
      ++nheading;
      assert_float_equal(whole[i], 1.0, 1e-12);
    } else {
      assert_true(whole[i] >= -0.3 && whole[i] < -0.2);
    }
  }
  /* both modes present (with this seed 48 draws give a mix; the exact count is the
   * independent draw above, this only guards against a degenerate stream) */
  assert_true(nheading > 0 && nheading < NENV);
}

/* A constant yaw rate stays put while the robot turns; the heading controller's output
 * follows the yaw. */
static void test_yaw_rate_held_during_episode(void **state) {
  (void)state;
  gle_task t;
  task_for_test(&t);
  glt_env env;
  assert_int_equal(glt_anymal_create(&env, &t, &ranges, SEED, 0, 16), GL_OK);
  float action[GLE_NJ] = {0};
  int checked_direct = 0, checked_heading = 0;
  for (int i = 0; i < 16; ++i) {
    assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
    gle_agent *a = glt_anymal_agent(&env, i);
    double c0[3], c1[3];
    gle_agent_command(a, c0);
    for (int s = 0; s < 25; ++s) {
      glt_step_result res;
      assert_int_equal(env.ops->step(env.ctx, i, action, &res), GL_OK);
    }
    gle_agent_command(a, c1);
    if (expected_heading(i)) {
      /* r = clip(0.5 wrap(2.5 - yaw)) recomputed from the base orientation */
      const mjData *d = gle_agent_mjdata(a);
      const double *q = d->qpos + 3;
      double yaw = atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] * q[2] + q[3] * q[3]));
      double e = remainder(2.5 - yaw, 2 * M_PI);
      double r = fmax(-1.0, fmin(1.0, 0.5 * e));
      assert_float_equal(c1[2], r, 1e-9);
      ++checked_heading;
    } else {
      assert_true(c1[2] == c0[2]);
      ++checked_direct;
    }
  }
  assert_true(checked_direct > 0 && checked_heading > 0);
  glt_anymal_destroy(&env);
}

/* heading_fraction 1 (the default) puts every env under the controller, 0 none. */
static void test_fraction_extremes(void **state) {
  (void)state;
  gle_task t;
  task_for_test(&t);
  for (int f = 0; f <= 1; ++f) {
    glt_command_ranges cr = ranges;
    cr.heading_fraction = f;
    glt_env env;
    assert_int_equal(glt_anymal_create(&env, &t, &cr, SEED, 0, 12), GL_OK);
    for (int i = 0; i < 12; ++i) {
      assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
      double cmd[3];
      gle_agent_command(glt_anymal_agent(&env, i), cmd);
      if (f)
        assert_float_equal(cmd[2], 1.0, 1e-12);
      else
        assert_true(cmd[2] >= -0.3 && cmd[2] < -0.2);
    }
    glt_anymal_destroy(&env);
  }
}

/* extreme_fraction 1: every command on the {lo, mid, hi} lattice (the heading target keeps
 * its range); 0: exactly the plain uniform draws of the env's command stream. */
static void test_extreme_commands(void **state) {
  (void)state;
  gle_task t;
  task_for_test(&t);
  int seen[3] = {0, 0, 0};
  for (int f = 0; f <= 1; ++f) {
    glt_command_ranges cr = ranges;
    cr.extreme_fraction = f;
    glt_env env;
    assert_int_equal(glt_anymal_create(&env, &t, &cr, SEED, 0, 24), GL_OK);
    for (int i = 0; i < 24; ++i) {
      assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
      double cmd[3];
      gle_agent_command(glt_anymal_agent(&env, i), cmd);
      if (f) {
        for (int k = 0; k < 2; ++k) {
          assert_true(cmd[k] == -1.0 || cmd[k] == 0.0 || cmd[k] == 1.0);
          seen[(int)cmd[k] + 1]++;
        }
        if (!expected_heading(i))
          assert_true(cmd[2] == -0.3 || fabs(cmd[2] + 0.25) < 1e-15 || cmd[2] == -0.2);
      } else {
        glr_stream s;
        glr_init(&s, SEED, (uint64_t)i, GLR_COMMAND);
        double u = glr_uniform_range(&s, -1, 1), v = glr_uniform_range(&s, -1, 1);
        assert_true(cmd[0] == u && cmd[1] == v);
      }
    }
    glt_anymal_destroy(&env);
  }
  assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0); /* all three lattice values occur */
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_modes_follow_global_index),
      cmocka_unit_test(test_yaw_rate_held_during_episode),
      cmocka_unit_test(test_fraction_extremes),
      cmocka_unit_test(test_extreme_commands),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
