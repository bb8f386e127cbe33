/* One robot: reset, observe, step, push, checkpoint state. The order of operations inside
 * a policy step follows IsaacGymEnvs' AnymalTerrain post_physics_step
 * (docs/task_and_training.md §4-§8), with gaitlab's quirk fixes (exactly `decimation`
 * substeps unless extra_substep, observation recomputed after reset). */
#define _DEFAULT_SOURCE 1 /* mincore */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "env/env_internal.h"
#include "gaitlab/core.h"

/* Observation scales and noise amplitudes (already x scale) of §3. */
#define GLE_S_LIN 2.0
#define GLE_S_ANG 0.25
#define GLE_S_DOFV 0.05
#define GLE_S_HEIGHT 5.0
static const double gle_cmd_scale[3] = {2.0, 2.0, 0.25};

/* ---- small kinematics helpers -------------------------------------------------------- */
void gle_base_state_get(const gle_env *env, const mjData *d, gle_base_state *bs) {
  (void)env;
  for (int i = 0; i < 3; ++i) bs->pos[i] = d->qpos[i];
  for (int i = 0; i < 4; ++i) bs->quat[i] = d->qpos[3 + i];
  double q[4];
  mju_copy4(q, bs->quat);
  mju_normalize4(q);
  mju_quat2Mat(bs->R, q);
  /* free joint: qvel[0:3] world linear, qvel[3:6] body angular */
  mju_mulMatTVec(bs->lin_vel_b, bs->R, d->qvel, 3, 3);
  for (int i = 0; i < 3; ++i) bs->ang_vel_b[i] = d->qvel[3 + i];
  for (int i = 0; i < 3; ++i) bs->grav_b[i] = -bs->R[6 + i];
  bs->yaw = atan2(bs->R[3], bs->R[0]);
}

double gle_wrap_to_pi(double a) {
  /* torch: a % 2pi (result >= 0), then subtract 2pi above pi -> (-pi, pi] */
  const double twopi = 2.0 * M_PI;
  a = fmod(a, twopi);
  if (a < 0) a += twopi;
  if (a > M_PI) a -= twopi;
  return a;
}

double gle_pd_torque(const gle_task *t, int j, double a, double q, double qd) {
  double tau = t->kp * (t->action_scale * a + t->default_q[j] - q) - t->kd * qd;
  if (tau > t->torque_limit) tau = t->torque_limit;
  if (tau < -t->torque_limit) tau = -t->torque_limit;
  return tau;
}

static double gle_clamp(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void gle_update_heading(gle_agent *a, const gle_base_state *bs) {
  if (a->heading)
    a->b.r = gle_clamp(0.5 * gle_wrap_to_pi(a->b.cmd[2] - bs->yaw), -1.0, 1.0);
  else
    a->b.r = a->b.cmd[2];
}

/* ---- contacts ------------------------------------------------------------------------ */
static double *gle_contact_slot(const gle_env *env, gle_contacts *c, int g) {
  switch (env->geom_role[g]) {
    case GLE_GEOM_BASE: return c->base_force;
    case GLE_GEOM_KNEE: return c->knee_force[env->geom_leg[g]];
    case GLE_GEOM_FOOT: return c->foot_force[env->geom_leg[g]];
    default: return NULL;
  }
}

void gle_contacts_get(const gle_env *env, const mjModel *m, const mjData *d, gle_contacts *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact *con = d->contact + i;
    double *s1 = gle_contact_slot(env, c, con->geom1);
    double *s2 = gle_contact_slot(env, c, con->geom2);
    if (!s1 && !s2) continue;
    mjtNum f6[6], fw[3];
    mj_contactForce(m, d, i, f6);
    /* contact frame rows: normal (geom1 -> geom2), tangent 1, tangent 2. The force acts on
     * geom2 along +normal and on geom1 with the opposite sign. */
    mju_mulMatTVec(fw, con->frame, f6, 3, 3);
    for (int k = 0; k < 3; ++k) {
      if (s2) s2[k] += fw[k];
      if (s1) s1[k] -= fw[k];
    }
  }
}

/* ---- rewards (pure) ------------------------------------------------------------------ */
void gle_air_time_update(double air[GLE_NLEG], const int contact[GLE_NLEG], double dt,
                         int first[GLE_NLEG], double air_before_zero[GLE_NLEG]) {
  for (int f = 0; f < GLE_NLEG; ++f) {
    first[f] = air[f] > 0.0 && contact[f];
    air[f] += dt;
    air_before_zero[f] = air[f];
    if (contact[f]) air[f] = 0.0;
  }
}

