/* The experiment YAML: schema, defaults, cross-field validation, grid expansion.
 * Single-key checks (types, ranges, unknown keys) are the binder's job; only relations
 * between keys are checked here, each error pointing at the key that has to change. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/experiment.h"
#include "gaitlab/policy.h"

static const char *const glx_perturb_kinds_[] = {"none", "velocity", "force", NULL};
static const char *const glx_neural_kinds_[] = {"none", "set", "offset", "scale", "zero", "ablate", NULL};
static const char *const glx_neural_layers_[] = {"lstm_h", "lstm_c", "obs", NULL};
static const char *const glx_neural_selects_[] = {"random", "gradient", NULL};
/* GLE_FOOT_* order */
static const char *const glx_feet_[] = {"LF", "RF", "LH", "RH", NULL};

#define K(path, type, field, lo, hi, flags, choices, help) \
  {path, type, offsetof(glx_config, field), lo, hi, flags, choices, help}
#define KT(sfx, type, field, lo, hi, flags, help)                                         \
  {"env." sfx, type, offsetof(glx_config, task) + offsetof(gle_task_keys, field), lo, hi, flags, NULL, help},

static const glc_key glx_schema_[] = {
    K("name", GLC_STRING, name, 0, 0, 0, NULL, "experiment name"),
    K("seed", GLC_INT, seed, 0, 2147483647, 0, NULL, "master seed of all random streams"),
    K("policy", GLC_STRING, policy, 0, 0, 0, NULL, "a shipped agent by name (policies/NAME.h5: default, seed_2, ...), a policy HDF5 path, or 'random' (untrained)"),
    K("output", GLC_STRING, output, 0, 0, 0, NULL, "output HDF5 file"),
    K("env", GLC_SECTION, task, 0, 0, 0, NULL, "the task (the same keys as in training YAMLs)"),
    GLE_TASK_KEYS(KT)
    K("sim", GLC_SECTION, name, 0, 0, 0, NULL, "recording window and batching"),
    K("sim.record_start", GLC_INT, record_start, 0, 1000000, 0, NULL, "first recorded policy step"),
    K("sim.record_stop", GLC_INT, record_stop, 1, 1000000, 0, NULL, "end of the recording window (exclusive)"),
    K("sim.batch", GLC_INT, batch, 1, 4096, 0, NULL, "agents per inference batch (performance only)"),
    K("sim.timestep", GLC_REAL, alias_timestep, 0, 0.05, GLC_OPEN_MIN, NULL, "alias of env.timestep"),
    K("sim.decimation", GLC_INT, alias_decimation, 1, 100, 0, NULL, "alias of env.decimation"),
    K("sim.episode_steps", GLC_INT, alias_episode_steps, 1, 1000000, 0, NULL, "alias of env.episode_steps"),
    K("sim.noise", GLC_BOOL, alias_noise, 0, 1, 0, NULL, "alias of env.obs_noise"),
    K("sim.friction_min", GLC_REAL, alias_friction_lo, 0, 10, 0, NULL, "alias of env.friction[0]"),
    K("sim.friction_max", GLC_REAL, alias_friction_hi, 0, 10, 0, NULL, "alias of env.friction[1]"),
    K("conditions", GLC_SECTION, name, 0, 0, GLC_REQUIRED, NULL, "condition grid"),
    K("conditions.u", GLC_REALS, u, -5, 5, 0, NULL, "forward speed commands (m/s)"),
    K("conditions.v", GLC_REALS, v, -5, 5, 0, NULL, "lateral speed commands (m/s)"),
    K("conditions.r", GLC_REALS, r, -5, 5, 0, NULL, "yaw-rate commands (rad/s)"),
    K("conditions.zip", GLC_BOOL, zip, 0, 1, 0, NULL, "pair u, v, r element-wise instead of a grid"),
    K("conditions.copies", GLC_INT, copies, 1, 1000000, 0, NULL, "agents per condition"),
    K("perturbation", GLC_SECTION, name, 0, 0, 0, NULL, "push or force disturbance"),
    K("perturbation.kind", GLC_ENUM, perturb_kind, 0, 0, 0, glx_perturb_kinds_, "none, velocity (set world base vx, vy once) or force (a force on the base at a foot's touchdown)"),
    K("perturbation.step", GLC_INT, perturb_step, 0, 1000000, 0, NULL, "policy step of the push"),
    K("perturbation.vx", GLC_REAL, perturb_vx, -10, 10, 0, NULL, "world vx set by the push (m/s)"),
    K("perturbation.vy", GLC_REAL, perturb_vy, -10, 10, 0, NULL, "world vy set by the push (m/s)"),
    K("perturbation.random", GLC_REAL, perturb_random, 0, 10, 0, NULL, "add U(-x, x) m/s per agent and axis"),
    K("perturbation.fraction", GLC_REAL, perturb_fraction, 0, 1, 0, NULL, "fraction of copies pushed (lowest copy indices)"),
    K("perturbation.magnitude", GLC_REALS, force_magnitude, 0, 20, 0, NULL, "force: magnitudes in body weights (total mass x |g|); a grid axis"),
    K("perturbation.duration", GLC_REALS, force_duration, 0, 10, GLC_OPEN_MIN, NULL, "force: durations (s, rounded to physics steps); a grid axis"),
    K("perturbation.direction", GLC_REALS, force_direction, -1e6, 1e6, 0, NULL, "force: direction in the body frame [x forward, y left, z up] (normalised; default [0, 1, 0])"),
    K("perturbation.foot", GLC_ENUM, force_foot, 0, 0, 0, glx_feet_, "force: the foot whose first touchdown at or after perturbation.step starts the delay (RF)"),
    K("perturbation.delay", GLC_REAL, force_delay, 0, 10, 0, NULL, "force: s from that touchdown to the onset (rounded to policy steps)"),
    K("neural", GLC_SECTION, name, 0, 0, 0, NULL, "neural perturbation or ablation of the actor (docs/dynamics.md)"),
    K("neural.kind", GLC_ENUM, neural_kind, 0, 0, 0, glx_neural_kinds_, "none; set, offset, scale or zero units or PC directions for neural.steps steps; ablate units to the reference's mean from neural.step on"),
    K("neural.layer", GLC_ENUM, neural_layer, 0, 0, 0, glx_neural_layers_, "the actor state changed: lstm_h, lstm_c (h follows as o tanh c) or obs (the observation, before the normaliser)"),
    K("neural.step", GLC_INT, neural_step, 0, 1000000, 0, NULL, "first policy step changed"),
    K("neural.steps", GLC_INT, neural_steps, 1, 1000000, 0, NULL, "set/offset/scale/zero: policy steps the change holds (1)"),
    K("neural.units", GLC_REALS, neural_units, 0, 1000, 0, NULL, "set/offset/scale/zero: unit indices (0-based)"),
    K("neural.pcs", GLC_REALS, neural_pcs, 1, 1000, 0, NULL, "set/offset/scale/zero: PC directions (1-based) of the reference's /analysis/<layer>/pca (normalization none)"),
    K("neural.value", GLC_REAL, neural_value, -1e6, 1e6, 0, NULL, "set: the value; offset: the amount; scale: the factor (layer units; PCs: score units)"),
    K("neural.count", GLC_REALS, neural_count, 0, 1000, 0, NULL, "ablate: numbers of units ablated; a grid axis over the changed copies"),
    K("neural.select", GLC_ENUM, neural_select, 0, 0, 0, glx_neural_selects_, "ablate: which units: random (per agent, from its global index) or gradient (largest mean |d action / d unit| over the reference, the same for every agent)"),
    K("neural.reference", GLC_STRING, neural_reference, 0, 0, 0, NULL, "a recording of the same policy: the means (ablate), the PCs (pcs), the samples of the gradient ranking"),
    K("neural.fraction", GLC_REAL, neural_fraction, 0, 1, 0, NULL, "fraction of copies changed (lowest copy indices; 1)"),
    K("record", GLC_STRINGS, record, 0, 0, 0, glio_layer_names, "layers to record (default: all)"),
    K("analysis", GLC_ANY, name, 0, 0, 0, NULL, "analysis block (see gaitlab analyze --help)"),
};
#undef K
#undef KT

