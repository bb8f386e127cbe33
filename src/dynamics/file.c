/* The file stage of `gaitlab dynamics` (docs/dynamics.md §4): initial states and constant
 * inputs from a recording (rank 0 reads, everyone receives), the search per input, and the
 * results written by rank 0 under /dynamics/fixed_points/<input>/, swapped in whole. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>

#include "gaitlab/core.h"
#include "gaitlab/dynamics.h"
#include "gaitlab/h5.h"
#include "gaitlab/rng.h"

#define N GLD_NX
#define NH GLP_LSTM

typedef struct gld_inputs_ {
  int n;         /* constant inputs */
  char (*name)[32];
  double *obs;   /* [n][in] raw observations */
} gld_inputs_;

static void gld_inputs_free_(gld_inputs_ *inp) {
  free(inp->name);
  free(inp->obs);
  memset(inp, 0, sizeof *inp);
}

static int gld_row_finite_(const float *r, int d) {
  for (int j = 0; j < d; ++j)
    if (!isfinite(r[j])) return 0;
  return 1;
}

/* Shape [A][T][d] of /recording/<layer>; GL_ERR_INPUT naming what is allowed when absent. */
static gl_err gld_layer_shape_(hid_t f, const char *path, const char *layer, int d,
                               const char *why, hsize_t dims[3]) {
  char obj[64];
  snprintf(obj, sizeof obj, "/recording/%s", layer);
  int ex = 0;
  GL_CALL(glh5_exists(f, obj, &ex));
  if (!ex)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset '%s' is missing; %s", path, obj, why);
  hsize_t want[3] = {GLH5_ANY, GLH5_ANY, (hsize_t)d};
  GL_CALL(glh5_check(f, obj, H5T_NATIVE_FLOAT, 3, want, dims));
  if (dims[0] < 1 || dims[1] < 1)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset '%s' is empty", path, obj);
  return GL_OK;
}

/* Initial state g from the recording: (agent, step) drawn from the stream (seed, g) until a
 * sample whose h and c are finite (steps after a fall are NaN). */
static gl_err gld_inits_recording_(hid_t f, const char *path, const gld_config *c, double *x0) {
  static const char why[] = "record lstm_h and lstm_c (record=[lstm_h, lstm_c, ...]) or use dynamics.init=random";
  hsize_t dh[3], dc[3];
  GL_CALL(gld_layer_shape_(f, path, "lstm_h", NH, why, dh));
  GL_CALL(gld_layer_shape_(f, path, "lstm_c", NH, why, dc));
  if (dh[0] != dc[0] || dh[1] != dc[1])
    return gl_error(GL_ERR_INPUT, "'%s': /recording/lstm_h and lstm_c differ in shape", path);
  const hsize_t A = dh[0], T = dh[1];
  float *bh = NULL, *bc = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(bh, T * NH), done);
  GL_GOTO(err, GL_ALLOC(bc, T * NH), done);
  hsize_t want[3] = {A, T, NH};
  int64_t cached = -1;
  for (int g = 0; g < c->inits; ++g) {
    glr_stream s;
    glr_init(&s, (uint64_t)c->seed, (uint64_t)g, GLR_DYNAMICS);
    int found = 0;
    for (int tries = 0; tries < 1000 && !found; ++tries) {
      int64_t a = (int64_t)(glr_u64(&s) % A), t = (int64_t)(glr_u64(&s) % T);
      if (a != cached) {
        GL_GOTO(err, glh5_read_rows(f, "/recording/lstm_h", H5T_NATIVE_FLOAT, 3, want, (hsize_t)a, 1, bh, H5P_DEFAULT, NULL), done);
        GL_GOTO(err, glh5_read_rows(f, "/recording/lstm_c", H5T_NATIVE_FLOAT, 3, want, (hsize_t)a, 1, bc, H5P_DEFAULT, NULL), done);
        cached = a;
      }
      const float *h = bh + (size_t)t * NH, *cc = bc + (size_t)t * NH;
      if (!gld_row_finite_(h, NH) || !gld_row_finite_(cc, NH)) continue;
      for (int j = 0; j < NH; ++j) {
        x0[(size_t)g * N + j] = h[j];
        x0[(size_t)g * N + NH + j] = cc[j];
      }
      found = 1;
    }
    if (!found) {
      err = gl_error(GL_ERR_INPUT, "'%s': no finite lstm_h/lstm_c sample found in 1000 draws (every agent fell?); use dynamics.init=random", path);
      goto done;
    }
  }
