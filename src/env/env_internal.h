/* Internals of the env module shared by its translation units and its unit tests. */
#ifndef GAITLAB_ENV_INTERNAL_H
#define GAITLAB_ENV_INTERNAL_H

#include <mujoco/mujoco.h>

#include "gaitlab/env.h"
#include "gaitlab/rng.h"

#define GLE_NLEG 4 /* legs in joint (Isaac) order LF, LH, RF, RH */

/* Role of each model geom, for contact-force attribution. */
enum { GLE_GEOM_OTHER = 0, GLE_GEOM_TERRAIN, GLE_GEOM_BASE, GLE_GEOM_KNEE, GLE_GEOM_FOOT };

/* Isaac-style terrain height map (rough terrain): heights in metres on a regular grid,
 * indexed [ix][iy], sample spacing `hscale`, world x = ix * hscale - border. */
typedef struct gle_heightmap {
  int nx, ny;
  double hscale, border;
  double *h; /* nx * ny, owned */
} gle_heightmap;

/* Terrain curriculum (docs/task_and_training.md §9): 10 levels along x, 20 terrain columns along y,
 * 8 x 8 m tiles of 80 x 80 samples. */
#define GLE_CUR_LEVELS 10
#define GLE_CUR_COLS 20
#define GLE_CUR_TILE 8.0
#define GLE_CUR_TILE_PX 80
#define GLE_CUR_OBSTACLES 40

typedef enum gle_curriculum_kind {
  GLE_CUR_SLOPE = 0,      /* columns 0-1: pyramid slope (column 0 sunk) */
  GLE_CUR_ROUGH_SLOPE,    /* 2-3: the same plus +-0.1 m noise (column 2 sunk) */
  GLE_CUR_STAIRS_DOWN,    /* 4-10: pyramid stairs with negative steps */
  GLE_CUR_STAIRS_UP,      /* 11-15 */
  GLE_CUR_OBSTACLES_KIND  /* 16-19: 40 discrete rectangles */
} gle_curriculum_kind;

struct gle_env {
  gle_task task;
  char model_path[4096];
  /* Compiled model, shared by all agents of this env: its geom friction is the only part
   * that differs per agent, and each agent writes its own value in before it uses the model
   * (agents of a rank run sequentially). A copy per agent would cost ~10 MB each with the
   * curriculum's 1200 x 2000 height field. */
  mjModel *m;
  int qadr[GLE_NJ];        /* qpos address of each joint, Isaac order */
  int dadr[GLE_NJ];        /* qvel address */
  int act[GLE_NJ];         /* actuator driving that joint */
  int base_body;
  int base_geom, knee_geom[GLE_NLEG], foot_geom[GLE_NLEG]; /* leg index = Isaac order */
  int terrain_geom;
  unsigned char *geom_role; /* [ngeom] */
  signed char *geom_leg;    /* [ngeom] leg index for knee/foot geoms, else -1 */
  int robot_geoms[16], nrobot_geoms;
  double policy_dt;        /* decimation * timestep (nominal, used by rewards/air time) */
  gle_heightmap *hmap;     /* NULL on a plane */
  double spawn_z;          /* terrain origin height under the spawn point */
  double origin[GLE_CUR_LEVELS][GLE_CUR_COLS][3]; /* CURRICULUM: tile origins (Isaac's
                                                     env_origins), world m */
};

/* Per-agent bookkeeping that is not in mjData (saved with checkpoints). */
typedef struct gle_book {
  int64_t steps;           /* policy steps since reset */
  int64_t total_steps;     /* policy steps since creation (push clock) */
  double cmd[3];           /* u, v, third entry as given to reset (r, or heading target) */
  double r;                /* yaw-rate command in effect */
  double prev_action[GLE_NJ];
  double prev_qd[GLE_NJ];
  double air_time[GLE_NLEG];
  double friction;
} gle_book;

struct gle_agent {
  const gle_env *env;
  mjModel *m; /* the env's model (shared): bind this agent's friction before using it */
  mjData *d;
  uint64_t seed, index;
  glr_stream s_pose, s_friction, s_noise, s_push;
  int heading; /* 1: cmd[2] is a heading target (gle_agent_set_heading_mode) */
  gle_book b;
  /* Terrain origin of the next episode: (0, 0, spawn_z) on plane/rough; on the curriculum
   * the centre of tile (level, col). Kept out of gle_book so the plane/rough checkpoint
   * record stays as it was; the level is appended to the record for curriculum terrain. */
  int level, col;
  double origin[3];
  /* An external force on the base (experiments' force disturbances): fixed in the body
   * frame, applied for the next force_substeps physics substeps. Not part of the checkpoint
   * record: training never applies one. */
  double force_b[3];
  int force_substeps;
  int force_on; /* xfrc_applied holds the force: clear it on the first substep after */
};