const glc_key *glx_config_schema(size_t *n) {
  *n = sizeof glx_schema_ / sizeof *glx_schema_;
  return glx_schema_;
}

static void glx_defaults(glx_config *c) {
  memset(c, 0, sizeof *c);
  c->seed = 1;
  gle_task_keys_defaults(&c->task);
  c->record_start = 400;
  c->record_stop = 900;
  c->batch = 32;
  c->copies = 1;
  c->perturb_step = 600;
  c->perturb_fraction = 1.0;
  c->force_foot = GLE_FOOT_RF;
  c->neural_step = 600;
  c->neural_steps = 1;
  c->neural_fraction = 1.0;
}

static gl_err glx_set_default_string(char **field, const char *value) {
  if (*field) return GL_OK;
  *field = strdup(value);
  return *field ? GL_OK : gl_error(GL_ERR_NOMEM, "out of memory");
}

static gl_err glx_default_reals(glc_reals *r) {
  if (r->n > 0) return GL_OK;
  GL_CALL(GL_ALLOC(r->v, 1));
  r->v[0] = 0.0;
  r->n = 1;
  return GL_OK;
}

static gl_err glx_expand(const glc_doc *doc, glx_config *c) {
  char mark[512];
  if (c->zip) {
    int n = 1;
    const glc_reals *lists[3] = {&c->u, &c->v, &c->r};
    const char *names[3] = {"conditions.u", "conditions.v", "conditions.r"};
    for (int i = 0; i < 3; ++i) {
      if (lists[i]->n == 1) continue;
      if (n != 1 && lists[i]->n != n)
        return gl_error(GL_ERR_INPUT,
                        "%s: %s: %d values, but another list has %d; allowed: with zip: true "
                        "every list has the same length or a single value",
                        glc_doc_mark(doc, names[i], mark, sizeof mark), names[i], lists[i]->n, n);
      n = lists[i]->n;
    }
    c->nconditions = n;
    GL_CALL(GL_ALLOC(c->cond, 3 * n));
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < 3; ++i) c->cond[3 * k + i] = lists[i]->v[lists[i]->n == 1 ? 0 : k];
  } else {
    int64_t n = (int64_t)c->u.n * c->v.n * c->r.n;
    if (n > 10000000)
      return gl_error(GL_ERR_INPUT, "%s: conditions: grid of %lld conditions is too large; allowed: at most 1e7",
                      glc_doc_mark(doc, "conditions", mark, sizeof mark), (long long)n);
    c->nconditions = (int)n;
    GL_CALL(GL_ALLOC(c->cond, 3 * n));
    int k = 0; /* u varies slowest, r fastest: the authors' grid order */
    for (int iu = 0; iu < c->u.n; ++iu)
      for (int iv = 0; iv < c->v.n; ++iv)
        for (int ir = 0; ir < c->r.n; ++ir, ++k) {
          c->cond[3 * k] = c->u.v[iu];
          c->cond[3 * k + 1] = c->v.v[iv];
          c->cond[3 * k + 2] = c->r.v[ir];
        }
  }
  c->nagents = (int64_t)c->nconditions * c->copies;
  return GL_OK;
}