done:
  free(bh);
  free(bc);
  return err;
}

static void gld_inits_random_(const gld_config *c, double *x0) {
  for (int g = 0; g < c->inits; ++g) {
    glr_stream s;
    glr_init(&s, (uint64_t)c->seed, (uint64_t)g, GLR_DYNAMICS);
    for (int k = 0; k < N; ++k) x0[(size_t)g * N + k] = glr_uniform_range(&s, -c->init_scale, c->init_scale);
  }
}

/* One agent's contribution to its condition's mean input: obs [T][dobs] and, for an actor
 * that also reads its previous action (in = dobs + 12), mu [T][12], whose row t - 1 is the
 * action step t saw (gaitlab run acts with the deterministic mean). Such an actor's samples
 * start at the window's second step, the first one whose previous action was recorded. */
static void gld_mean_add_(const float *obs, int dobs, const float *mu, hsize_t T, int in, double *m,
                          double *cnt) {
  for (hsize_t t = mu ? 1 : 0; t < T; ++t) {
    const float *r = obs + t * (hsize_t)dobs, *pa = mu ? mu + (t - 1) * GLP_NACT : NULL;
    if (!gld_row_finite_(r, dobs) || (pa && !gld_row_finite_(pa, GLP_NACT))) continue;
    for (int j = 0; j < dobs && j < in; ++j) m[j] += r[j];
    for (int j = 0; pa && j < GLP_NACT; ++j) m[dobs + j] += pa[j];
    *cnt += 1;
  }
}

/* Mean raw input of each condition over the finite samples of its agents, summed in agent and
 * step order (reproducible): the observation, and for an action-feedback actor the previous
 * action after it (gld_mean_add_). */
static gl_err gld_condition_means_(hid_t f, const char *path, int in, gld_inputs_ *inp) {
  hsize_t d[3], dm[3], dcond = 0;
  int rank = 0;
  hsize_t dims[GLH5_MAXRANK];
  H5T_class_t cls;
  GL_CALL(glh5_shape(f, "/recording/obs", &rank, dims, &cls));
  const int feedback = rank == 3 && dims[2] + GLP_NACT == (hsize_t)in;
  if (rank != 3 || (dims[2] < (hsize_t)in && !feedback))
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset '/recording/obs' needs shape [agent][step][>=%d] (or %d columns and /recording/mu for an actor that reads its previous action)",
                    path, in, in - GLP_NACT);
  const int dobs = (int)dims[2];
  GL_CALL(gld_layer_shape_(f, path, "obs", dobs, "dynamics.input=condition_mean needs the recorded observations (record=[obs, ...]); or use dynamics.input=zero", d));
  if (feedback) {
    GL_CALL(gld_layer_shape_(f, path, "mu", GLP_NACT, "the actor reads its previous action: dynamics.input=condition_mean needs record=[obs, mu, ...]", dm));
    if (dm[0] != d[0] || dm[1] != d[1])
      return gl_error(GL_ERR_INPUT, "'%s': HDF5 datasets /recording/mu [%llu][%llu] and /recording/obs [%llu][%llu] disagree",
                      path, (unsigned long long)dm[0], (unsigned long long)dm[1], (unsigned long long)d[0], (unsigned long long)d[1]);
  }
  double *u = NULL, *cnt = NULL;
  int32_t *cond = NULL;
  float *buf = NULL, *mu = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, glh5_read_alloc(f, "/conditions/u", H5T_NATIVE_DOUBLE, 1, NULL, &dcond, &u), done);
  hsize_t wa = d[0];
  GL_GOTO(err, GL_ALLOC(cond, d[0]), done);
  GL_GOTO(err, glh5_read(f, "/agents/condition", H5T_NATIVE_INT32, 1, &wa, cond, H5P_DEFAULT), done);
  inp->n = (int)dcond;
  GL_GOTO(err, GL_ALLOC(inp->name, inp->n), done);
  GL_GOTO(err, GL_ALLOC(inp->obs, (size_t)inp->n * (size_t)in), done);
  GL_GOTO(err, GL_ALLOC(cnt, inp->n), done);
  GL_GOTO(err, GL_ALLOC(buf, d[1] * (hsize_t)dobs), done);
  if (feedback) GL_GOTO(err, GL_ALLOC(mu, d[1] * GLP_NACT), done);
  hsize_t want[3] = {d[0], d[1], (hsize_t)dobs}, want_mu[3] = {d[0], d[1], GLP_NACT};
  for (hsize_t a = 0; a < d[0]; ++a) {
    if (cond[a] < 0 || cond[a] >= inp->n) {
      err = gl_error(GL_ERR_INPUT, "'%s': /agents/condition[%llu] = %d is not a condition index", path, (unsigned long long)a, (int)cond[a]);
      goto done;
    }
    GL_GOTO(err, glh5_read_rows(f, "/recording/obs", H5T_NATIVE_FLOAT, 3, want, a, 1, buf, H5P_DEFAULT, NULL), done);
    if (feedback) GL_GOTO(err, glh5_read_rows(f, "/recording/mu", H5T_NATIVE_FLOAT, 3, want_mu, a, 1, mu, H5P_DEFAULT, NULL), done);
    gld_mean_add_(buf, dobs, mu, d[1], in, inp->obs + (size_t)cond[a] * (size_t)in, &cnt[cond[a]]);
  }
  for (int k = 0; k < inp->n; ++k) {
    if (cnt[k] == 0) {
      err = gl_error(GL_ERR_INPUT, "'%s': condition %d has no finite observation sample", path, k);
      goto done;
    }
    for (int j = 0; j < in; ++j) inp->obs[(size_t)k * (size_t)in + j] /= cnt[k];
    snprintf(inp->name[k], sizeof inp->name[k], "condition_%d", k);
  }
