/* `gaitlab train TRAIN.yaml [--set k=v]... [--resume] [-o DIR]`: the YAML schema, the
 * training loop with checkpoints (periodic and on SIGTERM/SIGINT), the HDF5 log, progress
 * lines and the final policy with provenance. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gaitlab/cli.h"
#include "gaitlab/config.h"
#include "gaitlab/core.h"
#include "gaitlab/env.h"
#include "gaitlab/policy.h"
#include "gaitlab/train.h"
#include "train/train_log.h"

/* ------------------------------------------------------------------ schema -- */

typedef struct train_cfg {
  char *name;
  int seed;
  char *output;
  /* env */
  int terrain;
  int terrain_seed;
  double terrain_amp;
  int curriculum_wrap;
  char *model;
  double timestep;
  int decimation, extra_substep, episode_steps, obs_noise;
  double noise_level;
  glc_reals friction;
  int push_interval;
  double push_vel;
  int heading_command;
  double heading_fraction, extreme_fraction;
  glc_reals cmd_u, cmd_v, cmd_heading, cmd_yaw_rate;
  glc_reals init_q;
  double init_qd, spawn_xy;
  double rew[GLE_R_NTERMS];
  /* policy */
  int actor_in, critic_in;
  double head_gain, logstd_init;
  /* train */
  glt_params p;
  int envs_per_rank;
  double total_steps;
  int max_iterations;
  double checkpoint_minutes;
  double snapshot_steps;
} train_cfg;

static const char *const terrain_choices[] = {"plane", "rough", "curriculum", NULL};

#define K(path, type, field, lo, hi, flags, help) \
  {path, type, offsetof(train_cfg, field), lo, hi, flags, NULL, help}
#define KP(path, type, field, lo, hi, flags, help) \
  {path, type, offsetof(train_cfg, p) + offsetof(glt_params, field), lo, hi, flags, NULL, help}
#define KR(name, idx) \
  K("env.rewards." name, GLC_REAL, rew[idx], -1e6, 1e6, 0, "reward scale (x dt inside)")