void glx_force_cell(const glx_config *c, int copy, double *magnitude, double *duration) {
  const int nd = c->force_duration.n, cells = c->force_magnitude.n * nd;
  const int cell = cells > 0 ? copy % cells : 0;
  *magnitude = cells > 0 ? c->force_magnitude.v[cell / nd] : 0.0;
  *duration = cells > 0 ? c->force_duration.v[cell % nd] : 0.0;
}

/* perturbation.kind: force needs its grid, a direction and whole cells of copies; the force
 * keys with another kind would be ignored, so they are refused. */
static gl_err glx_check_force(const glc_doc *doc, glx_config *c) {
  char mark[512];
  static const char *const keys[] = {"perturbation.magnitude", "perturbation.duration",
                                     "perturbation.direction", "perturbation.foot",
                                     "perturbation.delay"};
  if (c->perturb_kind != GLX_PERTURB_FORCE) {
    for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i)
      if (glc_doc_has(doc, keys[i]))
        return gl_error(GL_ERR_INPUT, "%s: %s applies only to perturbation.kind: force",
                        glc_doc_mark(doc, keys[i], mark, sizeof mark), keys[i]);
    return GL_OK;
  }
  for (int i = 0; i < 2; ++i) {
    const glc_reals *r = i ? &c->force_duration : &c->force_magnitude;
    if (r->n == 0)
      return gl_error(GL_ERR_INPUT, "%s: perturbation.kind: force needs %s (a list)",
                      glc_doc_mark(doc, "perturbation.kind", mark, sizeof mark), keys[i]);
  }
  if (c->force_direction.n == 0) {
    GL_CALL(GL_ALLOC(c->force_direction.v, 3));
    c->force_direction.v[1] = 1.0;
    c->force_direction.n = 3;
  }
  const double *d = c->force_direction.v;
  const double norm = c->force_direction.n == 3 ? sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) : 0.0;
  if (c->force_direction.n != 3 || !(norm > 0))
    return gl_error(GL_ERR_INPUT, "%s: perturbation.direction: need 3 numbers, not all 0 (body frame x, y, z)",
                    glc_doc_mark(doc, "perturbation.direction", mark, sizeof mark));
  for (int k = 0; k < 3; ++k) c->force_direction.v[k] /= norm;
  const int cells = c->force_magnitude.n * c->force_duration.n;
  const int pushed = (int)lround(c->perturb_fraction * c->copies);
  if (pushed % cells != 0)
    return gl_error(GL_ERR_INPUT, "%s: conditions.copies: %d perturbed copies do not fill the %d x %d magnitude x duration cells evenly; allowed: a multiple of %d (times perturbation.fraction)",
                    glc_doc_mark(doc, "conditions.copies", mark, sizeof mark), pushed,
                    c->force_magnitude.n, c->force_duration.n, cells);
  return GL_OK;
}

