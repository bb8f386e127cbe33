/* The experiment driver: each rank simulates its fixed shard of agents in groups of
 * `batch` consecutive global indices, lock-step through the episode, and writes each group
 * collectively.
 *
 * Why groups are aligned to global indices (agent a sits in row a % batch of group
 * a / batch): batched BLAS inference is only guaranteed to give a row the same bits when
 * the call has the same shape and the row the same position. Aligning to global indices
 * makes both independent of where the rank boundaries fall, so the file is bitwise the
 * same for any rank count; rows of agents owned by another rank are computed on zeros and
 * discarded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "gaitlab/core.h"
#include "gaitlab/env.h"
#include "gaitlab/experiment.h"
#include "gaitlab/policy.h"
#include "gaitlab/recording.h"
#include "gaitlab/rng.h"
#include "run/run_internal.h"

/* Everything one group needs, allocated once per run and reused. */
typedef struct glx_group {
  int W, nwin;
  gle_agent **agent;       /* [W], NULL for rows not simulated */
  float *obs_raw;          /* [W][188] */
  float *obs_norm;         /* [W][actor_in] */
  float *h, *c;            /* [W][128] */
  float *mu;               /* [W][12] */
  glp_capture_f cap;       /* [W][dim] each */
  float *layer[GLIO_NLAYERS]; /* [W][nwin][dim] */
  glio_agent_row *row;     /* [W] */
  double *vel_sum;         /* [W][3] */
  int *nvalid;             /* [W] */
  int *alive;              /* [W] */
  int *rf_contact;         /* [W] RF foot in contact at the previous recorded step (-1 unknown) */
  int *rf_liftoffs;        /* [W] lift-offs seen in the window */
  int *f_contact;          /* [W] force disturbances: the foot in contact at the previous step */
  int *f_onset;            /* [W] policy step the force starts in; -1 not yet known */
  const glx_neural *neural; /* the neural: block (not owned) */
  int16_t *n_units;        /* [W][neural->width] units (or PCs) each row changes */
  int *n_count;            /* [W] how many */
  /* where this rank's time goes (s): physics (observe + step), inference (normaliser +
   * actor), copying samples into the recording buffers; the run's own profile */
  double t_phys, t_net, t_rec;
} glx_group;

static void glx_group_free(glx_group *g) {
  if (g->agent)
    for (int i = 0; i < g->W; ++i) gle_agent_destroy(g->agent[i]);
  free(g->agent);
  free(g->obs_raw);
  free(g->obs_norm);
  free(g->h);
  free(g->c);
  free(g->mu);
  free(g->cap.mlp);
  free(g->cap.h);
  free(g->cap.c);
  free(g->cap.gate_fc);
  free(g->cap.gate_ig);
  for (int i = 0; i < GLIO_NLAYERS; ++i) free(g->layer[i]);
  free(g->row);
  free(g->vel_sum);
  free(g->nvalid);
  free(g->alive);
  free(g->rf_contact);
  free(g->rf_liftoffs);
  free(g->f_contact);
  free(g->f_onset);
  free(g->n_units);
  free(g->n_count);
  memset(g, 0, sizeof *g);
}

/* Keep in step with glx_memory_need_. */
static gl_err glx_group_alloc(glx_group *g, const glx_config *cfg, int actor_in,
                              const glx_neural *neural) {
  const glio_layer_info *info = glio_layer_table();
  int W = cfg->batch;
  memset(g, 0, sizeof *g);
  g->W = W;
  g->nwin = cfg->record_stop - cfg->record_start;
  GL_CALL(GL_ALLOC(g->agent, W));
  GL_CALL(GL_ALLOC(g->obs_raw, (size_t)W * GLE_OBS_FULL));
  GL_CALL(GL_ALLOC(g->obs_norm, (size_t)W * actor_in));
  GL_CALL(GL_ALLOC(g->h, (size_t)W * GLP_LSTM));
  GL_CALL(GL_ALLOC(g->c, (size_t)W * GLP_LSTM));
  GL_CALL(GL_ALLOC(g->mu, (size_t)W * GLP_NACT));
  GL_CALL(GL_ALLOC(g->cap.mlp, (size_t)W * GLP_H2));
  GL_CALL(GL_ALLOC(g->cap.h, (size_t)W * GLP_LSTM));
  GL_CALL(GL_ALLOC(g->cap.c, (size_t)W * GLP_LSTM));
  GL_CALL(GL_ALLOC(g->cap.gate_fc, (size_t)W * GLP_LSTM));
  GL_CALL(GL_ALLOC(g->cap.gate_ig, (size_t)W * GLP_LSTM));
  for (int i = 0; i < GLIO_NLAYERS; ++i)
    if (cfg->layer_on[i]) GL_CALL(GL_ALLOC(g->layer[i], (size_t)W * g->nwin * info[i].dim));
  GL_CALL(GL_ALLOC(g->row, W));
  GL_CALL(GL_ALLOC(g->vel_sum, (size_t)W * 3));
  GL_CALL(GL_ALLOC(g->nvalid, W));
  GL_CALL(GL_ALLOC(g->alive, W));
  GL_CALL(GL_ALLOC(g->rf_contact, W));
  GL_CALL(GL_ALLOC(g->rf_liftoffs, W));
  GL_CALL(GL_ALLOC(g->f_contact, W));
  GL_CALL(GL_ALLOC(g->f_onset, W));
  g->neural = neural;
  GL_CALL(GL_ALLOC(g->n_units, (size_t)W * (neural->width > 0 ? neural->width : 1)));
  GL_CALL(GL_ALLOC(g->n_count, W));
  return GL_OK;
}

