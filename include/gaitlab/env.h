/* The ANYmal C locomotion task in MuJoCo (prefix gle_).
 *
 * Split like MuJoCo itself: a gle_env is immutable after creation (the compiled model,
 * the task parameters, resolved body/geom ids) and is shared by all agents of a rank; a
 * gle_agent is one robot's mutable state (mjData, its own friction, command, PD/air-time
 * bookkeeping, random streams keyed by (seed, global index)). The one exception: agents
 * share the env's mjModel and each writes its friction into it before using it, so the
 * agents of one env must be used from one thread at a time. Nothing about an agent
 * depends on which rank or batch it is in.
 *
 * Facts: docs/model.md and docs/task_and_training.md. Joint/action order
 * is the authors' Isaac order LF, LH, RF, RH x (HAA, HFE, KFE) — the MJCF declares legs in
 * that order so qpos[7:19] needs no permutation. Foot-force outputs use the recording
 * order LF, RF, LH, RH (the HDF5 contract), which is NOT the joint order. */
#ifndef GAITLAB_ENV_H
#define GAITLAB_ENV_H

#include <stdint.h>

#include "gaitlab/config.h"
#include "gaitlab/error.h"
#include "gaitlab/policy.h"
#include "gaitlab/rng.h"

#define GLE_NJ 12           /* actuated joints */
#define GLE_NHEIGHT 140     /* height samples */
#define GLE_OBS 176         /* actor observation (docs/task_and_training.md §3) */
#define GLE_OBS_FULL 188    /* + previous action (critic / 188-d variant) */

/* The observation described for the policy module: widths GLE_OBS / GLE_OBS_FULL, the name
 * of every input and the layout text every policy file carries (obs_names.c). */
const glp_inputs *gle_policy_inputs(void);
#define GLE_NFEET 4

enum { GLE_FOOT_LF = 0, GLE_FOOT_RF = 1, GLE_FOOT_LH = 2, GLE_FOOT_RH = 3 }; /* recording order */

/* Reward term indices (per-step values, already x dt), for logging and tests. */
enum {
  GLE_R_LIN_VEL = 0, GLE_R_ANG_VEL, GLE_R_LIN_VEL_Z, GLE_R_ANG_VEL_XY, GLE_R_ORIENT,
  GLE_R_BASE_HEIGHT, GLE_R_TORQUE, GLE_R_JOINT_ACC, GLE_R_AIR_TIME, GLE_R_COLLISION,
  GLE_R_ACTION_RATE, GLE_R_NTERMS
};

/* PLANE; ROUGH: one random-uniform height field; CURRICULUM: Isaac Gym's 10-level x
 * 20-column terrain curriculum (docs/task_and_training.md §9, models/anymal_c_curriculum.xml) with
 * per-agent levels updated at every reset. */
typedef enum gle_terrain {
  GLE_TERRAIN_PLANE = 0, GLE_TERRAIN_ROUGH = 1, GLE_TERRAIN_CURRICULUM = 2
} gle_terrain;

/* Task parameters; gle_task_defaults() gives the authors' values (with gaitlab's quirk
 * fixes: exactly `decimation` substeps, recomputed obs after reset). */