done:
  free(u); free(cnt); free(cond); free(buf); free(mu);
  return err;
}

/* Rank 0: everything the search needs from the input file. */
static gl_err gld_read_input_(const char *path, const gld_config *c, int in, double *x0,
                              gld_inputs_ *inp) {
  hid_t f = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, glh5_open(&f, path, GLH5_READ), done);
  if (c->init == GLD_INIT_RECORDING) GL_GOTO(err, gld_inits_recording_(f, path, c, x0), done);
  else gld_inits_random_(c, x0);
  if (c->input == GLD_INPUT_CONDITION_MEAN) {
    GL_GOTO(err, gld_condition_means_(f, path, in, inp), done);
  } else {
    inp->n = 1;
    GL_GOTO(err, GL_ALLOC(inp->name, 1), done);
    GL_GOTO(err, GL_ALLOC(inp->obs, in), done); /* the raw observation vector 0 */
    snprintf(inp->name[0], sizeof inp->name[0], "%s", c->input == GLD_INPUT_ZERO ? "zero" : "zero_obs");
  }
done:
  return glh5_release(err, &f);
}

/* Rank 0: scores of each point in the top PCs of /analysis/<lstm_h|lstm_c>/pca, when that
 * analysis was done without normalisation (the stored mean and components then act on raw
 * states). *why says what was done, for the `projection` attribute. */
