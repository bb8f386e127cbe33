/* Data-parallel PPO (run with 1, 2 and 4 ranks) on the cue task:
 *  - all ranks hold bitwise identical weights, Adam moments and normalisers after training;
 *  - the distributed run equals a single-rank run over the same global envs: bitwise with
 *    one rank, and to float-rounding tolerance otherwise (the gradient, moment and KL sums
 *    are reduced in another order; Adam's per-parameter normalisation can amplify rounding
 *    of near-zero gradients to O(lr) per step, so the test bounds the difference relative
 *    to the total update);
 *  - repeat runs with the same rank count are bitwise identical;
 *  - a checkpoint written by all ranks resumes bit-exactly on the same ranks, and loads on a
 *    single rank (the file is rank-count independent).
 * The env count (18) does not divide evenly, so blocks and minibatch shares are uneven. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/train.h"
#include "train/cue_env.h"

#define CUE_L 5
#define NENV 18

typedef struct run {
  glp_policy *pol;
  glt_env env;
  glt_trainer *tr;
} run;

static void params_(glt_params *p) {
  glt_params_defaults(p);
  p->num_envs = NENV;
  p->horizon = 8;
  p->seq_len = 4;
  p->minibatches = 4;
  p->epochs = 2;
  p->seed = 5;
}

static void run_open(run *r, const glt_params *p, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int64_t first = (int64_t)p->num_envs * rank / size;
  int64_t last = (int64_t)p->num_envs * (rank + 1) / size;
  assert_int_equal(cue_policy_create(&r->pol, p->seed), GL_OK);
  assert_int_equal(cue_env_create(&r->env, p->seed, first, (int)(last - first), CUE_L), GL_OK);
  assert_int_equal(glt_trainer_create(&r->tr, p, r->pol, &r->env, comm), GL_OK);
}

static void run_close(run *r) {
  glt_trainer_destroy(r->tr);
  cue_env_destroy(&r->env);
  glp_policy_destroy(r->pol);
}

static void iterate(run *r, int n, glt_iter_stats *st) {
  for (int i = 0; i < n; ++i) assert_int_equal(glt_trainer_iterate(r->tr, st), GL_OK);
}

/* 1 if every rank's buffer equals rank 0's */
static int same_on_all_ranks(const void *buf, size_t bytes) {
  unsigned char *ref = malloc(bytes);
  memcpy(ref, buf, bytes);
  MPI_Bcast(ref, (int)bytes, MPI_BYTE, 0, MPI_COMM_WORLD);
  int ok = memcmp(ref, buf, bytes) == 0, all;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  free(ref);
  return all;
}

static void test_distributed_matches_single(void **state) {
  (void)state;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  glt_params p;
  params_(&p);
  glt_iter_stats sw, ss;
  run w;
  run_open(&w, &p, MPI_COMM_WORLD);
  const size_t np = w.pol->nparams;
  float *init = malloc(np * sizeof(float));
  memcpy(init, w.pol->params, np * sizeof(float));
  iterate(&w, 3, &sw);
  assert_true(same_on_all_ranks(w.pol->params, np * sizeof(float)));
  assert_true(same_on_all_ranks(glt_trainer_adam(w.tr)->m, np * sizeof(float)));
  assert_true(same_on_all_ranks(glt_trainer_adam(w.tr)->v, np * sizeof(float)));
  assert_true(same_on_all_ranks(w.pol->norm.mean, CUE_OBS * sizeof(double)));
  assert_true(same_on_all_ranks(glt_trainer_vnorm(w.tr), sizeof(glt_vnorm)));
  double lr = glt_trainer_lr(w.tr);
  assert_true(same_on_all_ranks(&lr, sizeof lr));
  assert_true(same_on_all_ranks(&sw, sizeof sw - 6 * sizeof(double))); /* all but timings */

  if (rank == 0) {
    run s;
    run_open(&s, &p, MPI_COMM_SELF);
    iterate(&s, 3, &ss);
    double d2 = 0, u2 = 0, dmax = 0;
    for (size_t i = 0; i < np; ++i) {
      double d = (double)w.pol->params[i] - s.pol->params[i];
      double u = (double)s.pol->params[i] - init[i];
      d2 += d * d, u2 += u * u;
      if (fabs(d) > dmax) dmax = fabs(d);
    }
    double rel = sqrt(d2 / u2);
    fprintf(stderr, "%d ranks vs 1: |dw|/|update| = %.3g, max |dw| = %.3g, reward %.9g vs %.9g, "
            "kl %.6g vs %.6g\n", size, rel, dmax, sw.mean_reward, ss.mean_reward, sw.kl, ss.kl);
    if (size == 1) {
      assert_memory_equal(w.pol->params, s.pol->params, np * sizeof(float));
      assert_true(sw.kl == ss.kl);
    } else {
      assert_true(rel < 1e-4); /* measured ~1e-6 */
      assert_float_equal(sw.mean_reward, ss.mean_reward, 1e-5 * fabs(ss.mean_reward) + 1e-7);
      assert_float_equal(sw.kl, ss.kl, 1e-3 * ss.kl);
    }
    run_close(&s);
  }
  free(init);

  /* repeat with the same rank count: bitwise */
  run w2;
  run_open(&w2, &p, MPI_COMM_WORLD);
  glt_iter_stats sw2;
  iterate(&w2, 3, &sw2);
  assert_memory_equal(w.pol->params, w2.pol->params, np * sizeof(float));
  assert_true(sw.kl == sw2.kl && sw.loss_critic == sw2.loss_critic);
  run_close(&w2);
  run_close(&w);
}

static void test_distributed_resume(void **state) {
  (void)state;
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char path[128];
  snprintf(path, sizeof path, "train_mpi_ckpt_np%d.h5", size);
  glt_params p;
  params_(&p);
  glt_iter_stats st;
  run a, b;
  run_open(&a, &p, MPI_COMM_WORLD);
  iterate(&a, 2, &st);
  assert_int_equal(glt_checkpoint_save(a.tr, path, NULL), GL_OK);
  iterate(&a, 2, &st);

  run_open(&b, &p, MPI_COMM_WORLD);
  assert_int_equal(glt_checkpoint_load(b.tr, path), GL_OK);
  iterate(&b, 2, &st);
  const size_t np = a.pol->nparams;
  assert_memory_equal(a.pol->params, b.pol->params, np * sizeof(float));
  assert_memory_equal(glt_trainer_adam(a.tr)->m, glt_trainer_adam(b.tr)->m, np * sizeof(float));
  run_close(&b);

  /* the file holds every env in global order: one rank can take it over */
  if (rank == 0) {
    run s;
    run_open(&s, &p, MPI_COMM_SELF);
    assert_int_equal(glt_checkpoint_load(s.tr, path), GL_OK);
    assert_int_equal(glt_trainer_iteration(s.tr), 2);
    iterate(&s, 2, &st);
    double d2 = 0, n2 = 0;
    for (size_t i = 0; i < np; ++i) {
      double d = (double)a.pol->params[i] - s.pol->params[i];
      d2 += d * d, n2 += (double)a.pol->params[i] * a.pol->params[i];
    }
    if (size == 1)
      assert_memory_equal(a.pol->params, s.pol->params, np * sizeof(float));
    else
      assert_true(sqrt(d2 / n2) < 1e-5);
    run_close(&s);
    remove(path);
  }
  run_close(&a);
  MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_distributed_matches_single),
      cmocka_unit_test(test_distributed_resume),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  int any;
  MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