static const glc_key train_schema[] = {
    K("name", GLC_STRING, name, 0, 0, 0, "run name (progress lines, provenance)"),
    K("seed", GLC_INT, seed, 0, 2147483647, 0, "seed of every random stream"),
    K("output", GLC_STRING, output, 0, 0, 0,
      "output directory: checkpoint.h5, train_log.h5, policy.h5 (-o overrides)"),
    K("env", GLC_SECTION, terrain, 0, 0, 0, "the ANYmal C task (rl_task_and_ppo.md)"),
    {"env.terrain", GLC_ENUM, offsetof(train_cfg, terrain), 0, 0, 0, terrain_choices,
     "plane, rough (one random height field) or curriculum (Isaac's 10 levels x 20 terrain "
     "columns of 8 m tiles; per-env level moved at every reset, rl_task_and_ppo.md §9)"},
    K("env.terrain_seed", GLC_INT, terrain_seed, 0, 2147483647, 0,
      "rough/curriculum: seed of the height field's random parts (same on every rank)"),
    K("env.terrain_amp", GLC_REAL, terrain_amp, 0, 2, 0, "rough: max height of the random field, m"),
    K("env.curriculum_wrap", GLC_BOOL, curriculum_wrap, 0, 0, 0,
      "curriculum: a level above the top (9) wraps to 0 as in the authors' run (quirk Q7, "
      "true); false keeps it at 9"),
    K("env.model", GLC_STRING, model, 0, 0, 0, "MJCF path (default: shipped models/anymal_c.xml)"),
    K("env.timestep", GLC_REAL, timestep, 0, 0.05, GLC_OPEN_MIN, "physics step, s (0.005)"),
    K("env.decimation", GLC_INT, decimation, 1, 100, 0, "PD substeps per policy step (4)"),
    K("env.extra_substep", GLC_BOOL, extra_substep, 0, 0, 0,
      "authors' quirk Q1: a 5th physics step with the torque held (false)"),
    K("env.episode_steps", GLC_INT, episode_steps, 1, 10000000, 0, "policy steps per episode (1000 = 20 s)"),
    K("env.obs_noise", GLC_BOOL, obs_noise, 0, 0, 0, "uniform observation noise (true)"),
    K("env.noise_level", GLC_REAL, noise_level, 0, 100, 0, "noise amplitude multiplier (1)"),
    K("env.friction", GLC_REALS, friction, 0, 10, 0, "[lo, hi]: per-env friction U(lo, hi)"),
    K("env.push_interval", GLC_INT, push_interval, 0, 100000000, 0,
      "policy steps between pushes on the global clock; 0 = none (750)"),
    K("env.push_vel", GLC_REAL, push_vel, 0, 100, 0, "push sets world vx, vy to U(-x, x), m/s (1)"),
    K("env.heading_command", GLC_BOOL, heading_command, 0, 0, 0,
      "yaw rate from the heading controller r = clip(0.5 wrap(psi_cmd - psi), -1, 1) (true)"),
    K("env.extreme_fraction", GLC_REAL, extreme_fraction, 0, 1, 0,
      "probability that a reset draws u, v (and a constant yaw rate) from {lo, mid, hi} of "
      "their ranges: trains the corners of the command box (0)"),
    K("env.heading_fraction", GLC_REAL, heading_fraction, 0, 1, 0,
      "with heading_command: fraction of envs (fixed per env) under the heading controller; "
      "the others hold a yaw rate from commands.yaw_rate for the whole episode (1)"),
    K("env.commands", GLC_SECTION, cmd_u, 0, 0, 0, "command ranges sampled at every reset"),
    K("env.commands.u", GLC_REALS, cmd_u, -10, 10, 0, "[lo, hi] forward speed, m/s"),
    K("env.commands.v", GLC_REALS, cmd_v, -10, 10, 0, "[lo, hi] lateral speed, m/s"),
    K("env.commands.heading", GLC_REALS, cmd_heading, -10, 10, 0,
      "[lo, hi] heading target, rad (envs under the heading controller)"),
    K("env.commands.yaw_rate", GLC_REALS, cmd_yaw_rate, -10, 10, 0,
      "[lo, hi] constant yaw rate, rad/s (envs not under the heading controller)"),
    K("env.init_q", GLC_REALS, init_q, 0, 10, 0, "[lo, hi]: reset joints = default x U(lo, hi)"),
    K("env.init_qd", GLC_REAL, init_qd, 0, 100, 0, "reset joint velocities U(-x, x), rad/s"),
    K("env.spawn_xy", GLC_REAL, spawn_xy, 0, 100, 0, "reset base xy jitter U(-x, x), m"),
    K("env.rewards", GLC_SECTION, rew, 0, 0, 0, "reward scales (authors' values by default)"),
    KR("lin_vel", GLE_R_LIN_VEL), KR("ang_vel", GLE_R_ANG_VEL), KR("lin_vel_z", GLE_R_LIN_VEL_Z),
    KR("ang_vel_xy", GLE_R_ANG_VEL_XY), KR("orientation", GLE_R_ORIENT),
    KR("base_height", GLE_R_BASE_HEIGHT), KR("torque", GLE_R_TORQUE),
    KR("joint_acc", GLE_R_JOINT_ACC), KR("air_time", GLE_R_AIR_TIME),
    KR("collision", GLE_R_COLLISION), KR("action_rate", GLE_R_ACTION_RATE),
    K("policy", GLC_SECTION, actor_in, 0, 0, 0, "network inputs and initialisation"),
    K("policy.actor_in", GLC_INT, actor_in, GLE_OBS, GLE_OBS_FULL, 0,
      "actor inputs: 176 (gaitlab, no previous action) or 188"),
    K("policy.critic_in", GLC_INT, critic_in, GLE_OBS, GLE_OBS_FULL, 0,
      "critic inputs: 188 (default) or 176"),
    K("policy.head_gain", GLC_REAL, head_gain, 0, 10, 0,
      "actor output layer init scale (0.01; the paper used 1)"),
    K("policy.logstd_init", GLC_REAL, logstd_init, -10, 2, 0, "initial log-std (0 = std 1)"),
    K("train", GLC_SECTION, p, 0, 0, 0, "PPO"),
    KP("train.num_envs", GLC_INT, num_envs, 1, 10000000, 0, "global env count, split over ranks"),
    K("train.envs_per_rank", GLC_INT, envs_per_rank, 0, 10000000, 0,
      "if > 0: num_envs = envs_per_rank x ranks (the run then depends on the rank count)"),
    KP("train.horizon", GLC_INT, horizon, 1, 100000, 0, "rollout steps per env per iteration"),
    KP("train.seq_len", GLC_INT, seq_len, 1, 100000, 0, "BPTT length; divides horizon"),
    KP("train.minibatches", GLC_INT, minibatches, 1, 1000000, 0, "minibatches per epoch"),
    KP("train.epochs", GLC_INT, epochs, 1, 1000, 0, "mini-epochs per iteration"),
    KP("train.gamma", GLC_REAL, gamma, 0, 1, 0, "discount"),
    KP("train.lam", GLC_REAL, lam, 0, 1, 0, "GAE lambda"),
    KP("train.lr", GLC_REAL, lr, 0, 1, GLC_OPEN_MIN, "initial learning rate"),
    KP("train.adaptive_lr", GLC_BOOL, adaptive_lr, 0, 0, 0, "KL-adaptive lr after every minibatch"),
    KP("train.kl_threshold", GLC_REAL, kl_threshold, 0, 10, GLC_OPEN_MIN, "target KL"),
    KP("train.lr_min", GLC_REAL, lr_min, 0, 1, GLC_OPEN_MIN, "adaptive lr floor"),
    KP("train.lr_max", GLC_REAL, lr_max, 0, 1, GLC_OPEN_MIN, "adaptive lr ceiling"),
    KP("train.clip", GLC_REAL, clip, 0, 1, GLC_OPEN_MIN, "PPO ratio clip"),
    KP("train.critic_coef", GLC_REAL, critic_coef, 0, 1000, 0, "critic loss 0.5 x coef x MSE"),
    KP("train.bounds_coef", GLC_REAL, bounds_coef, 0, 1000, 0, "soft bound loss weight"),
    KP("train.bound", GLC_REAL, bound, 0, 100, GLC_OPEN_MIN, "soft bound of the action mean"),
    KP("train.entropy_coef", GLC_REAL, entropy_coef, 0, 10, 0, "entropy bonus"),
    KP("train.grad_norm", GLC_REAL, grad_norm, 0, 1e6, 0, "global gradient L2 clip (0 = off)"),
    KP("train.adam_eps", GLC_REAL, adam_eps, 0, 1, GLC_OPEN_MIN, "Adam epsilon"),
    KP("train.normalize_input", GLC_BOOL, normalize_input, 0, 0, 0, "running obs normaliser"),
    KP("train.normalize_value", GLC_BOOL, normalize_value, 0, 0, 0, "running value normaliser"),
    KP("train.normalize_advantage", GLC_BOOL, normalize_advantage, 0, 0, 0,
       "standardise advantages over the global batch"),
    KP("train.bootstrap_timeouts", GLC_BOOL, bootstrap_timeouts, 0, 0, 0,
       "r_T += gamma V(s_T) on time-outs (gaitlab fix of Q2; false = authors)"),
    K("train.total_steps", GLC_REAL, total_steps, 0, 1e13, GLC_OPEN_MIN,
      "stop after this many policy steps (all envs)"),
    K("train.max_iterations", GLC_INT, max_iterations, 0, 2147483647, 0,
      "stop after this many iterations (0 = no limit)"),
    K("train.checkpoint_minutes", GLC_REAL, checkpoint_minutes, 0, 1e6, 0,
      "minutes between checkpoints (0 = only at the end and on signals)"),
    K("train.snapshot_steps", GLC_REAL, snapshot_steps, 0, 1e13, 0,
      "keep a copy of the policy every this many policy steps in OUTPUT/snapshots/ "
      "(policy_<steps>.h5), to choose the shipped one by evaluation (0 = none)"),
};
#define NKEYS (sizeof train_schema / sizeof train_schema[0])