static void glx_task_from_config(const glx_config *cfg, gle_task *task);

/* Bytes of one rank (see glx_memory_plan), with the run's own env for the agents' size:
 * one group of `batch` agents at a time, its buffers and recording window, the completion
 * flags, and a margin for HDF5 and MPI-IO. */
static void glx_memory_need_(const glx_config *cfg, const gle_env *env, double *resident,
                             double *allocated, char *what, size_t len) {
  const glio_layer_info *info = glio_layer_table();
  const double W = cfg->batch, nwin = cfg->record_stop - cfg->record_start;
  double floats = 0; /* recorded per agent and window step */
  for (int i = 0; i < GLIO_NLAYERS; ++i)
    if (cfg->layer_on[i]) floats += info[i].dim;
  const double per_row = 4.0 * (2 * GLE_OBS_FULL + 6 * GLP_LSTM + GLP_NACT + GLP_H2) +
                         sizeof(glio_agent_row) + 64.0;
  size_t res = 0;
  const double alloc = (double)gle_agent_bytes(env, &res);
  const double rest = W * (per_row + 4.0 * nwin * floats) + (double)cfg->nagents + 32.0 * 1048576;
  *resident = W * (double)res + rest;
  *allocated = W * alloc + rest;
  if (what)
    snprintf(what, len, "gaitlab run (%d agents per batch x %.0f window steps x %.0f recorded floats, plus %.2g MB of physics per agent)",
             cfg->batch, nwin, floats, (double)res / 1e6);
}

gl_err glx_memory_plan(const glx_config *cfg, double *resident, double *allocated, char *what,
                       size_t len) {
  gle_task task;
  gle_env *env = NULL;
  glx_task_from_config(cfg, &task);
  GL_CALL(gle_env_create(&env, &task));
  glx_memory_need_(cfg, env, resident, allocated, what, len);
  gle_env_destroy(env);
  return GL_OK;
}

/* A bare name (no '/', no ".h5") is a shipped agent, policies/NAME.h5 ("default",
 * "seed_2", "action_feedback"); anything else is a path. */
gl_err glx_policy_path(const char *policy, char *path, size_t len) {
  const size_t n = strlen(policy);
  const int is_name = n > 0 && !strchr(policy, '/') && !(n > 3 && strcmp(policy + n - 3, ".h5") == 0);
  if (!is_name) {
    if (n >= len) return gl_error(GL_ERR_INPUT, "policy path is too long (%zu bytes)", n);
    snprintf(path, len, "%s", policy);
    return GL_OK;
  }
  char rel[512];
  if (n + 13 >= sizeof rel) return gl_error(GL_ERR_INPUT, "policy name is too long (%zu bytes)", n);
  snprintf(rel, sizeof rel, "policies/%s.h5", policy);
  if (gl_resource_path(rel, path, len) == GL_OK) return GL_OK;
  gl_error_clear();
  return gl_error(GL_ERR_INPUT, "policy '%s': no shipped agent policies/%s.h5 (a name under "
                  "policies/, a path to a policy file, or 'random')", policy, policy);
}

static gl_err glx_load_policy(const glx_config *cfg, MPI_Comm comm, glp_policy **out) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  *out = NULL;
  gl_err err = GL_OK;
  if (strcmp(cfg->policy, "random") == 0) {
    /* Untrained stand-in, identical on every rank because its weights come from the seed. */
    return gl_agree(comm, glp_policy_create(out, gle_policy_inputs(), GLE_OBS, GLE_OBS_FULL, (uint64_t)cfg->seed, 0.01, 0.0));
  }
  if (rank == 0) {
    char path[4096];
    err = glx_policy_path(cfg->policy, path, sizeof path);
    if (!err) err = glp_policy_load(out, path, gle_policy_inputs());
  }
  GL_CALL(gl_agree(comm, err));
  return gl_agree(comm, glp_policy_bcast(out, gle_policy_inputs(), 0, &comm));
}

/* Rank 0. Writing the output over the policy it was made from would destroy the policy (the
 * rename at the end replaces whatever file the path names). */
static gl_err glx_output_not_policy(const glx_config *cfg) {
  struct stat so, sp;
  char path[4096];
  if (strcmp(cfg->policy, "random") == 0 || stat(cfg->output, &so) != 0) return GL_OK;
  GL_CALL(glx_policy_path(cfg->policy, path, sizeof path));
  if (stat(path, &sp) == 0 && so.st_dev == sp.st_dev && so.st_ino == sp.st_ino)
    return gl_error(GL_ERR_INPUT, "output '%s' is the policy file '%s'; choose another output", cfg->output, path);
  return GL_OK;
}

