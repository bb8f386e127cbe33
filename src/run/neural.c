/* The neural: block of an experiment: set, offset, scale or zero units or PC directions of
 * the actor's LSTM h, c or its observation, or ablate units to their recorded mean (the
 * perturbations and ablations of Rush et al. 2023, 2024; docs/dynamics.md).
 *
 * Why the change is made inside the step (glp_step_edit_f) rather than between steps: a
 * unit of h drives the action of the same step through the linear head, so clamping it
 * only after the step would let one unablated action through and make "ablated" mean two
 * different things for h and c. What the run records is the state the network used.
 *
 * Everything an agent's change depends on comes from the reference file (read once by rank
 * 0 and broadcast) and from the agent's global index, never from its rank. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"
#include "gaitlab/recording.h"
#include "gaitlab/rng.h"
#include "run/run_internal.h"

static const char *glx_neural_layer_name_(int layer) {
  return layer == GLX_NL_LSTM_H ? "lstm_h" : layer == GLX_NL_LSTM_C ? "lstm_c" : "obs";
}

void glx_neural_free(glx_neural *n) {
  free(n->dir);
  free(n->center);
  free(n->order);
  free(n->score);
  memset(n, 0, sizeof *n);
}

int glx_neural_active(const glx_config *c, int t) {
  if (c->neural_kind == GLX_NEURAL_NONE || t < c->neural_step) return 0;
  return c->neural_kind == GLX_NEURAL_ABLATE || t < c->neural_step + c->neural_steps;
}

/* Mean over every valid sample (finite rows, agents in file order) of /recording/<layer>. */
static gl_err glx_neural_mean_(hid_t f, const char *ref, const char *layer, int dim,
                               double *mean) {
  char path[64];
  snprintf(path, sizeof path, "/recording/%s", layer);
  hsize_t want[3] = {GLH5_ANY, GLH5_ANY, (hsize_t)dim}, dims[3];
  GL_CALL(glh5_check(f, path, H5T_NATIVE_FLOAT, 3, want, dims));
  float *buf = NULL;
  GL_CALL(GL_ALLOC(buf, (size_t)dims[1] * dim));
  gl_err err = GL_OK;
  double count = 0;
  memset(mean, 0, sizeof(double) * (size_t)dim);
  for (hsize_t a = 0; a < dims[0] && !err; ++a) {
    err = glh5_read_rows(f, path, H5T_NATIVE_FLOAT, 3, want, a, 1, buf, H5P_DEFAULT, NULL);
    for (hsize_t t = 0; !err && t < dims[1]; ++t) {
      const float *x = buf + (size_t)t * dim;
      if (isnan(x[0])) continue; /* after a fall */
      for (int j = 0; j < dim; ++j) mean[j] += x[j];
      count += 1;
    }
  }
  free(buf);
  GL_CALL(err);
  if (count == 0)
    return gl_error(GL_ERR_INPUT, "neural.reference '%s': %s has no valid sample to take the mean of", ref, path);
  for (int j = 0; j < dim; ++j) mean[j] /= count;
  return GL_OK;
}

/* The PCs listed in neural.pcs and the PCA mean, from /analysis/<layer>/pca of an analysis
 * with normalization none (a normalised basis does not act on the raw state). */