static const double cmd_u_def[2] = {-1, 1}, cmd_v_def[2] = {-1, 1};
static const double cmd_h_def[2] = {-3.14159, 3.14159};
static const double cmd_r_def[2] = {-1.0, 1.0};

static void cfg_defaults(train_cfg *c, gle_task *task) {
  memset(c, 0, sizeof *c);
  gle_task_defaults(task);
  c->name = "train";
  c->seed = 1;
  c->output = "runs/train";
  c->terrain = (int)task->terrain;
  c->terrain_seed = (int)task->terrain_seed;
  c->terrain_amp = task->terrain_amp;
  c->curriculum_wrap = task->curriculum_wrap;
  c->model = (char *)task->model_path;
  c->timestep = task->timestep;
  c->decimation = task->decimation;
  c->extra_substep = task->extra_substep;
  c->episode_steps = task->episode_steps;
  c->obs_noise = task->obs_noise;
  c->noise_level = task->noise_level;
  static double fr[2], iq[2];
  fr[0] = task->friction_lo, fr[1] = task->friction_hi;
  iq[0] = task->init_q_lo, iq[1] = task->init_q_hi;
  c->friction = (glc_reals){fr, 2};
  c->init_q = (glc_reals){iq, 2};
  c->push_interval = task->push_interval;
  c->push_vel = task->push_vel;
  c->heading_command = task->heading_command;
  c->cmd_u = (glc_reals){(double *)cmd_u_def, 2};
  c->cmd_v = (glc_reals){(double *)cmd_v_def, 2};
  c->cmd_heading = (glc_reals){(double *)cmd_h_def, 2};
  c->cmd_yaw_rate = (glc_reals){(double *)cmd_r_def, 2};
  c->heading_fraction = 1.0;
  c->extreme_fraction = 0.0;
  c->init_qd = task->init_qd;
  c->spawn_xy = task->spawn_xy;
  memcpy(c->rew, task->reward_scale, sizeof c->rew);
  c->actor_in = GLE_OBS;
  c->critic_in = GLE_OBS_FULL;
  c->head_gain = 0.01;
  c->logstd_init = 0.0;
  glt_params_defaults(&c->p);
  c->total_steps = 30e6;
  c->max_iterations = 0;
  c->checkpoint_minutes = 5.0;
  c->snapshot_steps = 0.0;
}

