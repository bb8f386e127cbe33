/* The MJCF against docs/model.md: sizes, masses, joint anchors/axes, collision set,
 * options; and MuJoCo failures surfacing as gl_err. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_test_util.h"

static const char *const leg[4] = {"LF", "LH", "RF", "RH"};
/* x sign (front +), y sign (left +) of each leg in Isaac order */
static const double sx[4] = {1, -1, 1, -1}, sy[4] = {1, 1, -1, -1};

static gle_env *load(void) {
  gle_task t;
  env_test_task(&t);
  gle_env *e = NULL;
  ENV_OK(gle_env_create(&e, &t));
  return e;
}

static void test_sizes_and_mass(void **state) {
  (void)state;
  gle_env *e = load();
  mjModel *m = (mjModel *)gle_env_mjmodel(e);
  assert_int_equal(m->nq, 19);
  assert_int_equal(m->nv, 18);
  assert_int_equal(m->nu, 12);
  assert_int_equal(m->nbody, 14); /* world + base + 4 x 3 */
  ASSERT_NEAR(mj_getTotalmass(m), 53.16426, 1e-3);
  ASSERT_NEAR(m->body_mass[mj_name2id(m, mjOBJ_BODY, "base")], 27.80286, 1e-9);
  for (int l = 0; l < 4; ++l) {
    char n[32];
    snprintf(n, sizeof n, "%s_HIP", leg[l]);
    ASSERT_NEAR(m->body_mass[mj_name2id(m, mjOBJ_BODY, n)], 2.51203, 1e-9);
    snprintf(n, sizeof n, "%s_THIGH", leg[l]);
    ASSERT_NEAR(m->body_mass[mj_name2id(m, mjOBJ_BODY, n)], 3.27327, 1e-9);
    snprintf(n, sizeof n, "%s_SHANK", leg[l]);
    ASSERT_NEAR(m->body_mass[mj_name2id(m, mjOBJ_BODY, n)], 0.55505, 1e-9);
  }
  /* joint order: Isaac order occupies qpos[7:19], qvel[6:18], actuators 0..11 */
  static const char *const jn[3] = {"HAA", "HFE", "KFE"};
  for (int l = 0; l < 4; ++l)
    for (int k = 0; k < 3; ++k) {
      char n[32];
      snprintf(n, sizeof n, "%s_%s", leg[l], jn[k]);
      int j = mj_name2id(m, mjOBJ_JOINT, n);
      assert_true(j >= 0);
      assert_int_equal(m->jnt_qposadr[j], 7 + 3 * l + k);
      assert_int_equal(m->jnt_dofadr[j], 6 + 3 * l + k);
      assert_int_equal(m->jnt_limited[j], 0);
      ASSERT_NEAR(m->dof_damping[m->jnt_dofadr[j]], 0, 0);
      ASSERT_NEAR(m->dof_frictionloss[m->jnt_dofadr[j]], 0, 0);
      ASSERT_NEAR(m->dof_armature[m->jnt_dofadr[j]], 0, 0);
      int a = 3 * l + k;
      assert_int_equal(m->actuator_trnid[2 * a], j);
      ASSERT_NEAR(m->actuator_gear[6 * a], 1.0, 0);
      ASSERT_NEAR(m->actuator_ctrlrange[2 * a], -80.0, 0);
      ASSERT_NEAR(m->actuator_ctrlrange[2 * a + 1], 80.0, 0);
      assert_int_equal(m->actuator_gaintype[a], mjGAIN_FIXED);
      assert_int_equal(m->actuator_biastype[a], mjBIAS_NONE);
    }
  ASSERT_NEAR(m->opt.timestep, 0.005, 0);
  assert_int_equal(m->opt.cone, mjCONE_ELLIPTIC);
  ASSERT_NEAR(m->opt.impratio, 100, 0);
  assert_int_equal(m->opt.integrator, mjINT_EULER);
  assert_true(m->nconmax > 0 && m->njmax > 0);
  assert_int_equal(m->nkey, 1);
  gle_env_destroy(e);
}

static void test_anchors(void **state) {
  (void)state;
  gle_env *e = load();
  mjModel *m = (mjModel *)gle_env_mjmodel(e);
  mjData *d = mj_makeData(m);
  mju_zero(d->qpos, m->nq);
  d->qpos[3] = 1.0; /* base at origin, identity, q = 0 */
  mj_kinematics(m, d);
  static const double haa[3] = {0.2999, 0.104, 0}, hfe[3] = {0.3598, 0.18781, 0},
                      kfe[3] = {0.3598, 0.28811, -0.285}, foot[3] = {0.44775, 0.30116, -0.60047};
  static const char *const jn[3] = {"HAA", "HFE", "KFE"};
  const double *ref[3] = {haa, hfe, kfe};
  for (int l = 0; l < 4; ++l) {
    const double s[3] = {sx[l], sy[l], 1};
    for (int k = 0; k < 3; ++k) {
      char n[32];
      snprintf(n, sizeof n, "%s_%s", leg[l], jn[k]);
      int j = mj_name2id(m, mjOBJ_JOINT, n);
      for (int i = 0; i < 3; ++i) {
        ASSERT_NEAR(d->xanchor[3 * j + i], s[i] * ref[k][i], 1e-6);
        double ax = (k == 0) ? (i == 0) : (i == 1); /* HAA +x, HFE/KFE +y on all legs */
        ASSERT_NEAR(d->xaxis[3 * j + i], ax, 1e-12);
      }
    }
    char n[32];
    snprintf(n, sizeof n, "%s_FOOT", leg[l]);
    int g = mj_name2id(m, mjOBJ_GEOM, n);
    for (int i = 0; i < 3; ++i) ASSERT_NEAR(d->geom_xpos[3 * g + i], s[i] * foot[i], 1e-6);
    /* knee capsule centre: KFE moved 0.05 m toward the midline */
    snprintf(n, sizeof n, "%s_KNEE", leg[l]);
    g = mj_name2id(m, mjOBJ_GEOM, n);
    ASSERT_NEAR(d->geom_xpos[3 * g + 0], sx[l] * 0.3598, 1e-6);
    ASSERT_NEAR(d->geom_xpos[3 * g + 1], sy[l] * (0.28811 - 0.05), 1e-6);
    ASSERT_NEAR(d->geom_xpos[3 * g + 2], -0.285, 1e-6);
    /* capsule axis along y */
    ASSERT_NEAR(fabs(d->geom_xmat[9 * g + 5]), 1.0, 1e-9);
  }
  int gb = mj_name2id(m, mjOBJ_GEOM, "base");
  ASSERT_NEAR(fabs(d->geom_xmat[9 * gb + 2]), 1.0, 1e-9); /* base capsule axis along x */
  mj_deleteData(d);
  gle_env_destroy(e);
}