static double gle_sq(double x) { return x * x; }

double gle_reward_compute(const gle_task *t, double dt, const gle_reward_in *in,
                          double terms[GLE_R_NTERMS]) {
  const double *s = t->reward_scale;
  double v[GLE_R_NTERMS] = {0};
  v[GLE_R_LIN_VEL] = exp(-(gle_sq(in->cmd[0] - in->lin_vel_b[0]) +
                           gle_sq(in->cmd[1] - in->lin_vel_b[1])) / 0.25);
  v[GLE_R_ANG_VEL] = exp(-gle_sq(in->cmd[2] - in->ang_vel_b[2]) / 0.25);
  v[GLE_R_LIN_VEL_Z] = gle_sq(in->lin_vel_b[2]);
  v[GLE_R_ANG_VEL_XY] = gle_sq(in->ang_vel_b[0]) + gle_sq(in->ang_vel_b[1]);
  v[GLE_R_ORIENT] = gle_sq(in->grav_b[0]) + gle_sq(in->grav_b[1]);
  v[GLE_R_BASE_HEIGHT] = gle_sq(in->base_height - t->base_height_target);
  for (int j = 0; j < GLE_NJ; ++j) {
    v[GLE_R_TORQUE] += gle_sq(in->torque[j]);
    v[GLE_R_JOINT_ACC] += gle_sq(in->prev_qd[j] - in->qd[j]); /* not / dt (Q8) */
    v[GLE_R_ACTION_RATE] += gle_sq(in->prev_action[j] - in->action[j]);
  }
  for (int f = 0; f < GLE_NLEG; ++f)
    if (in->first_contact[f]) v[GLE_R_AIR_TIME] += in->air_time[f] - 0.5;
  if (!(hypot(in->cmd[0], in->cmd[1]) > 0.1)) v[GLE_R_AIR_TIME] = 0.0;
  v[GLE_R_COLLISION] = in->knee_contacts;
  double total = 0.0;
  for (int k = 0; k < GLE_R_NTERMS; ++k) {
    terms[k] = v[k] * s[k] * dt;
    total += terms[k];
  }
  return total > 0.0 ? total : 0.0;
}

/* ---- creation ------------------------------------------------------------------------ */
typedef struct gle_make_args {
  const mjModel *src;
  mjModel *m;
  mjData *d;
} gle_make_args;

static void gle_make_fn(void *p) {
  gle_make_args *a = p;
  a->d = mj_makeData(a->src);
}

/* Write this agent's friction into the shared model. MuJoCo mixes a contact pair's
 * friction by max, so giving every geom (robot and terrain) the same value makes that value
 * the effective coefficient. Everything else in the model is common to all agents, so the
 * shared model then equals the per-agent copy the agents used to own, bit for bit. */
static void gle_agent_bind(const gle_agent *a) {
  mjModel *m = a->m;
  for (int g = 0; g < m->ngeom; ++g) m->geom_friction[3 * g] = a->b.friction;
}

static void gle_forward_fn(void *p) {
  gle_agent *a = p;
  gle_agent_bind(a);
  mj_forward(a->m, a->d);
}

/* ---- curriculum ---------------------------------------------------------------------- */
int gle_curriculum_next_level(int level, double dist, double cmd_xy, double episode_s,
                              double tile_len, int nlevels, int wrap) {
  /* Isaac: levels -= dist < |cmd| * T * 0.25; levels += dist > len / 2; clip(0) % rows */
  level -= dist < cmd_xy * episode_s * 0.25;
  level += dist > tile_len / 2;
  if (level < 0) level = 0;
  if (wrap) return level % nlevels;
  return level > nlevels - 1 ? nlevels - 1 : level;
}

int gle_curriculum_column(uint64_t index, int nenvs) {
  /* floor(i / (n / 20)) = floor(20 i / n), in exact integer arithmetic */
  uint64_t i = index % (uint64_t)nenvs;
  return (int)(i * GLE_CUR_COLS / (uint64_t)nenvs);
}

static void gle_agent_place(gle_agent *a, int level) {
  const gle_env *e = a->env;
  a->level = level;
  if (e->task.terrain == GLE_TERRAIN_CURRICULUM) {
    memcpy(a->origin, e->origin[level][a->col], sizeof a->origin);
  } else {
    a->origin[0] = a->origin[1] = 0.0;
    a->origin[2] = e->spawn_z;
  }
}

