/* The trainer end to end on the cue task (tests/train/cue_env.h), single rank:
 *  - every iteration's first minibatch reproduces the rollout (ratio 1, KL 0);
 *  - learning: return improves and the LSTM learns to remember the cue;
 *  - checkpoint/resume is bit-exact: N iterations straight == N/2 + save + load + N/2;
 *  - the same seed gives a bitwise identical run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/train.h"
#include "train/cue_env.h"

#define CUE_L 6

typedef struct run {
  glp_policy *pol;
  glt_env env;
  glt_trainer *tr;
} run;

static void small_params(glt_params *p, int num_envs) {
  glt_params_defaults(p);
  p->num_envs = num_envs;
  p->horizon = 12;
  p->seq_len = 4;
  p->minibatches = 2;
  p->epochs = 4;
  p->seed = 11;
}

static void run_open(run *r, const glt_params *p, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int64_t first = (int64_t)p->num_envs * rank / size, last = (int64_t)p->num_envs * (rank + 1) / size;
  assert_int_equal(cue_policy_create(&r->pol, p->seed), GL_OK);
  assert_int_equal(cue_env_create(&r->env, p->seed, first, (int)(last - first), CUE_L), GL_OK);
  assert_int_equal(glt_trainer_create(&r->tr, p, r->pol, &r->env, comm), GL_OK);
}

static void run_close(run *r) {
  glt_trainer_destroy(r->tr);
  cue_env_destroy(&r->env);
  glp_policy_destroy(r->pol);
}

static void test_first_minibatch_identity(void **state) {
  (void)state;
  glt_params p;
  small_params(&p, 16);
  run r;
  run_open(&r, &p, MPI_COMM_SELF);
  for (int it = 0; it < 3; ++it) {
    glt_iter_stats st;
    assert_int_equal(glt_trainer_iterate(r.tr, &st), GL_OK);
    /* rollout (glp_step_f, frozen normaliser) vs update (glp_seq_forward_f) on identical
     * inputs and states: equal up to float rounding of differently blocked GEMMs */
    fprintf(stderr, "iteration %d: first minibatch max|ratio-1| %.3g, KL %.3g; kl %.4f lr %.3g\n",
            it + 1, st.first_ratio_dev, st.first_kl, st.kl, st.lr);
    assert_true(st.first_ratio_dev < 1e-5);
    assert_true(fabs(st.first_kl) < 1e-9);
    assert_true(st.kl > 0);
    assert_true(isfinite(st.loss_actor) && isfinite(st.loss_critic));
  }
  run_close(&r);
}

static double mean_return_over(run *r, int iters, double *memory_out) {
  double s = 0.0;
  int c = 0;
  for (int it = 0; it < iters; ++it) {
    glt_iter_stats st;
    assert_int_equal(glt_trainer_iterate(r->tr, &st), GL_OK);
    if (!isnan(st.mean_return)) s += st.mean_return, c++;
  }
  if (memory_out) *memory_out = cue_memory_score(r->pol, 99, 64, CUE_L);
  return c ? s / c : NAN;
}

/* Return rises from about 6*(1 - 1.25) = -1.5 (std 1, mu 0) toward 6; a memoryless policy
 * cannot match the cue's sign after step 0 better than chance. */
static void test_learning(void **state) {
  (void)state;
  glt_params p;
  small_params(&p, 64);
  p.horizon = 12;
  p.minibatches = 2;
  run r;
  run_open(&r, &p, MPI_COMM_SELF);
  double mem_init = cue_memory_score(r.pol, 99, 64, CUE_L);
  double mem0;
  double first = mean_return_over(&r, 2, &mem0);
  double mid = mean_return_over(&r, 30, NULL);
  double mem1;
  double last = mean_return_over(&r, 4, &mem1);
  fprintf(stderr, "cue task: return %.3f -> %.3f -> %.3f, cue memory %.3f -> %.3f -> %.3f\n",
          first, mid, last, mem_init, mem0, mem1);
  assert_true(last > first + 2.0);
  assert_true(mem1 > 0.8);
  run_close(&r);
}

static void assert_same_state(run *a, run *b) {
  assert_int_equal(a->pol->nparams, b->pol->nparams);
  assert_memory_equal(a->pol->params, b->pol->params, a->pol->nparams * sizeof(float));
  const glt_adam *x = glt_trainer_adam(a->tr), *y = glt_trainer_adam(b->tr);
  assert_int_equal(x->step, y->step);
  assert_memory_equal(x->m, y->m, x->n * sizeof(float));
  assert_memory_equal(x->v, y->v, x->n * sizeof(float));
  assert_true(glt_trainer_lr(a->tr) == glt_trainer_lr(b->tr));
  assert_memory_equal(glt_trainer_vnorm(a->tr), glt_trainer_vnorm(b->tr), sizeof(glt_vnorm));
  assert_memory_equal(a->pol->norm.mean, b->pol->norm.mean, sizeof(double) * CUE_OBS);
  assert_memory_equal(a->pol->norm.var, b->pol->norm.var, sizeof(double) * CUE_OBS);
  assert_true(a->pol->norm.count == b->pol->norm.count);
}

static void test_resume_bit_exact(void **state) {
  (void)state;
  glt_params p;
  small_params(&p, 16);
  char path[256];
  snprintf(path, sizeof path, "train_ppo_ckpt_%d.h5", (int)getpid());
  glt_iter_stats st_a, st_c;
  run a, b, c;
  run_open(&a, &p, MPI_COMM_SELF);
  for (int it = 0; it < 4; ++it) assert_int_equal(glt_trainer_iterate(a.tr, &st_a), GL_OK);

  run_open(&b, &p, MPI_COMM_SELF);
  for (int it = 0; it < 2; ++it) assert_int_equal(glt_trainer_iterate(b.tr, &st_c), GL_OK);
  assert_int_equal(glt_checkpoint_save(b.tr, path, "cue: test\n"), GL_OK);
  /* the interrupted run carries on too: saving must not perturb it */
  for (int it = 0; it < 2; ++it) assert_int_equal(glt_trainer_iterate(b.tr, &st_c), GL_OK);
  assert_same_state(&a, &b);

  run_open(&c, &p, MPI_COMM_SELF);
  assert_int_equal(glt_checkpoint_load(c.tr, path), GL_OK);
  assert_int_equal(glt_trainer_iteration(c.tr), 2);
  for (int it = 0; it < 2; ++it) assert_int_equal(glt_trainer_iterate(c.tr, &st_c), GL_OK);
  assert_same_state(&a, &c);
  assert_int_equal(st_c.iteration, 4);
  assert_true(st_a.mean_reward == st_c.mean_reward);
  assert_true(st_a.kl == st_c.kl);
  assert_true(glt_trainer_policy_steps(c.tr) == glt_trainer_policy_steps(a.tr));

  char *text = NULL;
  assert_int_equal(glt_checkpoint_read_text(path, &text), GL_OK);
  assert_string_equal(text, "cue: test\n");
  free(text);

  /* a checkpoint of another configuration is refused with a message */
  glt_params q = p;
  q.num_envs = 8;
  run d;
  run_open(&d, &q, MPI_COMM_SELF);
  assert_int_equal(glt_checkpoint_load(d.tr, path), GL_ERR_INPUT);
  run_close(&d);

  run_close(&a);
  run_close(&b);
  run_close(&c);
  remove(path);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_minibatch_identity),
      cmocka_unit_test(test_resume_bit_exact),
      cmocka_unit_test(test_learning),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
