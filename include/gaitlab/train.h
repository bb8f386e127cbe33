/* PPO for the recurrent actor-critic, MPI data-parallel (prefix glt_).
 *
 * Layers, bottom up:
 *  1. PPO arithmetic as pure functions (GAE, the per-sample loss and its gradient, Gaussian
 *     KL, the adaptive learning rate, grad-norm clipping, Adam, the scalar value normaliser).
 *     Each is unit-tested against hand-worked numbers or finite differences.
 *  2. The trainer (glt_trainer): rollout + update over a rank's block of environments, driven
 *     through a small environment interface (glt_env_ops) so the ANYmal task (gle_) and the
 *     cheap test tasks of tests/train plug into the same code.
 *  3. The training run (config.c: the YAML schema; driver.c: the loop with checkpoints,
 *     snapshots, the HDF5 log and the final policy), which src/cli/cmd_train.c calls.
 *
 * Determinism: every environment has a global index; its action noise comes from the glr
 * stream (seed, index, GLR_ACTION) and everything else from the env's own streams. Minibatch
 * membership is a function of the global index (env e is in minibatch e mod M), every
 * statistic (normalisers, advantages, KL) is reduced over the global batch, and gradients are
 * summed per rank then MPI_Allreduce'd, so every rank holds identical weights. A run is
 * bitwise repeatable for a fixed rank count; across rank counts results agree to float
 * rounding (BLAS and MPI sum in a different order), which the tests bound. */
#ifndef GAITLAB_TRAIN_H
#define GAITLAB_TRAIN_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "gaitlab/config.h"
#include "gaitlab/env.h"
#include "gaitlab/error.h"
#include "gaitlab/policy.h"

/* ------------------------------------------------------------------ hyperparameters -- */

typedef struct glt_params {
  int num_envs;          /* global number of environments (split over ranks in blocks) */
  int horizon;           /* rollout steps per env per iteration (24) */
  int seq_len;           /* BPTT sequence length (4); must divide horizon */
  int minibatches;       /* minibatches per epoch (env e belongs to minibatch e % M) */
  int epochs;            /* mini-epochs over the batch (4) */
  double gamma, lam;     /* 0.99, 0.95 */
  double lr;             /* initial learning rate (3e-4) */
  int adaptive_lr;       /* 1: legacy KL schedule after every minibatch; 0: fixed lr */
  double kl_threshold;   /* 0.008: lr / 1.5 above 2x, lr * 1.5 below x/2 */
  double lr_min, lr_max; /* 1e-6, 1e-2 */
  double clip;           /* PPO ratio clip epsilon (0.2) */
  double critic_coef;    /* 2: critic loss term is 0.5 * coef * mean((R_n - V_n)^2) */
  double bounds_coef;    /* 0.001 */
  double bound;          /* 1.1: soft bound of mu */
  double entropy_coef;   /* 0 */
  double grad_norm;      /* global L2 clip (1.0); <= 0 disables */
  double adam_beta1, adam_beta2, adam_eps; /* 0.9, 0.999, 1e-8 */
  int normalize_input;   /* running obs normaliser updated once per iteration (1) */
  int normalize_value;   /* running value normaliser (1) */
  int normalize_advantage; /* over the whole global batch (1) */
  int bootstrap_timeouts;  /* 1: r_T += gamma V(s_T) on time-outs (gaitlab default, Q2) */
  uint64_t seed;
} glt_params;

void glt_params_defaults(glt_params *p);
/* Consistency checks (GL_ERR_INPUT with the offending field named). */
gl_err glt_params_check(const glt_params *p);

/* ------------------------------------------------------------------- PPO arithmetic -- */

/* GAE over n envs x T steps, time-major arrays [T][n]:
 *   r'_t = r_t + gamma * boot_t            (boot_t: V(s_T) of a timed-out step, else 0)
 *   delta_t = r'_t + gamma * V_{t+1} * (1 - end_t) - V_t
 *   A_t = delta_t + gamma * lam * (1 - end_t) * A_{t+1},   ret_t = A_t + V_t
 * end_t != 0 when the episode ended at step t (terminated or timed out); V_T = last[n].
 * boot may be NULL. Accumulates in double. */
void glt_gae(int n, int T, const float *reward, const float *value, const unsigned char *end,
             const float *boot, const float *last, double gamma, double lam, float *adv,
             float *ret);

/* Scalar running mean/var (rl_games RunningMeanStd: count starts at 1, mean 0, var 1;
 * parallel-variance merge; normalised values clamped to +-5). */
typedef struct glt_vnorm {
  double count, mean, var;
} glt_vnorm;