static gl_err check_pair(const glc_doc *doc, const char *path, const glc_reals *r, int ordered) {
  char mark[512];
  if (r->n != 2 || (ordered && r->v[0] > r->v[1]))
    return gl_error(GL_ERR_INPUT, "%s: %s: expected [lo, hi] with lo <= hi",
                    glc_doc_mark(doc, path, mark, sizeof mark), path);
  return GL_OK;
}

static gl_err cfg_bind(const glc_doc *doc, train_cfg *c, gle_task *task, int nranks) {
  cfg_defaults(c, task);
  GL_CALL(glc_bind(doc, "", train_schema, NKEYS, c));
  if (c->envs_per_rank > 0) c->p.num_envs = c->envs_per_rank * nranks;
  char mark[512];
  if (c->actor_in != GLE_OBS && c->actor_in != GLE_OBS_FULL)
    return gl_error(GL_ERR_INPUT, "%s: policy.actor_in: %d; allowed: 176 or 188",
                    glc_doc_mark(doc, "policy.actor_in", mark, sizeof mark), c->actor_in);
  if (c->critic_in != GLE_OBS && c->critic_in != GLE_OBS_FULL)
    return gl_error(GL_ERR_INPUT, "%s: policy.critic_in: %d; allowed: 176 or 188",
                    glc_doc_mark(doc, "policy.critic_in", mark, sizeof mark), c->critic_in);
  GL_CALL(check_pair(doc, "env.friction", &c->friction, 1));
  GL_CALL(check_pair(doc, "env.init_q", &c->init_q, 1));
  GL_CALL(check_pair(doc, "env.commands.u", &c->cmd_u, 1));
  GL_CALL(check_pair(doc, "env.commands.v", &c->cmd_v, 1));
  GL_CALL(check_pair(doc, "env.commands.heading", &c->cmd_heading, 1));
  GL_CALL(check_pair(doc, "env.commands.yaw_rate", &c->cmd_yaw_rate, 1));
  c->p.seed = (uint64_t)c->seed;
  gl_err err = glt_params_check(&c->p);
  if (err) {
    return gl_error_context(err, "%s", glc_doc_mark(doc, "train", mark, sizeof mark));
  }
  task->terrain = (gle_terrain)c->terrain;
  task->terrain_seed = (uint64_t)c->terrain_seed;
  task->terrain_amp = c->terrain_amp;
  task->curriculum_wrap = c->curriculum_wrap;
  /* Isaac assigns terrain columns in blocks of num_envs / 20 by global index */
  task->curriculum_envs = c->p.num_envs;
  task->model_path = c->model;
  task->timestep = c->timestep;
  task->decimation = c->decimation;
  task->extra_substep = c->extra_substep;
  task->episode_steps = c->episode_steps;
  task->obs_noise = c->obs_noise;
  task->noise_level = c->noise_level;
  task->friction_lo = c->friction.v[0];
  task->friction_hi = c->friction.v[1];
  task->push_interval = c->push_interval;
  task->push_vel = c->push_vel;
  task->heading_command = c->heading_command;
  task->init_q_lo = c->init_q.v[0];
  task->init_q_hi = c->init_q.v[1];
  task->init_qd = c->init_qd;
  task->spawn_xy = c->spawn_xy;
  memcpy(task->reward_scale, c->rew, sizeof c->rew);
  return GL_OK;
}

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

