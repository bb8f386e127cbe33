/* The training run: policy, environments and trainer set up over the ranks, a resumed or
 * fresh start, the iteration loop (log row, progress line, snapshots, periodic checkpoints,
 * stop signals agreed over all ranks) and the final checkpoint and policy with provenance. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gaitlab/core.h"
#include "gaitlab/env.h"
#include "gaitlab/policy.h"
#include "gaitlab/train.h"
#include "train/train_log.h"

/* ------------------------------------------------------------------- log -- */

enum { C_ITER, C_STEPS, C_WALL, C_REW, C_RET, C_LEN, C_EPS, C_FALL, C_INVALID, C_LINERR,
       C_YAWERR, C_KL, C_LR, C_LA, C_LC, C_LB, C_ENT, C_CLIP, C_GN, C_STD, C_EV, C_R0, C_KL0,
       C_SPS, C_TPHYS, C_TNET, C_TUPD, C_TTOT, C_LEVEL, C_NCOLS };

static const glt_log_column log_cols[C_NCOLS] = {
    {"iteration", "1", "iteration number (1-based)"},
    {"policy_steps", "steps", "env steps trained so far (all envs)"},
    {"wall_time", "s", "cumulative training wall time"},
    {"mean_reward", "1", "mean per-step reward (x dt, clipped >= 0)"},
    {"mean_return", "1", "mean return of episodes ended this iteration (NaN if none)"},
    {"episode_length", "steps", "mean length of episodes ended this iteration"},
    {"episodes", "1", "episodes ended this iteration"},
    {"fall_rate", "1", "fraction of ended episodes that terminated by a base contact"},
    {"invalid_steps", "1", "steps whose simulation became invalid (treated as falls)"},
    {"lin_vel_xy_error", "m/s", "mean |cmd_xy - v_xy (body)| per step"},
    {"yaw_rate_error", "rad/s", "mean |r_cmd - omega_z (body)| per step"},
    {"kl", "nats", "mean KL(new || old) per minibatch (rl_games formula)"},
    {"lr", "1", "learning rate after the update"},
    {"loss_actor", "1", "clipped surrogate loss"},
    {"loss_critic", "1", "0.5 x critic_coef x MSE of normalised returns"},
    {"loss_bounds", "1", "soft-bound loss (unweighted)"},
    {"entropy", "nats", "policy entropy (sum over actions)"},
    {"clip_frac", "1", "fraction of samples with |ratio - 1| > clip"},
    {"grad_norm", "1", "mean global gradient norm before clipping"},
    {"std_mean", "1", "mean action std exp(logstd)"},
    {"explained_variance", "1", "1 - Var(R - V)/Var(R) over the batch"},
    {"first_ratio_dev", "1", "max |ratio - 1| in the first minibatch (should be ~1e-6)"},
    {"first_kl", "nats", "unguarded KL in the first minibatch (should be ~0)"},
    {"steps_per_s", "steps/s", "policy steps per second this iteration"},
    {"t_physics", "s", "rollout time in the environment (physics, observation)"},
    {"t_network", "s", "rollout time in the network (forward, sampling)"},
    {"t_update", "s", "PPO update time"},
    {"t_iteration", "s", "iteration wall time"},
    {"terrain_level", "1",
     "curriculum terrain: mean level (0-9) over envs and steps of the iteration; NaN on other "
     "terrains"},
};

static void log_row(const glt_iter_stats *s, int curriculum, double *r) {
  r[C_ITER] = (double)s->iteration, r[C_STEPS] = s->policy_steps, r[C_WALL] = s->wall_seconds;
  r[C_REW] = s->mean_reward, r[C_RET] = s->mean_return, r[C_LEN] = s->mean_length;
  r[C_EPS] = s->episodes, r[C_FALL] = s->fall_rate, r[C_INVALID] = s->invalid;
  r[C_LINERR] = s->metric[0], r[C_YAWERR] = s->metric[1], r[C_KL] = s->kl, r[C_LR] = s->lr;
  r[C_LA] = s->loss_actor, r[C_LC] = s->loss_critic, r[C_LB] = s->loss_bounds;
  r[C_ENT] = s->entropy, r[C_CLIP] = s->clip_frac, r[C_GN] = s->grad_norm;
  r[C_STD] = s->std_mean, r[C_EV] = s->explained_var, r[C_R0] = s->first_ratio_dev;
  r[C_KL0] = s->first_kl, r[C_SPS] = s->steps_per_s, r[C_TPHYS] = s->t_physics;
  r[C_TNET] = s->t_network, r[C_TUPD] = s->t_update, r[C_TTOT] = s->t_total;
  r[C_LEVEL] = curriculum ? s->metric[2] : NAN;
}

