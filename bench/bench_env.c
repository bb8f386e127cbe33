/* Cost of one policy step of the env (observe + decimation x (PD + mj_step) + contacts,
 * rewards, bookkeeping) against bare MuJoCo stepping of the same model in the same run.
 *
 * usage: bench_env [policy_steps_per_rep (1000)] [reps (5)] [json_out] [walking_policy.h5]
 * The bare loop is mj_step with the 12-joint PD written inline (no env code), on a robot
 * standing in the same pose, so both loops see the same contacts. Times are medians over
 * reps. With a policy, a third loop is the bound of `gaitlab run` on that policy: a batch
 * of 32 agents walking at the forward sweep's speeds, 0.4-1.0 m/s (observe all, normalise + batched inference, step all:
 * the run's loop without recording), timing physics and inference apart. A walking robot
 * costs more physics than a standing one (contacts open and close, the elliptic-cone
 * solver iterates more), so the standing loop alone understates the run's bound. */
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/env.h"
#include "gaitlab/policy.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

enum { WALK_B = 32 };

/* The forward sweep's commands (experiments/default.yaml: u = 0.4 ... 1.0 m/s in 7 steps),
 * spread over the batch, so the loop does the physics the run does. */
static const double *walk_cmd(int i) {
  static double cmd[7][3];
  for (int k = 0; k < 7; ++k) cmd[k][0] = 0.4 + 0.1 * k;
  return cmd[i % 7];
}

/* Per agent-step seconds of physics (observe + step) and inference (normalise + step of
 * the actor) for WALK_B agents walking at the forward sweep's speeds on the policy at path, n steps from
 * their reset (as a run simulates them, start-up included); falls > 0 when an agent fell
 * (then reset). */
static gl_err walk_loop(const gle_env *e, const char *path, int n, double *phys, double *inf,
                        int *falls) {
  glp_policy *p = NULL;
  glp_infer_ws_f *ws = NULL;
  gle_agent *ag[WALK_B] = {0};
  float *raw = NULL, *x = NULL, *h = NULL, *c = NULL, *mu = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, glp_policy_load(&p, path, gle_policy_inputs()), done);
  const int ain = p->actor_in;
  GL_GOTO(err, glp_infer_ws_create_f(&ws, &p->actor, WALK_B), done);
  GL_GOTO(err, GL_ALLOC(raw, (size_t)WALK_B * GLE_OBS_FULL), done);
  GL_GOTO(err, GL_ALLOC(x, (size_t)WALK_B * GLE_OBS_FULL), done);
  GL_GOTO(err, GL_ALLOC(h, (size_t)WALK_B * GLP_LSTM), done);
  GL_GOTO(err, GL_ALLOC(c, (size_t)WALK_B * GLP_LSTM), done);
  GL_GOTO(err, GL_ALLOC(mu, (size_t)WALK_B * GLP_NACT), done);
  for (int i = 0; i < WALK_B; ++i) {
    GL_GOTO(err, gle_agent_create(&ag[i], e, 7, (uint64_t)i), done);
    GL_GOTO(err, gle_agent_reset(ag[i], walk_cmd(i)), done);
  }
  double tp = 0, ti = 0;
  *falls = 0;
  for (int t = 0; t < n; ++t) {
    double w0 = gl_wtime();
    for (int i = 0; i < WALK_B; ++i) GL_GOTO(err, gle_agent_observe(ag[i], raw + (size_t)i * GLE_OBS_FULL), done);
    double w1 = gl_wtime();
    glp_norm_apply(&p->norm, WALK_B, raw, GLE_OBS_FULL, x, ain);
    GL_GOTO(err, glp_step_f(&p->actor, p->params + p->off_actor, ws, WALK_B, x, h, c, NULL, mu), done);
    double w2 = gl_wtime();
    for (int i = 0; i < WALK_B; ++i) {
      gle_step_info info;
      GL_GOTO(err, gle_agent_step(ag[i], mu + (size_t)i * GLP_NACT, &info), done);
      if (info.terminated || info.nonfinite) {
        ++*falls;
        GL_GOTO(err, gle_agent_reset(ag[i], walk_cmd(i)), done);
        memset(h + (size_t)i * GLP_LSTM, 0, GLP_LSTM * sizeof *h);
        memset(c + (size_t)i * GLP_LSTM, 0, GLP_LSTM * sizeof *c);
      }
    }
    double w3 = gl_wtime();
    tp += (w1 - w0) + (w3 - w2);
    ti += w2 - w1;
  }
  *phys = tp / ((double)n * WALK_B);
  *inf = ti / ((double)n * WALK_B);
