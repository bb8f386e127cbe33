/* The immutable part of the task: parameters, compiled model, resolved ids, MuJoCo error
 * plumbing. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env/env_internal.h"
#include "gaitlab/core.h"

/* Isaac joint order; the MJCF declares legs in this order, but we resolve by name so a
 * model with another declaration order still maps correctly. */
static const char *const gle_joint_names[GLE_NJ] = {
    "LF_HAA", "LF_HFE", "LF_KFE", "LH_HAA", "LH_HFE", "LH_KFE",
    "RF_HAA", "RF_HFE", "RF_KFE", "RH_HAA", "RH_HFE", "RH_KFE"};
static const char *const gle_leg_names[GLE_NLEG] = {"LF", "LH", "RF", "RH"};

void gle_task_defaults(gle_task *t) {
  memset(t, 0, sizeof *t);
  t->model_path = NULL;
  t->timestep = 0.005;
  t->decimation = 4;
  t->extra_substep = 0;
  t->kp = 80.0;
  t->kd = 2.0;
  t->action_scale = 0.5;
  t->torque_limit = 80.0;
  static const double q0[GLE_NJ] = {0.03, 0.4, -0.8, 0.03, -0.4, 0.8,
                                    -0.03, 0.4, -0.8, -0.03, -0.4, 0.8};
  memcpy(t->default_q, q0, sizeof q0);
  t->episode_steps = 1000;
  t->obs_noise = 1;
  t->noise_level = 1.0;
  /* Authors: robot mu ~ U(0.5, 1.25) against terrain 1.0 under PhysX's (assumed) average
   * rule, i.e. effective mu in [0.75, 1.125]. MuJoCo gets the effective value directly. */
  t->friction_lo = 0.75;
  t->friction_hi = 1.125;
  t->push_interval = 750;
  t->push_vel = 1.0;
  t->heading_command = 1;
  double *s = t->reward_scale;
  s[GLE_R_LIN_VEL] = 1.0;
  s[GLE_R_ANG_VEL] = 0.5;
  s[GLE_R_LIN_VEL_Z] = -4.0;
  s[GLE_R_ANG_VEL_XY] = -0.05;
  s[GLE_R_ORIENT] = 0.0;
  s[GLE_R_BASE_HEIGHT] = 0.0;
  s[GLE_R_TORQUE] = -2e-5;
  s[GLE_R_JOINT_ACC] = -5e-4;
  s[GLE_R_AIR_TIME] = 1.0;
  s[GLE_R_COLLISION] = -0.25;
  s[GLE_R_ACTION_RATE] = -0.01;
  t->base_height_target = 0.52;
  t->terrain = GLE_TERRAIN_PLANE;
  t->terrain_seed = 0;
  t->terrain_amp = 0.1;
  t->init_q_lo = 0.5;
  t->init_q_hi = 1.5;
  t->init_qd = 0.1;
  t->spawn_xy = 0.5;
  t->curriculum_envs = 20;
  t->curriculum_wrap = 1;
}

/* ---- the task keys ------------------------------------------------------------------ */

void gle_task_keys_defaults(gle_task_keys *k) {
  gle_task t;
  gle_task_defaults(&t);
  static double friction[2], init_q[2];
  friction[0] = t.friction_lo, friction[1] = t.friction_hi;
  init_q[0] = t.init_q_lo, init_q[1] = t.init_q_hi;
  memset(k, 0, sizeof *k);
  k->model = (char *)t.model_path;
  k->timestep = t.timestep;
  k->decimation = t.decimation;
  k->extra_substep = t.extra_substep;
  k->episode_steps = t.episode_steps;
  k->obs_noise = t.obs_noise;
  k->noise_level = t.noise_level;
  k->friction = (glc_reals){friction, 2};
  k->init_q = (glc_reals){init_q, 2};
  k->init_qd = t.init_qd;
  k->spawn_xy = t.spawn_xy;
}