int gle_agent_terrain_level(const gle_agent *a) { return a->level; }
int gle_agent_terrain_column(const gle_agent *a) { return a->col; }
void gle_agent_terrain_origin(const gle_agent *a, double origin[3]) {
  memcpy(origin, a->origin, sizeof a->origin);
}

gl_err gle_agent_set_terrain_level(gle_agent *a, int level) {
  if (a->env->task.terrain != GLE_TERRAIN_CURRICULUM)
    return level == 0 ? GL_OK : gl_error(GL_ERR_INPUT, "env: terrain levels need curriculum terrain");
  if (level < 0 || level >= GLE_CUR_LEVELS)
    return gl_error(GL_ERR_INPUT, "env: terrain level %d out of range [0, %d]", level,
                    GLE_CUR_LEVELS - 1);
  gle_agent_place(a, level);
  return GL_OK;
}

/* Default pose at the spawn height, zero velocity: a valid state before the first reset. */
static void gle_agent_pose_default(gle_agent *a) {
  const gle_env *e = a->env;
  mj_resetData(a->m, a->d);
  if (e->task.terrain == GLE_TERRAIN_CURRICULUM) { /* plane/rough keep the model's qpos0 xy */
    a->d->qpos[0] = a->origin[0];
    a->d->qpos[1] = a->origin[1];
  }
  a->d->qpos[2] = 0.62 + a->origin[2];
  a->d->qpos[3] = 1.0;
  a->d->qpos[4] = a->d->qpos[5] = a->d->qpos[6] = 0.0;
  for (int j = 0; j < GLE_NJ; ++j) a->d->qpos[e->qadr[j]] = e->task.default_q[j];
}

/* Resident pages of [p, p + n), by mincore; n when that cannot be told. */
static size_t gle_resident_(const void *p, size_t n) {
  const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = (uintptr_t)p & ~(uintptr_t)(pg - 1), e = (uintptr_t)p + n;
  size_t np = (e - a + pg - 1) / pg, res = 0;
  unsigned char *v = malloc(np ? np : 1);
  if (!v || mincore((void *)a, e - a, v) != 0) {
    free(v);
    return n;
  }
  for (size_t i = 0; i < np; ++i) res += v[i] & 1;
  free(v);
  return res * pg < n ? res * pg : n;
}

size_t gle_agent_bytes(const gle_env *env, size_t *resident) {
  const mjModel *m = gle_env_mjmodel(env);
  /* mj_makeData: the mjData struct, its main buffer and its stack of nstack mjtNums */
  const size_t fixed = sizeof(gle_agent) + sizeof(mjData);
  const size_t stack = (size_t)m->nstack * sizeof(mjtNum);
  size_t alloc = fixed + (size_t)m->nbuffer + stack;
  if (resident) *resident = alloc;
  /* A probe tells more than the sizes: MuJoCo 2.2.2 maps about 2.1 MB per mjData of ANYmal
   * (what ulimit -v counts), of which a simulation touches about 0.6 MB, most of it in
   * mj_makeData (what cgroups and MemAvailable count). */
  gle_make_args a = {m, NULL, NULL};
  const double vm0 = gl_proc_self_bytes("VmSize");
  if (gle_mj_guard(gle_make_fn, &a) == GL_OK && a.d) {
    const double vm1 = gl_proc_self_bytes("VmSize");
    if (vm0 >= 0 && vm1 - vm0 > (double)alloc) alloc = (size_t)(vm1 - vm0);
    if (resident)
      *resident = fixed + gle_resident_(a.d->buffer, (size_t)a.d->nbuffer) +
                  gle_resident_(a.d->stack, stack) + 64 * 1024; /* + what stepping touches */
    mj_deleteData(a.d);
  } else {
    gl_error_clear();
  }
  return alloc;
}

