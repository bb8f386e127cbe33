/* Cost of one policy step of the env (observe + decimation x (PD + mj_step) + contacts,
 * rewards, bookkeeping) against bare MuJoCo stepping of the same model in the same run.
 *
 * usage: bench_env [policy_steps_per_rep (1000)] [reps (5)] [json_out]
 * The bare loop is mj_step with the 12-joint PD written inline (no env code), on a robot
 * standing in the same pose, so both loops see the same contacts. Times are medians over
 * reps. */
#include <mujoco/mujoco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/env.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  const char *json = argc > 3 ? argv[3] : NULL;
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
  double ratio = env_us / (t.decimation * bare_us);
  char libs[256];
  gl_library_versions(libs, sizeof libs);
  printf("env policy step (observe + step): %.2f us  (observe %.2f us)\n", env_us, obs_us);
  printf("bare mj_step (+ inline PD): %.2f us  -> %d substeps = %.2f us\n", bare_us, t.decimation,
         t.decimation * bare_us);
  printf("ratio policy step / (decimation x bare mj_step) = %.3f\n", ratio);
  printf("throughput: %.0f policy steps/s per core, %.0fx real time\n", 1e6 / env_us,
         t.decimation * t.timestep / (env_us * 1e-6));
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
            "  \"policy_steps_per_s\": %.1f,\n  \"ncon_standing\": %d\n}\n",
            gl_git_hash(), libs, n, reps, t.decimation, t.timestep, env_us, obs_us, bare_us, ratio,
            1e6 / env_us, d->ncon);
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