static gl_err gle_check_pair(const glc_doc *doc, const char *prefix, const char *name,
                             const glc_reals *r) {
  if (r->n == 2 && r->v[0] <= r->v[1]) return GL_OK;
  char path[256], mark[512];
  snprintf(path, sizeof path, "%s.%s", prefix, name);
  return gl_error(GL_ERR_INPUT, "%s: %s: expected [lo, hi] with lo <= hi",
                  glc_doc_mark(doc, path, mark, sizeof mark), path);
}

gl_err gle_task_keys_check(const glc_doc *doc, const char *prefix, const gle_task_keys *k) {
  GL_CALL(gle_check_pair(doc, prefix, "friction", &k->friction));
  return gle_check_pair(doc, prefix, "init_q", &k->init_q);
}

void gle_task_apply_keys(const gle_task_keys *k, gle_task *t) {
  t->model_path = k->model;
  t->timestep = k->timestep;
  t->decimation = k->decimation;
  t->extra_substep = k->extra_substep;
  t->episode_steps = k->episode_steps;
  t->obs_noise = k->obs_noise;
  t->noise_level = k->noise_level;
  t->friction_lo = k->friction.v[0];
  t->friction_hi = k->friction.v[1];
  t->init_q_lo = k->init_q.v[0];
  t->init_q_hi = k->init_q.v[1];
  t->init_qd = k->init_qd;
  t->spawn_xy = k->spawn_xy;
}

/* ---- MuJoCo error plumbing ------------------------------------------------------------
 * MuJoCo 2.2.2 calls exit() after mju_error unless a user handler is set, and its code
 * after mju_error is not written to continue. So the handler longjmps back to the guard
 * that armed it; with no guard armed it can only record the message. */
static _Thread_local jmp_buf *gle_jmp_ = NULL;
static _Thread_local char gle_mjmsg_[1024];
static _Thread_local long gle_nwarn_ = 0;

static void gle_on_mj_error(const char *msg) {
  snprintf(gle_mjmsg_, sizeof gle_mjmsg_, "%s", msg ? msg : "(null)");
  if (gle_jmp_) longjmp(*gle_jmp_, 1);
}

static void gle_on_mj_warning(const char *msg) {
  /* Counted per step from mjData.warning; the text is kept, never printed by the library. */
  snprintf(gle_mjmsg_, sizeof gle_mjmsg_, "%s", msg ? msg : "(null)");
  gle_nwarn_++;
}

void gle_mj_handlers_install(void) {
  mju_user_error = gle_on_mj_error;
  mju_user_warning = gle_on_mj_warning;
}

gl_err gle_mj_guard(void (*fn)(void *), void *arg) {
  jmp_buf jb;
  jmp_buf *outer = gle_jmp_;
  if (setjmp(jb)) {
    gle_jmp_ = outer;
    /* MuJoCo's allocation failure is a memory error like any other (exit 5) */
    gl_err code = strstr(gle_mjmsg_, "allocate") ? GL_ERR_NOMEM : GL_ERR_LIB;
    return gl_error(code, "MuJoCo error: %s", gle_mjmsg_);
  }
  gle_jmp_ = &jb;
  fn(arg);
  gle_jmp_ = outer;
  return GL_OK;
}

/* ---- model loading ------------------------------------------------------------------- */
typedef struct gle_load_args {
  const char *path;
  char *err;
  int errlen;
  mjModel *m;
} gle_load_args;

static void gle_load_fn(void *p) {
  gle_load_args *a = p;
  a->m = mj_loadXML(a->path, NULL, a->err, a->err ? a->errlen : 0);
}

static gl_err gle_find(const mjModel *m, int type, const char *name, int *id) {
  *id = mj_name2id(m, type, name);
  if (*id < 0) return gl_error(GL_ERR_INPUT, "model lacks %s '%s'", mju_type2Str(type), name);
  return GL_OK;
}