static void progress_line(const char *name, const glt_iter_stats *s, int curriculum) {
  char level[32] = "";
  if (curriculum) snprintf(level, sizeof level, " | level %.2f", s->metric[2]);
  gl_log("%s it %lld | %.3gM steps | rew/step %.4f ret %.3g len %.0f fall %.2f | "
         "err v %.3f m/s yaw %.3f rad/s | kl %.4f lr %.2g std %.3f ev %.2f | "
         "%.0f steps/s (phys %.2fs net %.2fs upd %.2fs) | r0-1 %.1e%s",
         name, (long long)s->iteration, s->policy_steps / 1e6, s->mean_reward, s->mean_return,
         s->mean_length, s->fall_rate, s->metric[0], s->metric[1], s->kl, s->lr, s->std_mean,
         s->explained_var, s->steps_per_s, s->t_physics, s->t_network, s->t_update,
         s->first_ratio_dev, level);
}

/* --------------------------------------------------------------- helpers -- */

/* Save the policy with provenance (rank 0), atomically. */
static gl_err save_policy(glt_trainer *tr, glp_policy *pol, const char *yaml, uint64_t seed,
                          const char *path) {
  free(pol->train_yaml);
  free(pol->git_hash);
  pol->train_yaml = strdup(yaml);
  pol->git_hash = strdup(gl_git_hash());
  if (!pol->train_yaml || !pol->git_hash) return gl_error(GL_ERR_NOMEM, "out of memory");
  pol->seed = seed;
  pol->policy_steps = glt_trainer_policy_steps(tr);
  pol->wall_seconds = glt_trainer_wall_seconds(tr);
  pol->iterations = (int)glt_trainer_iteration(tr);
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  GL_CALL(glp_policy_save(pol, tmp));
  if (rename(tmp, path) != 0)
    return gl_error(GL_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
  return GL_OK;
}

static gl_err save_all(glt_trainer *tr, glp_policy *pol, const char *yaml, uint64_t seed,
                       const char *ckpt, const char *polpath, MPI_Comm comm, int rank) {
  GL_CALL(glt_checkpoint_save(tr, ckpt, yaml));
  gl_err err = rank == 0 ? save_policy(tr, pol, yaml, seed, polpath) : GL_OK;
  return gl_agree(comm, err);
}

/* A snapshot when this iteration crossed a multiple of `every` policy steps. Snapshots are
 * never overwritten by later checkpoints, so the shipped policy can be chosen afterwards by
 * evaluating each one (training return does not rank walking quality: falls on hard commands
 * come and go between checkpoints). The policy steps are in the name, so `ls` sorts them. */
static gl_err maybe_snapshot(glt_trainer *tr, glp_policy *pol, const char *yaml, uint64_t seed,
                             const char *dir, double every, double before, MPI_Comm comm,
                             int rank) {
  const double now = glt_trainer_policy_steps(tr);
  if (every <= 0 || floor(now / every) == floor(before / every)) return GL_OK;
  gl_err err = GL_OK;
  if (rank == 0) {
    char sdir[4200], path[4300];
    snprintf(sdir, sizeof sdir, "%s/snapshots", dir);
    err = gl_mkdir_p(sdir);
    snprintf(path, sizeof path, "%s/policy_%011.0f.h5", sdir, now);
    if (!err) err = save_policy(tr, pol, yaml, seed, path);
    if (!err) gl_log("snapshot %s", path);
  }
  return gl_agree(comm, err);
}

/* ------------------------------------------------------------------ the run -- */

/* What one run holds; created by train_open, released by train_close in reverse order. */
typedef struct train_run {
  const glt_config *cfg;
  const char *yaml;
  MPI_Comm comm;
  int rank, quiet, curriculum;
  char dir[4096], ckpt[4200], logpath[4200], polpath[4200];
  glp_policy *pol;
  glt_env env;
  int env_made;
  glt_trainer *tr;
  glt_log *log;
  double mem_planned; /* resident bytes per rank (glt_memory_plan) */
} train_run;

static gl_err train_paths(train_run *R, const char *dir) {
  if (snprintf(R->dir, sizeof R->dir, "%s", dir) >= (int)sizeof R->dir)
    return gl_error(GL_ERR_INPUT, "output directory path is too long (%zu bytes)", strlen(dir));
  snprintf(R->ckpt, sizeof R->ckpt, "%s/checkpoint.h5", dir);
  snprintf(R->logpath, sizeof R->logpath, "%s/train_log.h5", dir);
  snprintf(R->polpath, sizeof R->polpath, "%s/policy.h5", dir);
  return GL_OK;
}

gl_err glt_memory_plan(const glt_config *c, const gle_task *task, int nranks, double *resident,
                       double *allocated, char *what, size_t len) {
  glp_policy *pol = NULL;
  gle_env *probe = NULL;
  GL_CALL(glp_policy_create(&pol, gle_policy_inputs(), c->actor_in, c->critic_in, 1, c->head_gain,
                            c->logstd_init));
  gl_err err = gle_env_create(&probe, task);
  if (!err) {
    int64_t first, end; /* rank 0 has the most envs and gathers the checkpoint */
    gl_shard_range(c->p.num_envs, nranks, 0, &first, &end);
    const int n = (int)(end - first);
    size_t res = 0;
    const double alloc = (double)gle_agent_bytes(probe, &res);
    const double rest = 256.0 * n + glt_trainer_bytes(&c->p, n, first, GLE_OBS_FULL, pol) +
                        4096.0 * c->p.num_envs + 32.0 * 1048576; /* checkpoint records; HDF5, MPI */
    *resident = n * (double)res + rest;
    *allocated = n * alloc + rest;
    if (what)
      snprintf(what, len, "gaitlab train (%d of %d envs on the busiest rank, %.2g MB of physics each, %d-step rollouts)",
               n, c->p.num_envs, (double)res / 1e6, c->p.horizon);
  }
  gle_env_destroy(probe);
  glp_policy_destroy(pol);
  return err;
}

/* Policy from the seed (identical on every rank), this rank's block of environments, and the
 * trainer over them. */
static gl_err train_build(train_run *R, const gle_task *task) {
  const glt_config *c = R->cfg;
  int size;
  MPI_Comm_size(R->comm, &size);
  gl_err err = glp_policy_create(&R->pol, gle_policy_inputs(), c->actor_in, c->critic_in, (uint64_t)c->seed,
                                 c->head_gain, c->logstd_init);
  if (!err) {
    int64_t first, end;
    gl_shard_range(c->p.num_envs, size, R->rank, &first, &end);
    glt_command_ranges cr = {c->cmd_u.v[0],        c->cmd_u.v[1],        c->cmd_v.v[0],
                             c->cmd_v.v[1],        c->cmd_heading.v[0],  c->cmd_heading.v[1],
                             c->cmd_yaw_rate.v[0], c->cmd_yaw_rate.v[1], c->heading_fraction,
                             c->extreme_fraction};
    err = glt_anymal_create(&R->env, task, &cr, (uint64_t)c->seed, first, (int)(end - first));
    R->env_made = !err;
  }
  GL_CALL(gl_agree(R->comm, err));
  return glt_trainer_create(&R->tr, &c->p, R->pol, &R->env, R->comm);
}

/* The output directory exists and an existing checkpoint is continued only when asked to
 * (--resume): checked before anything is built, so a refusal costs nothing. */
static gl_err train_check_output(train_run *R, int resume, int *have) {
  gl_err err = GL_OK;
  *have = 0;
  if (R->rank == 0) {
    err = gl_mkdir_p(R->dir);
    *have = access(R->ckpt, F_OK) == 0;
    if (!err && *have && !resume)
      err = gl_error(GL_ERR_INPUT, "'%s' already exists: pass --resume to continue that run, or "
                     "choose another output directory (output: / -o)", R->ckpt);
    if (!err && !*have && resume == 1)
      err = gl_error(GL_ERR_INPUT, "--resume: no checkpoint '%s' to continue; allowed: an output "
                     "directory holding a run's checkpoint.h5, or --resume-or-start to start a new "
                     "run there", R->ckpt);
  }
  GL_CALL(gl_agree(R->comm, err));
  GL_MPI(MPI_Bcast(have, 1, MPI_INT, 0, R->comm));
  return GL_OK;
}

/* Restore the checkpoint when there is one; the log continues from its iteration. */
static gl_err train_start(train_run *R, int have, int resume) {
  gl_err err = GL_OK;
  const char *name = R->cfg->name;
  if (have) {
    GL_CALL(glt_checkpoint_load(R->tr, R->ckpt));
    if (R->rank == 0) {
      char *old = NULL;
      if (glt_checkpoint_read_text(R->ckpt, &old) == GL_OK && strcmp(old, R->yaml) != 0)
        gl_log("%s: note: the configuration differs from the checkpoint's; continuing with the "
               "new one", name);
      free(old);
    }
    gl_log("%s: resumed from %s at iteration %lld (%.4gM steps)", name, R->ckpt,
           (long long)glt_trainer_iteration(R->tr), glt_trainer_policy_steps(R->tr) / 1e6);
  } else if (resume == 2) {
    gl_log("%s: no checkpoint in %s; starting a new run (--resume-or-start)", name, R->dir);
  }
  if (R->rank == 0)
    err = glt_log_open(&R->log, R->logpath, log_cols, C_NCOLS,
                       have ? glt_trainer_iteration(R->tr) : -1);
  return gl_agree(R->comm, err);
}

static int train_done(const train_run *R) {
  const glt_config *c = R->cfg;
  return glt_trainer_policy_steps(R->tr) >= c->total_steps ||
         (c->max_iterations > 0 && glt_trainer_iteration(R->tr) >= c->max_iterations);
}

/* Iterate until the budget is spent or a stop signal arrives (*stopped = 1). */
static gl_err train_loop(train_run *R, int *stopped) {
  const glt_config *c = R->cfg;
  const uint64_t seed = (uint64_t)c->seed;
  double last_ckpt = gl_wtime();
  *stopped = 0;
  while (!train_done(R)) {
    glt_iter_stats st;
    const double before = glt_trainer_policy_steps(R->tr);
    GL_CALL(glt_trainer_iterate(R->tr, &st));
    gl_err err = GL_OK;
    if (R->rank == 0) {
      double row[C_NCOLS];
      log_row(&st, R->curriculum, row);
      err = glt_log_append(R->log, row);
      if (!R->quiet) progress_line(c->name, &st, R->curriculum);
    }
    GL_CALL(gl_agree(R->comm, err));
    GL_CALL(maybe_snapshot(R->tr, R->pol, R->yaml, seed, R->dir, c->snapshot_steps, before,
                           R->comm, R->rank));
    /* one reduction decides both: a stop signal on any rank, rank 0's checkpoint clock */
    int flags[2] = {gl_stop_requested(),
                    R->rank == 0 && c->checkpoint_minutes > 0 &&
                        gl_wtime() - last_ckpt >= 60.0 * c->checkpoint_minutes};
    GL_MPI(MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, R->comm));
    if (flags[0]) {
      *stopped = 1;
      return GL_OK;
    }
    if (flags[1]) {
      GL_CALL(save_all(R->tr, R->pol, R->yaml, seed, R->ckpt, R->polpath, R->comm, R->rank));
      gl_log("%s: checkpoint at iteration %lld", c->name, (long long)glt_trainer_iteration(R->tr));
      last_ckpt = gl_wtime();
    }
  }
  return GL_OK;
}

