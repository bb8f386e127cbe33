/* glp_policy_bcast: every rank ends up with the root's policy, bitwise. Run on 1, 2, 4 ranks. */
#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/env.h"
#include "gaitlab/policy.h"

static void test_bcast(void **state) {
  (void)state;
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int root = size - 1;
  float x[5 * 188];
  for (int i = 0; i < 5 * 188; i++) x[i] = (float)cos(0.11 * i);
  /* what root holds: trained-looking state every rank can reproduce locally to compare */
  glp_policy *expect;
  assert_int_equal(glp_policy_create(&expect, gle_policy_inputs(), 176, 188, 77, 0.01, -0.25), GL_OK);
  for (size_t i = 0; i < expect->nparams; i += 1001) expect->params[i] += 0.5f;
  glp_norm_update(&expect->norm, 5, x, 188);
  expect->train_yaml = strdup("train: {seed: 77}\n");
  expect->git_hash = strdup("0123456789ab");
  expect->seed = 77;
  expect->policy_steps = 1e6;
  expect->wall_seconds = 42.5;
  expect->iterations = 11;

  glp_policy *p = NULL;
  if (rank == root) {
    assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 176, 188, 77, 0.01, -0.25), GL_OK);
    for (size_t i = 0; i < p->nparams; i += 1001) p->params[i] += 0.5f;
    glp_norm_update(&p->norm, 5, x, 188);
    p->train_yaml = strdup(expect->train_yaml);
    p->git_hash = strdup(expect->git_hash);
    p->seed = 77;
    p->policy_steps = 1e6;
    p->wall_seconds = 42.5;
    p->iterations = 11;
  }
  glp_policy *root_p = p;
  assert_int_equal(glp_policy_bcast(&p, gle_policy_inputs(), root, &comm), GL_OK);
  assert_non_null(p);
  if (rank == root) assert_ptr_equal(p, root_p);
  assert_int_equal(p->actor_in, 176);
  assert_int_equal(p->critic_in, 188);
  assert_int_equal(p->nparams, expect->nparams);
  assert_memory_equal(p->params, expect->params, sizeof(float) * p->nparams);
  assert_memory_equal(p->norm.mean, expect->norm.mean, sizeof(double) * 188);
  assert_memory_equal(p->norm.var, expect->norm.var, sizeof(double) * 188);
  assert_true(p->norm.count == 6);
  assert_string_equal(p->train_yaml, expect->train_yaml);
  assert_string_equal(p->git_hash, expect->git_hash);
  assert_true(p->seed == 77 && p->policy_steps == 1e6 && p->wall_seconds == 42.5 &&
              p->iterations == 11);
  glp_policy_destroy(p);

  /* a root without a policy is an error on every rank, not a hang */
  p = NULL;
  assert_int_equal(glp_policy_bcast(&p, gle_policy_inputs(), 0, &comm), GL_ERR_INTERNAL);
  assert_null(p);
  glp_policy_destroy(expect);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_bcast)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  /* any rank's failure fails the run */
  int all = 0;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return all;
}