typedef struct gle_task {
  const char *model_path;      /* MJCF; NULL = the shipped models/anymal_c.xml */
  double timestep;             /* 0.005 s */
  int decimation;              /* 4 PD substeps per policy step */
  int extra_substep;           /* 0; 1 = authors' quirk Q1 (a 5th step, torque held) */
  double kp, kd;               /* 80, 2 */
  double action_scale;         /* 0.5 */
  double torque_limit;         /* 80 N m */
  double default_q[GLE_NJ];    /* Isaac order */
  int episode_steps;           /* 1000 (20 s) */
  int obs_noise;               /* 1 = uniform noise with the authors' amplitudes */
  double noise_level;          /* 1.0 */
  double friction_lo, friction_hi; /* per-agent friction U(lo, hi); lo == hi = fixed */
  int push_interval;           /* policy steps between pushes; 0 = none (training: 750) */
  double push_vel;             /* push sets world vx, vy to U(-push_vel, push_vel) */
  int heading_command;         /* 1 = yaw rate from heading controller (training) */
  double reward_scale[GLE_R_NTERMS]; /* config scales (multiplied by dt inside) */
  double base_height_target;   /* 0.52 */
  gle_terrain terrain;         /* PLANE, ROUGH (models/anymal_c_terrain.xml height field) or
                                  CURRICULUM (models/anymal_c_curriculum.xml) */
  uint64_t terrain_seed;       /* ROUGH: heights from GLR_TERRAIN (terrain_seed, 0); CURRICULUM:
                                  tile (level, col) from (terrain_seed, 20 level + col); every
                                  rank builds the same terrain */
  double terrain_amp;          /* ROUGH: heights U{0, 0.005, ..., amp} m on a 0.2 m grid,
                                  bilinear to 0.1 m (Isaac's random_uniform_terrain); 0.1 */
  double init_q_lo, init_q_hi; /* reset q = default * U(lo, hi): 0.5, 1.5 */
  double init_qd;              /* reset qdot U(-x, x): 0.1 */
  double spawn_xy;             /* reset base xy jitter U(-x, x) */
  int curriculum_envs;         /* CURRICULUM: global env count spread over the 20 columns in
                                  blocks (agent index i gets column floor(20 i / n), Isaac's
                                  floor(i / (n / 20))); 20 by default (column = i mod 20) */
  int curriculum_wrap;         /* CURRICULUM: 1 = a level above 9 wraps to 0 (Isaac, quirk Q7);
                                  0 = it stays at 9 */
} gle_task;

void gle_task_defaults(gle_task *task);

/* ---- the task keys of the YAML files ----------------------------------------------------
 * One table of the task's keys under env:, shared by the experiment YAML (`gaitlab run`)
 * and the training YAML (`gaitlab train`), so a key means the same thing, with the same range
 * and default, in both. Each module embeds a gle_task_keys in its configuration and expands
 * GLE_TASK_KEYS(X) into its own schema with X(suffix, type, field, lo, hi, flags, help), the
 * field a member of gle_task_keys. Training-only task keys (pushes, commands, rewards,
 * terrain) stay in the training schema. */
typedef struct gle_task_keys {
  char *model;
  double timestep;
  int decimation, extra_substep, episode_steps, obs_noise;
  double noise_level;
  glc_reals friction, init_q; /* [lo, hi] */
  double init_qd, spawn_xy;
} gle_task_keys;

#define GLE_TASK_KEYS(X)                                                                       \
  X("model", GLC_STRING, model, 0, 0, 0, "MJCF path (default: shipped models/anymal_c.xml)")    \
  X("timestep", GLC_REAL, timestep, 0, 0.05, GLC_OPEN_MIN, "physics step, s (0.005)")           \
  X("decimation", GLC_INT, decimation, 1, 100, 0, "PD substeps per policy step (4)")           \
  X("extra_substep", GLC_BOOL, extra_substep, 0, 0, 0,                                         \
    "authors' quirk Q1: a 5th physics step with the torque held (false)")                      \
  X("episode_steps", GLC_INT, episode_steps, 1, 10000000, 0,                                   \
    "policy steps per episode (1000 = 20 s)")                                                  \
  X("obs_noise", GLC_BOOL, obs_noise, 0, 0, 0, "uniform observation noise (true)")             \
  X("noise_level", GLC_REAL, noise_level, 0, 100, 0, "noise amplitude multiplier (1)")         \
  X("friction", GLC_REALS, friction, 0, 10, 0,                                                 \
    "[lo, hi]: per-agent friction U(lo, hi) ([0.75, 1.125])")                                  \
  X("init_q", GLC_REALS, init_q, 0, 10, 0, "[lo, hi]: reset joints = default x U(lo, hi)")     \
  X("init_qd", GLC_REAL, init_qd, 0, 100, 0, "reset joint velocities U(-x, x), rad/s (0.1)")   \
  X("spawn_xy", GLC_REAL, spawn_xy, 0, 100, 0, "reset base xy jitter U(-x, x), m (0.5)")