static void glx_task_from_config(const glx_config *cfg, gle_task *task) {
  gle_task_defaults(task);
  gle_task_apply_keys(&cfg->task, task);
  task->push_interval = 0;   /* experiments push only as the perturbation block says */
  task->heading_command = 0; /* r is commanded directly (the authors' test mode) */
}

/* Record one step's values for row i at window index w. */
static void glx_record(glx_group *g, const glx_config *cfg, int i, int w, const gle_step_info *in) {
  const glio_layer_info *L = glio_layer_table();
#define PUT(lid, src)                                                          \
  do {                                                                         \
    if (g->layer[lid])                                                         \
      memcpy(g->layer[lid] + ((size_t)i * g->nwin + w) * L[lid].dim, (src),    \
             sizeof(float) * (size_t)L[lid].dim);                              \
  } while (0)
  PUT(GLIO_OBS, g->obs_raw + (size_t)i * GLE_OBS_FULL);
  PUT(GLIO_MLP, g->cap.mlp + (size_t)i * GLP_H2);
  PUT(GLIO_LSTM_H, g->cap.h + (size_t)i * GLP_LSTM);
  PUT(GLIO_LSTM_C, g->cap.c + (size_t)i * GLP_LSTM);
  PUT(GLIO_GATE_FC, g->cap.gate_fc + (size_t)i * GLP_LSTM);
  PUT(GLIO_GATE_IG, g->cap.gate_ig + (size_t)i * GLP_LSTM);
  PUT(GLIO_MU, g->mu + (size_t)i * GLP_NACT);
  PUT(GLIO_TORQUE, in->torque);
  PUT(GLIO_FOOT_FORCE, in->foot_force);
  PUT(GLIO_BASE_LIN_VEL, in->base_lin_vel);
  PUT(GLIO_BASE_ANG_VEL, in->base_ang_vel);
  PUT(GLIO_COMMAND, in->command);
  PUT(GLIO_BASE_POS, in->base_pos);
  PUT(GLIO_BASE_QUAT, in->base_quat);
#undef PUT
  (void)cfg;
}

/* Mark window samples w.. of row i invalid (NaN) after a fall. */
static void glx_invalidate(glx_group *g, int i, int w0) {
  const glio_layer_info *L = glio_layer_table();
  for (int l = 0; l < GLIO_NLAYERS; ++l) {
    if (!g->layer[l]) continue;
    float *p = g->layer[l] + ((size_t)i * g->nwin + w0) * L[l].dim;
    size_t n = (size_t)(g->nwin - w0) * L[l].dim;
    for (size_t k = 0; k < n; ++k) p[k] = NAN;
  }
}

static int glx_is_perturbed(const glx_config *cfg, int copy) {
  if (cfg->perturb_kind == GLX_PERTURB_NONE) return 0;
  return copy < (int)lround(cfg->perturb_fraction * cfg->copies);
}

/* Fault injection for the reliability tests, from $GAITLAB_FAULT:
 *   "nan:AGENT:STEP"   make agent AGENT's state non-finite at policy step STEP
 *   "error:RANK:BLOCK" make rank RANK fail before its block BLOCK (0-based)
 * Kept in the production binary so the tests exercise exactly what users run. */
typedef struct glx_fault {
  int kind; /* 0 none, 1 nan, 2 error */
  long long a, b;
} glx_fault;

static glx_fault glx_fault_from_env(void) {
  glx_fault f = {0, -1, -1};
  const char *s = getenv("GAITLAB_FAULT");
  if (!s) return f;
  if (sscanf(s, "nan:%lld:%lld", &f.a, &f.b) == 2) f.kind = 1;
  else if (sscanf(s, "error:%lld:%lld", &f.a, &f.b) == 2) f.kind = 2;
  return f;
}

/* Fresh agents for rows [lo, hi) of group gi, every other row emptied (the padding rows of
 * the batch rule stay zero). */
static gl_err glx_group_begin(const glx_config *cfg, const gle_env *env, glx_group *g, int64_t gi,
                              int lo, int hi) {
  const int W = g->W;
  memset(g->obs_raw, 0, sizeof(float) * (size_t)W * GLE_OBS_FULL);
  memset(g->h, 0, sizeof(float) * (size_t)W * GLP_LSTM);
  memset(g->c, 0, sizeof(float) * (size_t)W * GLP_LSTM);
  for (int i = 0; i < W; ++i) {
    gle_agent_destroy(g->agent[i]);
    g->agent[i] = NULL;
    g->alive[i] = 0;
  }
  for (int i = lo; i < hi; ++i) {
    int64_t a = gi * W + i;
    int cond = (int)(a / cfg->copies), copy = (int)(a % cfg->copies);
    GL_CALL(gle_agent_create(&g->agent[i], env, (uint64_t)cfg->seed, (uint64_t)a));
    GL_CALL(gle_agent_reset(g->agent[i], &cfg->cond[3 * cond]));
    glio_agent_row *r = &g->row[i];
    memset(r, 0, sizeof *r);
    r->condition = cond;
    r->copy = copy;
    r->fall_step = -1;
    r->perturbed = (int8_t)glx_is_perturbed(cfg, copy);
    r->friction = (float)gle_agent_friction(g->agent[i]);
    g->vel_sum[3 * i] = g->vel_sum[3 * i + 1] = g->vel_sum[3 * i + 2] = 0.0;
    g->nvalid[i] = 0;
    g->alive[i] = 1;
    g->rf_contact[i] = -1;
    g->rf_liftoffs[i] = 0;
    g->f_contact[i] = -1;
    g->f_onset[i] = -1;
    r->force_onset_step = -1;
    int16_t *units = g->n_units + (size_t)i * (g->neural->width > 0 ? g->neural->width : 1);
    g->n_count[i] = glx_neural_units(cfg, g->neural, a, copy, units);
    r->neural_count = g->n_count[i];
    r->neural_units = units;
    if (cfg->perturb_kind == GLX_PERTURB_FORCE && r->perturbed) {
      double mag, dur;
      glx_force_cell(cfg, copy, &mag, &dur);
      r->force_magnitude = (float)mag;
      r->force_duration = (float)dur;
    }
  }
  return GL_OK;
}

