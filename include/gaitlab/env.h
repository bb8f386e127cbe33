/* The ANYmal C locomotion task in MuJoCo (prefix gle_).
 *
 * Split like MuJoCo itself: a gle_env is immutable after creation (the compiled model,
 * the task parameters, resolved body/geom ids) and is shared by all agents of a rank; a
 * gle_agent is one robot's mutable state (mjData, its own friction, command, PD/air-time
 * bookkeeping, random streams keyed by (seed, global index)). Nothing about an agent
 * depends on which rank or batch it is in.
 *
 * Facts: ../shared/reference/anymal_c_model.md and rl_task_and_ppo.md. Joint/action order
 * is the authors' Isaac order LF, LH, RF, RH x (HAA, HFE, KFE) — the MJCF declares legs in
 * that order so qpos[7:19] needs no permutation. Foot-force outputs use the recording
 * order LF, RF, LH, RH (the HDF5 contract), which is NOT the joint order. */
#ifndef GAITLAB_ENV_H
#define GAITLAB_ENV_H

#include <stdint.h>

#include "gaitlab/error.h"
#include "gaitlab/rng.h"

#define GLE_NJ 12           /* actuated joints */
#define GLE_NHEIGHT 140     /* height samples */
#define GLE_OBS 176         /* actor observation (authors' layout, §3) */
#define GLE_OBS_FULL 188    /* + previous action (critic / 188-d variant) */
#define GLE_NFEET 4

enum { GLE_FOOT_LF = 0, GLE_FOOT_RF = 1, GLE_FOOT_LH = 2, GLE_FOOT_RH = 3 }; /* recording order */

/* Reward term indices (per-step values, already x dt), for logging and tests. */
enum {
  GLE_R_LIN_VEL = 0, GLE_R_ANG_VEL, GLE_R_LIN_VEL_Z, GLE_R_ANG_VEL_XY, GLE_R_ORIENT,
  GLE_R_BASE_HEIGHT, GLE_R_TORQUE, GLE_R_JOINT_ACC, GLE_R_AIR_TIME, GLE_R_COLLISION,
  GLE_R_ACTION_RATE, GLE_R_NTERMS
};

typedef enum gle_terrain { GLE_TERRAIN_PLANE = 0, GLE_TERRAIN_ROUGH = 1 } gle_terrain;

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
  gle_terrain terrain;         /* PLANE, or ROUGH: models/anymal_c_terrain.xml height field */
  uint64_t terrain_seed;       /* ROUGH: heights from GLR_TERRAIN (terrain_seed, 0); every rank
                                  builds the same terrain */
  double terrain_amp;          /* ROUGH: heights U{0, 0.005, ..., amp} m on a 0.2 m grid,
                                  bilinear to 0.1 m (Isaac's random_uniform_terrain); 0.1 */
  double init_q_lo, init_q_hi; /* reset q = default * U(lo, hi): 0.5, 1.5 */
  double init_qd;              /* reset qdot U(-x, x): 0.1 */
  double spawn_xy;             /* reset base xy jitter U(-x, x) */
} gle_task;

void gle_task_defaults(gle_task *task);

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
void *gle_agent_mjdata(gle_agent *agent);
/* The agent's own mjModel (a copy of the env's carrying this agent's friction). */
const void *gle_agent_mjmodel(const gle_agent *agent);

/* Start a new episode: randomised joints/spawn from the agent's stream, command
 * cmd = (u m/s, v m/s, r rad/s). With heading_command the third entry is the heading
 * target psi (rad) and r is computed every step. Clears previous action, air time. */
gl_err gle_agent_reset(gle_agent *agent, const double cmd[3]);

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

int gle_agent_steps(const gle_agent *agent);     /* policy steps since reset */
double gle_agent_friction(const gle_agent *agent);
/* Save/restore the whole mutable state (for training checkpoints); size in bytes. */
size_t gle_agent_state_size(const gle_agent *agent);
gl_err gle_agent_state_save(const gle_agent *agent, void *buf);
gl_err gle_agent_state_load(gle_agent *agent, const void *buf);

#endif
