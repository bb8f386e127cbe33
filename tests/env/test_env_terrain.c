/* Rough terrain: the height field MuJoCo collides with and the heights the scan samples
 * are the same surface; the robot stands on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"

static void rough_task(gle_task *t) {
  env_test_task(t);
  t->terrain = GLE_TERRAIN_ROUGH;
  t->terrain_seed = 5;
}

static void test_heightmap_matches_hfield(void **state) {
  (void)state;
  gle_task t;
  rough_task(&t);
  gle_env *e, *e2;
  ENV_OK(gle_env_create(&e, &t));
  ENV_OK(gle_env_create(&e2, &t));
  const mjModel *m = gle_env_mjmodel(e), *m2 = gle_env_mjmodel(e2);
  int hid = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  assert_true(hid >= 0);
  int n = m->hfield_nrow[hid] * m->hfield_ncol[hid];
  /* same seed -> same terrain (every rank builds its own) */
  assert_memory_equal(m->hfield_data, m2->hfield_data, sizeof(float) * n);
  double hmin = 1e9, hmax = -1e9;
  for (int k = 0; k < n; ++k) {
    double h = m->hfield_data[k] * m->hfield_size[4 * hid + 2];
    if (h < hmin) hmin = h;
    if (h > hmax) hmax = h;
    /* quantised to 5 mm */
    ASSERT_NEAR(h / 0.005, round(h / 0.005), 1e-4);
  }
  assert_true(hmin >= 0 && hmax <= 0.1 + 1e-9 && hmax - hmin > 0.05);
  /* at a vertex away from grid lines' neighbours, the scan lookup is min(h[i,j], h[i+1,j+1]) */
  int ncol = m->hfield_ncol[hid];
  for (int ix = 10; ix < 150; ix += 17)
    for (int iy = 5; iy < 150; iy += 13) {
      double x = -8 + 0.1 * ix + 0.03, y = -8 + 0.1 * iy + 0.04;
      double a = m->hfield_data[iy * ncol + ix] * 0.2, b = m->hfield_data[(iy + 1) * ncol + ix + 1] * 0.2;
      ASSERT_NEAR(gle_terrain_height(e, x, y), a < b ? a : b, 1e-12);
    }
  /* a vertical ray at a generic offset hits MuJoCo's surface between the four corner heights */
  mjData *d = mj_makeData(m);
  mj_forward(m, d);
  for (int k = 0; k < 20; ++k) {
    double x = -3.0 + 0.3137 * k, y = 2.0 - 0.2113 * k;
    double pnt[3] = {x, y, 1.0}, vec[3] = {0, 0, -1};
    int gid = -1;
    mjtByte grp[6] = {1, 0, 0, 0, 0, 0};
    double dist = mj_ray(m, d, pnt, vec, grp, 1, -1, &gid);
    int ix = (int)floor((x + 8) / 0.1), iy = (int)floor((y + 8) / 0.1);
    double c[4] = {m->hfield_data[iy * ncol + ix], m->hfield_data[iy * ncol + ix + 1],
                   m->hfield_data[(iy + 1) * ncol + ix], m->hfield_data[(iy + 1) * ncol + ix + 1]};
    double lo = 1, hi = 0;
    for (int i = 0; i < 4; ++i) {
      lo = c[i] < lo ? c[i] : lo;
      hi = c[i] > hi ? c[i] : hi;
    }
    double z = 1.0 - dist;
    assert_true(z >= lo * 0.2 - 1e-9 && z <= hi * 0.2 + 1e-9);
  }
  mj_deleteData(d);
  gle_env_destroy(e);
  gle_env_destroy(e2);
}

static void test_stand_and_scan_on_rough(void **state) {
  (void)state;
  gle_task t;
  rough_task(&t);
  gle_env *e;
  gle_agent *a;
  ENV_OK(gle_env_create(&e, &t));
  ENV_OK(gle_agent_create(&a, e, 1, 0));
  ENV_OK(gle_agent_reset(a, (double[3]){0, 0, 0}));
  float act[12] = {0}, o[GLE_OBS_FULL];
  gle_step_info info;
  double fsum = 0;
  for (int k = 0; k < 150; ++k) { /* 3 s */
    ENV_OK(gle_agent_step(a, act, &info));
    assert_int_equal(info.terminated, 0);
    assert_int_equal(info.warnings, 0);
    if (k >= 100) for (int f = 0; f < 4; ++f) fsum += info.foot_force[f];
  }
  const mjModel *m = gle_agent_mjmodel(a);
  double mg = mj_getTotalmass((mjModel *)m) * 9.81;
  ASSERT_NEAR(fsum / 50, mg, 0.05 * mg);
  mjData *d = gle_agent_mjdata(a);
  ENV_OK(gle_agent_observe(a, o));
  double R[9], pts[GLE_NHEIGHT][2];
  mju_quat2Mat(R, d->qpos + 3);
  gle_height_points(d->qpos, atan2(R[3], R[0]), pts);
  int varied = 0;
  for (int k = 0; k < GLE_NHEIGHT; ++k) {
    double h = gle_terrain_height(e, pts[k][0], pts[k][1]);
    double expect = fmax(-1, fmin(1, d->qpos[2] - 0.5 - h)) * 5;
    ASSERT_NEAR(o[36 + k], expect, 1e-5);
    varied += fabs(o[36 + k] - o[36]) > 1e-3;
  }
  assert_true(varied > 10);
  print_message("rough terrain: base z %.3f m above 0, mean foot force sum %.1f N (mg %.1f)\n",
                d->qpos[2], fsum / 50, mg);
  gle_agent_destroy(a);
  gle_env_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heightmap_matches_hfield),
      cmocka_unit_test(test_stand_and_scan_on_rough),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