/* The keys' defaults, taken from gle_task_defaults (lists point at static storage, which the
 * binder copies). */
void gle_task_keys_defaults(gle_task_keys *keys);
/* Cross-field checks of bound keys ([lo, hi] pairs with lo <= hi), marked by the document
 * position of `prefix`.suffix. */
gl_err gle_task_keys_check(const glc_doc *doc, const char *prefix, const gle_task_keys *keys);
/* Write the keys into a task (the only translation from YAML to gle_task). */
void gle_task_apply_keys(const gle_task_keys *keys, gle_task *task);

typedef struct gle_env gle_env;     /* immutable */
typedef struct gle_agent gle_agent; /* mutable, one robot */

gl_err gle_env_create(gle_env **env, const gle_task *task);
void gle_env_destroy(gle_env *env);
const gle_task *gle_env_task(const gle_env *env);
/* Bare physics access for benchmarks and tests (the mjModel*, as void* to keep MuJoCo
 * headers out of this public map). */
const void *gle_env_mjmodel(const gle_env *env);

gl_err gle_agent_create(gle_agent **agent, const gle_env *env, uint64_t seed, uint64_t index);
void gle_agent_destroy(gle_agent *agent);
/* Bytes one agent allocates (its mjData buffers and bookkeeping), for memory planning; with
 * resident != NULL also the part of them a simulation actually touches (measured on a probe). */
size_t gle_agent_bytes(const gle_env *env, size_t *resident);
void *gle_agent_mjdata(gle_agent *agent);
/* Fault hook for reliability tests (GAITLAB_FAULT=nan:AGENT:STEP): make the agent's base
 * velocity NaN, so that its next step reports a non-finite state exactly as a physics blow-up
 * would. */
void gle_agent_inject_fault(gle_agent *agent);
/* The env's mjModel with this agent's friction written into it (agents share one model; the
 * friction stays valid until another agent of the same env is used). */
const void *gle_agent_mjmodel(const gle_agent *agent);

/* Start a new episode: randomised joints/spawn from the agent's stream, command
 * cmd = (u m/s, v m/s, r rad/s). With heading_command the third entry is the heading
 * target psi (rad) and r is computed every step. Clears previous action, air time.
 * On CURRICULUM terrain, if the agent has stepped since its last reset (Isaac skips the
 * update before init_done), the level first moves by the finished episode as Isaac's
 * update_terrain_level: with D the horizontal distance of the base from the episode's origin,
 * down 1 if D < |cmd_xy| * T * 0.25 (cmd_xy: the finished episode's command; T = the
 * configured episode length episode_steps x policy dt, Isaac's max_episode_length_s), up 1 if
 * D > 4 m (half a tile), clipped at >= 0, then mod 10 or saturated at 9 (curriculum_wrap).
 * The robot spawns 0.62 m above the origin of its tile (level, column) plus the xy jitter. */
gl_err gle_agent_reset(gle_agent *agent, const double cmd[3]);

/* Curriculum terrain level (0..9) and column (0..19) of the agent; 0, 0 on other terrains.
 * set_terrain_level moves the agent to another level (its next reset spawns there). */
int gle_agent_terrain_level(const gle_agent *agent);
int gle_agent_terrain_column(const gle_agent *agent);
gl_err gle_agent_set_terrain_level(gle_agent *agent, int level);
/* World origin (x, y, z; m) of the agent's current tile: where its episodes start. */
void gle_agent_terrain_origin(const gle_agent *agent, double origin[3]);

