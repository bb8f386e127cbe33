/* The ANYmal C task (gle_) behind the trainer's environment interface. Commands are drawn
 * here, at every reset, from the env's (seed, index, GLR_COMMAND) stream
 * (docs/task_and_training.md §5: only at episode reset); pushes, noise and the initial pose
 * live inside gle_agent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/train.h"

typedef struct anymal_ctx {
  gle_env *env;
  gle_agent **agents;
  glr_stream *cmd_rng;
  unsigned char *heading; /* [n] 1 = heading controller, 0 = constant yaw rate */
  glt_command_ranges cmd;
  int n;
  int64_t first; /* global index of local env 0 (for messages) */
} anymal_ctx;

/* The third metric exists on curriculum terrain only: the terrain level of the episode in
 * progress, whose per-step mean over the iteration is the mean level over envs. */
static const char *const anymal_metric_names[] = {"lin_vel_xy_error", "yaw_rate_error",
                                                  "terrain_level"};

/* One command component: uniform on [lo, hi), or on the lattice {lo, mid, hi} (each 1/3). */
static double anymal_draw(glr_stream *s, double lo, double hi, int lattice) {
  if (!lattice) return glr_uniform_range(s, lo, hi);
  double x = glr_uniform(s);
  return x < 1.0 / 3 ? lo : x < 2.0 / 3 ? 0.5 * (lo + hi) : hi;
}

static gl_err anymal_reset(void *vctx, int i) {
  anymal_ctx *c = vctx;
  glr_stream *s = &c->cmd_rng[i];
  const glt_command_ranges *r = &c->cmd;
  /* the draw happens only when the option is on, so runs without it keep their streams */
  int extreme = r->extreme_fraction > 0 && glr_uniform(s) < r->extreme_fraction;
  double cmd[3];
  cmd[0] = anymal_draw(s, r->u_lo, r->u_hi, extreme);
  cmd[1] = anymal_draw(s, r->v_lo, r->v_hi, extreme);
  cmd[2] = c->heading[i] ? glr_uniform_range(s, r->h_lo, r->h_hi)
                         : anymal_draw(s, r->r_lo, r->r_hi, extreme);
  return gle_agent_reset(c->agents[i], cmd);
}

static gl_err anymal_observe(void *vctx, int i, float *obs) {
  anymal_ctx *c = vctx;
  return gle_agent_observe(c->agents[i], obs);
}

/* No ANYmal moves its base at 50 m/s: beyond that the integration has blown up (a time step
 * too large for the PD gains, say), and training on it would silently learn from garbage with
 * every episode ending after a step or two. Stop instead, naming the settings. */
enum { ANYMAL_MAX_BASE_SPEED = 50 };

static gl_err anymal_check_physics(const anymal_ctx *c, int i, const gle_step_info *info) {
  const float *v = info->base_lin_vel;
  const double speed = sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
  if (!(speed > ANYMAL_MAX_BASE_SPEED)) return GL_OK; /* NaN is the invalid-step path */
  const gle_task *t = gle_env_task(c->env);
  return gl_error(GL_ERR_NUMERIC, "env %lld: base speed %.0f m/s after a policy step: the physics "
                  "blew up (env.timestep = %g s, env.decimation = %d); allowed: a stable "
                  "integration with base speeds under %d m/s (the task's own timestep is 0.005 s)",
                  (long long)(c->first + i), speed, t->timestep, t->decimation, ANYMAL_MAX_BASE_SPEED);
}

static gl_err anymal_step(void *vctx, int i, const float *action, glt_step_result *r) {
  anymal_ctx *c = vctx;
  gle_step_info info;
  GL_CALL(gle_agent_step(c->agents[i], action, &info));
  GL_CALL(anymal_check_physics(c, i, &info));
  r->reward = info.reward;
  r->terminated = info.terminated;
  r->timed_out = info.timed_out;
  r->invalid = info.nonfinite;
  double ex = info.command[0] - info.base_lin_vel[0], ey = info.command[1] - info.base_lin_vel[1];
  r->metric[0] = (float)sqrt(ex * ex + ey * ey);
  r->metric[1] = (float)fabs(info.command[2] - info.base_ang_vel[2]);
  r->metric[2] = (float)gle_agent_terrain_level(c->agents[i]);
  return GL_OK;
}