gl_err gle_agent_create(gle_agent **out, const gle_env *env, uint64_t seed, uint64_t index) {
  gl_err err = GL_OK;
  gle_agent *a = NULL;
  *out = NULL;
  GL_CALL(GL_ALLOC(a, 1));
  a->env = env;
  a->seed = seed;
  a->index = index;
  a->heading = env->task.heading_command;
  glr_init(&a->s_pose, seed, index, GLR_INIT_POSE);
  glr_init(&a->s_friction, seed, index, GLR_FRICTION);
  glr_init(&a->s_noise, seed, index, GLR_OBS_NOISE);
  glr_init(&a->s_push, seed, index, GLR_PUSH);
  gle_make_args ma = {env->m, NULL, NULL};
  GL_GOTO(err, gle_mj_guard(gle_make_fn, &ma), fail);
  a->m = env->m;
  a->d = ma.d;
  if (!a->d) {
    err = gl_error(GL_ERR_NOMEM, "cannot allocate MuJoCo data for agent %llu",
                   (unsigned long long)index);
    goto fail;
  }
  /* Own friction, written into the shared model whenever this agent uses it */
  a->b.friction = glr_uniform_range(&a->s_friction, env->task.friction_lo, env->task.friction_hi);
  /* Isaac: column from the global index, every env starts at level 0 (maxInitMapLevel 0) */
  a->col = env->task.terrain == GLE_TERRAIN_CURRICULUM
               ? gle_curriculum_column(index, env->task.curriculum_envs) : 0;
  gle_agent_place(a, 0);
  gle_agent_pose_default(a);
  GL_GOTO(err, gle_mj_guard(gle_forward_fn, a), fail);
  *out = a;
  return GL_OK;
fail:
  gle_agent_destroy(a);
  return err;
}

void gle_agent_destroy(gle_agent *a) {
  if (!a) return;
  if (a->d) mj_deleteData(a->d);
  free(a); /* a->m belongs to the env */
}

void *gle_agent_mjdata(gle_agent *a) { return a->d; }

void gle_agent_inject_fault(gle_agent *a) {
  mjData *d = gle_agent_mjdata(a);
  d->qvel[0] = NAN;
}
const void *gle_agent_mjmodel(const gle_agent *a) {
  gle_agent_bind(a);
  return a->m;
}
int gle_agent_steps(const gle_agent *a) { return (int)a->b.steps; }
double gle_agent_friction(const gle_agent *a) { return a->b.friction; }

void gle_agent_command(const gle_agent *a, double cmd[3]) {
  cmd[0] = a->b.cmd[0];
  cmd[1] = a->b.cmd[1];
  cmd[2] = a->b.r;
}

void gle_agent_set_heading_mode(gle_agent *a, int heading) {
  a->heading = heading != 0;
  gle_base_state bs;
  gle_base_state_get(a->env, a->d, &bs);
  gle_update_heading(a, &bs);
}

gl_err gle_agent_set_command(gle_agent *a, const double cmd[3]) {
  for (int i = 0; i < 3; ++i)
    if (!isfinite(cmd[i])) return gl_error(GL_ERR_INPUT, "env: non-finite command");
  memcpy(a->b.cmd, cmd, sizeof a->b.cmd);
  gle_base_state bs;
  gle_base_state_get(a->env, a->d, &bs);
  gle_update_heading(a, &bs);
  return GL_OK;
}

/* ---- reset --------------------------------------------------------------------------- */
gl_err gle_agent_reset(gle_agent *a, const double cmd[3]) {
  const gle_env *e = a->env;
  const gle_task *t = &e->task;
  for (int i = 0; i < 3; ++i)
    if (!isfinite(cmd[i])) return gl_error(GL_ERR_INPUT, "env: non-finite command");
  mjData *d = a->d;
  if (t->terrain == GLE_TERRAIN_CURRICULUM && a->b.steps > 0) {
    /* the finished episode moves the level (Isaac's update_terrain_level; a NaN state
     * compares false both ways and keeps it) */
    double dist = hypot(d->qpos[0] - a->origin[0], d->qpos[1] - a->origin[1]);
    double cmd_xy = hypot(a->b.cmd[0], a->b.cmd[1]);
    gle_agent_place(a, gle_curriculum_next_level(a->level, dist, cmd_xy,
                                                 t->episode_steps * e->policy_dt, GLE_CUR_TILE,
                                                 GLE_CUR_LEVELS, t->curriculum_wrap));
  }
  gle_agent_pose_default(a);
  a->force_substeps = 0;
  if (a->force_on) memset(d->xfrc_applied + 6 * e->base_body, 0, 6 * sizeof(mjtNum));
  a->force_on = 0;
  /* Fixed draw count per reset (12 + 12 + 2) keeps the stream position a function of the
   * number of resets only. */
  for (int j = 0; j < GLE_NJ; ++j)
    d->qpos[e->qadr[j]] = t->default_q[j] * glr_uniform_range(&a->s_pose, t->init_q_lo, t->init_q_hi);
  for (int j = 0; j < GLE_NJ; ++j)
    d->qvel[e->dadr[j]] = glr_uniform_range(&a->s_pose, -t->init_qd, t->init_qd);
  d->qpos[0] = glr_uniform_range(&a->s_pose, -t->spawn_xy, t->spawn_xy);
  d->qpos[1] = glr_uniform_range(&a->s_pose, -t->spawn_xy, t->spawn_xy);
  if (t->terrain == GLE_TERRAIN_CURRICULUM) {
    d->qpos[0] += a->origin[0];
    d->qpos[1] += a->origin[1];
  }
  GL_CALL(gle_mj_guard(gle_forward_fn, a));

  a->b.steps = 0;
  memcpy(a->b.cmd, cmd, sizeof a->b.cmd);
  memset(a->b.prev_action, 0, sizeof a->b.prev_action);
  /* Isaac overwrites last_dof_vel with the reset velocities at the end of the step that
   * reset, so the first joint-acceleration term measures the change from them. */
  for (int j = 0; j < GLE_NJ; ++j) a->b.prev_qd[j] = d->qvel[e->dadr[j]];
  memset(a->b.air_time, 0, sizeof a->b.air_time);
  gle_base_state bs;
  gle_base_state_get(e, d, &bs);
  gle_update_heading(a, &bs);
  return GL_OK;
}