/* Force disturbances, before row i's physics of policy step t: the force starts when its
 * onset is due. A zero magnitude (a control cell) goes through the same path: a zero
 * xfrc_applied changes no bit of the physics. */
static void glx_force_apply(const glx_config *cfg, glx_group *g, int i, int t) {
  glio_agent_row *r = &g->row[i];
  if (g->f_onset[i] != t || r->force_onset_step >= 0) return;
  const double f = r->force_magnitude * gle_agent_weight(g->agent[i]);
  const double fb[3] = {f * cfg->force_direction.v[0], f * cfg->force_direction.v[1],
                        f * cfg->force_direction.v[2]};
  gle_agent_apply_force(g->agent[i], fb, (int)lround(r->force_duration / cfg->task.timestep));
  r->force_onset_step = t;
}

/* After row i's step t: the foot's first touchdown (no contact -> contact, F_z > 1 N) at or
 * after perturbation.step schedules the onset delay later; the step that saw it is over,
 * so the earliest onset is the next one. */
static void glx_force_watch(const glx_config *cfg, glx_group *g, int i, int t,
                            const gle_step_info *info) {
  const int contact = info->foot_force[cfg->force_foot] > 1.0f;
  if (t >= cfg->perturb_step && g->f_onset[i] < 0 && g->f_contact[i] == 0 && contact) {
    const double policy_dt = cfg->task.timestep * cfg->task.decimation;
    g->f_onset[i] = t + 1 + (int)lround(cfg->force_delay / policy_dt);
  }
  g->f_contact[i] = contact;
}

/* The push of every perturbed live row; its random part comes from the agent's global index. */
static void glx_group_push(const glx_config *cfg, glx_group *g, int64_t gi, int lo, int hi) {
  const int W = g->W;
  for (int i = lo; i < hi; ++i) {
    if (!g->alive[i] || !g->row[i].perturbed) continue;
    double vx = cfg->perturb_vx, vy = cfg->perturb_vy;
    if (cfg->perturb_random > 0) {
      glr_stream s;
      glr_init(&s, (uint64_t)cfg->seed, (uint64_t)(gi * W + i), GLR_PUSH);
      vx += glr_uniform_range(&s, -cfg->perturb_random, cfg->perturb_random);
      vy += glr_uniform_range(&s, -cfg->perturb_random, cfg->perturb_random);
    }
    gle_agent_push(g->agent[i], vx, vy);
  }
}

/* Per-agent summaries of rows [lo, hi) once the episode is over. */
static void glx_group_finish(glx_group *g, int lo, int hi) {
  for (int i = lo; i < hi; ++i) {
    for (int k = 0; k < 3; ++k)
      g->row[i].mean_vel[k] = g->nvalid[i] ? (float)(g->vel_sum[3 * i + k] / g->nvalid[i]) : NAN;
    g->row[i].rf_cycles = g->rf_liftoffs[i] > 1 ? g->rf_liftoffs[i] - 1 : 0;
    g->row[i].complete = 1;
  }
}

/* The neural: block's change of an LSTM state, called by the policy inside the step. */
static int glx_neural_edit_(void *ctx, int row, float *h, float *c, const float *gates) {
  const glx_group *g = ctx;
  (void)gates;
  if (!g->alive[row] || g->n_count[row] == 0) return 0;
  const int w = g->neural->width;
  const int is_c = g->neural->layer == GLX_NL_LSTM_C;
  glx_neural_apply(g->neural, g->n_units + (size_t)row * w, g->n_count[row], is_c ? c : h);
  return is_c;
}

/* The neural: block's change of the observation rows [lo, hi), before the normaliser. */
static void glx_neural_obs_(glx_group *g, int lo, int hi) {
  const int w = g->neural->width;
  for (int i = lo; i < hi; ++i)
    if (g->alive[i] && g->n_count[i])
      glx_neural_apply(g->neural, g->n_units + (size_t)i * w, g->n_count[i], g->obs_raw + (size_t)i * GLE_OBS_FULL);
}