static void test_collision_set(void **state) {
  (void)state;
  gle_env *e = load();
  mjModel *m = (mjModel *)gle_env_mjmodel(e);
  int nrobot = 0, floor = mj_name2id(m, mjOBJ_GEOM, "floor");
  assert_true(floor >= 0);
  assert_int_equal(m->geom_type[floor], mjGEOM_PLANE);
  for (int g = 0; g < m->ngeom; ++g) {
    if (g == floor) continue;
    nrobot++;
    assert_int_equal(m->geom_group[g], 1);
    assert_int_equal(m->geom_condim[g], 3);
    /* robot-robot pairs never collide; robot-floor pairs do */
    for (int h = 0; h < m->ngeom; ++h) {
      if (h == floor) continue;
      assert_false((m->geom_contype[g] & m->geom_conaffinity[h]) ||
                   (m->geom_contype[h] & m->geom_conaffinity[g]));
    }
    assert_true((m->geom_contype[g] & m->geom_conaffinity[floor]) ||
                (m->geom_contype[floor] & m->geom_conaffinity[g]));
  }
  assert_int_equal(nrobot, 9);
  int gb = mj_name2id(m, mjOBJ_GEOM, "base");
  assert_int_equal(m->geom_type[gb], mjGEOM_CAPSULE);
  ASSERT_NEAR(m->geom_size[3 * gb], 0.10, 1e-12);
  ASSERT_NEAR(m->geom_size[3 * gb + 1], 0.375, 1e-12);
  for (int l = 0; l < 4; ++l) {
    char n[32];
    snprintf(n, sizeof n, "%s_KNEE", leg[l]);
    int g = mj_name2id(m, mjOBJ_GEOM, n);
    assert_int_equal(m->geom_type[g], mjGEOM_CAPSULE);
    ASSERT_NEAR(m->geom_size[3 * g], 0.06, 1e-12);
    ASSERT_NEAR(m->geom_size[3 * g + 1], 0.06, 1e-12);
    assert_int_equal(m->geom_bodyid[g], mj_name2id(m, mjOBJ_BODY, (snprintf(n, sizeof n, "%s_THIGH", leg[l]), n)));
    snprintf(n, sizeof n, "%s_FOOT", leg[l]);
    g = mj_name2id(m, mjOBJ_GEOM, n);
    assert_int_equal(m->geom_type[g], mjGEOM_SPHERE);
    ASSERT_NEAR(m->geom_size[3 * g], 0.03, 1e-12);
    assert_int_equal(m->geom_bodyid[g], mj_name2id(m, mjOBJ_BODY, (snprintf(n, sizeof n, "%s_SHANK", leg[l]), n)));
  }
  gle_env_destroy(e);
}

static void test_errors_are_gl_err(void **state) {
  (void)state;
  gle_task t;
  env_test_task(&t);
  gle_env *e = (gle_env *)0x1;
  t.model_path = "/nonexistent/anymal.xml";
  assert_int_equal(gle_env_create(&e, &t), GL_ERR_INPUT);
  assert_null(e);
  assert_non_null(strstr(gl_errmsg(), "/nonexistent/anymal.xml"));

  char path[] = "/tmp/gle_bad_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("<mujoco><worldbody><body><geom type='sphere' size='-1'/></body></mujoco>", f);
  fclose(f);
  t.model_path = path;
  assert_int_equal(gle_env_create(&e, &t), GL_ERR_INPUT);
  remove(path);

  /* a model without the robot's names is refused by name */
  char path2[] = "/tmp/gle_bad2_XXXXXX";
  fd = mkstemp(path2);
  f = fdopen(fd, "w");
  fputs("<mujoco><worldbody><body><freejoint/><geom type='sphere' size='0.1'/></body>"
        "</worldbody></mujoco>", f);
  fclose(f);
  t.model_path = path2;
  assert_int_equal(gle_env_create(&e, &t), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "expected nq 19"));
  remove(path2);

  env_test_task(&t);
  t.decimation = 0;
  assert_int_equal(gle_env_create(&e, &t), GL_ERR_INPUT);
}

static void boom(void *arg) {
  (void)arg;
  mju_error("boom from a test");
}

static void test_mju_error_does_not_exit(void **state) {
  (void)state;
  gle_mj_handlers_install();
  assert_int_equal(gle_mj_guard(boom, NULL), GL_ERR_LIB);
  assert_non_null(strstr(gl_errmsg(), "boom from a test"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes_and_mass), cmocka_unit_test(test_anchors),
      cmocka_unit_test(test_collision_set), cmocka_unit_test(test_errors_are_gl_err),
      cmocka_unit_test(test_mju_error_does_not_exit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
