/* Policy creation (initialisation statistics, determinism) and the HDF5 policy file:
 * bitwise round trip and clear errors for malformed inputs. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gaitlab/env.h"
#include "gaitlab/policy.h"

static char path[256], path2[256];

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "test_policy_io_%d.h5", (int)getpid());
  snprintf(path2, sizeof path2, "test_policy_io_%d_bad.h5", (int)getpid());
  return 0;
}
static int teardown(void **state) {
  (void)state;
  remove(path);
  remove(path2);
  return 0;
}

/* max |w| and mean w^2 of a block */
static void block_stats(const float *v, size_t n, double *mx, double *ms) {
  *mx = 0;
  *ms = 0;
  for (size_t i = 0; i < n; i++) {
    *mx = fmax(*mx, fabs(v[i]));
    *ms += (double)v[i] * v[i];
  }
  *ms /= (double)n;
}

static void test_create_init(void **state) {
  (void)state;
  glp_policy *p, *q, *r;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 176, 188, 1234, 0.01, -0.5), GL_OK);
  assert_int_equal(p->nparams, p->actor.n + p->critic.n + 12);
  assert_int_equal(p->off_critic, p->actor.n);
  const float *A = p->params + p->off_actor, *C = p->params + p->off_critic;
  double mx, ms, b;
  /* kaiming-uniform(a=sqrt 5) = U(+-1/sqrt(fan_in)): max near the bound, E w^2 = b^2/3 */
  b = 1 / sqrt(176.0);
  block_stats(A + p->actor.W1, 512 * 176, &mx, &ms);
  assert_true(mx <= b && mx > 0.999 * b);
  assert_true(fabs(ms / (b * b / 3) - 1) < 0.02);
  b = 1 / sqrt(512.0);
  block_stats(C + p->critic.W2, 256 * 512, &mx, &ms);
  assert_true(mx <= b && mx > 0.999 * b && fabs(ms / (b * b / 3) - 1) < 0.02);
  /* LSTM: U(+-1/sqrt(128)) for weights and both biases */
  b = 1 / sqrt(128.0);
  block_stats(A + p->actor.Whh, 512 * 128, &mx, &ms);
  assert_true(mx <= b && mx > 0.99 * b && fabs(ms / (b * b / 3) - 1) < 0.03);
  block_stats(A + p->actor.bih, 512, &mx, &ms);
  assert_true(mx <= b && fabs(ms / (b * b / 3) - 1) < 0.25);
  block_stats(C + p->critic.bhh, 512, &mx, &ms);
  assert_true(mx <= b && ms > 0);
  /* Linear biases are zero */
  block_stats(A + p->actor.b1, 512, &mx, &ms);
  assert_true(mx == 0);
  block_stats(C + p->critic.bo, 1, &mx, &ms);
  assert_true(mx == 0);
  /* heads: actor scaled by head_gain 0.01, critic not */
  block_stats(A + p->actor.Wo, 12 * 128, &mx, &ms);
  assert_true(mx <= 0.01 * b && mx > 0.9 * 0.01 * b);
  block_stats(C + p->critic.Wo, 128, &mx, &ms);
  assert_true(mx <= b && mx > 0.9 * b);
  for (int j = 0; j < 12; j++) assert_true(p->params[p->off_logstd + j] == -0.5f);
  /* actor and critic towers differ; same seed reproduces, another seed does not */
  assert_true(memcmp(A + p->actor.W2, C + p->critic.W2, 4 * 256 * 512) != 0);
  assert_int_equal(glp_policy_create(&q, gle_policy_inputs(), 176, 188, 1234, 0.01, -0.5), GL_OK);
  assert_int_equal(glp_policy_create(&r, gle_policy_inputs(), 176, 188, 1235, 0.01, -0.5), GL_OK);
  assert_memory_equal(p->params, q->params, sizeof(float) * p->nparams);
  assert_true(memcmp(p->params, r->params, sizeof(float) * 1000) != 0);
  assert_true(p->norm.dim == 188 && p->norm.count == 1);
  glp_policy_destroy(p);
  glp_policy_destroy(q);
  glp_policy_destroy(r);
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 177, 188, 1, 1, 0), GL_ERR_INPUT);
  assert_null(p);
}