/* Kinematic quantities of the base, from qpos/qvel alone. */
typedef struct gle_base_state {
  double pos[3], quat[4], R[9];
  double lin_vel_b[3];  /* body-frame linear velocity */
  double ang_vel_b[3];  /* body-frame angular velocity */
  double grav_b[3];     /* R^T (0, 0, -1) */
  double yaw;           /* atan2 of the body x axis */
} gle_base_state;

void gle_base_state_get(const gle_env *env, const mjData *d, gle_base_state *bs);

/* Terrain height at world (x, y): 0 on a plane, Isaac's min(h[i,j], h[i+1,j+1]) rule on a
 * height map. */
double gle_terrain_height(const gle_env *env, double x, double y);
/* Build the rough-terrain height map and write it into the model's hfield (GLR_TERRAIN). */
gl_err gle_terrain_build(gle_env *env);
/* Curriculum terrain: the Isaac tile (level, col) in height units of 0.005 m, [x][y] with
 * 80 x 80 samples (random parts from (terrain_seed, level * 20 + col, GLR_TERRAIN)); the kind
 * of a column; a tile's origin height (max over the central samples 30..49, m); and the
 * build of the whole height field and origins into env (also moves the plane under it). */
void gle_curriculum_tile(uint64_t terrain_seed, int level, int col, int32_t *raw);
gle_curriculum_kind gle_curriculum_column_kind(int col);
double gle_curriculum_tile_origin_z(const int32_t *raw);
gl_err gle_terrain_build_curriculum(gle_env *env);
/* Isaac's update_terrain_level for one env: down 1 if the distance walked from the origin
 * dist < |cmd_xy| * episode_s * 0.25, up 1 if dist > tile_len / 2, then clipped at >= 0
 * and taken mod nlevels (wrap, quirk Q7) or saturated at nlevels - 1. */
int gle_curriculum_next_level(int level, double dist, double cmd_xy, double episode_s,
                              double tile_len, int nlevels, int wrap);
/* The column of the env with global index `index` when `nenvs` envs are spread over the 20
 * columns in blocks (Isaac: floor(i / (nenvs / 20))); indices >= nenvs wrap modulo nenvs. */
int gle_curriculum_column(uint64_t index, int nenvs);

/* The 140 scan points (world xy) for a base at pos with the given yaw. */
void gle_height_points(const double pos[3], double yaw, double pts[GLE_NHEIGHT][2]);

/* Per-step contact summary (last substep). */
typedef struct gle_contacts {
  double base_force[3];
  double knee_force[GLE_NLEG][3];
  double foot_force[GLE_NLEG][3]; /* world frame, leg (Isaac) order */
} gle_contacts;
void gle_contacts_get(const gle_env *env, const mjModel *m, const mjData *d, gle_contacts *c);

/* Inputs of the reward, all in the task's conventions; pure function for testing. */
typedef struct gle_reward_in {
  double cmd[3];           /* u, v, r in effect */
  double lin_vel_b[3], ang_vel_b[3], grav_b[3];
  double base_height;      /* base z minus mean terrain height under the scan */
  double torque[GLE_NJ];   /* last substep */
  double qd[GLE_NJ], prev_qd[GLE_NJ];
  double action[GLE_NJ], prev_action[GLE_NJ];
  int first_contact[GLE_NLEG];
  double air_time[GLE_NLEG]; /* after the += dt of this step, before zeroing */
  int knee_contacts;       /* number of thighs with |F| > 1 N */
} gle_reward_in;

/* Fills terms[GLE_R_NTERMS] (x dt) and returns the total clipped at >= 0. */
double gle_reward_compute(const gle_task *task, double dt, const gle_reward_in *in,
                          double terms[GLE_R_NTERMS]);

/* Air-time bookkeeping of one policy step (§6): contact -> first contact, t += dt, zero on
 * contact. air_before_zero receives t after the increment (what the reward uses). */
void gle_air_time_update(double air[GLE_NLEG], const int contact[GLE_NLEG], double dt,
                         int first[GLE_NLEG], double air_before_zero[GLE_NLEG]);

/* PD torque of the task: clip(kp (scale a + q_def - q) - kd qd, +-limit). */
double gle_pd_torque(const gle_task *t, int j, double a, double q, double qd);

double gle_wrap_to_pi(double a);

/* Run fn(arg) with MuJoCo errors turned into GL_ERR_LIB (longjmp out of mju_error). */
gl_err gle_mj_guard(void (*fn)(void *), void *arg);
/* Install the process-wide MuJoCo error/warning handlers (idempotent). */
void gle_mj_handlers_install(void);

/* Map leg (Isaac order LF, LH, RF, RH) -> recording order LF, RF, LH, RH. */
static inline int gle_leg_to_rec(int leg) {
  static const int map[GLE_NLEG] = {GLE_FOOT_LF, GLE_FOOT_LH, GLE_FOOT_RF, GLE_FOOT_RH};
  return map[leg];
}

#endif