/* Choose this agent's yaw command mode (default: the task's heading_command): 1 = the third
 * command entry is a heading target and r follows the heading controller, 0 = it is a
 * constant yaw rate. Not part of the saved state: the trainer re-derives it from the agent's
 * global index when it creates the agent, so a checkpoint restores into the same mode. */
void gle_agent_set_heading_mode(gle_agent *agent, int heading);

/* Replace the command mid-episode (same meaning of cmd[2] as in reset); bookkeeping is
 * kept. Used by experiments that change commands without a reset. */
gl_err gle_agent_set_command(gle_agent *agent, const double cmd[3]);
/* Command in effect: u, v (m/s), r (rad/s; from the heading controller when enabled). */
void gle_agent_command(const gle_agent *agent, double cmd[3]);

/* Observation of the current state, 188 floats in the authors' order and scales (the
 * actor uses the first GLE_OBS). Noise is drawn from the agent's stream when enabled. */
gl_err gle_agent_observe(gle_agent *agent, float obs[GLE_OBS_FULL]);

typedef struct gle_step_info {
  float torque[GLE_NJ];        /* applied on the last substep, N m, Isaac joint order */
  float foot_force[GLE_NFEET]; /* world-z contact force on each foot, N, order LF RF LH RH */
  float base_pos[3];           /* world, m */
  float base_quat[4];          /* w x y z */
  float base_lin_vel[3];       /* body frame, m/s */
  float base_ang_vel[3];       /* body frame, rad/s */
  float command[3];            /* u, v (m/s), r (rad/s) in effect this step */
  float reward;                /* total, clipped >= 0, x dt */
  float reward_terms[GLE_R_NTERMS];
  int terminated;              /* base contact (fall) */
  int timed_out;               /* steps since reset >= episode_steps - 1 (Isaac's rule:
                                  999 transitions in a 1000-step episode) */
  int nonfinite;               /* state became NaN/Inf or MuJoCo flagged bad qacc */
  int warnings;                /* MuJoCo warnings raised during this step */
} gle_step_info;

/* Apply one policy action (12 raw policy outputs): decimation x (PD torque, mj_step).
 * Does not reset on termination; the caller decides (training resets, experiments record
 * the fall and stop the agent). */
gl_err gle_agent_step(gle_agent *agent, const float action[GLE_NJ], gle_step_info *info);

/* Isaac-style push: overwrite the world-frame base vx, vy (m/s); vz and angular velocity
 * are kept. Training pushes (push_interval > 0) happen inside gle_agent_step, after the
 * physics and before rewards/observation, whenever the agent's lifetime step count (not
 * reset by gle_agent_reset) is a multiple of push_interval; vx, vy ~ U(+-push_vel) from
 * the agent's GLR_PUSH stream. Agents created together are thus pushed together, as with
 * Isaac's global counter (quirk Q6). */
void gle_agent_push(gle_agent *agent, double vx, double vy);

/* A force on the base for the next `substeps` physics substeps (decimation per policy
 * step), fixed in the body frame (N; x forward, y left, z up) and turning with the robot,
 * applied at the base's centre of mass; then removed. A reset removes it too. */
void gle_agent_apply_force(gle_agent *agent, const double f_body[3], int substeps);
/* The robot's weight, total mass x |gravity| (N): the unit of force disturbances. */
double gle_agent_weight(const gle_agent *agent);

int gle_agent_steps(const gle_agent *agent);     /* policy steps since reset */
double gle_agent_friction(const gle_agent *agent);
/* Save/restore the whole mutable state (for training checkpoints); size in bytes. On
 * CURRICULUM terrain the record ends with the terrain level (int64); other terrains keep
 * the original record. */
size_t gle_agent_state_size(const gle_agent *agent);
gl_err gle_agent_state_save(const gle_agent *agent, void *buf);
gl_err gle_agent_state_load(gle_agent *agent, const void *buf);

#endif