/* ---- observation --------------------------------------------------------------------- */
static double gle_noise_amp(int i) {
  if (i < 3) return 0.1 * GLE_S_LIN;
  if (i < 6) return 0.2 * GLE_S_ANG;
  if (i < 9) return 0.05;
  if (i < 12) return 0.0;
  if (i < 24) return 0.01;
  if (i < 36) return 1.5 * GLE_S_DOFV;
  if (i < 176) return 0.06 * GLE_S_HEIGHT;
  return 0.0;
}

static double gle_scan_mean(const gle_env *e, const gle_base_state *bs, double h[GLE_NHEIGHT]) {
  double pts[GLE_NHEIGHT][2], sum = 0.0;
  gle_height_points(bs->pos, bs->yaw, pts);
  for (int k = 0; k < GLE_NHEIGHT; ++k) {
    h[k] = gle_terrain_height(e, pts[k][0], pts[k][1]);
    sum += h[k];
  }
  return sum / GLE_NHEIGHT;
}

gl_err gle_agent_observe(gle_agent *a, float obs[GLE_OBS_FULL]) {
  const gle_env *e = a->env;
  const mjData *d = a->d;
  gle_base_state bs;
  gle_base_state_get(e, d, &bs);
  double o[GLE_OBS_FULL], h[GLE_NHEIGHT];
  for (int i = 0; i < 3; ++i) {
    o[i] = bs.lin_vel_b[i] * GLE_S_LIN;
    o[3 + i] = bs.ang_vel_b[i] * GLE_S_ANG;
    o[6 + i] = bs.grav_b[i];
  }
  o[9] = a->b.cmd[0] * gle_cmd_scale[0];
  o[10] = a->b.cmd[1] * gle_cmd_scale[1];
  o[11] = a->b.r * gle_cmd_scale[2];
  for (int j = 0; j < GLE_NJ; ++j) {
    o[12 + j] = d->qpos[e->qadr[j]]; /* absolute, not relative to the default pose */
    o[24 + j] = d->qvel[e->dadr[j]] * GLE_S_DOFV;
    o[176 + j] = a->b.prev_action[j];
  }
  gle_scan_mean(e, &bs, h);
  for (int k = 0; k < GLE_NHEIGHT; ++k)
    o[36 + k] = gle_clamp(bs.pos[2] - 0.5 - h[k], -1.0, 1.0) * GLE_S_HEIGHT;
  if (e->task.obs_noise) {
    for (int i = 0; i < GLE_OBS_FULL; ++i) {
      double amp = gle_noise_amp(i);
      if (amp > 0.0) o[i] += (2.0 * glr_uniform(&a->s_noise) - 1.0) * amp * e->task.noise_level;
    }
  }
  for (int i = 0; i < GLE_OBS_FULL; ++i) obs[i] = (float)o[i];
  return GL_OK;
}

/* ---- step ---------------------------------------------------------------------------- */
typedef struct gle_sub_args {
  gle_agent *a;
  const float *action;
  double tau[GLE_NJ];
  int bad;
} gle_sub_args;

static int gle_state_finite(const mjModel *m, const mjData *d) {
  for (int i = 0; i < m->nq; ++i)
    if (!isfinite(d->qpos[i])) return 0;
  for (int i = 0; i < m->nv; ++i)
    if (!isfinite(d->qvel[i])) return 0;
  return 1;
}

