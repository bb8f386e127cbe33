/* The training YAML of `gaitlab train`: its schema (one table: types, ranges, help), the
 * defaults, the cross-field checks, and the translation into the task (gle_task) and PPO
 * parameters (glt_params). Kept apart from the driver so `validate` and the CLI read the same
 * configuration the trainer runs. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gaitlab/config.h"
#include "gaitlab/env.h"
#include "gaitlab/train.h"




const char *const glt_terrain_names[] = {"plane", "rough", "curriculum", NULL};

#define K(path, type, field, lo, hi, flags, help) \
  {path, type, offsetof(glt_config, field), lo, hi, flags, NULL, help}
#define KP(path, type, field, lo, hi, flags, help) \
  {path, type, offsetof(glt_config, p) + offsetof(glt_params, field), lo, hi, flags, NULL, help}
#define KT(sfx, type, field, lo, hi, flags, help)                                         \
  {"env." sfx, type, offsetof(glt_config, task) + offsetof(gle_task_keys, field), lo, hi, flags, NULL, help},
#define KR(name, idx) \
  K("env.rewards." name, GLC_REAL, rew[idx], -1e6, 1e6, 0, "reward scale (x dt inside)")

static const glc_key train_schema[] = {
    K("name", GLC_STRING, name, 0, 0, 0, "run name (progress lines, provenance)"),
    K("seed", GLC_INT, seed, 0, 2147483647, 0, "seed of every random stream"),
    K("output", GLC_STRING, output, 0, 0, 0,
      "output directory: checkpoint.h5, train_log.h5, policy.h5 (-o overrides)"),
    K("env", GLC_SECTION, terrain, 0, 0, 0, "the ANYmal C task (docs/task_and_training.md)"),
    {"env.terrain", GLC_ENUM, offsetof(glt_config, terrain), 0, 0, 0, glt_terrain_names,
     "plane, rough (one random height field) or curriculum (Isaac's 10 levels x 20 terrain "
     "columns of 8 m tiles; per-env level moved at every reset, docs/task_and_training.md §9)"},
    GLE_TASK_KEYS(KT)
    K("env.terrain_seed", GLC_INT, terrain_seed, 0, 2147483647, 0,
      "rough/curriculum: seed of the height field's random parts (same on every rank)"),
    K("env.terrain_amp", GLC_REAL, terrain_amp, 0, 2, 0, "rough: max height of the random field, m"),
    K("env.curriculum_wrap", GLC_BOOL, curriculum_wrap, 0, 0, 0,
      "curriculum: a level above the top (9) wraps to 0 as in the authors' run (quirk Q7, "
      "true); false keeps it at 9"),
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

static void glt_config_defaults_(glt_config *c, gle_task *task) {
  memset(c, 0, sizeof *c);
  gle_task_defaults(task);
  c->name = "train";
  c->seed = 1;
  c->output = "runs/train";
  c->terrain = (int)task->terrain;
  c->terrain_seed = (int)task->terrain_seed;
  c->terrain_amp = task->terrain_amp;
  c->curriculum_wrap = task->curriculum_wrap;
  gle_task_keys_defaults(&c->task);
  c->push_interval = task->push_interval;
  c->push_vel = task->push_vel;
  c->heading_command = task->heading_command;
  c->cmd_u = (glc_reals){(double *)cmd_u_def, 2};
  c->cmd_v = (glc_reals){(double *)cmd_v_def, 2};
  c->cmd_heading = (glc_reals){(double *)cmd_h_def, 2};
  c->cmd_yaw_rate = (glc_reals){(double *)cmd_r_def, 2};
  c->heading_fraction = 1.0;
  c->extreme_fraction = 0.0;
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

static gl_err glt_check_pair_(const glc_doc *doc, const char *path, const glc_reals *r, int ordered) {
  char mark[512];
  if (r->n != 2 || (ordered && r->v[0] > r->v[1]))
    return gl_error(GL_ERR_INPUT, "%s: %s: expected [lo, hi] with lo <= hi",
                    glc_doc_mark(doc, path, mark, sizeof mark), path);
  return GL_OK;
}

gl_err glt_config_bind(const glc_doc *doc, glt_config *c, gle_task *task, int nranks) {
  glt_config_defaults_(c, task);
  GL_CALL(glc_bind(doc, "", train_schema, NKEYS, c));
  if (c->envs_per_rank > 0) c->p.num_envs = c->envs_per_rank * nranks;
  char mark[512];
  if (c->actor_in != GLE_OBS && c->actor_in != GLE_OBS_FULL)
    return gl_error(GL_ERR_INPUT, "%s: policy.actor_in: %d; allowed: 176 or 188",
                    glc_doc_mark(doc, "policy.actor_in", mark, sizeof mark), c->actor_in);
  if (c->critic_in != GLE_OBS && c->critic_in != GLE_OBS_FULL)
    return gl_error(GL_ERR_INPUT, "%s: policy.critic_in: %d; allowed: 176 or 188",
                    glc_doc_mark(doc, "policy.critic_in", mark, sizeof mark), c->critic_in);
  GL_CALL(gle_task_keys_check(doc, "env", &c->task));
  GL_CALL(glt_check_pair_(doc, "env.commands.u", &c->cmd_u, 1));
  GL_CALL(glt_check_pair_(doc, "env.commands.v", &c->cmd_v, 1));
  GL_CALL(glt_check_pair_(doc, "env.commands.heading", &c->cmd_heading, 1));
  GL_CALL(glt_check_pair_(doc, "env.commands.yaw_rate", &c->cmd_yaw_rate, 1));
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
  gle_task_apply_keys(&c->task, task);
  task->push_interval = c->push_interval;
  task->push_vel = c->push_vel;
  task->heading_command = c->heading_command;
  memcpy(task->reward_scale, c->rew, sizeof c->rew);
  return GL_OK;
}


const glc_key *glt_config_schema(size_t *n) {
  *n = NKEYS;
  return train_schema;
}

void glt_config_free(glt_config *c) { glc_free(train_schema, NKEYS, c); }

/* A training file has a train: section, or an env: section and no conditions: (which every
 * experiment needs), so the test cannot misroute a valid experiment. */
int glt_config_is_train(const glc_doc *doc) {
  return glc_doc_has(doc, "train") || (glc_doc_has(doc, "env") && !glc_doc_has(doc, "conditions"));
}