static gl_err gle_check_task(const gle_task *t) {
  if (!(t->timestep > 0 && t->timestep <= 0.05))
    return gl_error(GL_ERR_INPUT, "env: timestep %g out of range (0, 0.05]", t->timestep);
  if (t->decimation < 1 || t->decimation > 100)
    return gl_error(GL_ERR_INPUT, "env: decimation %d out of range [1, 100]", t->decimation);
  if (t->episode_steps < 2)
    return gl_error(GL_ERR_INPUT, "env: episode_steps %d must be >= 2", t->episode_steps);
  if (!(t->friction_lo > 0 && t->friction_hi >= t->friction_lo))
    return gl_error(GL_ERR_INPUT, "env: friction range [%g, %g] invalid", t->friction_lo,
                    t->friction_hi);
  if (!(t->torque_limit > 0))
    return gl_error(GL_ERR_INPUT, "env: torque_limit %g must be > 0", t->torque_limit);
  if (t->push_interval < 0)
    return gl_error(GL_ERR_INPUT, "env: push_interval %d must be >= 0", t->push_interval);
  if (!(t->init_q_hi >= t->init_q_lo) || t->init_qd < 0 || t->spawn_xy < 0)
    return gl_error(GL_ERR_INPUT, "env: invalid reset randomisation ranges");
  if (t->terrain != GLE_TERRAIN_PLANE && t->terrain != GLE_TERRAIN_ROUGH &&
      t->terrain != GLE_TERRAIN_CURRICULUM)
    return gl_error(GL_ERR_INPUT, "env: unknown terrain kind %d", (int)t->terrain);
  if (t->terrain == GLE_TERRAIN_CURRICULUM && t->curriculum_envs < 1)
    return gl_error(GL_ERR_INPUT, "env: curriculum_envs %d must be >= 1", t->curriculum_envs);
  return GL_OK;
}

static gl_err gle_resolve(gle_env *e) {
  const mjModel *m = e->m;
  if (m->nq != 19 || m->nv != 18 || m->nu != GLE_NJ)
    return gl_error(GL_ERR_INPUT, "model %s: expected nq 19, nv 18, nu 12; got %d, %d, %d",
                    e->model_path, m->nq, m->nv, m->nu);
  for (int j = 0; j < GLE_NJ; ++j) {
    int jid, aid;
    GL_CALL(gle_find(m, mjOBJ_JOINT, gle_joint_names[j], &jid));
    GL_CALL(gle_find(m, mjOBJ_ACTUATOR, gle_joint_names[j], &aid));
    if (m->jnt_type[jid] != mjJNT_HINGE)
      return gl_error(GL_ERR_INPUT, "joint %s is not a hinge", gle_joint_names[j]);
    if (m->actuator_trntype[aid] != mjTRN_JOINT || m->actuator_trnid[2 * aid] != jid)
      return gl_error(GL_ERR_INPUT, "actuator %s does not drive joint %s", gle_joint_names[j],
                      gle_joint_names[j]);
    e->qadr[j] = m->jnt_qposadr[jid];
    e->dadr[j] = m->jnt_dofadr[jid];
    e->act[j] = aid;
  }
  int root;
  GL_CALL(gle_find(m, mjOBJ_BODY, "base", &e->base_body));
  GL_CALL(gle_find(m, mjOBJ_JOINT, "root", &root));
  if (m->jnt_type[root] != mjJNT_FREE || m->jnt_qposadr[root] != 0)
    return gl_error(GL_ERR_INPUT, "joint 'root' must be the first joint and free");
  GL_CALL(gle_find(m, mjOBJ_GEOM, "base", &e->base_geom));
  GL_CALL(gle_find(m, mjOBJ_GEOM, e->task.terrain == GLE_TERRAIN_PLANE ? "floor" : "terrain",
                   &e->terrain_geom));
  GL_CALL(GL_ALLOC(e->geom_role, m->ngeom));
  GL_CALL(GL_ALLOC(e->geom_leg, m->ngeom));
  for (int g = 0; g < m->ngeom; ++g) e->geom_leg[g] = -1;
  e->geom_role[e->base_geom] = GLE_GEOM_BASE;
  e->geom_role[e->terrain_geom] = GLE_GEOM_TERRAIN;
  e->nrobot_geoms = 0;
  e->robot_geoms[e->nrobot_geoms++] = e->base_geom;
  for (int l = 0; l < GLE_NLEG; ++l) {
    char name[32];
    snprintf(name, sizeof name, "%s_KNEE", gle_leg_names[l]);
    GL_CALL(gle_find(m, mjOBJ_GEOM, name, &e->knee_geom[l]));
    snprintf(name, sizeof name, "%s_FOOT", gle_leg_names[l]);
    GL_CALL(gle_find(m, mjOBJ_GEOM, name, &e->foot_geom[l]));
    e->geom_role[e->knee_geom[l]] = GLE_GEOM_KNEE;
    e->geom_role[e->foot_geom[l]] = GLE_GEOM_FOOT;
    e->geom_leg[e->knee_geom[l]] = (signed char)l;
    e->geom_leg[e->foot_geom[l]] = (signed char)l;
    e->robot_geoms[e->nrobot_geoms++] = e->knee_geom[l];
    e->robot_geoms[e->nrobot_geoms++] = e->foot_geom[l];
  }
  return GL_OK;
}