done:
  for (int i = 0; i < WALK_B; ++i) gle_agent_destroy(ag[i]);
  glp_infer_ws_destroy_f(ws);
  glp_policy_destroy(p);
  free(raw);
  free(x);
  free(h);
  free(c);
  free(mu);
  return err;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  const char *json = argc > 3 ? argv[3] : NULL;
  const char *walk_policy = argc > 4 ? argv[4] : NULL;
  if (n < 1 || reps < 1 || reps > 100) {
    fprintf(stderr, "usage: bench_env [steps>=1] [reps 1..100] [json_out]\n");
    return 2;
  }
  gle_task t;
  gle_task_defaults(&t); /* training setting: noise, heading controller, pushes every 750 */
  gle_env *e = NULL;
  gle_agent *a = NULL;
  if (gle_env_create(&e, &t) || gle_agent_create(&a, e, 1, 0)) {
    fprintf(stderr, "bench_env: %s\n", gl_errmsg());
    return 1;
  }
  double cmd[3] = {0.5, 0.0, 0.0};
  float obs[GLE_OBS_FULL], act[GLE_NJ];
  gle_step_info info;
  gle_agent_reset(a, cmd);
  for (int k = 0; k < 200; ++k) { /* settle on the feet */
    memset(act, 0, sizeof act);
    gle_agent_observe(a, obs);
    gle_agent_step(a, act, &info);
  }
  const mjModel *m = gle_env_mjmodel(e);
  mjData *d = mj_makeData(m);
  const mjData *da = gle_agent_mjdata(a);
  mju_copy(d->qpos, da->qpos, m->nq);
  mju_copy(d->qvel, da->qvel, m->nv);

  double *t_env = malloc(sizeof(double) * reps), *t_obs = malloc(sizeof(double) * reps),
         *t_bare = malloc(sizeof(double) * reps);
  long steps_total = 0;
  for (int r = 0; r < reps; ++r) {
    double t0 = gl_wtime(), tobs = 0;
    for (int k = 0; k < n; ++k) {
      double to = gl_wtime();
      gle_agent_observe(a, obs);
      tobs += gl_wtime() - to;
      /* zero-ish actions: a small fixed-pattern wiggle around the default pose */
      for (int j = 0; j < GLE_NJ; ++j) act[j] = 0.05f * obs[12 + (j + k) % GLE_NJ];
      gle_agent_step(a, act, &info);
      if (info.terminated || info.nonfinite) gle_agent_reset(a, cmd);
    }
    t_env[r] = (gl_wtime() - t0) / n * 1e6;
    t_obs[r] = tobs / n * 1e6;
    t0 = gl_wtime();
    for (int k = 0; k < n * t.decimation; ++k) {
      for (int j = 0; j < GLE_NJ; ++j) {
        double tau = t.kp * (t.default_q[j] - d->qpos[7 + j]) - t.kd * d->qvel[6 + j];
        d->ctrl[j] = tau > 80 ? 80 : tau < -80 ? -80 : tau;
      }
      mj_step(m, d);
    }
    t_bare[r] = (gl_wtime() - t0) / (n * t.decimation) * 1e6;
    steps_total += n;
  }
  double env_us = median(t_env, reps), obs_us = median(t_obs, reps), bare_us = median(t_bare, reps);
  double walk_phys_us = 0, walk_inf_us = 0;
  int walk_falls = 0;
  if (walk_policy) {
    gle_task tw_task = t; /* the task as `gaitlab run` sets it: no pushes, commands held */
    tw_task.push_interval = 0;
    tw_task.heading_command = 0;
    gle_env *ew = NULL;
    if (gle_env_create(&ew, &tw_task)) {
      fprintf(stderr, "bench_env: %s\n", gl_errmsg());
      return 1;
    }
    double *tw = malloc(sizeof(double) * reps), *tn = malloc(sizeof(double) * reps);
    for (int r = 0; r < reps; ++r) {
      if (walk_loop(ew, walk_policy, n, &tw[r], &tn[r], &walk_falls)) {
        fprintf(stderr, "bench_env: %s\n", gl_errmsg());
        return 1;
      }
    }
    /* the fastest repetition: on a shared or virtual machine noise only slows a loop */
    int best = 0;
    for (int r = 1; r < reps; ++r)
      if (tw[r] + tn[r] < tw[best] + tn[best]) best = r;
    walk_phys_us = tw[best] * 1e6;
    walk_inf_us = tn[best] * 1e6;
    gle_env_destroy(ew);
    free(tw);
    free(tn);
  }
  double ratio = env_us / (t.decimation * bare_us);
  char libs[256];
  gl_library_versions(libs, sizeof libs);
  printf("env policy step (observe + step): %.2f us  (observe %.2f us)\n", env_us, obs_us);
  printf("bare mj_step (+ inline PD): %.2f us  -> %d substeps = %.2f us\n", bare_us, t.decimation,
         t.decimation * bare_us);
  printf("ratio policy step / (decimation x bare mj_step) = %.3f\n", ratio);
  printf("throughput: %.0f policy steps/s per core, %.0fx real time\n", 1e6 / env_us,
         t.decimation * t.timestep / (env_us * 1e-6));
  if (walk_policy)
    printf("walking (%d agents, u = 0.4-1.0 m/s, %d fell): physics %.2f us + inference %.2f us per agent-step "
           "= %.2f us (physics %.2fx the standing robot's)\n",
           WALK_B, walk_falls, walk_phys_us, walk_inf_us, walk_phys_us + walk_inf_us, walk_phys_us / env_us);
  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) {
      fprintf(stderr, "bench_env: cannot write %s\n", json);
      return 1;
    }
    fprintf(f,
            "{\n  \"benchmark\": \"env\",\n  \"git\": \"%s\",\n  \"libraries\": \"%s\",\n"
            "  \"policy_steps_per_rep\": %d,\n  \"reps\": %d,\n  \"decimation\": %d,\n"
            "  \"timestep_s\": %g,\n  \"policy_step_us\": %.3f,\n  \"observe_us\": %.3f,\n"
            "  \"bare_mj_step_us\": %.3f,\n  \"ratio_policy_step_over_decimation_bare\": %.4f,\n"
            "  \"policy_steps_per_s\": %.1f,\n  \"ncon_standing\": %d,\n"
            "  \"walking_physics_us\": %.3f,\n  \"walking_inference_us\": %.3f,\n  \"walking_falls\": %d\n}\n",
            gl_git_hash(), libs, n, reps, t.decimation, t.timestep, env_us, obs_us, bare_us, ratio,
            1e6 / env_us, d->ncon, walk_phys_us, walk_inf_us, walk_falls);
    fclose(f);
  }
  (void)steps_total;
  free(t_env);
  free(t_obs);
  free(t_bare);
  mj_deleteData(d);
  gle_agent_destroy(a);
  gle_env_destroy(e);
  return 0;
}
