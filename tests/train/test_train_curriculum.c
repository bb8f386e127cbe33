/* The ANYmal training environment on curriculum terrain (glt_anymal_ + gle_): columns and
 * levels are functions of the global env index and the env's own history only, so splitting
 * the envs over "ranks" changes nothing (bitwise); the terrain-level metric; the level's
 * place in the checkpoint record (plane record + 8 bytes) and a bit-exact round trip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mpi.h>
#include <mujoco/mujoco.h>

#include "gaitlab/env.h"
#include "gaitlab/train.h"

#define NENV 12
#define SEED 7

static const glt_command_ranges ranges = {-1, 1, -1, 1, -3, 3, -1, 1, 0.5, 0.0};

static void task_for_test(gle_task *t, gle_terrain terrain) {
  gle_task_defaults(t);
  t->terrain = terrain;
  t->terrain_seed = 9;
  t->curriculum_envs = NENV;
}

typedef struct env_trace {
  int level[NENV], col[NENV];
  double qpos[NENV][19];
} env_trace;

/* Start env i at level (7 i) mod 10, run two short episodes (3 steps each, zero action) and
 * record where it ends up. */
static void run_block(int64_t first, int n, env_trace *tr, const float **hfield, int *nh) {
  gle_task t;
  task_for_test(&t, GLE_TERRAIN_CURRICULUM);
  glt_env env;
  assert_int_equal(glt_anymal_create(&env, &t, &ranges, SEED, first, n), GL_OK);
  const mjModel *m = gle_agent_mjmodel(glt_anymal_agent(&env, 0));
  int hid = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  *nh = m->hfield_nrow[hid] * m->hfield_ncol[hid];
  float *copy = malloc(sizeof(float) * (size_t)*nh);
  memcpy(copy, m->hfield_data + m->hfield_adr[hid], sizeof(float) * (size_t)*nh);
  *hfield = copy;
  float action[GLE_NJ] = {0};
  for (int i = 0; i < n; ++i) {
    int g = (int)first + i;
    gle_agent *a = glt_anymal_agent(&env, i);
    assert_int_equal(gle_agent_set_terrain_level(a, (7 * g) % 10), GL_OK);
    for (int ep = 0; ep < 2; ++ep) {
      assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
      for (int s = 0; s < 3; ++s) {
        glt_step_result r;
        assert_int_equal(env.ops->step(env.ctx, i, action, &r), GL_OK);
        assert_true(r.metric[2] == (float)gle_agent_terrain_level(a));
      }
    }
    assert_int_equal(env.ops->reset(env.ctx, i), GL_OK);
    tr->level[g] = gle_agent_terrain_level(a);
    tr->col[g] = gle_agent_terrain_column(a);
    memcpy(tr->qpos[g], ((const mjData *)gle_agent_mjdata(a))->qpos, sizeof tr->qpos[g]);
  }
  glt_anymal_destroy(&env);
}

static void test_split_identical(void **state) {
  (void)state;
  env_trace whole, split;
  const float *h0, *h1, *h2;
  int n0, n1, n2;
  run_block(0, NENV, &whole, &h0, &n0);
  run_block(0, 5, &split, &h1, &n1);
  run_block(5, NENV - 5, &split, &h2, &n2);
  assert_int_equal(n0, 1200 * 2000);
  assert_true(n0 == n1 && n0 == n2);
  assert_memory_equal(h0, h1, sizeof(float) * (size_t)n0);
  assert_memory_equal(h0, h2, sizeof(float) * (size_t)n0);
  int moved = 0;
  for (int g = 0; g < NENV; ++g) {
    assert_int_equal(whole.col[g], g * 20 / NENV); /* Isaac: floor(g / (12 / 20)) */
    assert_int_equal(whole.level[g], split.level[g]);
    assert_int_equal(whole.col[g], split.col[g]);
    assert_memory_equal(whole.qpos[g], split.qpos[g], sizeof whole.qpos[g]);
    /* 0.06 s episodes: D is the spawn jitter (< 0.71 m) against |cmd| x 20 s / 4, so the
     * level drops by one per episode unless |cmd| < 0.15 m/s, never rises */
    int l0 = (7 * g) % 10;
    assert_true(whole.level[g] <= l0 && whole.level[g] >= (l0 >= 2 ? l0 - 2 : 0));
    moved += whole.level[g] != l0;
    /* spawned at its tile: x in level's 8 m band, y in the column's band */
    assert_true(fabs(whole.qpos[g][0] - (whole.level[g] + 0.5) * 8) <= 0.5);
    assert_true(fabs(whole.qpos[g][1] - (whole.col[g] + 0.5) * 8) <= 0.5);
  }
  assert_true(moved > NENV / 2);
  free((void *)h0);
  free((void *)h1);
  free((void *)h2);
}

