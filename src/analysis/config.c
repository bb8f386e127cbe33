/* The `analysis:` block: schema, defaults and presets. A preset only changes defaults, so
 * any key the user writes explicitly still wins over it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

static const char *const gla_presets_[] = {"none", "paper", "russo", NULL};
static const char *const gla_feet_[] = {"LF", "RF", "LH", "RH", NULL};
static const char *const gla_norms_[] = {"zscore", "range", "none", NULL};
static const char *const gla_eps_[] = {"authors", "russo", NULL};
static const char *const gla_spaces_[] = {"units", "pcs", NULL};
static const char *const gla_derivs_[] = {"auto", "periodic_backward", "backward", "central",
                                          "periodic_central", NULL};
static const char *const gla_families_[] = {"u", "v", "r", NULL};
static const char *gla_default_pops_[] = {"obs", "lstm_c", "lstm_h", "mlp", "mu"};

const char *gla_deriv_name(int rule) {
  return rule >= 0 && rule < 5 ? gla_derivs_[rule] : "?";
}

#define OFF(f) offsetof(gla_config, f)
static const glc_key gla_schema_[] = {
    {"analysis.preset", GLC_ENUM, OFF(preset), 0, 0, 0, gla_presets_,
     "defaults profile: none (gaitlab), paper (the authors' submitted figures), russo (tangleAnalysis.m)"},
    {"analysis.populations", GLC_STRINGS, OFF(populations), 0, 0, 0, NULL,
     "recorded layers to analyse (default obs, lstm_c, lstm_h, mlp, mu)"},
    {"analysis.contact_threshold", GLC_REAL, OFF(contact_threshold), 0, 1e5, 0, NULL,
     "N; contact = F_z > threshold (0 = the authors' 0/>0 rule)"},
    {"analysis.foot", GLC_ENUM, OFF(foot), 0, 0, 0, gla_feet_, "foot whose lift-off starts a cycle"},
    {"analysis.pca_components", GLC_INT, OFF(pca_components), 1, 4096, 0, NULL, "PCs kept (12)"},
    {"analysis.pca_grid_procs", GLC_INT, OFF(pca_grid_procs), 0, 1 << 20, 0, NULL,
     "ranks in the ScaLAPACK grid (1, the default: bitwise identical for any rank count; 0 = all)"},
    {"analysis.normalize", GLC_ENUM, OFF(normalize), 0, 0, 0, gla_norms_,
     "per-unit normalisation: zscore (ddof 0), range (x / (range + range_constant)), none"},
    {"analysis.range_constant", GLC_REAL, OFF(range_constant), 0, 1e12, 0, NULL,
     "soft-normalisation constant (Russo: 5 for neurons, 0 for EMG)"},
    {"analysis.tangling", GLC_SECTION, 0, 0, 0, 0, NULL, "tangling options"},
    {"analysis.tangling.epsilon_rule", GLC_ENUM, OFF(eps_rule), 0, 0, 0, gla_eps_,
     "authors: factor x var of the flattened data; russo: factor x summed column variance"},
    {"analysis.tangling.epsilon_factor", GLC_REAL, OFF(eps_factor), 0, 1e6, GLC_OPEN_MIN, NULL,
     "the 0.1 of Russo et al."},
    {"analysis.tangling.ddof", GLC_INT, OFF(eps_ddof), 0, 1, 0, NULL, "ddof of the epsilon variance"},
    {"analysis.tangling.space", GLC_ENUM, OFF(space), 0, 0, 0, gla_spaces_,
     "units (normalised layer) or pcs (top-k PC scores)"},
    {"analysis.tangling.k", GLC_INT, OFF(tangling_pcs), 1, 4096, 0, NULL, "PCs when space = pcs (8)"},
    {"analysis.tangling.derivative", GLC_ENUM, OFF(derivative), 0, 0, 0, gla_derivs_,
     "auto = periodic_backward on cycles, backward (first row duplicated) on open traces"},
    {"analysis.tangling.within_condition", GLC_BOOL, OFF(within_condition), 0, 0, 0, NULL,
     "restrict t' to t's own condition"},
    {"analysis.tangling.stride_s", GLC_REAL, OFF(stride_s), 0, 1e6, 0, NULL,
     "subsample t and t' every stride_s seconds after the derivative (Russo: 0.02; 0 = none)"},
    {"analysis.tangling.raw", GLC_BOOL, OFF(raw), 0, 0, 0, NULL,
     "also exact tangling of every valid raw sample (all agents, no averaging)"},
    {"analysis.tangling.tile", GLC_INT, OFF(tile), 16, 16384, 0, NULL, "tile edge of the blocked computation"},
    {"analysis.speed_axis", GLC_SECTION, 0, 0, 0, 0, NULL, "speed axis options"},
    {"analysis.speed_axis.family", GLC_ENUM, OFF(speed_family), 0, 0, 0, gla_families_,
     "command component that is the speed"},
    {"analysis.speed_axis.centered", GLC_BOOL, OFF(speed_centered), 0, 0, 0, NULL,
     "centre condition means first (paper wording); false = authors' code"},
    {"analysis.spline_points", GLC_INT, OFF(spline_points), 2, 10000000, 0, NULL,
     "points of the periodic spline per condition (1000)"},
    {"analysis.subspace_pcs", GLC_INT, OFF(subspace_pcs), 1, 4096, 0, NULL,
     "PCs per condition for subspace overlap (10)"},
    {"analysis.external", GLC_SECTION, 0, 0, 0, 0, NULL, "analyse external [time x unit] datasets"},
    {"analysis.external.datasets", GLC_STRINGS, OFF(ext_datasets), 0, 0, 0, NULL,
     "dataset paths, one condition each, e.g. [/condition_0/A, /condition_1/A]"},
    {"analysis.external.sampling_period", GLC_REAL, OFF(ext_sampling_period), 0, 1e6, 0, NULL,
     "s; 0 = root attribute sampling_period_s"},
    {"analysis.external.times", GLC_STRING, OFF(ext_times), 0, 0, 0, NULL,
     "sibling dataset with each row's time (optional)"},
    {"analysis.external.analyze_times", GLC_STRING, OFF(ext_analyze_times), 0, 0, 0, NULL,
     "sibling dataset listing the times to analyse (optional, Russo's analyzeTimes)"},
    {"analysis.external.transpose", GLC_BOOL, OFF(ext_transpose), 0, 0, 0, NULL,
     "datasets are stored [unit x time] (MATLAB v7.3 files)"},
    {"analysis.external.cyclic", GLC_BOOL, OFF(ext_cyclic), 0, 0, 0, NULL,
     "each condition is one closed cycle (periodic derivative, splines)"},
};
#undef OFF

const glc_key *gla_config_schema(size_t *nkeys) {
  *nkeys = sizeof gla_schema_ / sizeof gla_schema_[0];
  return gla_schema_;
}

static void gla_apply_preset_(gla_config *c, int preset) {
  c->preset = preset;
  switch (preset) {
    case GLA_PRESET_PAPER: /* reproduces the submitted figures (docs/analysis.md §5.2) */
      c->eps_rule = GLA_EPS_AUTHORS;
      c->eps_ddof = 0;
      c->space = GLA_SPACE_UNITS;
      c->derivative = GLA_DERIV_BACKWARD;
      c->speed_centered = 0;
      break;
    case GLA_PRESET_RUSSO: /* aarusso/trajectory-tangling tangleAnalysis.m */
      c->normalize = GLA_NORM_RANGE;
      c->range_constant = 5.0;
      c->eps_rule = GLA_EPS_RUSSO;
      c->eps_ddof = 1;
      c->space = GLA_SPACE_PCS;
      c->tangling_pcs = 8;
      c->derivative = GLA_DERIV_BACKWARD;
      c->stride_s = 0.02;
      break;
    default: break;
  }
}