static gl_err gld_project_(const char *path, gld_points *p, char *why, size_t wlen) {
  static const char *const pops[2] = {"lstm_h", "lstm_c"};
  hid_t f = -1, g = -1;
  double *comp[2] = {NULL, NULL}, *mean[2] = {NULL, NULL};
  char *norm = NULL;
  hsize_t dk[2][2];
  gl_err err = GL_OK;
  snprintf(why, wlen, "skipped: the recording has no /analysis/lstm_h/pca and /analysis/lstm_c/pca");
  GL_GOTO(err, glh5_open(&f, path, GLH5_READ), done);
  for (int l = 0; l < 2; ++l) {
    char obj[64];
    int ex = 0;
    snprintf(obj, sizeof obj, "/analysis/%s/pca/components", pops[l]);
    GL_GOTO(err, glh5_exists(f, obj, &ex), done);
    if (!ex) goto done;
  }
  for (int l = 0; l < 2; ++l) {
    char obj[64];
    int ex = 0;
    snprintf(obj, sizeof obj, "/analysis/%s", pops[l]);
    GL_GOTO(err, glh5_group_open(f, obj, &g), done);
    GL_GOTO(err, glh5_attr_exists(g, "normalization", &ex), done);
    if (ex) GL_GOTO(err, glh5_attr_read_string(g, "normalization", &norm), done);
    GL_GOTO(err, glh5_close(&g), done);
    if (!norm || strncmp(norm, "none", 4) != 0) {
      snprintf(why, wlen, "skipped: /analysis/%s was normalised (%s), so its PCA basis does not act on raw states; analyse with analysis.normalize=none to project", pops[l], norm ? norm : "unknown");
      goto done;
    }
    free(norm);
    norm = NULL;
    hsize_t want[2] = {GLH5_ANY, NH}, wm = NH;
    snprintf(obj, sizeof obj, "/analysis/%s/pca/components", pops[l]);
    GL_GOTO(err, glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 2, want, dk[l], &comp[l]), done);
    snprintf(obj, sizeof obj, "/analysis/%s/pca/mean", pops[l]);
    GL_GOTO(err, glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 1, &wm, &wm, &mean[l]), done);
  }
  int k = (int)(dk[0][0] < dk[1][0] ? dk[0][0] : dk[1][0]);
  p->npcs = k;
  GL_GOTO(err, GL_ALLOC(p->proj_h, (size_t)(p->n ? p->n : 1) * (size_t)(k ? k : 1)), done);
  GL_GOTO(err, GL_ALLOC(p->proj_c, (size_t)(p->n ? p->n : 1) * (size_t)(k ? k : 1)), done);
  for (int i = 0; i < p->n; ++i)
    for (int l = 0; l < 2; ++l) {
      const double *x = p->x + (size_t)i * N + (size_t)l * NH;
      double *o = (l ? p->proj_c : p->proj_h) + (size_t)i * (size_t)k;
      for (int q = 0; q < k; ++q) {
        double s = 0;
        for (int j = 0; j < NH; ++j) s += (x[j] - mean[l][j]) * comp[l][(size_t)q * NH + (size_t)j];
        o[q] = s;
      }
    }
  snprintf(why, wlen, "scores = (x - mean) components^T with /analysis/{lstm_h,lstm_c}/pca (normalization none), %d PCs each", k);
done:
  for (int l = 0; l < 2; ++l) { free(comp[l]); free(mean[l]); }
  free(norm);
  err = glh5_release(err, &g);
  return glh5_release(err, &f);
}

/* Make sure the group `path` (absolute, two levels at most used here) exists. */
static gl_err gld_ensure_group_(hid_t f, const char *path) {
  int ex = 0;
  GL_CALL(glh5_exists(f, path, &ex));
  if (ex) return GL_OK;
  hid_t g = -1;
  GL_CALL(glh5_group_create(f, path, &g));
  return glh5_close(&g);
}