static size_t anymal_state_size(void *vctx, int i) {
  anymal_ctx *c = vctx;
  return gle_agent_state_size(c->agents[i]) + sizeof(uint64_t);
}

static gl_err anymal_state_save(void *vctx, int i, void *buf) {
  anymal_ctx *c = vctx;
  GL_CALL(gle_agent_state_save(c->agents[i], buf));
  uint64_t pos = glr_position(&c->cmd_rng[i]);
  memcpy((unsigned char *)buf + gle_agent_state_size(c->agents[i]), &pos, sizeof pos);
  return GL_OK;
}

static gl_err anymal_state_load(void *vctx, int i, const void *buf) {
  anymal_ctx *c = vctx;
  GL_CALL(gle_agent_state_load(c->agents[i], buf));
  uint64_t pos;
  memcpy(&pos, (const unsigned char *)buf + gle_agent_state_size(c->agents[i]), sizeof pos);
  glr_seek(&c->cmd_rng[i], pos);
  return GL_OK;
}

static const glt_env_ops anymal_ops = {
    GLE_OBS_FULL, GLE_NJ, 2, anymal_metric_names, anymal_reset, anymal_observe, anymal_step,
    anymal_state_size, anymal_state_save, anymal_state_load};
static const glt_env_ops anymal_curriculum_ops = {
    GLE_OBS_FULL, GLE_NJ, 3, anymal_metric_names, anymal_reset, anymal_observe, anymal_step,
    anymal_state_size, anymal_state_save, anymal_state_load};

static void anymal_free(anymal_ctx *c) {
  if (!c) return;
  for (int i = 0; i < c->n; ++i) gle_agent_destroy(c->agents ? c->agents[i] : NULL);
  free(c->agents);
  free(c->cmd_rng);
  free(c->heading);
  gle_env_destroy(c->env);
  free(c);
}

gl_err glt_anymal_create(glt_env *env, const gle_task *task, const glt_command_ranges *cmd,
                         uint64_t seed, int64_t first, int n) {
  memset(env, 0, sizeof *env);
  anymal_ctx *c = NULL;
  GL_CALL(GL_ALLOC(c, 1));
  gl_err err = GL_OK;
  c->cmd = *cmd;
  GL_GOTO(err, gle_env_create(&c->env, task), fail);
  GL_GOTO(err, GL_ALLOC(c->agents, n ? n : 1), fail);
  GL_GOTO(err, GL_ALLOC(c->cmd_rng, n ? n : 1), fail);
  GL_GOTO(err, GL_ALLOC(c->heading, n ? n : 1), fail);
  for (int i = 0; i < n; ++i) {
    c->first = first;
    GL_GOTO(err, gle_agent_create(&c->agents[i], c->env, seed, (uint64_t)(first + i)), fail);
    c->n = i + 1;
    glr_init(&c->cmd_rng[i], seed, (uint64_t)(first + i), GLR_COMMAND);
    glr_stream mode;
    glr_init(&mode, seed, (uint64_t)(first + i), GLR_COMMAND_MODE);
    c->heading[i] = task->heading_command && glr_uniform(&mode) < cmd->heading_fraction;
    gle_agent_set_heading_mode(c->agents[i], c->heading[i]);
  }
  env->ops = task->terrain == GLE_TERRAIN_CURRICULUM ? &anymal_curriculum_ops : &anymal_ops;
  env->ctx = c;
  env->n = n;
  env->first = first;
  return GL_OK;
fail:
  anymal_free(c);
  return err;
}

void glt_anymal_destroy(glt_env *env) {
  if (!env) return;
  anymal_free(env->ctx);
  memset(env, 0, sizeof *env);
}

gle_agent *glt_anymal_agent(const glt_env *env, int i) {
  const anymal_ctx *c = env->ctx;
  return c && i >= 0 && i < c->n ? c->agents[i] : NULL;
}