void gla_config_defaults(gla_config *c) {
  memset(c, 0, sizeof *c);
  c->populations.v = (char **)gla_default_pops_;
  c->populations.n = (int)(sizeof gla_default_pops_ / sizeof gla_default_pops_[0]);
  c->contact_threshold = 1.0;
  c->foot = 1; /* RF in the file order LF, RF, LH, RH */
  c->pca_components = 12;
  /* One process eigendecomposes the D x D covariance: bitwise the same for any rank count
   * (the BLACS grid changes pdsyevd's rounding), and at D ~ 100 a grid buys nothing. */
  c->pca_grid_procs = 1;
  c->normalize = GLA_NORM_ZSCORE;
  c->range_constant = 5.0;
  c->eps_rule = GLA_EPS_AUTHORS;
  c->eps_factor = 0.1;
  c->space = GLA_SPACE_UNITS;
  c->tangling_pcs = 8;
  c->derivative = GLA_DERIV_AUTO;
  c->tile = 512;
  c->spline_points = 1000;
  c->subspace_pcs = 10;
}

gl_err gla_config_bind(const glc_doc *doc, gla_config *cfg) {
  size_t nk;
  const glc_key *schema = gla_config_schema(&nk);
  gla_config probe, fresh;
  gla_config_defaults(&probe);
  gl_err perr = glc_bind(doc, "analysis", schema, nk, &probe); /* validates, reads the preset */
  int preset = probe.preset;
  if (perr) {
    glc_free(schema, nk, &probe); /* the binder may have copied defaults before failing */
    return perr;
  }
  glc_free(schema, nk, &probe);
  gla_config_defaults(&fresh);
  gla_apply_preset_(&fresh, preset);
  gl_err err = glc_bind(doc, "analysis", schema, nk, &fresh);
  if (err) {
    glc_free(schema, nk, &fresh);
    return err;
  }
  fresh.owned = 1;
  gla_config_free(cfg);
  *cfg = fresh;
  return GL_OK;
}

void gla_config_free(gla_config *cfg) {
  if (!cfg->owned) return; /* defaults point at literals */
  size_t nk;
  const glc_key *schema = gla_config_schema(&nk);
  glc_free(schema, nk, cfg);
  cfg->owned = 0;
  gla_config_defaults(cfg);
}