static gl_err gld_conventions_(hid_t g, const gld_config *c, const char *input, const char *proj) {
  GL_CALL(glh5_attr_string(g, "state_order", "x = (h, c): columns 0..127 are LSTM h, 128..255 are LSTM c"));
  GL_CALL(glh5_attr_string(g, "map", "F(x; u) = one step of the actor LSTM (PyTorch gates i, f, g, o; c' = f c + i g, h' = o tanh c') in double precision from the float parameters; u = MLP(normaliser(obs)) (256)"));
  GL_CALL(glh5_attr_string(g, "input_convention", input));
  GL_CALL(glh5_attr_string(g, "q", "q(x) = 1/2 |F(x) - x|^2"));
  GL_CALL(glh5_attr_string(g, "optimizer", "Levenberg-Marquardt on J = dF/dx - I: (J^T J + lambda I) d = -J^T r (dposv); accepted step: lambda / 10, rejected: lambda x 10; stop at q < tol, max_iter trials, or lambda > 1e16"));
  GL_CALL(glh5_attr_string(g, "initial_states", c->init == GLD_INIT_RECORDING
      ? "recording: initial state g is the (agent, step) sample of /recording/lstm_h, lstm_c drawn from the Philox stream (seed, g, GLR_DYNAMICS), redrawn while not finite"
      : "random: h, c ~ U(-init_scale, init_scale) from the Philox stream (seed, g, GLR_DYNAMICS)"));
  GL_CALL(glh5_attr_string(g, "merge", "in initial-index order, a state joins the first kept point within merge_tol (Euclidean distance in R^256), else it is kept: each point keeps its lowest initial index"));
  GL_CALL(glh5_attr_string(g, "stability", "discrete-time map: stable iff max |lambda(dF/dx)| < 1; unstable = number of |lambda| > 1; eigenvalues by dgeev, sorted by |lambda| descending"));
  GL_CALL(glh5_attr_string(g, "label", "fixed when q < q_fixed, else slow"));
  GL_CALL(glh5_attr_string(g, "projection", proj));
  GL_CALL(glh5_attr_double(g, "tol", c->tol));
  GL_CALL(glh5_attr_double(g, "q_fixed", c->q_fixed));
  GL_CALL(glh5_attr_double(g, "merge_tol", c->merge_tol));
  GL_CALL(glh5_attr_double(g, "lambda0", c->lambda0));
  GL_CALL(glh5_attr_int(g, "max_iter", c->max_iter));
  GL_CALL(glh5_attr_int(g, "inits", c->inits));
  GL_CALL(glh5_attr_int(g, "seed", c->seed));
  return GL_OK;
}

/* One input's group at `base` (absolute path). */
static gl_err gld_write_points_(hid_t f, const char *base, const gld_points *p, const double *obs,
                                const double *u, const gld_config *c, const char *input, const char *proj) {
  char obj[256];
  hid_t g = -1;
  gl_err err = GL_OK;
  const hsize_t n = (hsize_t)p->n, m = (hsize_t)p->ninit, in = (hsize_t)p->in;
  hsize_t d1 = n, d2[2] = {n, N}, d3[3] = {n, N, N}, d3u[3] = {n, N, GLD_NU}, d3o[3] = {n, N, in};
  hsize_t dm = m, dm2[2] = {m, N}, dpc[2] = {n, (hsize_t)p->npcs}, du = GLD_NU, dobs = in;
  char *verdict = NULL, *label = NULL;
  GL_GOTO(err, glh5_group_create(f, base, &g), done);
#define PUT(name, t, r, dims, data)                                          \
  GL_GOTO(err, glh5_write(g, name, t, t, r, dims, data), done)
  PUT("points", H5T_NATIVE_DOUBLE, 2, d2, p->x);
  PUT("q", H5T_NATIVE_DOUBLE, 1, &d1, p->q);
  PUT("eigenvalues_real", H5T_NATIVE_DOUBLE, 2, d2, p->eig_re);
  PUT("eigenvalues_imag", H5T_NATIVE_DOUBLE, 2, d2, p->eig_im);
  PUT("spectral_radius", H5T_NATIVE_DOUBLE, 1, &d1, p->radius);
  PUT("unstable", H5T_NATIVE_INT, 1, &d1, p->unstable);
  PUT("is_fixed", H5T_NATIVE_INT, 1, &d1, p->is_fixed);
  PUT("initial_index", H5T_NATIVE_INT64, 1, &d1, p->init);
  PUT("iterations", H5T_NATIVE_INT, 1, &d1, p->iterations);
  PUT("members", H5T_NATIVE_INT, 1, &d1, p->members);
  PUT("jacobian_x", H5T_NATIVE_DOUBLE, 3, d3, p->jac_x);
  PUT("jacobian_u", H5T_NATIVE_DOUBLE, 3, d3u, p->jac_u);
  if (p->jac_obs) PUT("jacobian_obs", H5T_NATIVE_DOUBLE, 3, d3o, p->jac_obs);
  PUT("input_obs", H5T_NATIVE_DOUBLE, 1, &dobs, obs);
  PUT("input_u", H5T_NATIVE_DOUBLE, 1, &du, u);
  PUT("end_states", H5T_NATIVE_DOUBLE, 2, dm2, p->x_end);
  PUT("end_q", H5T_NATIVE_DOUBLE, 1, &dm, p->q_end);
  PUT("end_iterations", H5T_NATIVE_INT, 1, &dm, p->iter_end);
  if (p->npcs > 0) {
    PUT("pcs_lstm_h", H5T_NATIVE_DOUBLE, 2, dpc, p->proj_h);
    PUT("pcs_lstm_c", H5T_NATIVE_DOUBLE, 2, dpc, p->proj_c);
  }
#undef PUT
  /* verdicts as fixed-length strings, one per point */
  GL_GOTO(err, GL_ALLOC(verdict, (size_t)(n ? n : 1) * 96), done);
  GL_GOTO(err, GL_ALLOC(label, (size_t)(n ? n : 1) * 8), done);
  for (hsize_t i = 0; i < n; ++i) {
    if (p->unstable[i] == 0)
      snprintf(verdict + i * 96, 96, "stable (max |lambda| = %.6g < 1)", p->radius[i]);
    else
      snprintf(verdict + i * 96, 96, "unstable: %d mode%s with |lambda| > 1 (max %.6g)", p->unstable[i],
               p->unstable[i] == 1 ? "" : "s", p->radius[i]);
    snprintf(label + i * 8, 8, "%s", p->is_fixed[i] ? "fixed" : "slow");
  }
  if (n > 0) {
    GL_GOTO(err, glh5_write_strings(g, "verdict", verdict, n, 96), done);
    GL_GOTO(err, glh5_write_strings(g, "label", label, n, 8), done);
  }
  GL_GOTO(err, gld_conventions_(g, c, input, proj), done);
  snprintf(obj, sizeof obj, "%d unique points from %d initial states", p->n, p->ninit);
  GL_GOTO(err, glh5_attr_string(g, "summary", obj), done);
done:
  free(verdict);
  free(label);
  return glh5_release(err, &g);
}

