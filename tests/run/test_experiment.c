/* The experiment configuration (src/run/experiment_config.c): grid order and agent numbering,
 * zip with broadcast scalars, the recording layers that are always on, the cross-field
 * checks with their marks, and policy names resolved against policies/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/config.h"
#include "gaitlab/experiment.h"

static gl_err bind(const char *text, glx_config *c) {
  glc_doc *doc = NULL;
  gl_err err = glc_doc_load_string(&doc, "exp.yaml", text, strlen(text));
  if (!err) err = glx_config_bind(doc, c);
  glc_doc_destroy(doc);
  return err;
}

static void test_grid_order(void **state) {
  (void)state;
  glx_config c;
  assert_int_equal(bind("conditions: {u: [0.4, 0.6], v: [0, 0.5], r: [-1, 0, 1], copies: 3}\n", &c), GL_OK);
  assert_int_equal(c.nconditions, 12);
  assert_int_equal(c.nagents, 36);
  /* u slowest, r fastest (the authors' order): condition 5 = u 0.4, v 0.5, r 1 */
  assert_true(c.cond[3 * 5] == 0.4 && c.cond[3 * 5 + 1] == 0.5 && c.cond[3 * 5 + 2] == 1.0);
  assert_true(c.cond[3 * 6] == 0.6 && c.cond[3 * 6 + 1] == 0.0 && c.cond[3 * 6 + 2] == -1.0);
  /* foot forces, velocities and commands are always recorded (cycles, tracking table) */
  glx_config_free(&c);
  assert_int_equal(bind("conditions: {u: [1]}\nrecord: [lstm_c]\n", &c), GL_OK);
  const glio_layer_info *L = glio_layer_table();
  int on = 0;
  for (int i = 0; i < GLIO_NLAYERS; ++i) {
    on += c.layer_on[i];
    if (strcmp(L[i].name, "foot_force") == 0 || strcmp(L[i].name, "lstm_c") == 0 ||
        strcmp(L[i].name, "command") == 0)
      assert_true(c.layer_on[i]);
    if (strcmp(L[i].name, "mu") == 0) assert_false(c.layer_on[i]);
  }
  assert_int_equal(on, 5); /* lstm_c, foot_force, base_lin_vel, base_ang_vel, command */
  glx_config_free(&c);
}

static void test_zip(void **state) {
  (void)state;
  glx_config c;
  assert_int_equal(bind("conditions: {zip: true, u: [1, -1, 0], v: [0], r: [0, 0, 1], copies: 2}\n", &c), GL_OK);
  assert_int_equal(c.nconditions, 3);
  assert_true(c.cond[0] == 1 && c.cond[3] == -1 && c.cond[6] == 0 && c.cond[8] == 1);
  assert_true(c.cond[1] == 0 && c.cond[4] == 0 && c.cond[7] == 0);
  glx_config_free(&c);
  assert_int_equal(bind("conditions:\n  zip: true\n  u: [1, 2]\n  v: [0, 1, 2]\n", &c), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "exp.yaml:4:6: conditions.v: 3 values, but another list has 2; "
                                   "allowed: with zip: true every list has the same length or a single value");
  glx_config_free(&c);
}

static void test_relations(void **state) {
  (void)state;
  glx_config c;
  assert_int_equal(bind("conditions: {u: [1]}\nsim:\n  record_start: 500\n  record_stop: 400\n", &c), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "exp.yaml:4:16: sim.record_stop: 400 is not after sim.record_start = 500"));
  glx_config_free(&c);
  assert_int_equal(bind("conditions: {u: [1]}\nperturbation: {kind: velocity, step: 1000}\n", &c), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "perturbation.step: 1000 is not inside the episode"));
  glx_config_free(&c);
}

static void test_policy_names(void **state) {
  (void)state;
  char path[4096];
  assert_int_equal(glx_policy_path("default", path, sizeof path), GL_OK);
  const size_t n = strlen(path);
  assert_true(n > 20 && strcmp(path + n - 20, "/policies/default.h5") == 0);
  assert_int_equal(glx_policy_path("runs/x/policy.h5", path, sizeof path), GL_OK);
  assert_string_equal(path, "runs/x/policy.h5");
  assert_int_equal(glx_policy_path("mine.h5", path, sizeof path), GL_OK); /* a file here */
  assert_string_equal(path, "mine.h5");
  assert_int_equal(glx_policy_path("seed_404", path, sizeof path), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "policy 'seed_404': no shipped agent policies/seed_404.h5"));
  glx_config c;
  assert_int_equal(bind("policy: seed_404\nconditions: {u: [1]}\n", &c), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "exp.yaml:1:9: policy 'seed_404'"));
  glx_config_free(&c);
}