int glx_neural_on(const glx_config *c, int copy) {
  return c->neural_kind != GLX_NEURAL_NONE && copy < (int)lround(c->neural_fraction * c->copies);
}

int glx_neural_cell(const glx_config *c, int copy) {
  if (c->neural_kind != GLX_NEURAL_ABLATE || c->neural_count.n == 0) return 0;
  const int fcells = c->perturb_kind == GLX_PERTURB_FORCE ? c->force_magnitude.n * c->force_duration.n : 1;
  return (int)c->neural_count.v[(copy / fcells) % c->neural_count.n];
}

/* A list key of whole numbers, each below `dim`. */
static gl_err glx_check_indices(const glc_doc *doc, const char *key, const glc_reals *r, int lo,
                                int hi) {
  char mark[512];
  for (int i = 0; i < r->n; ++i)
    if (r->v[i] != floor(r->v[i]) || r->v[i] < lo || r->v[i] > hi)
      return gl_error(GL_ERR_INPUT, "%s: %s: %g is not allowed; allowed: whole numbers %d..%d",
                      glc_doc_mark(doc, key, mark, sizeof mark), key, r->v[i], lo, hi);
  return GL_OK;
}

/* The neural: block's keys fit its kind: what the kind does not use is refused (it would be
 * ignored), what it needs is there, and whole cells of copies. */