static gl_err mkdir_p(const char *dir) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
    return gl_error(GL_ERR_INPUT, "output path too long: %s", dir);
  for (char *q = buf + 1;; ++q) {
    if (*q == '/' || *q == '\0') {
      char c = *q;
      *q = '\0';
      if (mkdir(buf, 0775) != 0 && errno != EEXIST)
        return gl_error(GL_ERR_IO, "cannot create directory '%s': %s", buf, strerror(errno));
      *q = c;
      if (!c) break;
    }
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return gl_error(GL_ERR_IO, "output '%s' is not a directory", dir);
  return GL_OK;
}

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
    err = mkdir_p(sdir);
    snprintf(path, sizeof path, "%s/policy_%011.0f.h5", sdir, now);
    if (!err) err = save_policy(tr, pol, yaml, seed, path);
    if (!err) gl_log("snapshot %s", path);
  }
  return gl_agree(comm, err);
}

/* ------------------------------------------------------------------ command -- */

gl_err glcli_train(const glcli_args *a, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (a->help) {
    if (rank == 0) {
      printf("usage: gaitlab train TRAIN.yaml [--set KEY=VALUE]... [--resume] [-o DIR] [-q]\n\n"
             "keys:\n");
      glc_print_schema(train_schema, NKEYS, stdout);
    }
    return GL_OK;
  }
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "train: expected one TRAIN.yaml argument (got %d)",
                    a->npositional);
  gl_signals_install();

  glc_doc *doc = NULL;
  train_cfg cfg;
  gle_task task;
  int cfg_bound = 0;
  char *yaml = NULL;
  glp_policy *pol = NULL;
  glt_env env;
  int env_made = 0;
  glt_trainer *tr = NULL;
  glt_log *log = NULL;
  char dir[4096], ckpt[4200], logpath[4200], polpath[4200];
  gl_err err = glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm);
  if (err) return err;
  err = cfg_bind(doc, &cfg, &task, size);
  cfg_bound = 1;
  if (err) {
    /* every rank bound the same document and found the same problem: print it once */
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", gl_errmsg());
    err = gl_error_all(comm, err, "%s", msg);
    goto done;
  }
  err = glc_doc_emit(doc, &yaml);
  GL_GOTO(err, gl_agree(comm, err), done);

  snprintf(dir, sizeof dir, "%s", a->out ? a->out : cfg.output);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", dir);
  snprintf(logpath, sizeof logpath, "%s/train_log.h5", dir);
  snprintf(polpath, sizeof polpath, "%s/policy.h5", dir);
  int have_ckpt = 0;
  if (rank == 0) {
    err = mkdir_p(dir);
    have_ckpt = access(ckpt, F_OK) == 0;
    if (!err && have_ckpt && !a->resume)
      err = gl_error(GL_ERR_INPUT, "'%s' already exists: pass --resume to continue that run, or "
                     "choose another output directory (output: / -o)", ckpt);
  }
  GL_GOTO(err, gl_agree(comm, err), done);
  MPI_Bcast(&have_ckpt, 1, MPI_INT, 0, comm);

  const uint64_t seed = (uint64_t)cfg.seed;
  err = glp_policy_create(&pol, cfg.actor_in, cfg.critic_in, seed, cfg.head_gain, cfg.logstd_init);
  if (!err) {
    const int64_t N = cfg.p.num_envs;
    int64_t first = N / size * rank + (rank < N % size ? rank : N % size);
    int64_t cnt = N / size + (rank < N % size ? 1 : 0);
    glt_command_ranges cr = {cfg.cmd_u.v[0],        cfg.cmd_u.v[1],        cfg.cmd_v.v[0],
                             cfg.cmd_v.v[1],        cfg.cmd_heading.v[0],  cfg.cmd_heading.v[1],
                             cfg.cmd_yaw_rate.v[0], cfg.cmd_yaw_rate.v[1], cfg.heading_fraction,
                             cfg.extreme_fraction};
    err = glt_anymal_create(&env, &task, &cr, seed, first, (int)cnt);
    env_made = !err;
  }
  GL_GOTO(err, gl_agree(comm, err), done);
  GL_GOTO(err, glt_trainer_create(&tr, &cfg.p, pol, &env, comm), done);

  if (have_ckpt) {
    GL_GOTO(err, glt_checkpoint_load(tr, ckpt), done);
    if (rank == 0) {
      char *old = NULL;
      if (glt_checkpoint_read_text(ckpt, &old) == GL_OK && strcmp(old, yaml) != 0)
        gl_log("%s: note: the configuration differs from the checkpoint's; continuing with the "
               "new one", cfg.name);
      free(old);
    }
    gl_log("%s: resumed from %s at iteration %lld (%.4gM steps)", cfg.name, ckpt,
           (long long)glt_trainer_iteration(tr), glt_trainer_policy_steps(tr) / 1e6);
  } else if (a->resume) {
    gl_log("%s: no checkpoint in %s; starting a new run", cfg.name, dir);
  }
  if (rank == 0)
    err = glt_log_open(&log, logpath, log_cols, C_NCOLS,
                       have_ckpt ? glt_trainer_iteration(tr) : -1);
  GL_GOTO(err, gl_agree(comm, err), done);
  gl_log("%s: %d envs on %d ranks, %d x %d steps per iteration, %d minibatches x %d epochs, "
         "output %s", cfg.name, cfg.p.num_envs, size, cfg.p.num_envs, cfg.p.horizon,
         cfg.p.minibatches, cfg.p.epochs, dir);

  double last_ckpt = gl_wtime();
  int stop = 0;
  while (!err) {
    if (glt_trainer_policy_steps(tr) >= cfg.total_steps ||
        (cfg.max_iterations > 0 && glt_trainer_iteration(tr) >= cfg.max_iterations))
      break;
    glt_iter_stats st;
    const double st_before = glt_trainer_policy_steps(tr);
    GL_GOTO(err, glt_trainer_iterate(tr, &st), done);
    if (rank == 0) {
      double row[C_NCOLS];
      log_row(&st, task.terrain == GLE_TERRAIN_CURRICULUM, row);
      err = glt_log_append(log, row);
      if (!a->quiet) progress_line(cfg.name, &st, task.terrain == GLE_TERRAIN_CURRICULUM);
    }
    GL_GOTO(err, gl_agree(comm, err), done);
    GL_GOTO(err, maybe_snapshot(tr, pol, yaml, seed, dir, cfg.snapshot_steps, st_before, comm, rank),
            done);
    /* one reduction decides both: a stop signal on any rank, rank 0's checkpoint clock */
    int flags[2] = {gl_stop_requested(),
                    rank == 0 && cfg.checkpoint_minutes > 0 &&
                        gl_wtime() - last_ckpt >= 60.0 * cfg.checkpoint_minutes};
    MPI_Allreduce(MPI_IN_PLACE, flags, 2, MPI_INT, MPI_MAX, comm);
    if (flags[0]) {
      stop = 1;
      break;
    }
    if (flags[1]) {
      GL_GOTO(err, save_all(tr, pol, yaml, seed, ckpt, polpath, comm, rank), done);
      gl_log("%s: checkpoint at iteration %lld", cfg.name, (long long)glt_trainer_iteration(tr));
      last_ckpt = gl_wtime();
    }
  }
  GL_GOTO(err, save_all(tr, pol, yaml, seed, ckpt, polpath, comm, rank), done);
  if (stop) {
    gl_log("%s: stopped by a signal at iteration %lld; checkpoint %s written", cfg.name,
           (long long)glt_trainer_iteration(tr), ckpt);
    err = gl_error_all(comm, GL_ERR_INTERRUPTED, "training interrupted at iteration %lld after a clean "
                   "checkpoint; re-run the same command with --resume to continue",
                   (long long)glt_trainer_iteration(tr));
  } else {
    gl_log("%s: done: %lld iterations, %.4gM steps, %.0f s; policy %s", cfg.name,
           (long long)glt_trainer_iteration(tr), glt_trainer_policy_steps(tr) / 1e6,
           glt_trainer_wall_seconds(tr), polpath);
  }