static void test_roundtrip(void **state) {
  (void)state;
  glp_policy *p, *q;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 188, 176, 99, 0.01, 0.0), GL_OK);
  float x[3 * 188];
  for (int i = 0; i < 3 * 188; i++) x[i] = (float)sin(0.37 * i);
  glp_norm_update(&p->norm, 3, x, 188);
  p->params[p->off_logstd + 3] = -0.731f;
  const char *yaml = "train:\n  seed: 99\n  horizon: 24\n";
  p->train_yaml = strdup(yaml);
  p->git_hash = strdup("abcdef123456");
  p->seed = 0xfedcba9876543210ull;
  p->policy_steps = 98304.0 * 7;
  p->wall_seconds = 123.25;
  p->iterations = 7;
  assert_int_equal(glp_policy_save(p, path), GL_OK);
  assert_int_equal(glp_policy_load(&q, path, gle_policy_inputs()), GL_OK);
  assert_int_equal(q->actor_in, 188);
  assert_int_equal(q->critic_in, 176);
  assert_int_equal(q->nparams, p->nparams);
  assert_memory_equal(q->params, p->params, sizeof(float) * p->nparams);
  assert_memory_equal(q->norm.mean, p->norm.mean, sizeof(double) * 188);
  assert_memory_equal(q->norm.var, p->norm.var, sizeof(double) * 188);
  assert_true(q->norm.count == 4);
  assert_string_equal(q->train_yaml, yaml);
  assert_string_equal(q->git_hash, "abcdef123456");
  assert_true(q->seed == p->seed && q->policy_steps == p->policy_steps &&
              q->wall_seconds == 123.25 && q->iterations == 7);

  /* self-describing: PyTorch-style names and shapes, input names */
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  const char *names[] = {"actor/mlp0/weight", "actor/lstm/weight_ih", "critic/value/weight",
                         "actor/mu/bias", "logstd"};
  hsize_t want[][2] = {{512, 188}, {512, 256}, {1, 128}, {12, 0}, {12, 0}};
  for (int k = 0; k < 5; k++) {
    hid_t d = H5Dopen2(f, names[k], H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    assert_true(dims[0] == want[k][0] && dims[1] == want[k][1]);
    H5Sclose(sp);
    H5Dclose(d);
  }
  hid_t d = H5Dopen2(f, "obs_names", H5P_DEFAULT);
  char nm[188][32];
  hid_t t = H5Dget_type(d);
  assert_int_equal(H5Tget_size(t), 32);
  assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, nm) >= 0);
  assert_string_equal(nm[0], "base_lin_vel_x");
  assert_string_equal(nm[12], "joint_pos_LF_HAA");
  assert_string_equal(nm[23], "joint_pos_RH_KFE");
  assert_string_equal(nm[36], "height_x-0.8_y-0.5");
  assert_string_equal(nm[175], "height_x+0.8_y+0.5");
  assert_string_equal(nm[187], "prev_action_RH_KFE");
  H5Tclose(t);
  H5Dclose(d);
  H5Fclose(f);
  glp_policy_destroy(p);
  glp_policy_destroy(q);
}

static void expect_load_error(const char *file, gl_err code, const char *needle) {
  glp_policy *q = (glp_policy *)1;
  gl_err e = glp_policy_load(&q, file, gle_policy_inputs());
  printf("load '%s': %s\n", file, gl_errmsg());
  assert_int_equal(e, code);
  assert_null(q);
  assert_non_null(strstr(gl_errmsg(), file));
  if (needle) assert_non_null(strstr(gl_errmsg(), needle));
}

static void test_load_errors(void **state) {
  (void)state;
  glp_policy *p;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 176, 188, 5, 0.01, 0.0), GL_OK);
  assert_int_equal(glp_policy_save(p, path), GL_OK);

  /* missing file */
  expect_load_error("no_such_policy_file.h5", GL_ERR_INPUT, "No such file");

  /* not HDF5 */
  FILE *fp = fopen(path2, "w");
  fputs("train:\n  seed: 1\n", fp);
  fclose(fp);
  expect_load_error(path2, GL_ERR_INPUT, "not an HDF5 file");

  /* truncated at several lengths */
  fp = fopen(path, "rb");
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *buf = malloc((size_t)size);
  assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
  fclose(fp);
  const double fracs[4] = {0.001, 0.3, 0.7, 0.98};
  for (int k = 0; k < 4; k++) {
    fp = fopen(path2, "wb");
    fwrite(buf, 1, (size_t)(size * fracs[k]), fp);
    fclose(fp);
    expect_load_error(path2, GL_ERR_INPUT, NULL);
  }
  free(buf);

  /* a foreign HDF5 file */
  hid_t f = H5Fcreate(path2, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  expect_load_error(path2, GL_ERR_INPUT, "not a gaitlab policy file");

  /* a tensor with the wrong shape */
  assert_int_equal(glp_policy_save(p, path2), GL_OK);
  f = H5Fopen(path2, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(H5Ldelete(f, "actor/lstm/weight_hh", H5P_DEFAULT) >= 0);
  hsize_t dims[2] = {512, 127};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t d = H5Dcreate2(f, "actor/lstm/weight_hh", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(f);
  expect_load_error(path2, GL_ERR_INPUT, "'actor/lstm/weight_hh' has shape [512][127], expected "
                                         "[512][128]");

  /* a missing tensor */
  assert_int_equal(glp_policy_save(p, path2), GL_OK);
  f = H5Fopen(path2, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(H5Ldelete(f, "critic/value/bias", H5P_DEFAULT) >= 0);
  H5Fclose(f);
  expect_load_error(path2, GL_ERR_INPUT, "'critic/value/bias' is missing");

  /* an unsupported input size */
  assert_int_equal(glp_policy_save(p, path2), GL_OK);
  f = H5Fopen(path2, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t a = H5Aopen(f, "actor_in", H5P_DEFAULT);
  int bad = 200;
  H5Awrite(a, H5T_NATIVE_INT, &bad);
  H5Aclose(a);
  H5Fclose(f);
  expect_load_error(path2, GL_ERR_INPUT, "actor 200");
  glp_policy_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_init),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_load_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