static gl_err glx_check_neural(const glc_doc *doc, glx_config *c) {
  char mark[512];
  static const char *const keys[] = {"neural.layer", "neural.step", "neural.steps", "neural.units",
                                     "neural.pcs", "neural.value", "neural.count", "neural.select",
                                     "neural.reference", "neural.fraction"};
  const int k = c->neural_kind, ablate = k == GLX_NEURAL_ABLATE;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i) {
    const char *key = keys[i];
    if (!glc_doc_has(doc, key)) continue;
    const int unused = k == GLX_NEURAL_NONE ||
                       (ablate && (!strcmp(key, "neural.units") || !strcmp(key, "neural.pcs") ||
                                   !strcmp(key, "neural.value") || !strcmp(key, "neural.steps"))) ||
                       (!ablate && (!strcmp(key, "neural.count") || !strcmp(key, "neural.select"))) ||
                       (k == GLX_NEURAL_ZERO && !strcmp(key, "neural.value"));
    if (unused)
      return gl_error(GL_ERR_INPUT, "%s: %s does not apply to neural.kind: %s",
                      glc_doc_mark(doc, key, mark, sizeof mark), key, glx_neural_kinds_[k]);
  }
  if (k == GLX_NEURAL_NONE) return GL_OK;
  const int dim = c->neural_layer == GLX_NL_OBS ? glio_layer_table()[GLIO_OBS].dim : GLP_LSTM;
  if (ablate) {
    if (c->neural_count.n == 0)
      return gl_error(GL_ERR_INPUT, "%s: neural.kind: ablate needs neural.count (a list of unit counts)",
                      glc_doc_mark(doc, "neural.kind", mark, sizeof mark));
    GL_CALL(glx_check_indices(doc, "neural.count", &c->neural_count, 0, dim));
  } else {
    if ((c->neural_units.n > 0) == (c->neural_pcs.n > 0))
      return gl_error(GL_ERR_INPUT, "%s: neural.kind: %s needs one of neural.units and neural.pcs (a list)",
                      glc_doc_mark(doc, "neural.kind", mark, sizeof mark), glx_neural_kinds_[k]);
    if (k != GLX_NEURAL_ZERO && !glc_doc_has(doc, "neural.value"))
      return gl_error(GL_ERR_INPUT, "%s: neural.kind: %s needs neural.value",
                      glc_doc_mark(doc, "neural.kind", mark, sizeof mark), glx_neural_kinds_[k]);
    GL_CALL(glx_check_indices(doc, "neural.units", &c->neural_units, 0, dim - 1));
    GL_CALL(glx_check_indices(doc, "neural.pcs", &c->neural_pcs, 1, dim));
  }
  if (c->neural_step >= c->task.episode_steps)
    return gl_error(GL_ERR_INPUT, "%s: neural.step: %d is not inside the episode; allowed: 0 <= step < %d",
                    glc_doc_mark(doc, "neural.step", mark, sizeof mark), c->neural_step, c->task.episode_steps);
  const int needs_ref = ablate || c->neural_pcs.n > 0;
  if (needs_ref && !c->neural_reference)
    return gl_error(GL_ERR_INPUT, "%s: neural.kind: %s needs neural.reference (a recording of the same policy%s)",
                    glc_doc_mark(doc, "neural.kind", mark, sizeof mark), glx_neural_kinds_[k],
                    ablate ? ": the means" : ", analysed with analysis.normalize: none: the PCs");
  const int fcells = c->perturb_kind == GLX_PERTURB_FORCE ? c->force_magnitude.n * c->force_duration.n : 1;
  const int cells = fcells * (ablate ? c->neural_count.n : 1);
  const int changed = (int)lround(c->neural_fraction * c->copies);
  if (cells > 1 && changed % cells != 0)
    return gl_error(GL_ERR_INPUT, "%s: conditions.copies: %d changed copies do not fill the %d cells of neural.count%s evenly; allowed: a multiple of %d (times neural.fraction)",
                    glc_doc_mark(doc, "conditions.copies", mark, sizeof mark), changed, cells,
                    fcells > 1 ? " x the force grid" : "", cells);
  return GL_OK;
}