static gl_err glx_neural_pcs_(hid_t f, const glx_config *c, glx_neural *n) {
  const char *layer = glx_neural_layer_name_(c->neural_layer);
  const char *ref = c->neural_reference;
  char obj[96];
  snprintf(obj, sizeof obj, "/analysis/%s", layer);
  int ex = 0;
  GL_CALL(glh5_exists(f, obj, &ex));
  if (!ex)
    return gl_error(GL_ERR_INPUT, "neural.reference '%s': no %s/pca; analyse it first (gaitlab analyze %s --set analysis.normalize=none)", ref, obj, ref);
  hid_t g;
  GL_CALL(glh5_group_open(f, obj, &g));
  char *norm = NULL;
  gl_err err = glh5_attr_exists(g, "normalization", &ex);
  if (!err && ex) err = glh5_attr_read_string(g, "normalization", &norm);
  if (!err && (!norm || strcmp(norm, "none") != 0))
    err = gl_error(GL_ERR_INPUT, "neural.reference '%s': %s was analysed with normalization %s; neural.pcs needs a basis of the raw state (analysis.normalize: none)", ref, obj, norm ? norm : "unknown");
  free(norm);
  GL_CALL(glh5_release(err, &g));
  double *comp = NULL;
  hsize_t dims[2], want[2] = {GLH5_ANY, (hsize_t)n->dim}, wm = (hsize_t)n->dim;
  snprintf(obj, sizeof obj, "/analysis/%s/pca/components", layer);
  GL_CALL(glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 2, want, dims, &comp));
  for (int k = 0; !err && k < c->neural_pcs.n; ++k) {
    const int pc = (int)c->neural_pcs.v[k];
    if ((hsize_t)pc > dims[0])
      err = gl_error(GL_ERR_INPUT, "neural.pcs: PC %d is not in '%s' %s, which has %llu components", pc, ref, obj, (unsigned long long)dims[0]);
    else
      memcpy(n->dir + (size_t)k * n->dim, comp + (size_t)(pc - 1) * n->dim, sizeof(double) * (size_t)n->dim);
  }
  free(comp);
  GL_CALL(err);
  snprintf(obj, sizeof obj, "/analysis/%s/pca/mean", layer);
  return glh5_read(f, obj, H5T_NATIVE_DOUBLE, 1, &wm, n->center, H5P_DEFAULT);
}

/* Gradient scores of the action at the step a unit is clamped in: for h the head is linear,
 * |d mu / d h_j| = |Wo[:, j]|; for c, h_j = o_j tanh(c_j) adds o_j (1 - tanh^2 c_j), with
 * o_j = h_j / tanh(c_j) from the same recorded sample (samples with |tanh c_j| < 1e-3, where
 * that quotient is noise, are left out for unit j), averaged over the reference's samples. */
static gl_err glx_neural_scores_(hid_t f, const glx_config *c, const glp_policy *pol,
                                 glx_neural *n) {
  const float *Wo = pol->params + pol->off_actor + pol->actor.Wo;
  const int H = GLP_LSTM, out = pol->actor.out;
  for (int j = 0; j < H; ++j) {
    double s = 0;
    for (int k = 0; k < out; ++k) s += (double)Wo[(size_t)k * H + j] * Wo[(size_t)k * H + j];
    n->score[j] = sqrt(s);
  }
  if (c->neural_layer == GLX_NL_LSTM_H) return GL_OK;
  if (c->neural_layer == GLX_NL_OBS)
    return gl_error(GL_ERR_INPUT, "neural.select: gradient ranks LSTM units (lstm_h, lstm_c); for obs choose random");
  hsize_t want[3] = {GLH5_ANY, GLH5_ANY, (hsize_t)H}, dh[3], dc[3];
  GL_CALL(glh5_check(f, "/recording/lstm_h", H5T_NATIVE_FLOAT, 3, want, dh));
  GL_CALL(glh5_check(f, "/recording/lstm_c", H5T_NATIVE_FLOAT, 3, want, dc));
  if (dh[0] != dc[0] || dh[1] != dc[1])
    return gl_error(GL_ERR_INPUT, "neural.reference '%s': /recording/lstm_h and lstm_c differ in shape", c->neural_reference);
  float *h = NULL, *cc = NULL;
  double *sum = NULL, *cnt = NULL;
  gl_err err = GL_ALLOC(h, (size_t)dh[1] * H);
  if (!err) err = GL_ALLOC(cc, (size_t)dh[1] * H);
  if (!err) err = GL_ALLOC(sum, H);
  if (!err) err = GL_ALLOC(cnt, H);
  for (hsize_t a = 0; a < dh[0] && !err; ++a) {
    err = glh5_read_rows(f, "/recording/lstm_h", H5T_NATIVE_FLOAT, 3, want, a, 1, h, H5P_DEFAULT, NULL);
    if (!err) err = glh5_read_rows(f, "/recording/lstm_c", H5T_NATIVE_FLOAT, 3, want, a, 1, cc, H5P_DEFAULT, NULL);
    for (hsize_t t = 0; !err && t < dh[1]; ++t)
      for (int j = 0; j < H; ++j) {
        const double hj = h[t * H + j], tc = tanh((double)cc[t * H + j]);
        if (!isfinite(hj) || !(fabs(tc) >= 1e-3)) continue;
        double o = hj / tc;
        o = o < 0 ? 0 : o > 1 ? 1 : o;
        sum[j] += o * (1 - tc * tc);
        cnt[j] += 1;
      }
  }
  for (int j = 0; !err && j < H; ++j) n->score[j] *= cnt[j] > 0 ? sum[j] / cnt[j] : 0.0;
  free(h);
  free(cc);
  free(sum);
  free(cnt);
  return err;
}