/* Simulate rows [lo, hi) of group gi (global agents gi*W + row). */
static gl_err glx_simulate_group(const glx_config *cfg, const gle_env *env, const glp_policy *pol,
                                 glp_infer_ws_f *ws, glx_group *g, int64_t gi, int lo, int hi,
                                 const glx_fault *fault) {
  const int W = g->W, ain = pol->actor_in;
  GL_CALL(glx_group_begin(cfg, env, g, gi, lo, hi));
  for (int t = 0; t < cfg->record_stop; ++t) {
    /* The push precedes the observation, as in the authors' task, so the policy sees it. */
    if (t == cfg->perturb_step && cfg->perturb_kind == GLX_PERTURB_VELOCITY) glx_group_push(cfg, g, gi, lo, hi);
    double w0 = gl_wtime();
    for (int i = lo; i < hi; ++i)
      if (g->alive[i]) GL_CALL(gle_agent_observe(g->agent[i], g->obs_raw + (size_t)i * GLE_OBS_FULL));
    double w1 = gl_wtime();
    const int neural = glx_neural_active(cfg, t);
    if (neural && g->neural->layer == GLX_NL_OBS) glx_neural_obs_(g, lo, hi);
    glp_norm_apply(&pol->norm, W, g->obs_raw, GLE_OBS_FULL, g->obs_norm, ain);
    const glp_state_edit edit = {glx_neural_edit_, g};
    GL_CALL(glp_step_edit_f(&pol->actor, pol->params + pol->off_actor, ws, W, g->obs_norm, g->h,
                            g->c, &g->cap, g->mu,
                            neural && g->neural->layer != GLX_NL_OBS ? &edit : NULL));
    double w2 = gl_wtime();
    g->t_phys += w1 - w0;
    g->t_net += w2 - w1;
    int w = t - cfg->record_start;
    for (int i = lo; i < hi; ++i) {
      if (!g->alive[i]) continue;
      if (fault->kind == 1 && fault->a == gi * W + i && fault->b == t) {
        gle_agent_inject_fault(g->agent[i]);
      }
      const int force = cfg->perturb_kind == GLX_PERTURB_FORCE && g->row[i].perturbed;
      if (force) glx_force_apply(cfg, g, i, t);
      gle_step_info info;
      double s0 = gl_wtime();
      GL_CALL(gle_agent_step(g->agent[i], g->mu + (size_t)i * GLP_NACT, &info));
      double s1 = gl_wtime();
      g->t_phys += s1 - s0;
      if (force) glx_force_watch(cfg, g, i, t, &info);
      g->row[i].warnings += info.warnings;
      if (info.terminated || info.nonfinite) {
        g->alive[i] = 0;
        g->row[i].fell = 1;
        g->row[i].fall_step = t;
        glx_invalidate(g, i, w < 0 ? 0 : w);
        continue;
      }
      if (w >= 0) {
        glx_record(g, cfg, i, w, &info);
        g->t_rec += gl_wtime() - s1;
        g->vel_sum[3 * i] += info.base_lin_vel[0];
        g->vel_sum[3 * i + 1] += info.base_lin_vel[1];
        g->vel_sum[3 * i + 2] += info.base_ang_vel[2];
        g->nvalid[i]++;
        int contact = info.foot_force[GLE_FOOT_RF] > 1.0f;
        if (g->rf_contact[i] == 1 && !contact) g->rf_liftoffs[i]++;
        g->rf_contact[i] = contact;
      }
    }
  }
  glx_group_finish(g, lo, hi);
  return GL_OK;
}

/* Collective: gather every rank's completed range [start, start + n) of this block into
 * done[] and add their policy steps to *steps. */
static gl_err glx_mark_done(MPI_Comm comm, int nranks, const long long mine[2], int8_t *done,
                            int steps_per_agent, double *steps) {
  long long *all = NULL;
  GL_CALL(GL_ALLOC(all, 2 * (size_t)nranks));
  gl_err err = gl_mpi_check(MPI_Allgather(mine, 2, MPI_LONG_LONG, all, 2, MPI_LONG_LONG, comm),
                            "MPI_Allgather");
  for (int r = 0; !err && r < nranks; ++r) {
    for (long long a = all[2 * r]; a < all[2 * r] + all[2 * r + 1]; ++a) done[a] = 1;
    *steps += (double)all[2 * r + 1] * steps_per_agent;
  }
  free(all);
  return err;
}

/* Pointers to rows [lo, ...) of each layer buffer, as glio_write_block expects. */
static void glx_layer_views(const glx_group *g, int lo, float **view) {
  const glio_layer_info *L = glio_layer_table();
  for (int l = 0; l < GLIO_NLAYERS; ++l)
    view[l] = g->layer[l] ? g->layer[l] + (size_t)lo * g->nwin * L[l].dim : NULL;
}

/* With --resume, an existing final output of the same configuration means a previous
 * attempt finished (perhaps killed right after its rename): succeed without work. A final
 * output of another configuration is refused rather than overwritten. */