static gl_err glx_check_relations(const glc_doc *doc, glx_config *c) {
  char mark[512];
  if (c->record_stop <= c->record_start)
    return gl_error(GL_ERR_INPUT, "%s: sim.record_stop: %d is not after sim.record_start = %d; allowed: record_start < record_stop <= episode_steps",
                    glc_doc_mark(doc, "sim.record_stop", mark, sizeof mark), c->record_stop, c->record_start);
  const int steps = c->task.episode_steps;
  const char *steps_key = glc_doc_has(doc, "sim.episode_steps") ? "sim.episode_steps" : "env.episode_steps";
  if (c->record_stop > steps)
    return gl_error(GL_ERR_INPUT, "%s: sim.record_stop: %d exceeds %s = %d; allowed: record_start < record_stop <= episode_steps",
                    glc_doc_mark(doc, "sim.record_stop", mark, sizeof mark), c->record_stop, steps_key, steps);
  if (c->perturb_kind != GLX_PERTURB_NONE && c->perturb_step >= steps)
    return gl_error(GL_ERR_INPUT, "%s: perturbation.step: %d is not inside the episode; allowed: 0 <= step < %s = %d",
                    glc_doc_mark(doc, "perturbation.step", mark, sizeof mark), c->perturb_step, steps_key, steps);
  GL_CALL(glx_check_force(doc, c));
  GL_CALL(glx_check_neural(doc, c));
  if (strcmp(c->policy, "random") != 0) {
    char path[4096];
    if (glx_policy_path(c->policy, path, sizeof path) != GL_OK) {
      char msg[1024];
      snprintf(msg, sizeof msg, "%s", gl_errmsg());
      gl_error_clear();
      return gl_error(GL_ERR_INPUT, "%s: %s", glc_doc_mark(doc, "policy", mark, sizeof mark), msg);
    }
  }
  if (c->nagents > 100000000)
    return gl_error(GL_ERR_INPUT, "%s: conditions.copies: %lld agents in total is too many; allowed: at most 1e8",
                    glc_doc_mark(doc, "conditions.copies", mark, sizeof mark), (long long)c->nagents);
  return GL_OK;
}

/* One alias: its value replaces the key's. Both written in the file (or both overridden) is
 * refused; an override (--set) of one wins over the other written in the file. */
static gl_err glx_alias(const glc_doc *doc, const char *alias, const char *key, int *given) {
  *given = glc_doc_has(doc, alias);
  if (!*given || !glc_doc_has(doc, key)) return GL_OK;
  const int alias_set = glc_doc_from_set(doc, alias), key_set = glc_doc_from_set(doc, key);
  if (alias_set != key_set) {
    *given = alias_set;
    return GL_OK;
  }
  char mark[512];
  return gl_error(GL_ERR_INPUT, "%s: %s is an alias of %s, which is also given; allowed: one of them",
                  glc_doc_mark(doc, alias, mark, sizeof mark), alias, key);
}