void glt_vnorm_init(glt_vnorm *v);
/* Merge the moments of a batch (count, mean, unbiased var). */
void glt_vnorm_merge(glt_vnorm *v, double count, double mean, double var);
double glt_vnorm_normalize(const glt_vnorm *v, double x);   /* clamp((x-m)/sqrt(var+1e-5)) */
double glt_vnorm_denormalize(const glt_vnorm *v, double y); /* clamp(y)*sqrt(var+1e-5)+m */

/* Global moments of x over all ranks: count, mean and unbiased variance of `dim` columns
 * of n rows with row stride `stride` (two passes: mean, then squared deviations; double). */
gl_err glt_moments(MPI_Comm comm, int n, int dim, const float *x, int stride, double *count,
                   double *mean, double *var);

/* Diagonal Gaussian negative log-likelihood, summed over k dims. */
double glt_neglogp(int k, const double *a, const double *mu, const double *logstd);

/* KL(p0 || p1) summed over k dims with rl_games' guards:
 *   log(s1/s0 + 1e-5) + (s0^2 + (m1-m0)^2) / (2 (s1^2 + 1e-5)) - 1/2.
 * The trainer calls it with p0 = the new policy and p1 = the stored (old) one. */
double glt_gauss_kl(int k, const double *mu0, const double *sigma0, const double *mu1,
                    const double *sigma1);
/* The same without guards (exactly 0 for identical distributions): sanity checks. */
double glt_gauss_kl_exact(int k, const double *mu0, const double *sigma0, const double *mu1,
                          const double *sigma1);

/* Legacy adaptive schedule: lr/1.5 (>= lr_min) if kl > 2 thr; lr*1.5 (<= lr_max) if
 * kl < thr/2; else unchanged. */
double glt_lr_update(double lr, double kl, double threshold, double lr_min, double lr_max);

/* One sample of the PPO objective. All loss terms are already divided by `inv_n`'s
 * reciprocal, i.e. the caller passes inv_n = 1 / (global minibatch size) and sums. */
typedef struct glt_sample_in {
  int k;                 /* action dims */
  const double *mu;      /* [k] current mean */
  const double *logstd;  /* [k] current log-std */
  const double *action;  /* [k] sampled action (stored) */
  double old_neglogp;
  double adv;            /* (normalised) advantage */
  double value;          /* current critic output (normalised space) */
  double ret;            /* target return (normalised space) */
} glt_sample_in;

typedef struct glt_loss_acc {
  double actor, critic, bounds, entropy; /* summed, each already x inv_n */
  double clipped;        /* count of samples whose surrogate took the clipped branch */
  double ratio_dev;      /* max |ratio - 1| */
} glt_loss_acc;

/* Adds this sample's weighted loss terms to acc and returns its total weighted loss
 *   inv_n * [ max(-A r, -A clip(r, 1-eps, 1+eps)) + 0.5 c_coef (v - R)^2
 *             + b_coef sum(max(mu-b,0)^2 + min(mu+b,0)^2) - e_coef H ].
 * Gradients (all may be NULL): dmu[k] and dvalue are SET, dlogstd[k] is ACCUMULATED. */
double glt_ppo_sample(const glt_params *p, const glt_sample_in *s, double inv_n, double *dmu,
                      double *dlogstd, double *dvalue, glt_loss_acc *acc);

/* Scale g in place so its global L2 norm is at most max_norm (torch clip_grad_norm_:
 * factor max_norm / (norm + 1e-6) when < 1). Returns the norm before clipping. */
double glt_clip_grad_norm(float *g, size_t n, double max_norm);

/* Adam (torch semantics, bias-corrected): m, v owned, step counts updates. */
typedef struct glt_adam {
  size_t n;
  float *m, *v;
  int64_t step;
  double beta1, beta2, eps;
} glt_adam;

gl_err glt_adam_init(glt_adam *a, size_t n, double beta1, double beta2, double eps);
void glt_adam_free(glt_adam *a);
/* p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), after the moment updates. */
void glt_adam_step(glt_adam *a, float *params, const float *grad, double lr);

/* Sum g over the communicator in place (the loss is already divided by the global count,
 * so the sum is the average gradient). */
gl_err glt_allreduce_sum(MPI_Comm comm, float *g, size_t n);

/* ------------------------------------------------------------ environment interface -- */

#define GLT_MAX_METRICS 8

typedef struct glt_step_result {
  float reward;
  int terminated;        /* episode ended by a failure (no bootstrap) */
  int timed_out;         /* episode ended by the time limit (bootstrapped when enabled) */
  int invalid;           /* the simulation became invalid (counted, treated as terminated) */
  float metric[GLT_MAX_METRICS]; /* env-specific per-step diagnostics, averaged in the log */
} glt_step_result;