static gl_err glx_output_complete(const glx_config *cfg, int *complete) {
  *complete = 0;
  char partial[4096];
  snprintf(partial, sizeof partial, "%s.partial", cfg->output);
  if (access(cfg->output, F_OK) != 0 || access(partial, F_OK) == 0) return GL_OK;
  char *yaml = NULL;
  gl_err err = glio_read_config(cfg->output, &yaml);
  if (err) return err;
  if (strcmp(yaml, cfg->yaml) == 0)
    *complete = 1;
  else
    err = gl_error(GL_ERR_INPUT, "--resume: '%s' exists and was written by a different configuration; move it away or choose another output", cfg->output);
  free(yaml);
  return err;
}

/* What the recording module needs of the configuration. */
static void glx_recording_spec(const glx_config *cfg, glio_spec *sp) {
  memset(sp, 0, sizeof *sp);
  sp->output = cfg->output;
  sp->config_yaml = cfg->yaml;
  sp->name = cfg->name;
  sp->policy = cfg->policy;
  sp->seed = cfg->seed;
  sp->nconditions = cfg->nconditions;
  sp->cond = cfg->cond;
  sp->copies = cfg->copies;
  sp->zip = cfg->zip;
  sp->nagents = cfg->nagents;
  sp->record_start = cfg->record_start;
  sp->record_stop = cfg->record_stop;
  sp->dt = cfg->task.timestep * cfg->task.decimation;
  sp->layer_on = cfg->layer_on;
  sp->force = cfg->perturb_kind == GLX_PERTURB_FORCE;
}

/* What the recording says of the agent itself (its policy file's provenance). */
static void glx_recording_policy(const glp_policy *p, glio_spec *sp) {
  sp->policy_seed = (long long)p->seed;
  sp->policy_steps = (long long)p->policy_steps;
  sp->policy_iterations = p->iterations;
  sp->policy_git_hash = p->git_hash;
}

/* What the recording says of the neural: block (the columns exist only with one). */
static void glx_recording_neural(const glx_config *cfg, const glx_neural *n, glio_spec *sp) {
  static const char *const kinds[] = {"none", "set", "offset", "scale", "zero", "ablate"};
  static const char *const layers[] = {"lstm_h", "lstm_c", "obs"};
  sp->neural_width = cfg->neural_kind != GLX_NEURAL_NONE ? n->width : 0;
  sp->neural_kind = kinds[cfg->neural_kind];
  sp->neural_step = cfg->neural_step;
  snprintf(sp->neural_what, sizeof sp->neural_what,
           "neural.kind %s of %s %s, from policy step %d%s",
           kinds[cfg->neural_kind], layers[cfg->neural_layer],
           n->ndir ? "PC directions (1-based PC numbers)" : "units (0-based)", cfg->neural_step,
           cfg->neural_kind != GLX_NEURAL_ABLATE ? ""
           : cfg->neural_select == GLX_SELECT_GRADIENT ? " on, to the reference's mean, ranked by gradient"
                                                       : " on, to the reference's mean, at random per agent");
}

/* One run's state: created by glx_runner_open, released by glx_runner_close. */
typedef struct glx_runner {
  const glx_config *cfg;
  MPI_Comm comm;
  int rank, nranks, quiet;
  glp_policy *pol;
  gle_env *env;
  glio_file *file;
  glp_infer_ws_f *ws;
  glx_neural neural;         /* the neural: block, identical on every rank */
  int8_t *done;              /* [nagents] complete (from the .partial on resume) */
  glx_group g;
  int64_t a0, a1;            /* this rank's agents [a0, a1) */
  int64_t g_lo, g_hi;        /* this rank's groups of W agents */
  long long rounds;          /* blocks every rank iterates (the largest shard's) */
  glx_fault fault;
  double t0, steps_done, last_log;
  double mem_planned;        /* resident bytes per rank (glx_memory_need_) */
  double t_blocks, t_io;     /* time in the blocks, and in their collective writes */
} glx_runner;

/* Policy, task, env, batch buffers and inference workspace, identical on every rank. */
static gl_err glx_runner_build(glx_runner *R) {
  GL_CALL(glx_load_policy(R->cfg, R->comm, &R->pol));
  gle_task task;
  glx_task_from_config(R->cfg, &task);
  GL_CALL(gl_agree(R->comm, gle_env_create(&R->env, &task)));
  char what[256];
  double resident, allocated;
  glx_memory_need_(R->cfg, R->env, &resident, &allocated, what, sizeof what);
  GL_CALL(gl_memory_check(R->comm, resident, allocated, what));
  R->mem_planned = resident;
  GL_CALL(glx_neural_prepare(R->cfg, R->pol, R->comm, &R->neural));
  GL_CALL(gl_agree(R->comm, glx_group_alloc(&R->g, R->cfg, R->pol->actor_in, &R->neural)));
  return gl_agree(R->comm, glp_infer_ws_create_f(&R->ws, &R->pol->actor, R->g.W));
}

