/* The dynamics.* keys (bound like every other module's keys: include/gaitlab/config.h). */
#include <math.h>
#include <stddef.h>

#include "gaitlab/dynamics.h"

static const char *const gld_inputs_[] = {"zero", "condition_mean", "zero_obs", NULL};
static const char *const gld_inits_[] = {"recording", "random", NULL};

#define OFF(f) offsetof(gld_config, f)
static const glc_key gld_schema_[] = {
    {"dynamics", GLC_SECTION, 0, 0, 0, 0, NULL, "fixed-point search (docs/dynamics.md)"},
    {"dynamics.inits", GLC_INT, OFF(inits), 1, 100000, 0, NULL, "initial states per input (64)"},
    {"dynamics.input", GLC_ENUM, OFF(input), 0, 0, 0, gld_inputs_,
     "constant input: zero (the LSTM input u = 0, the authors' convention), zero_obs (the raw observation 0 through normaliser and MLP) or condition_mean (mean /recording/obs of each condition, followed by the mean previous action from /recording/mu for an actor that reads it)"},
    {"dynamics.init", GLC_ENUM, OFF(init), 0, 0, 0, gld_inits_,
     "initial states: recording (random valid samples of /recording/lstm_h, lstm_c) or random (U(-s, s))"},
    {"dynamics.init_scale", GLC_REAL, OFF(init_scale), 0, HUGE_VAL, GLC_OPEN_MIN, NULL, "s of random inits (1)"},
    {"dynamics.tol", GLC_REAL, OFF(tol), 0, HUGE_VAL, GLC_OPEN_MIN, NULL, "stop when q < tol (1e-24)"},
    {"dynamics.max_iter", GLC_INT, OFF(max_iter), 1, 100000, 0, NULL, "LM iterations per initial state (100)"},
    {"dynamics.q_fixed", GLC_REAL, OFF(q_fixed), 0, HUGE_VAL, GLC_OPEN_MIN, NULL, "q below which a point is fixed, else slow (1e-16)"},
    {"dynamics.merge_tol", GLC_REAL, OFF(merge_tol), 0, HUGE_VAL, 0, NULL, "Euclidean distance under which points merge (1e-6)"},
    {"dynamics.lambda0", GLC_REAL, OFF(lambda0), 0, HUGE_VAL, GLC_OPEN_MIN, NULL, "initial LM damping (1e-3)"},
    {"dynamics.seed", GLC_INT, OFF(seed), 0, 2147483647, 0, NULL, "seed of the initial-state draws (0)"},
};
#undef OFF

void gld_config_defaults(gld_config *c) {
  c->inits = 64;
  c->input = GLD_INPUT_ZERO;
  c->init = GLD_INIT_RECORDING;
  c->init_scale = 1.0;
  c->tol = 1e-24;
  c->max_iter = 100;
  c->q_fixed = 1e-16;
  c->merge_tol = 1e-6;
  c->lambda0 = 1e-3;
  c->seed = 0;
}

const glc_key *gld_config_schema(size_t *nkeys) {
  *nkeys = sizeof gld_schema_ / sizeof gld_schema_[0];
  return gld_schema_;
}

gl_err gld_config_bind(const glc_doc *doc, gld_config *cfg) {
  size_t nk;
  const glc_key *s = gld_config_schema(&nk);
  gld_config_defaults(cfg);
  gl_err err = glc_bind(doc, "dynamics", s, nk, cfg);
  glc_free(s, nk, cfg); /* no owned strings: nothing to keep */
  return err;
}