/* A rank's block of environments. Env i (0 <= i < n) has global index first + i and draws
 * all of its randomness (initial state, commands, noise, pushes) from its own streams. */
typedef struct glt_env_ops {
  int obs_dim;           /* floats per observation (= policy normaliser dim) */
  int act_dim;           /* = GLP_NACT */
  int nmetrics;
  const char *const *metric_names; /* [nmetrics] names for the log */
  /* Start a new episode (fresh command). */
  gl_err (*reset)(void *ctx, int i);
  gl_err (*observe)(void *ctx, int i, float *obs);
  /* Apply one action; must not reset (the trainer observes the pre-reset state first). */
  gl_err (*step)(void *ctx, int i, const float *action, glt_step_result *r);
  /* Exact save/restore of env i's whole state, streams included (checkpoints). */
  size_t (*state_size)(void *ctx, int i);
  gl_err (*state_save)(void *ctx, int i, void *buf);
  gl_err (*state_load)(void *ctx, int i, const void *buf);
} glt_env_ops;

typedef struct glt_env {
  const glt_env_ops *ops;
  void *ctx;
  int n;                 /* local envs */
  int64_t first;         /* global index of local env 0 */
} glt_env;

/* ------------------------------------------------------------------------ trainer -- */

/* Per-iteration statistics (identical on all ranks). */
typedef struct glt_iter_stats {
  int64_t iteration;     /* 1-based after the call */
  double policy_steps;   /* total env steps so far (all ranks) */
  double mean_reward;    /* per step */
  double mean_return;    /* of episodes that ended this iteration; NaN if none */
  double mean_length;    /* steps of those episodes; NaN if none */
  double episodes, fall_rate; /* ended episodes; fraction of them terminated by a failure */
  double invalid;        /* steps flagged invalid */
  double metric[GLT_MAX_METRICS]; /* per-step means of env metrics */
  double kl, lr;         /* mean KL over minibatches; lr after the update */
  double loss_actor, loss_critic, loss_bounds, entropy; /* means over minibatches */
  double clip_frac, grad_norm; /* mean pre-clip norm */
  double std_mean;       /* mean exp(logstd) after the update */
  double explained_var;  /* 1 - Var(R - V)/Var(R), raw units */
  double first_ratio_dev;  /* max |ratio - 1| in the first minibatch of epoch 1 */
  double first_kl;         /* unguarded KL in that minibatch (0 up to float rounding) */
  double t_physics, t_network, t_update, t_total; /* seconds (rank 0; all ranks similar) */
  double steps_per_s;
  double wall_seconds;   /* cumulative training wall time, across resumes */
} glt_iter_stats;

typedef struct glt_trainer glt_trainer;

/* Collective. The trainer borrows `policy` (identical on all ranks, e.g. created from the
 * same seed or broadcast) and `env` (this rank's block; env->n may be 0 only if the global
 * env count is smaller than the rank count). Environments are reset here. */
gl_err glt_trainer_create(glt_trainer **t, const glt_params *p, glp_policy *policy,
                          const glt_env *env, MPI_Comm comm);
void glt_trainer_destroy(glt_trainer *t);
/* Bytes glt_trainer_create allocates for n envs starting at global index `first` (memory
 * planning; the envs' own physics is gle_agent_bytes each). */
double glt_trainer_bytes(const glt_params *p, int n, int64_t first, int obs_dim,
                         const glp_policy *pol);

/* Collective: one rollout + update. */
gl_err glt_trainer_iterate(glt_trainer *t, glt_iter_stats *stats);

int64_t glt_trainer_iteration(const glt_trainer *t);
double glt_trainer_policy_steps(const glt_trainer *t);
double glt_trainer_lr(const glt_trainer *t);
double glt_trainer_wall_seconds(const glt_trainer *t);
const glt_adam *glt_trainer_adam(const glt_trainer *t);
const glt_vnorm *glt_trainer_vnorm(const glt_trainer *t);

/* Checkpoint (collective; rank 0 writes one HDF5 file atomically: path.tmp then rename).
 * Holds weights, obs normaliser, Adam moments and step, lr, value normaliser, iteration and
 * step counters, and per global env: env state, action-stream position, current obs, LSTM
 * states, episode accumulators. `extra_text` (may be NULL) is stored as the config text. */
gl_err glt_checkpoint_save(glt_trainer *t, const char *path, const char *extra_text);
/* Restore into a trainer created with the same params and env count (any rank count). */
gl_err glt_checkpoint_load(glt_trainer *t, const char *path);
/* Read the stored config text of a checkpoint (rank-local, serial; caller frees). */
gl_err glt_checkpoint_read_text(const char *path, char **text);