/* This rank's agents and the block count; logs the run's size. */
static gl_err glx_runner_plan(glx_runner *R) {
  const glx_config *cfg = R->cfg;
  gl_shard_range(cfg->nagents, R->nranks, R->rank, &R->a0, &R->a1);
  const int W = R->g.W;
  R->g_lo = R->a0 / W;
  R->g_hi = R->a1 > R->a0 ? (R->a1 - 1) / W + 1 : R->g_lo;
  long long mine = (long long)(R->g_hi - R->g_lo);
  GL_MPI(MPI_Allreduce(&mine, &R->rounds, 1, MPI_LONG_LONG, MPI_MAX, R->comm));
  int64_t ndone0 = 0;
  for (int64_t a = 0; a < cfg->nagents; ++a) ndone0 += R->done[a] != 0;
  if (!R->quiet)
    gl_log("gaitlab run: %lld agents (%d conditions x %d copies) on %d rank%s, %d steps each; recording steps [%d, %d)%s",
           (long long)cfg->nagents, cfg->nconditions, cfg->copies, R->nranks,
           R->nranks > 1 ? "s" : "", cfg->record_stop, cfg->record_start, cfg->record_stop,
           ndone0 ? " (resuming)" : "");
  return GL_OK;
}

/* At most one line every 5 s (and the last block): large grids have thousands of blocks. */
static void glx_runner_progress(glx_runner *R, long long round) {
  const glx_config *cfg = R->cfg;
  if (R->quiet || (gl_wtime() - R->last_log < 5.0 && round + 1 != R->rounds)) return;
  R->last_log = gl_wtime();
  double el = gl_wtime() - R->t0, frac = (double)(round + 1) / (double)R->rounds;
  int cdone = 0;
  for (int c = 0; c < cfg->nconditions; ++c) {
    int all = 1;
    for (int k = 0; k < cfg->copies && all; ++k) all = R->done[(int64_t)c * cfg->copies + k] != 0;
    cdone += all;
  }
  gl_log("  block %lld/%lld  conditions %d/%d done  %.0f policy-steps/s  elapsed %.1f s  ETA %.1f s",
         round + 1, R->rounds, cdone, cfg->nconditions, R->steps_done / el, el, el / frac - el);
}

/* The agents of group gi this rank owns. */
static int64_t glx_owned_(const glx_runner *R, int64_t gi) {
  const int64_t s = gi * R->g.W, e = s + R->g.W;
  return (e < R->a1 ? e : R->a1) - (s > R->a0 ? s : R->a0);
}

/* The group this rank simulates in block `round` (g_hi when it has none left). Every block
 * ends in a collective write, so a rank whose group is partly another rank's would wait for
 * its neighbour's full one: the full groups come first and the (at most two) partial ones
 * last, largest first, so that the partial groups of neighbouring ranks share blocks. The
 * order changes only when a group is simulated, never what it computes: the file is the
 * same for any order. */
static int64_t glx_round_group_(const glx_runner *R, long long round) {
  const int64_t n = R->g_hi - R->g_lo;
  if (round >= n) return R->g_hi;
  const int W = R->g.W;
  const int first_partial = glx_owned_(R, R->g_lo) < W;
  const int last_partial = n > 1 && glx_owned_(R, R->g_hi - 1) < W;
  const int64_t nfull = n - first_partial - last_partial;
  if (round < nfull) return R->g_lo + first_partial + round;
  int64_t p[2], np = 0;
  if (first_partial) p[np++] = R->g_lo;
  if (last_partial) p[np++] = R->g_hi - 1;
  if (np == 2 && glx_owned_(R, p[1]) > glx_owned_(R, p[0])) return p[round - nfull == 0 ? 1 : 0];
  return p[round - nfull];
}

/* Simulate this rank's part of block `round`, write it collectively and learn which agents
 * every rank completed (so rank 0 can report whole conditions, whose agents may span ranks). */
static gl_err glx_runner_block(glx_runner *R, long long round) {
  const int W = R->g.W;
  int64_t gi = glx_round_group_(R, round);
  int lo = 0, hi = 0;
  if (gi < R->g_hi) {
    int64_t s = gi * W, e = s + W;
    lo = (int)((s < R->a0 ? R->a0 : s) - s);
    hi = (int)((e > R->a1 ? R->a1 : e) - s);
    /* Completed agents are skipped on resume; the rest of the group is redone. */
    while (lo < hi && R->done[s + lo]) ++lo;
    while (hi > lo && R->done[s + hi - 1]) --hi;
  }
  gl_err err;
  if (R->fault.kind == 2 && R->fault.a == R->rank && R->fault.b == round)
    err = gl_error(GL_ERR_INTERNAL, "injected fault on rank %d before block %lld (GAITLAB_FAULT)", R->rank, round);
  else
    err = hi > lo ? glx_simulate_group(R->cfg, R->env, R->pol, R->ws, &R->g, gi, lo, hi, &R->fault) : GL_OK;
  GL_CALL(gl_agree(R->comm, err));
  float *view[GLIO_NLAYERS];
  glx_layer_views(&R->g, lo, view);
  double w0 = gl_wtime();
  GL_CALL(glio_write_block(R->file, gi * W + lo, hi - lo, view, R->g.row + lo));
  long long mine_range[2] = {gi * W + lo, hi - lo};
  err = glx_mark_done(R->comm, R->nranks, mine_range, R->done, R->cfg->record_stop, &R->steps_done);
  R->t_io += gl_wtime() - w0;
  return err;
}

/* Blocks are the unit of work a SIGTERM may wait for; everything written so far is flushed
 * and flagged complete, so re-running with --resume continues from there. */