typedef struct gld_result_ {
  int n;
  const gld_inputs_ *inp;
  gld_points *P;
  double *U;          /* [n][256] */
  const gld_config *c;
  char (*proj)[512];
} gld_result_;

static const char *gld_input_text_(const gld_config *c) {
  if (c->input == GLD_INPUT_ZERO)
    return "zero: the LSTM's input u = 0 (the feature, not an observation: input_obs is unused and jacobian_obs is not computed), as the authors' nn.LSTM with zero input";
  return c->input == GLD_INPUT_ZERO_OBS
             ? "zero_obs: the raw observation vector 0 passed through the policy's normaliser (clamped +-5) and MLP; u = input_u"
             : "condition_mean: the mean raw /recording/obs over every finite sample of the condition's agents (for an actor that reads its previous action, followed by the mean /recording/mu of the step before, from the window's second step on), through normaliser and MLP; u = input_u";
}

/* Write every input into /dynamics/.partial/, then swap each group in: delete the old
 * /dynamics/fixed_points/<name> and rename. A failure before the swap leaves the old
 * results untouched (the partial group is removed at the next run). */
static gl_err gld_fill_(hid_t f, void *ctx) {
  const gld_result_ *R = ctx;
  GL_CALL(gld_ensure_group_(f, "/dynamics"));
  GL_CALL(glh5_delete(f, "/dynamics/.partial"));
  GL_CALL(gld_ensure_group_(f, "/dynamics/.partial"));
  GL_CALL(gld_ensure_group_(f, "/dynamics/fixed_points"));
  char a[128], b[128];
  for (int k = 0; k < R->n; ++k) {
    snprintf(a, sizeof a, "/dynamics/.partial/%s", R->inp->name[k]);
    GL_CALL(gld_write_points_(f, a, &R->P[k], R->inp->obs + (size_t)k * (size_t)R->P[k].in,
                              R->U + (size_t)k * GLD_NU, R->c, gld_input_text_(R->c), R->proj[k]));
  }
  GL_CALL(glh5_flush(f));
  for (int k = 0; k < R->n; ++k) {
    snprintf(a, sizeof a, "/dynamics/.partial/%s", R->inp->name[k]);
    snprintf(b, sizeof b, "/dynamics/fixed_points/%s", R->inp->name[k]);
    GL_CALL(glh5_delete(f, b));
    GL_CALL(glh5_move(f, a, b));
  }
  return glh5_delete(f, "/dynamics/.partial");
}