done:
  glt_log_close(log);
  glt_trainer_destroy(tr);
  if (env_made) glt_anymal_destroy(&env);
  glp_policy_destroy(pol);
  free(yaml);
  if (cfg_bound) glc_free(train_schema, NKEYS, &cfg);
  glc_doc_destroy(doc);
  return err;
}

/* ------------------------------------------------------------------ validate -- */

int glcli_is_train_file(const glcli_args *a, MPI_Comm comm) {
  /* A training file is the one with a train: or env: section; the experiment schema has
   * neither, so the check cannot misroute a valid experiment. Errors are left to the
   * validator that follows. */
  glc_doc *doc = NULL;
  if (a->npositional != 1 ||
      glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm) != GL_OK) {
    gl_error_clear();
    return 0;
  }
  int is = glc_doc_has(doc, "train") || glc_doc_has(doc, "env");
  glc_doc_destroy(doc);
  return is;
}

gl_err glcli_validate_train(const glcli_args *a, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  glc_doc *doc = NULL;
  train_cfg cfg;
  gle_task task;
  GL_CALL(glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm));
  gl_err err = cfg_bind(doc, &cfg, &task, size);
  if (err) {
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", gl_errmsg());
    err = gl_error_all(comm, err, "%s", msg);
  } else if (rank == 0) {
    const glt_params *p = &cfg.p;
    printf("%s: valid. Training run '%s', seed %d -> %s\n", a->positional[0], cfg.name, cfg.seed,
           cfg.output);
    printf("terrain %s; episode %d steps of %g s x %d substeps; noise %s; pushes every %d "
           "steps\n", terrain_choices[cfg.terrain], cfg.episode_steps, cfg.timestep,
           cfg.decimation, cfg.obs_noise ? "on" : "off", cfg.push_interval);
    printf("commands: u [%g, %g] m/s, v [%g, %g] m/s; %.0f %% of envs under the heading "
           "controller (heading [%g, %g] rad), the rest yaw rate [%g, %g] rad/s; %.0f %% of "
           "resets on the box's corners and edge centres\n",
           cfg.cmd_u.v[0], cfg.cmd_u.v[1], cfg.cmd_v.v[0], cfg.cmd_v.v[1],
           cfg.heading_command ? 100.0 * cfg.heading_fraction : 0.0, cfg.cmd_heading.v[0],
           cfg.cmd_heading.v[1], cfg.cmd_yaw_rate.v[0], cfg.cmd_yaw_rate.v[1],
           100.0 * cfg.extreme_fraction);
    printf("PPO: %d envs x %d steps = %lld samples per iteration, %d minibatches x %d epochs, "
           "BPTT %d; budget %.4g M policy steps (%.0f iterations)\n", p->num_envs, p->horizon,
           (long long)p->num_envs * p->horizon, p->minibatches, p->epochs, p->seq_len,
           cfg.total_steps / 1e6, cfg.total_steps / ((double)p->num_envs * p->horizon));
    if (size > 1) printf("%d ranks: %d-%d envs each\n", size, p->num_envs / size,
                         (p->num_envs + size - 1) / size);
    fflush(stdout);
  }
  glc_free(train_schema, NKEYS, &cfg);
  glc_doc_destroy(doc);
  return err;
}