/* env: holds the task keys shared with training; the sim.* names of older files are aliases
 * that give the same task, and giving a key and its alias is refused. */
static void test_task_keys_and_aliases(void **state) {
  (void)state;
  glx_config a, b;
  assert_int_equal(bind("conditions: {u: [1]}\nenv: {timestep: 0.004, decimation: 5, episode_steps: 950, obs_noise: false, friction: [0.9, 1.0]}\n", &a), GL_OK);
  assert_int_equal(bind("conditions: {u: [1]}\nsim: {timestep: 0.004, decimation: 5, episode_steps: 950, noise: false, friction_min: 0.9, friction_max: 1.0}\n", &b), GL_OK);
  gle_task ta, tb, td;
  gle_task_defaults(&ta);
  gle_task_defaults(&tb);
  gle_task_apply_keys(&a.task, &ta);
  gle_task_apply_keys(&b.task, &tb);
  assert_memory_equal(&ta, &tb, sizeof ta);
  assert_true(ta.timestep == 0.004 && ta.decimation == 5 && ta.episode_steps == 950 && !ta.obs_noise);
  assert_true(ta.friction_lo == 0.9 && ta.friction_hi == 1.0);
  glx_config_free(&a);
  glx_config_free(&b);
  /* defaults are the task's own */
  assert_int_equal(bind("conditions: {u: [1]}\n", &a), GL_OK);
  gle_task_defaults(&td);
  gle_task_defaults(&ta);
  gle_task_apply_keys(&a.task, &ta);
  assert_memory_equal(&ta, &td, sizeof ta);
  glx_config_free(&a);
  assert_int_equal(bind("conditions: {u: [1]}\nenv: {timestep: 0.004}\nsim: {timestep: 0.002}\n", &a), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "exp.yaml:3:17: sim.timestep is an alias of env.timestep, which is also given; allowed: one of them");
  glx_config_free(&a);
  /* an override of either name wins over the other written in the file */
  glc_doc *doc = NULL;
  const char *text = "conditions: {u: [1]}\nenv: {episode_steps: 1000}\n";
  assert_int_equal(glc_doc_load_string(&doc, "exp.yaml", text, strlen(text)), GL_OK);
  assert_int_equal(glc_doc_set(doc, "sim.episode_steps=950"), GL_OK);
  assert_int_equal(glx_config_bind(doc, &a), GL_OK);
  assert_int_equal(a.task.episode_steps, 950);
  glx_config_free(&a);
  glc_doc_destroy(doc);
  text = "conditions: {u: [1]}\nsim: {episode_steps: 1000}\n";
  assert_int_equal(glc_doc_load_string(&doc, "exp.yaml", text, strlen(text)), GL_OK);
  assert_int_equal(glc_doc_set(doc, "env.episode_steps=960"), GL_OK);
  assert_int_equal(glx_config_bind(doc, &a), GL_OK);
  assert_int_equal(a.task.episode_steps, 960);
  glx_config_free(&a);
  glc_doc_destroy(doc);
  assert_int_equal(bind("conditions: {u: [1]}\nsim: {friction_min: 1.0, friction_max: 0.5}\n", &a), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "sim.friction_max: 0.5 is below sim.friction_min = 1"));
  glx_config_free(&a);
  assert_int_equal(bind("conditions: {u: [1]}\nenv: {friction: [1.0, 0.5]}\n", &a), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "exp.yaml:2:17: env.friction: expected [lo, hi] with lo <= hi");
  glx_config_free(&a);
  assert_int_equal(bind("conditions: {u: [1]}\nsim: {episode_steps: 100, record_start: 0, record_stop: 200}\n", &a), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "sim.record_stop: 200 exceeds sim.episode_steps = 100"));
  glx_config_free(&a);
  assert_int_equal(bind("conditions: {u: [1]}\nenv: {episode_steps: 100}\n", &a), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "sim.record_stop: 900 exceeds env.episode_steps = 100"));
  glx_config_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grid_order), cmocka_unit_test(test_zip),
      cmocka_unit_test(test_relations), cmocka_unit_test(test_policy_names),
      cmocka_unit_test(test_task_keys_and_aliases)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