static const double *glx_sort_scores_;
static int glx_score_desc_(const void *a, const void *b) {
  const int i = *(const int *)a, j = *(const int *)b;
  const double si = glx_sort_scores_[i], sj = glx_sort_scores_[j];
  return si > sj ? -1 : si < sj ? 1 : i - j;
}

/* Rank 0: everything the reference file gives, into n (already sized). */
static gl_err glx_neural_read_(const glx_config *c, const glp_policy *pol, glx_neural *n) {
  hid_t f;
  GL_CALL(glh5_open(&f, c->neural_reference, GLH5_READ));
  gl_err err = GL_OK;
  if (c->neural_kind == GLX_NEURAL_ABLATE)
    err = glx_neural_mean_(f, c->neural_reference, glx_neural_layer_name_(c->neural_layer), n->dim, n->center);
  if (!err && n->ndir > 0) err = glx_neural_pcs_(f, c, n);
  if (!err && n->order) {
    err = glx_neural_scores_(f, c, pol, n);
    for (int j = 0; j < n->dim; ++j) n->order[j] = j;
    glx_sort_scores_ = n->score;
    if (!err) qsort(n->order, (size_t)n->dim, sizeof *n->order, glx_score_desc_);
  }
  if (err) err = gl_error_context(err, "neural.reference '%s'", c->neural_reference);
  return glh5_release(err, &f);
}

gl_err glx_neural_prepare(const glx_config *c, const glp_policy *pol, MPI_Comm comm,
                          glx_neural *n) {
  memset(n, 0, sizeof *n);
  n->kind = c->neural_kind;
  if (n->kind == GLX_NEURAL_NONE) return GL_OK;
  n->layer = c->neural_layer;
  n->dim = n->layer == GLX_NL_OBS ? glio_layer_table()[GLIO_OBS].dim : GLP_LSTM;
  const double v = c->neural_value;
  switch (n->kind) {
    case GLX_NEURAL_SET: n->alpha = -1, n->beta = v; break;
    case GLX_NEURAL_OFFSET: n->alpha = 0, n->beta = v; break;
    case GLX_NEURAL_SCALE: n->alpha = v - 1, n->beta = 0; break;
    default: n->alpha = -1, n->beta = 0; break; /* zero, ablate */
  }
  n->ndir = c->neural_pcs.n;
  n->width = 1;
  if (n->kind == GLX_NEURAL_ABLATE)
    for (int i = 0; i < c->neural_count.n; ++i) n->width = (int)fmax(n->width, c->neural_count.v[i]);
  else
    n->width = (int)fmax(1, n->ndir ? n->ndir : c->neural_units.n);
  const int ranked = n->kind == GLX_NEURAL_ABLATE && c->neural_select == GLX_SELECT_GRADIENT;
  GL_CALL(GL_ALLOC(n->center, n->dim));
  if (n->ndir) GL_CALL(GL_ALLOC(n->dir, (size_t)n->ndir * n->dim));
  if (ranked) GL_CALL(GL_ALLOC(n->order, n->dim));
  if (ranked) GL_CALL(GL_ALLOC(n->score, n->dim));
  const int need_file = n->kind == GLX_NEURAL_ABLATE || n->ndir > 0;
  int rank;
  GL_MPI(MPI_Comm_rank(comm, &rank));
  GL_CALL(gl_agree(comm, need_file && rank == 0 ? glx_neural_read_(c, pol, n) : GL_OK));
  GL_MPI(MPI_Bcast(n->center, n->dim, MPI_DOUBLE, 0, comm));
  if (n->ndir) GL_MPI(MPI_Bcast(n->dir, n->ndir * n->dim, MPI_DOUBLE, 0, comm));
  if (ranked) GL_MPI(MPI_Bcast(n->order, n->dim, MPI_INT, 0, comm));
  if (ranked) GL_MPI(MPI_Bcast(n->score, n->dim, MPI_DOUBLE, 0, comm));
  if (n->layer == GLX_NL_OBS && n->dim > pol->actor_in)
    return gl_error(GL_ERR_INPUT, "neural.layer: obs has %d recorded inputs but the policy reads %d", n->dim, pol->actor_in);
  return GL_OK;
}