gl_err gle_env_create(gle_env **out, const gle_task *task) {
  gl_err err = GL_OK;
  gle_env *e = NULL;
  *out = NULL;
  GL_CALL(gle_check_task(task));
  GL_CALL(GL_ALLOC(e, 1));
  e->task = *task;
  if (task->model_path && task->model_path[0]) {
    snprintf(e->model_path, sizeof e->model_path, "%s", task->model_path);
  } else {
    const char *model = task->terrain == GLE_TERRAIN_ROUGH        ? "models/anymal_c_terrain.xml"
                        : task->terrain == GLE_TERRAIN_CURRICULUM ? "models/anymal_c_curriculum.xml"
                                                                  : "models/anymal_c.xml";
    GL_GOTO(err, gl_resource_path(model, e->model_path, sizeof e->model_path), fail);
  }
  e->task.model_path = e->model_path;

  gle_mj_handlers_install();
  char lerr[1024] = "";
  gle_load_args la = {e->model_path, lerr, (int)sizeof lerr, NULL};
  GL_GOTO(err, gle_mj_guard(gle_load_fn, &la), fail);
  if (!la.m) {
    err = gl_error(GL_ERR_INPUT, "cannot load model %s: %s", e->model_path, lerr);
    goto fail;
  }
  e->m = la.m;
  e->m->opt.timestep = task->timestep;
  for (int j = 0; j < e->m->nu; ++j) {
    /* The PD clip is the torque limit; keep MuJoCo's own clamp from binding first. */
    e->m->actuator_ctrllimited[j] = 1;
    e->m->actuator_ctrlrange[2 * j] = -task->torque_limit;
    e->m->actuator_ctrlrange[2 * j + 1] = task->torque_limit;
  }
  GL_GOTO(err, gle_resolve(e), fail);
  e->policy_dt = task->decimation * task->timestep;
  if (task->terrain == GLE_TERRAIN_ROUGH) GL_GOTO(err, gle_terrain_build(e), fail);
  if (task->terrain == GLE_TERRAIN_CURRICULUM) GL_GOTO(err, gle_terrain_build_curriculum(e), fail);
  *out = e;
  return GL_OK;
fail:
  gle_env_destroy(e);
  return err;
}

void gle_env_destroy(gle_env *e) {
  if (!e) return;
  if (e->m) mj_deleteModel(e->m);
  free(e->geom_role);
  free(e->geom_leg);
  if (e->hmap) {
    free(e->hmap->h);
    free(e->hmap);
  }
  free(e);
}

const gle_task *gle_env_task(const gle_env *e) { return &e->task; }
const void *gle_env_mjmodel(const gle_env *e) { return e->m; }