static int gle_bad_count(const mjData *d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number;
}

/* The base force of one substep: the body-frame force rotated into the world by the current
 * base orientation (so it turns with the robot), at the base's centre of mass; zero again
 * once its substeps are used up. */
static void gle_force_substep(gle_agent *a) {
  mjData *d = a->d;
  double *f = d->xfrc_applied + 6 * a->env->base_body;
  double q[4] = {d->qpos[3], d->qpos[4], d->qpos[5], d->qpos[6]};
  mju_normalize4(q);
  mju_rotVecQuat(f, a->force_b, q);
  f[3] = f[4] = f[5] = 0.0;
  a->force_substeps--;
  a->force_on = 1;
}

static void gle_substeps_fn(void *p) {
  gle_sub_args *s = p;
  gle_agent *a = s->a;
  const gle_env *e = a->env;
  const gle_task *t = &e->task;
  mjModel *m = a->m;
  mjData *d = a->d;
  gle_agent_bind(a);
  int bad0 = gle_bad_count(d);
  for (int k = 0; k < t->decimation; ++k) {
    for (int j = 0; j < GLE_NJ; ++j) {
      s->tau[j] = gle_pd_torque(t, j, s->action[j], d->qpos[e->qadr[j]], d->qvel[e->dadr[j]]);
      d->ctrl[e->act[j]] = s->tau[j];
    }
    if (a->force_substeps > 0) {
      gle_force_substep(a);
    } else if (a->force_on) {
      memset(d->xfrc_applied + 6 * e->base_body, 0, 6 * sizeof(mjtNum));
      a->force_on = 0;
    }
    mj_step(m, d);
    /* MuJoCo resets mjData itself on bad qacc; stop so the caller sees the flag. */
    if (gle_bad_count(d) != bad0 || !gle_state_finite(m, d)) {
      s->bad = 1;
      return;
    }
  }
  if (t->extra_substep) { /* quirk Q1: one more step with the last torque held */
    mj_step(m, d);
    if (gle_bad_count(d) != bad0 || !gle_state_finite(m, d)) s->bad = 1;
  }
}

static int gle_warning_total(const mjData *d) {
  int n = 0;
  for (int i = 0; i < mjNWARNING; ++i) n += d->warning[i].number;
  return n;
}

void gle_agent_apply_force(gle_agent *a, const double f_body[3], int substeps) {
  memcpy(a->force_b, f_body, sizeof a->force_b);
  a->force_substeps = substeps > 0 ? substeps : 0;
}

double gle_agent_weight(const gle_agent *a) {
  const mjModel *m = a->m;
  return mj_getTotalmass((mjModel *)m) * mju_norm3(m->opt.gravity);
}

void gle_agent_push(gle_agent *a, double vx, double vy) {
  a->d->qvel[0] = vx;
  a->d->qvel[1] = vy;
}