static int glx_int16_cmp_(const void *a, const void *b) {
  return (int)*(const int16_t *)a - (int)*(const int16_t *)b;
}

int glx_neural_units(const glx_config *c, const glx_neural *n, int64_t a, int copy,
                     int16_t *units) {
  for (int k = 0; k < n->width; ++k) units[k] = -1;
  if (n->kind == GLX_NEURAL_NONE || !glx_neural_on(c, copy)) return 0;
  if (n->kind != GLX_NEURAL_ABLATE) {
    const glc_reals *r = n->ndir ? &c->neural_pcs : &c->neural_units;
    for (int k = 0; k < r->n; ++k) units[k] = (int16_t)r->v[k];
    qsort(units, (size_t)r->n, sizeof *units, glx_int16_cmp_);
    return r->n;
  }
  const int count = glx_neural_cell(c, copy);
  if (n->order) {
    for (int k = 0; k < count; ++k) units[k] = (int16_t)n->order[k];
  } else {
    /* a partial Fisher-Yates shuffle from the agent's own stream */
    int perm[1024];
    for (int j = 0; j < n->dim; ++j) perm[j] = j;
    glr_stream s;
    glr_init(&s, (uint64_t)c->seed, (uint64_t)a, GLR_NEURAL);
    for (int k = 0; k < count; ++k) {
      const int j = k + (int)(glr_uniform(&s) * (n->dim - k));
      const int t = perm[k];
      perm[k] = perm[j];
      perm[j] = t;
      units[k] = (int16_t)perm[k];
    }
  }
  qsort(units, (size_t)count, sizeof *units, glx_int16_cmp_);
  return count;
}

void glx_neural_apply(const glx_neural *n, const int16_t *units, int count, float *x) {
  if (!n->ndir) {
    for (int k = 0; k < count; ++k) {
      const int j = units[k];
      /* alpha = -1 (set, zero, ablate) is written as the target itself, so that an ablated
       * unit holds exactly the mean's float */
      x[j] = n->alpha == -1 ? (float)(n->center[j] + n->beta)
                            : (float)(x[j] + n->alpha * (x[j] - n->center[j]) + n->beta);
    }
    return;
  }
  double xd[1024];
  for (int j = 0; j < n->dim; ++j) xd[j] = x[j];
  for (int k = 0; k < n->ndir; ++k) {
    const double *e = n->dir + (size_t)k * n->dim;
    double p = 0;
    for (int j = 0; j < n->dim; ++j) p += e[j] * (xd[j] - n->center[j]);
    const double d = n->alpha * p + n->beta;
    for (int j = 0; j < n->dim; ++j) xd[j] += d * e[j];
  }
  for (int j = 0; j < n->dim; ++j) x[j] = (float)xd[j];
  (void)units;
  (void)count;
}