static void test_metric_and_record(void **state) {
  (void)state;
  gle_task tp, tc;
  task_for_test(&tp, GLE_TERRAIN_PLANE);
  task_for_test(&tc, GLE_TERRAIN_CURRICULUM);
  glt_env ep, ec;
  assert_int_equal(glt_anymal_create(&ep, &tp, &ranges, SEED, 3, 1), GL_OK);
  assert_int_equal(glt_anymal_create(&ec, &tc, &ranges, SEED, 3, 1), GL_OK);
  assert_int_equal(ep.ops->nmetrics, 2);
  assert_int_equal(ec.ops->nmetrics, 3);
  assert_string_equal(ec.ops->metric_names[2], "terrain_level");
  size_t np = ep.ops->state_size(ep.ctx, 0), n = ec.ops->state_size(ec.ctx, 0);
  assert_int_equal(n, np + sizeof(int64_t));
  gle_agent *a = glt_anymal_agent(&ec, 0);
  assert_int_equal(gle_agent_set_terrain_level(a, 4), GL_OK);
  float action[GLE_NJ];
  for (int j = 0; j < GLE_NJ; ++j) action[j] = 0.2f * (float)((j % 3) - 1);
  glt_step_result r;
  assert_int_equal(ec.ops->reset(ec.ctx, 0), GL_OK);
  for (int s = 0; s < 4; ++s) assert_int_equal(ec.ops->step(ec.ctx, 0, action, &r), GL_OK);
  unsigned char *buf = malloc(n), *again = malloc(n);
  assert_int_equal(ec.ops->state_save(ec.ctx, 0, buf), GL_OK);
  /* continuation A: reset (level 4 -> 3 unless |cmd| is tiny), 4 steps */
  double qa[19], qb[19];
  assert_int_equal(ec.ops->reset(ec.ctx, 0), GL_OK);
  int la = gle_agent_terrain_level(a);
  for (int s = 0; s < 4; ++s) assert_int_equal(ec.ops->step(ec.ctx, 0, action, &r), GL_OK);
  assert_true(r.metric[2] == (float)la);
  memcpy(qa, ((const mjData *)gle_agent_mjdata(a))->qpos, sizeof qa);
  /* restore in a fresh env object (as a resume on another rank would) and repeat */
  glt_anymal_destroy(&ec);
  assert_int_equal(glt_anymal_create(&ec, &tc, &ranges, SEED, 3, 1), GL_OK);
  a = glt_anymal_agent(&ec, 0);
  assert_int_equal(ec.ops->state_load(ec.ctx, 0, buf), GL_OK);
  assert_int_equal(gle_agent_terrain_level(a), 4);
  assert_int_equal(ec.ops->state_save(ec.ctx, 0, again), GL_OK);
  assert_memory_equal(buf, again, n);
  assert_int_equal(ec.ops->reset(ec.ctx, 0), GL_OK);
  assert_int_equal(gle_agent_terrain_level(a), la);
  for (int s = 0; s < 4; ++s) assert_int_equal(ec.ops->step(ec.ctx, 0, action, &r), GL_OK);
  memcpy(qb, ((const mjData *)gle_agent_mjdata(a))->qpos, sizeof qb);
  assert_memory_equal(qa, qb, sizeof qa);
  free(buf);
  free(again);
  glt_anymal_destroy(&ec);
  glt_anymal_destroy(&ep);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split_identical),
      cmocka_unit_test(test_metric_and_record),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