gl_err gle_agent_step(gle_agent *a, const float action[GLE_NJ], gle_step_info *info) {
  const gle_env *e = a->env;
  const gle_task *t = &e->task;
  mjData *d = a->d;
  for (int j = 0; j < GLE_NJ; ++j)
    if (!isfinite(action[j]))
      return gl_error(GL_ERR_NUMERIC, "env: non-finite action[%d] for agent %llu", j,
                      (unsigned long long)a->index);
  memset(info, 0, sizeof *info);
  int warn0 = gle_warning_total(d);
  gle_sub_args sa = {a, action, {0}, 0};
  GL_CALL(gle_mj_guard(gle_substeps_fn, &sa));
  a->b.steps++;
  a->b.total_steps++;
  info->warnings = gle_warning_total(d) - warn0;
  info->nonfinite = sa.bad;

  /* Push on the agent's own lifetime step clock: agents created together are pushed
   * together, as with Isaac's global counter (Q6). */
  if (t->push_interval > 0 && a->b.total_steps % t->push_interval == 0) {
    double vx = glr_uniform_range(&a->s_push, -t->push_vel, t->push_vel);
    double vy = glr_uniform_range(&a->s_push, -t->push_vel, t->push_vel);
    gle_agent_push(a, vx, vy);
  }

  gle_base_state bs;
  gle_base_state_get(e, d, &bs);
  gle_update_heading(a, &bs);
  gle_contacts c;
  gle_contacts_get(e, a->m, d, &c);

  gle_reward_in in;
  memset(&in, 0, sizeof in);
  in.cmd[0] = a->b.cmd[0];
  in.cmd[1] = a->b.cmd[1];
  in.cmd[2] = a->b.r;
  memcpy(in.lin_vel_b, bs.lin_vel_b, sizeof in.lin_vel_b);
  memcpy(in.ang_vel_b, bs.ang_vel_b, sizeof in.ang_vel_b);
  memcpy(in.grav_b, bs.grav_b, sizeof in.grav_b);
  double h[GLE_NHEIGHT];
  in.base_height = bs.pos[2] - gle_scan_mean(e, &bs, h);
  for (int j = 0; j < GLE_NJ; ++j) {
    in.torque[j] = sa.tau[j];
    in.qd[j] = d->qvel[e->dadr[j]];
    in.prev_qd[j] = a->b.prev_qd[j];
    in.action[j] = action[j];
    in.prev_action[j] = a->b.prev_action[j];
  }
  int contact[GLE_NLEG];
  for (int l = 0; l < GLE_NLEG; ++l) {
    contact[l] = c.foot_force[l][2] > 1.0;
    in.knee_contacts += mju_norm3(c.knee_force[l]) > 1.0;
  }
  gle_air_time_update(a->b.air_time, contact, e->policy_dt, in.first_contact, in.air_time);
  double terms[GLE_R_NTERMS];
  double total = gle_reward_compute(t, e->policy_dt, &in, terms);

  info->terminated = mju_norm3(c.base_force) > 1.0;
  /* Isaac: reset when progress >= max_episode_length - 1, i.e. 999 steps of a 1000-step
   * (20 s) episode. */
  info->timed_out = a->b.steps >= t->episode_steps - 1;
  if (info->nonfinite) total = 0.0;
  info->reward = (float)total;
  for (int k = 0; k < GLE_R_NTERMS; ++k) info->reward_terms[k] = info->nonfinite ? 0.0f : (float)terms[k];
  for (int j = 0; j < GLE_NJ; ++j) info->torque[j] = (float)sa.tau[j];
  for (int l = 0; l < GLE_NLEG; ++l) info->foot_force[gle_leg_to_rec(l)] = (float)c.foot_force[l][2];
  for (int i = 0; i < 3; ++i) {
    info->base_pos[i] = (float)bs.pos[i];
    info->base_lin_vel[i] = (float)bs.lin_vel_b[i];
    info->base_ang_vel[i] = (float)bs.ang_vel_b[i];
    info->command[i] = (float)in.cmd[i];
  }
  for (int i = 0; i < 4; ++i) info->base_quat[i] = (float)bs.quat[i];

  for (int j = 0; j < GLE_NJ; ++j) {
    a->b.prev_action[j] = action[j];
    a->b.prev_qd[j] = d->qvel[e->dadr[j]];
  }
  return GL_OK;
}

/* ---- checkpoint state ---------------------------------------------------------------- */
#define GLE_STATE_MAGIC 0x41454c47u /* "GLEA" */
#define GLE_STATE_VERSION 1u

typedef struct gle_state_hdr {
  uint32_t magic, version;
  int32_t nq, nv, nu, na;
  uint64_t seed, index;
  uint64_t pos_pose, pos_friction, pos_noise, pos_push;
  double time;
} gle_state_hdr;

static size_t gle_state_ndoubles(const mjModel *m) {
  /* qpos, qvel, act, ctrl, qacc_warmstart (the solver's warm start makes the next step
   * bitwise dependent on it) */
  return (size_t)(m->nq + m->nv + m->na + m->nu + m->nv);
}

static size_t gle_state_base_size(const gle_agent *a) {
  return sizeof(gle_state_hdr) + sizeof(gle_book) + gle_state_ndoubles(a->m) * sizeof(double);
}

/* Curriculum agents append their level; plane/rough records are unchanged so older
 * checkpoints still load. */
size_t gle_agent_state_size(const gle_agent *a) {
  return gle_state_base_size(a) +
         (a->env->task.terrain == GLE_TERRAIN_CURRICULUM ? sizeof(int64_t) : 0);
}