static gl_err gld_write_(const char *target, gld_result_ *R) {
  struct stat st;
  if (stat(target, &st) != 0) return glh5_write_replace(target, gld_fill_, R);
  hid_t f = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, glh5_open(&f, target, GLH5_RDWR), done);
  GL_GOTO(err, gld_fill_(f, R), done);
done:
  return glh5_release(err, &f);
}

/* Every rank: x0 and the inputs, read by rank 0 and broadcast. */
static gl_err gld_share_input_(const char *path, const gld_config *c, int in, double *x0,
                               gld_inputs_ *inp, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  gl_err err = rank == 0 ? gld_read_input_(path, c, in, x0, inp) : GL_OK;
  GL_CALL(gl_agree(comm, err));
  GL_MPI(MPI_Bcast(x0, c->inits * N, MPI_DOUBLE, 0, comm));
  GL_MPI(MPI_Bcast(&inp->n, 1, MPI_INT, 0, comm));
  if (rank != 0) {
    err = GL_ALLOC(inp->name, inp->n);
    if (!err) err = GL_ALLOC(inp->obs, (size_t)inp->n * (size_t)in);
  }
  GL_CALL(gl_agree(comm, err));
  GL_MPI(MPI_Bcast(inp->name, inp->n * 32, MPI_CHAR, 0, comm));
  GL_MPI(MPI_Bcast(inp->obs, inp->n * in, MPI_DOUBLE, 0, comm));
  return GL_OK;
}

gl_err gld_run_file(const char *in_path, const char *out_path, const glp_policy *policy,
                    const gld_config *c, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  gld_net net = {0};
  gld_inputs_ inp = {0};
  gld_result_ R = {0};
  double *x0 = NULL, *du = NULL;
  gl_lock lock = GL_LOCK_NONE;
  const char *target = out_path ? out_path : in_path;
  gl_err err = gld_net_from_policy(&net, policy);
  if (!err) err = GL_ALLOC(x0, (size_t)c->inits * N);
  GL_GOTO(err, gl_agree(comm, err), done);
  GL_GOTO(err, gld_share_input_(in_path, c, net.in, x0, &inp, comm), done);
  err = GL_ALLOC(R.P, inp.n);
  if (!err) err = GL_ALLOC(R.U, (size_t)inp.n * GLD_NU);
  if (!err) err = GL_ALLOC(R.proj, inp.n);
  if (!err) err = GL_ALLOC(du, (size_t)GLD_NU * (size_t)net.in);
  GL_GOTO(err, gl_agree(comm, err), done);
  R.n = inp.n; R.inp = &inp; R.c = c;
  for (int k = 0; k < inp.n; ++k) {
    double *u = R.U + (size_t)k * GLD_NU;
    /* input zero is the feature u = 0 itself: no observation maps to it, so no dF/dobs */
    const int feature_zero = c->input == GLD_INPUT_ZERO;
    if (feature_zero) memset(u, 0, sizeof(double) * GLD_NU);
    else GL_GOTO(err, gl_agree(comm, gld_feature(&net, inp.obs + (size_t)k * (size_t)net.in, u, du)), done);
    GL_GOTO(err, gld_search(&net, u, feature_zero ? NULL : du, x0, c->inits, c, comm, &R.P[k]), done);
    if (rank == 0) {
      err = gld_project_(in_path, &R.P[k], R.proj[k], sizeof R.proj[k]);
      if (!err) gl_log("dynamics: %s: %d unique points from %d initial states", inp.name[k], R.P[k].n, c->inits);
    }
    GL_GOTO(err, gl_agree(comm, err), done);
  }
  if (rank == 0) {
    err = gl_lock_take(&lock, target);
    if (!err) err = gld_write_(target, &R);
    gl_lock_release(&lock);
  }
  err = gl_agree(comm, err);
done:
  for (int k = 0; R.P && k < R.n; ++k) gld_points_free(&R.P[k]);
  free(R.P); free(R.U); free(R.proj); free(x0); free(du);
  gld_inputs_free_(&inp);
  gld_net_free(&net);
  return err;
}