static gl_err glx_runner_blocks(glx_runner *R) {
  for (long long round = 0; round < R->rounds; ++round) {
    int stop = 0;
    GL_CALL(gl_stop_agree(R->comm, &stop));
    if (stop) {
      glio_abort(R->file);
      R->file = NULL;
      if (!R->quiet) gl_log("gaitlab run: stopped by signal after %lld of %lld blocks; re-run with --resume to continue", round, R->rounds);
      return gl_error_all(R->comm, GL_ERR_INTERRUPTED, "interrupted; %s.partial holds the completed agents (re-run with --resume)", R->cfg->output);
    }
    double w0 = gl_wtime();
    GL_CALL(glx_runner_block(R, round));
    R->t_blocks += gl_wtime() - w0;
    glx_runner_progress(R, round);
  }
  return GL_OK;
}

/* Collective: where the time went, as means over ranks, and the run's distance from its
 * bound. The bound of a rank is its physics + inference time: a run without I/O, copies or
 * waiting on other ranks would take that long. Printed unless quiet; bench/bench_run.sh
 * reads it. */
static gl_err glx_runner_profile(glx_runner *R) {
  double t[6] = {R->g.t_phys, R->g.t_net, R->g.t_rec, R->t_io, R->t_blocks, 0.0};
  t[5] = t[0] + t[1]; /* this rank's bound */
  double mean[6], maxb = 0.0;
  GL_MPI(MPI_Allreduce(t, mean, 6, MPI_DOUBLE, MPI_SUM, R->comm));
  GL_MPI(MPI_Allreduce(&t[5], &maxb, 1, MPI_DOUBLE, MPI_MAX, R->comm));
  for (int k = 0; k < 6; ++k) mean[k] /= R->nranks;
  if (R->quiet || R->rank != 0) return GL_OK;
  const double other = mean[4] - mean[0] - mean[1] - mean[2] - mean[3];
  gl_log("gaitlab run: profile (s per rank, mean of %d): physics %.2f, inference %.2f, recording copies %.2f, "
         "writes %.2f, other %.2f; bound physics + inference %.2f (slowest rank %.2f) = %.3f of the blocks' %.2f s",
         R->nranks, mean[0], mean[1], mean[2], mean[3], other, mean[5], maxb,
         mean[4] > 0 ? maxb / mean[4] : 0.0, mean[4]);
  return GL_OK;
}

static void glx_runner_close(glx_runner *R) {
  if (R->file) glio_abort(R->file);
  free(R->done);
  glx_group_free(&R->g);
  glx_neural_free(&R->neural);
  glp_infer_ws_destroy_f(R->ws);
  gle_env_destroy(R->env);
  glp_policy_destroy(R->pol);
}

gl_err glx_run(const glx_config *cfg, int resume, int quiet, MPI_Comm comm) {
  glx_runner R;
  memset(&R, 0, sizeof R);
  R.cfg = cfg, R.comm = comm, R.quiet = quiet, R.t0 = gl_wtime(), R.last_log = -1e30;
  R.fault = glx_fault_from_env();
  MPI_Comm_rank(comm, &R.rank);
  MPI_Comm_size(comm, &R.nranks);
  gl_err err = GL_OK;
  GL_GOTO(err, gl_agree(comm, R.rank == 0 ? glx_output_not_policy(cfg) : GL_OK), out);
  GL_GOTO(err, glx_runner_build(&R), out);
  if (resume) {
    int complete = 0;
    GL_GOTO(err, gl_agree(comm, R.rank == 0 ? glx_output_complete(cfg, &complete) : GL_OK), out);
    GL_MPI_GOTO(err, MPI_Bcast(&complete, 1, MPI_INT, 0, comm), out);
    if (complete) {
      if (!quiet) gl_log("gaitlab run: %s is already complete; nothing to do", cfg->output);
      goto out;
    }
  }
  glio_spec spec;
  glx_recording_spec(cfg, &spec);
  glx_recording_policy(R.pol, &spec);
  glx_recording_neural(cfg, &R.neural, &spec);
  GL_GOTO(err, glio_open(&R.file, &spec, resume, comm, &R.done), out);
  GL_GOTO(err, glx_runner_plan(&R), out);
  GL_GOTO(err, glx_runner_blocks(&R), out);
  GL_GOTO(err, glio_write_tracking(R.file), out);
  err = glio_finish(R.file); /* releases the file whatever happens */
  R.file = NULL;
  if (err) goto out;
  if (!quiet)
    gl_log("gaitlab run: wrote %s in %.1f s (%.0f policy-steps/s)", cfg->output, gl_wtime() - R.t0,
           R.steps_done / (gl_wtime() - R.t0));
  GL_GOTO(err, glx_runner_profile(&R), out);
  GL_GOTO(err, gl_memory_log(comm, R.mem_planned, "gaitlab run"), out);
out:
  glx_runner_close(&R);
  /* a failed write or close on a full disk is named as such, whichever call met it */
  if (err == GL_ERR_IO || err == GL_ERR_LIB) err = gl_name_enospc(err, cfg->output);
  return err;
}