/* The sim.* task keys of older experiment files are documented aliases of env.* keys. */
static gl_err glx_fold_aliases(const glc_doc *doc, glx_config *c) {
  gle_task_keys *t = &c->task;
  int g;
  GL_CALL(glx_alias(doc, "sim.timestep", "env.timestep", &g));
  if (g) t->timestep = c->alias_timestep;
  GL_CALL(glx_alias(doc, "sim.decimation", "env.decimation", &g));
  if (g) t->decimation = c->alias_decimation;
  GL_CALL(glx_alias(doc, "sim.episode_steps", "env.episode_steps", &g));
  if (g) t->episode_steps = c->alias_episode_steps;
  GL_CALL(glx_alias(doc, "sim.noise", "env.obs_noise", &g));
  if (g) t->obs_noise = c->alias_noise;
  int lo, hi;
  GL_CALL(glx_alias(doc, "sim.friction_min", "env.friction", &lo));
  GL_CALL(glx_alias(doc, "sim.friction_max", "env.friction", &hi));
  if (lo) t->friction.v[0] = c->alias_friction_lo;
  if (hi) t->friction.v[1] = c->alias_friction_hi;
  char mark[512];
  if ((lo || hi) && t->friction.v[1] < t->friction.v[0])
    return gl_error(GL_ERR_INPUT, "%s: sim.friction_max: %g is below sim.friction_min = %g; allowed: friction_min <= friction_max",
                    glc_doc_mark(doc, hi ? "sim.friction_max" : "sim.friction_min", mark, sizeof mark),
                    t->friction.v[1], t->friction.v[0]);
  return gle_task_keys_check(doc, "env", t);
}

gl_err glx_config_bind(const glc_doc *doc, glx_config *c) {
  glx_defaults(c);
  GL_CALL(glc_bind(doc, "", glx_schema_, sizeof glx_schema_ / sizeof *glx_schema_, c));
  GL_CALL(glx_set_default_string(&c->name, "experiment"));
  GL_CALL(glx_set_default_string(&c->policy, "default"));
  GL_CALL(glx_set_default_string(&c->output, "gaitlab_out.h5"));
  GL_CALL(glx_default_reals(&c->u));
  GL_CALL(glx_default_reals(&c->v));
  GL_CALL(glx_default_reals(&c->r));
  if (c->record.n == 0) {
    for (int i = 0; i < GLIO_NLAYERS; ++i) c->layer_on[i] = 1;
  } else {
    for (int k = 0; k < c->record.n; ++k)
      for (int i = 0; i < GLIO_NLAYERS; ++i)
        if (strcmp(c->record.v[k], glio_layer_names[i]) == 0) c->layer_on[i] = 1;
  }
  /* Cycle alignment needs foot forces, and the tracking table needs velocities and commands:
   * always record them, they are tiny. */
  c->layer_on[GLIO_FOOT_FORCE] = c->layer_on[GLIO_BASE_LIN_VEL] = c->layer_on[GLIO_BASE_ANG_VEL] =
      c->layer_on[GLIO_COMMAND] = 1;
  c->has_analysis = glc_doc_has(doc, "analysis");
  GL_CALL(glx_fold_aliases(doc, c));
  GL_CALL(glx_expand(doc, c));
  GL_CALL(glx_check_relations(doc, c));
  GL_CALL(glc_doc_emit(doc, &c->yaml));
  return GL_OK;
}

void glx_config_free(glx_config *c) {
  glc_free(glx_schema_, sizeof glx_schema_ / sizeof *glx_schema_, c);
  free(c->cond);
  free(c->yaml);
  memset(c, 0, sizeof *c);
}

gl_err glx_config_load(const char *path, const char *const *sets, int nsets, MPI_Comm comm,
                       glx_config *cfg, glc_doc **doc_out) {
  glc_doc *doc = NULL;
  gl_err err = glc_doc_load_bcast(&doc, path, sets, nsets, &comm);
  if (err) return err; /* already agreed inside */
  memset(cfg, 0, sizeof *cfg);
  /* Rank 0 validates first so that a bad file is reported once, by the rank whose marks
   * name the user's file; the others bind only a document already known to be valid. */
  int rank;
  MPI_Comm_rank(comm, &rank);
  err = gl_agree(comm, rank == 0 ? glx_config_bind(doc, cfg) : GL_OK);
  if (!err && rank != 0) err = glx_config_bind(doc, cfg);
  if (!err) err = gl_agree(comm, err);
  if (err) {
    glx_config_free(cfg);
    glc_doc_destroy(doc);
    return err;
  }
  if (doc_out)
    *doc_out = doc;
  else
    glc_doc_destroy(doc);
  return GL_OK;
}