static void train_close(train_run *R) {
  glt_log_close(R->log);
  glt_trainer_destroy(R->tr);
  if (R->env_made) glt_anymal_destroy(&R->env);
  glp_policy_destroy(R->pol);
}

gl_err glt_train_run(const glt_config *cfg, const gle_task *task, const char *yaml,
                     const char *dir, int resume, int quiet, MPI_Comm comm) {
  train_run R;
  memset(&R, 0, sizeof R);
  R.cfg = cfg, R.yaml = yaml, R.comm = comm, R.quiet = quiet;
  R.curriculum = task->terrain == GLE_TERRAIN_CURRICULUM;
  MPI_Comm_rank(comm, &R.rank);
  int size, stopped = 0;
  MPI_Comm_size(comm, &size);
  int have = 0;
  gl_err err = gl_agree(comm, train_paths(&R, dir));
  if (err) goto done;
  GL_GOTO(err, train_check_output(&R, resume, &have), done);
  {
    double resident = 0, allocated = 0;
    char what[256];
    GL_GOTO(err, gl_agree(comm, glt_memory_plan(cfg, task, size, &resident, &allocated, what,
                                                sizeof what)), done);
    GL_GOTO(err, gl_memory_check(comm, resident, allocated, what), done);
    R.mem_planned = resident;
  }
  GL_GOTO(err, train_build(&R, task), done);
  GL_GOTO(err, train_start(&R, have, resume), done);
  gl_log("%s: %d envs on %d ranks, %d x %d steps per iteration, %d minibatches x %d epochs, "
         "output %s", cfg->name, cfg->p.num_envs, size, cfg->p.num_envs, cfg->p.horizon,
         cfg->p.minibatches, cfg->p.epochs, R.dir);
  GL_GOTO(err, train_loop(&R, &stopped), done);
  GL_GOTO(err, gl_memory_log(comm, R.mem_planned, cfg->name), done);
  GL_GOTO(err, save_all(R.tr, R.pol, yaml, (uint64_t)cfg->seed, R.ckpt, R.polpath, comm, R.rank),
          done);
  if (stopped) {
    gl_log("%s: stopped by a signal at iteration %lld; checkpoint %s written", cfg->name,
           (long long)glt_trainer_iteration(R.tr), R.ckpt);
    err = gl_error_all(comm, GL_ERR_INTERRUPTED, "training interrupted at iteration %lld after a "
                       "clean checkpoint; re-run the same command with --resume to continue",
                       (long long)glt_trainer_iteration(R.tr));
  } else {
    gl_log("%s: done: %lld iterations, %.4gM steps, %.0f s; policy %s", cfg->name,
           (long long)glt_trainer_iteration(R.tr), glt_trainer_policy_steps(R.tr) / 1e6,
           glt_trainer_wall_seconds(R.tr), R.polpath);
  }
done:
  train_close(&R);
  return err;
}