gl_err gle_agent_state_save(const gle_agent *a, void *buf) {
  const mjModel *m = a->m;
  const mjData *d = a->d;
  gle_state_hdr h = {GLE_STATE_MAGIC, GLE_STATE_VERSION, m->nq, m->nv, m->nu, m->na,
                     a->seed, a->index, glr_position(&a->s_pose), glr_position(&a->s_friction),
                     glr_position(&a->s_noise), glr_position(&a->s_push), d->time};
  unsigned char *p = buf;
  memcpy(p, &h, sizeof h), p += sizeof h;
  memcpy(p, &a->b, sizeof a->b), p += sizeof a->b;
  memcpy(p, d->qpos, sizeof(double) * m->nq), p += sizeof(double) * m->nq;
  memcpy(p, d->qvel, sizeof(double) * m->nv), p += sizeof(double) * m->nv;
  if (m->na) memcpy(p, d->act, sizeof(double) * m->na), p += sizeof(double) * m->na;
  memcpy(p, d->ctrl, sizeof(double) * m->nu), p += sizeof(double) * m->nu;
  memcpy(p, d->qacc_warmstart, sizeof(double) * m->nv), p += sizeof(double) * m->nv;
  if (a->env->task.terrain == GLE_TERRAIN_CURRICULUM) {
    int64_t level = a->level;
    memcpy(p, &level, sizeof level);
  }
  return GL_OK;
}

gl_err gle_agent_state_load(gle_agent *a, const void *buf) {
  const mjModel *m = a->m;
  mjData *d = a->d;
  gle_state_hdr h;
  const unsigned char *p = buf;
  memcpy(&h, p, sizeof h), p += sizeof h;
  if (h.magic != GLE_STATE_MAGIC || h.version != GLE_STATE_VERSION)
    return gl_error(GL_ERR_INPUT, "env: agent state has bad magic/version (%08x/%u)", h.magic,
                    h.version);
  if (h.nq != m->nq || h.nv != m->nv || h.nu != m->nu || h.na != m->na)
    return gl_error(GL_ERR_INPUT, "env: agent state is for another model (nq %d nv %d nu %d)",
                    h.nq, h.nv, h.nu);
  if (h.seed != a->seed || h.index != a->index)
    return gl_error(GL_ERR_INPUT,
                    "env: agent state belongs to (seed %llu, index %llu), not (%llu, %llu)",
                    (unsigned long long)h.seed, (unsigned long long)h.index,
                    (unsigned long long)a->seed, (unsigned long long)a->index);
  gle_book b;
  memcpy(&b, p, sizeof b), p += sizeof b;
  if (b.friction != a->b.friction)
    return gl_error(GL_ERR_INPUT, "env: agent state friction %g differs from the agent's %g",
                    b.friction, a->b.friction);
  int64_t level = 0;
  if (a->env->task.terrain == GLE_TERRAIN_CURRICULUM) {
    memcpy(&level, (const unsigned char *)buf + gle_state_base_size(a), sizeof level);
    if (level < 0 || level >= GLE_CUR_LEVELS)
      return gl_error(GL_ERR_INPUT, "env: agent state terrain level %lld out of range",
                      (long long)level);
  }
  mj_resetData(m, d);
  a->b = b;
  gle_agent_place(a, (int)level);
  memcpy(d->qpos, p, sizeof(double) * m->nq), p += sizeof(double) * m->nq;
  memcpy(d->qvel, p, sizeof(double) * m->nv), p += sizeof(double) * m->nv;
  if (m->na) memcpy(d->act, p, sizeof(double) * m->na), p += sizeof(double) * m->na;
  memcpy(d->ctrl, p, sizeof(double) * m->nu), p += sizeof(double) * m->nu;
  memcpy(d->qacc_warmstart, p, sizeof(double) * m->nv);
  d->time = h.time;
  glr_seek(&a->s_pose, h.pos_pose);
  glr_seek(&a->s_friction, h.pos_friction);
  glr_seek(&a->s_noise, h.pos_noise);
  glr_seek(&a->s_push, h.pos_push);
  /* Derived quantities (contacts, xpos) for observers. mj_forward overwrites
   * qacc_warmstart and renormalises the free joint's quaternion inside qpos (last-bit
   * changes that grow to 1e-13 within a few steps), so both are restored afterwards to keep
   * a resumed run bitwise identical to an uninterrupted one. */
  double ws[64], qpos[64];
  if (m->nq > 64 || m->nv > 64)
    return gl_error(GL_ERR_INPUT, "model too large for state restore (nq %d, nv %d; at most 64)", m->nq, m->nv);
  memcpy(ws, d->qacc_warmstart, sizeof(double) * m->nv);
  memcpy(qpos, d->qpos, sizeof(double) * m->nq);
  GL_CALL(gle_mj_guard(gle_forward_fn, a));
  memcpy(d->qacc_warmstart, ws, sizeof(double) * m->nv);
  memcpy(d->qpos, qpos, sizeof(double) * m->nq);
  return GL_OK;
}