/* ----------------------------------------------------------- the ANYmal environment -- */

/* Command sampling at every reset from the env's (seed, index, GLR_COMMAND) stream:
 * u ~ U(u_lo, u_hi), v ~ U(v_lo, v_hi) m/s, and a third entry that depends on the env's
 * yaw mode: a heading target U(h_lo, h_hi) rad under the heading controller, else a yaw
 * rate U(r_lo, r_hi) rad/s held for the whole episode. With the task's heading_command an
 * env is under the heading controller when one draw from its (seed, index,
 * GLR_COMMAND_MODE) stream is below heading_fraction; the mode is fixed for the env's
 * lifetime, so it depends on the global index only (never on the rank) and needs no place
 * in checkpoints. Without heading_command every env gets yaw rates. */
typedef struct glt_command_ranges {
  double u_lo, u_hi, v_lo, v_hi, h_lo, h_hi, r_lo, r_hi;
  double heading_fraction; /* [0, 1] */
  /* [0, 1]: probability that a reset draws every commanded component (u, v, and the yaw
   * rate of envs without the heading controller) from {lo, (lo+hi)/2, hi} instead of
   * [lo, hi]. Uniform boxes almost never sample the box's corners and edges -- full speed
   * while turning or sidestepping hard -- which is where a policy is then weakest. 0 draws
   * nothing extra, keeping the streams of runs without it unchanged. */
  double extreme_fraction;
} glt_command_ranges;

/* Create `n` ANYmal agents with global indices first..first+n-1 (the ctx owns the gle_env
 * and agents). Metrics: lin-vel xy tracking error (m/s), yaw-rate error (rad/s), and on
 * curriculum terrain a third, the terrain level of the episode in progress (its mean is
 * the mean level over envs). On curriculum terrain task->curriculum_envs should be the
 * global env count (columns are assigned by global index in blocks). The curriculum level
 * is part of each env's saved state (appended to the gle_agent record). */
gl_err glt_anymal_create(glt_env *env, const gle_task *task, const glt_command_ranges *cmd,
                         uint64_t seed, int64_t first, int n);
void glt_anymal_destroy(glt_env *env);
/* The agent behind local env i (0 <= i < env->n), for inspection; owned by the env. */
gle_agent *glt_anymal_agent(const glt_env *env, int i);

/* ------------------------------------------------------------ a training run -- */

/* The training YAML bound into C (config.c): the task keys (env.*), the network's inputs and
 * initialisation (policy.*) and PPO (train.*). */
typedef struct glt_config {
  char *name;
  int seed;
  char *output;
  /* env */
  int terrain;
  int terrain_seed;
  double terrain_amp;
  int curriculum_wrap;
  gle_task_keys task;          /* the keys shared with experiments (env.h) */
  int push_interval;
  double push_vel;
  int heading_command;
  double heading_fraction, extreme_fraction;
  glc_reals cmd_u, cmd_v, cmd_heading, cmd_yaw_rate;
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
} glt_config;

extern const char *const glt_terrain_names[]; /* env.terrain choices, NULL-terminated */
const glc_key *glt_config_schema(size_t *n);
/* Bind a training document: defaults, schema checks, cross-field checks, then the task the
 * environments are built from. Errors name the document's mark (file:line:col). */
gl_err glt_config_bind(const glc_doc *doc, glt_config *cfg, gle_task *task, int nranks);
void glt_config_free(glt_config *cfg);
/* Is this document a training file (a train: section, or env: without conditions:)? */
int glt_config_is_train(const glc_doc *doc);

/* Collective: train into `dir` (checkpoint.h5, train_log.h5, policy.h5, snapshots/) until
 * train.total_steps or train.max_iterations, checkpointing every train.checkpoint_minutes
 * and on a stop signal (then GL_ERR_INTERRUPTED). `yaml` is the effective configuration,
 * stored as provenance. resume = 1 continues the checkpoint bit-for-bit and refuses to start
 * over when there is none (a typo in the directory, a checkpoint deleted); resume = 2 continues
 * or, without a checkpoint, starts a new run (requeued batch jobs); resume = 0 refuses an
 * existing checkpoint. */
/* Bytes the busiest rank of `nranks` touches (resident) and allocates for this training run (envs, rollout,
 * update workspaces, the checkpoint rank 0 gathers) and what they are, in words; checked by
 * glt_train_run with gl_memory_check before anything is allocated. */
gl_err glt_memory_plan(const glt_config *cfg, const gle_task *task, int nranks, double *resident,
                       double *allocated, char *what, size_t len);
gl_err glt_train_run(const glt_config *cfg, const gle_task *task, const char *yaml,
                     const char *dir, int resume, int quiet, MPI_Comm comm);

#endif
