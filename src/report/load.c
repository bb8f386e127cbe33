/* Loading a recording for the report: provenance, /summary/tracking, /analysis/cycles and
 * every analysed population, read serially through the h5 layer. Objects the report cannot
 * do without are checked up front so the user gets one line naming the file and the object,
 * never an HDF5 traceback; optional ones (attributes, splines, the speed axis) are shown
 * when present. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/h5.h"
#include "report_internal.h"

const char *const glrep_q_names[GLREP_NQ] = {"mean", "median", "p90_linear", "p90_hazen", "max"};

typedef struct glrep_rd {
  hid_t f;
  const char *path;
} glrep_rd;

static char *glrep_strdup_(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static gl_err glrep_missing_(const glrep_rd *r, const char *obj) {
  return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is missing or unreadable", r->path, obj);
}

/* Whole dataset of rank want_nd as doubles (HDF5 converts integer types), shape checked
 * before the read; dims[0..1] (dims[1] = 1 for 1-D). */
static gl_err glrep_read_(const glrep_rd *r, const char *obj, int want_nd, double **out,
                          hsize_t dims[2]) {
  *out = NULL;
  dims[0] = dims[1] = 1;
  int has;
  GL_CALL(glh5_exists(r->f, obj, &has));
  if (!has) return glrep_missing_(r, obj);
  return glh5_read_alloc(r->f, obj, H5T_NATIVE_DOUBLE, want_nd, NULL, dims, out);
}

/* Optional attributes: 1 when present and read, 0 otherwise (reports show what exists). */
static int glrep_attr_str_(hid_t obj, const char *name, char **out) {
  int has = 0;
  *out = NULL;
  return glh5_attr_exists(obj, name, &has) == GL_OK && has &&
         glh5_attr_read_string(obj, name, out) == GL_OK;
}

static int glrep_attr_double_(hid_t obj, const char *name, double *out) {
  int has = 0;
  int ok = glh5_attr_exists(obj, name, &has) == GL_OK && has &&
           glh5_attr_read_double(obj, name, out) == GL_OK;
  if (!ok) *out = NAN;
  return ok;
}

static long long glrep_attr_ll_(hid_t obj, const char *name) {
  double v;
  return glrep_attr_double_(obj, name, &v) && isfinite(v) ? (long long)v : -1;
}

/* An optional group or dataset: *obj = -1 when absent. */
static gl_err glrep_open_opt_(const glrep_rd *r, const char *path, hid_t *obj) {
  int has;
  *obj = -1;
  GL_CALL(glh5_exists(r->f, path, &has));
  return has ? glh5_object_open(r->f, path, obj) : GL_OK;
}

static gl_err glrep_provenance_(const glrep_rd *r, glrep_file *g) {
  glrep_attr_str_(r->f, "name", &g->name);
  glrep_attr_str_(r->f, "git_hash", &g->git_hash);
  glrep_attr_str_(r->f, "policy", &g->policy);
  glrep_attr_str_(r->f, "status", &g->status);
  glrep_attr_str_(r->f, "gaitlab_version", &g->version);
  g->seed = glrep_attr_ll_(r->f, "seed");
  g->policy_seed = glrep_attr_ll_(r->f, "policy_seed");
  g->nranks = glrep_attr_ll_(r->f, "nranks");
  return GL_OK;
}

/* Column names from the table's 'columns' attribute ("a, b, c"); generic names for the rest. */
static gl_err glrep_column_names_(const glrep_rd *r, glrep_file *g) {
  GL_CALL(GL_ALLOC(g->colname, g->ncol));
  char *cols = NULL;
  hid_t d;
  GL_CALL(glh5_object_open(r->f, "/summary/tracking", &d));
  glrep_attr_str_(d, "columns", &cols);
  gl_err err = glh5_close(&d);
  char *save = NULL, *tok = cols ? strtok_r(cols, ",", &save) : NULL;
  for (int c = 0; !err && c < g->ncol; ++c) {
    char gen[32];
    while (tok && *tok == ' ') ++tok;
    if (tok) {
      size_t n = strlen(tok);
      while (n && tok[n - 1] == ' ') tok[--n] = '\0';
    } else {
      snprintf(gen, sizeof gen, "col%d", c);
    }
    if (!(g->colname[c] = glrep_strdup_(tok ? tok : gen))) err = gl_error(GL_ERR_NOMEM, "out of memory");
    tok = tok ? strtok_r(NULL, ",", &save) : NULL;
  }
  free(cols);
  return err;
}

static gl_err glrep_tracking_(const glrep_rd *r, glrep_file *g) {
  hsize_t dims[2];
  GL_CALL(glrep_read_(r, "/summary/tracking", 2, &g->tracking, dims));
  g->nrow = (int)dims[0];
  g->ncol = (int)dims[1];
  GL_CALL(glrep_read_(r, "/conditions/u", 1, &g->u, dims));
  g->ncond = (int)dims[0];
  GL_CALL(glrep_read_(r, "/conditions/v", 1, &g->v, dims));
  if ((int)dims[0] != g->ncond) return glrep_missing_(r, "/conditions/v");
  GL_CALL(glrep_read_(r, "/conditions/r", 1, &g->r, dims));
  if ((int)dims[0] != g->ncond) return glrep_missing_(r, "/conditions/r");
  if (g->nrow != g->ncond)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 object /summary/tracking has %d rows for %d conditions",
                    r->path, g->nrow, g->ncond);
  return glrep_column_names_(r, g);
}

static gl_err glrep_cycles_(const glrep_rd *r, glrep_file *g) {
  hsize_t dims[2];
  double *mode = NULL, *nused = NULL;
  hid_t cy = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, glrep_read_(r, "/analysis/cycles/mode_period", 1, &mode, dims), done);
  if ((int)dims[0] != g->ncond) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object /analysis/cycles/mode_period has %d entries for %d conditions",
                   r->path, (int)dims[0], g->ncond);
    goto done;
  }
  GL_GOTO(err, glrep_read_(r, "/analysis/cycles/gait_frequency_hz", 1, &g->freq, dims), done);
  if ((int)dims[0] != g->ncond) {
    err = glrep_missing_(r, "/analysis/cycles/gait_frequency_hz");
    goto done;
  }
  GL_GOTO(err, glrep_read_(r, "/analysis/cycles/n_used", 1, &nused, dims), done);
  if ((int)dims[0] != g->ncond) {
    err = glrep_missing_(r, "/analysis/cycles/n_used");
    goto done;
  }
  GL_GOTO(err, GL_ALLOC(g->mode, g->ncond), done);
  GL_GOTO(err, GL_ALLOC(g->nused, g->ncond), done);
  for (int c = 0; c < g->ncond; ++c) {
    g->mode[c] = (int)mode[c];
    g->nused[c] = (long long)nused[c];
  }
  GL_GOTO(err, glh5_group_open(r->f, "/analysis/cycles", &cy), done);
  if (!glrep_attr_double_(cy, "sampling_period_s", &g->dt)) g->dt = 0;
  g->has_cycles = 1;
done:
  free(mode);
  free(nused);
  return glh5_release(err, &cy);
}

/* Curves from [nseg x npts] spline datasets: NaN samples (conditions without cycles) drop. */
static gl_err glrep_curves_from_grid_(const double *x, const double *y, int nseg, int npts,
                                      glrep_curves *cv) {
  GL_CALL(GL_ALLOC(cv->x, (size_t)nseg * (size_t)npts + 1));
  GL_CALL(GL_ALLOC(cv->y, (size_t)nseg * (size_t)npts + 1));
  GL_CALL(GL_ALLOC(cv->off, nseg + 1));
  int o = 0;
  for (int c = 0; c < nseg; ++c) {
    cv->off[c] = o;
    for (int i = 0; i < npts; ++i) {
      double a = x[(size_t)c * (size_t)npts + (size_t)i], b = y[(size_t)c * (size_t)npts + (size_t)i];
      if (!isfinite(a) || !isfinite(b)) continue;
      cv->x[o] = a;
      cv->y[o++] = b;
    }
  }
  cv->off[nseg] = o;
  return GL_OK;
}

/* PC1 vs PC2 from the scores of the samples, each condition's loop closed. */
static gl_err glrep_pc_from_scores_(const double *scores, int k, const double *off, int nseg,
                                    glrep_curves *cv) {
  size_t n = (size_t)off[nseg];
  GL_CALL(GL_ALLOC(cv->x, n + (size_t)nseg + 1));
  GL_CALL(GL_ALLOC(cv->y, n + (size_t)nseg + 1));
  GL_CALL(GL_ALLOC(cv->off, nseg + 1));
  int o = 0;
  for (int c = 0; c < nseg; ++c) {
    cv->off[c] = o;
    size_t a = (size_t)off[c], b = (size_t)off[c + 1];
    for (size_t i = a; i <= b && b > a; ++i) {
      size_t row = i < b ? i : a;
      cv->x[o] = scores[row * (size_t)k];
      cv->y[o++] = k > 1 ? scores[row * (size_t)k + 1] : 0.0;
    }
  }
  cv->off[nseg] = o;
  return GL_OK;
}

/* Tangling vs phase from q at the analysed rows: phase = (row - start) / period. */
static gl_err glrep_tq_from_rows_(const double *q, const double *row, size_t m, const double *off,
                                  int nseg, glrep_curves *cv) {
  GL_CALL(GL_ALLOC(cv->x, m + 1));
  GL_CALL(GL_ALLOC(cv->y, m + 1));
  GL_CALL(GL_ALLOC(cv->off, nseg + 1));
  int o = 0, c = 0;
  for (size_t i = 0; i < m; ++i) {
    while (c < nseg && row[i] >= off[c + 1]) cv->off[++c] = o;
    if (c >= nseg) break;
    double len = off[c + 1] - off[c];
    cv->x[o] = (row[i] - off[c]) / len;
    cv->y[o++] = q[i];
  }
  while (c < nseg) cv->off[++c] = o;
  return GL_OK;
}

static void glrep_summary_attrs_(hid_t g, double *q) {
  for (int i = 0; i < GLREP_NQ; ++i) glrep_attr_double_(g, glrep_q_names[i], &q[i]);
}


/* ---- one analysed population, read in the steps of its groups */

/* Paths "/analysis/<name>/<sub>" in one scratch buffer, sized for the longest sub-path this
 * file names (GLREP_SUB_MAX), so a population name of any length fits. */
enum { GLREP_SUB_MAX = 64 };
typedef struct glrep_popr {
  const glrep_rd *r;
  const char *name;
  char *path;
  size_t cap;
} glrep_popr;

static const char *glrep_sub_(glrep_popr *pr, const char *sub) {
  snprintf(pr->path, pr->cap, "/analysis/%s%s%s", pr->name, sub[0] ? "/" : "", sub);
  return pr->path;
}

static gl_err glrep_has_(glrep_popr *pr, const char *sub, int *has) {
  return glh5_exists(pr->r->f, glrep_sub_(pr, sub), has);
}

/* PCA: explained variance ratios, the condition offsets (validated) and the scores; the
 * unit count from the components when they are readable. */
static gl_err glrep_pop_pca_(glrep_popr *pr, glrep_pop *p, double **off, double **scores,
                             hsize_t dsc[2]) {
  const glrep_rd *r = pr->r;
  hsize_t dims[2];
  GL_CALL(glrep_read_(r, glrep_sub_(pr, "pca/explained_variance_ratio"), 1, &p->evr, dims));
  p->k = (int)dims[0];
  GL_CALL(glrep_read_(r, glrep_sub_(pr, "condition_offset"), 1, off, dims));
  int nseg = (int)dims[0] - 1;
  p->nseg = nseg;
  if (nseg < 1) return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is empty", r->path, pr->path);
  for (int c = 0; c < nseg; ++c)
    if (!((*off)[c + 1] >= (*off)[c]))
      return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is not non-decreasing", r->path, pr->path);
  GL_CALL(glrep_read_(r, glrep_sub_(pr, "pca/scores"), 2, scores, dsc));
  if (dsc[0] != (hsize_t)(*off)[nseg])
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %llu rows, condition_offset says %.0f",
                    r->path, pr->path, (unsigned long long)dsc[0], (*off)[nseg]);
  p->rows = (long long)dsc[0];
  int has, nd = 0;
  GL_CALL(glrep_has_(pr, "pca/components", &has));
  if (has) {
    hsize_t cd[GLH5_MAXRANK];
    H5T_class_t cls;
    /* optional: a components object that is no readable dataset leaves the unit count 0 */
    if (glh5_shape(r->f, pr->path, &nd, cd, &cls) == GL_OK && nd == 2) p->dim = (long long)cd[1];
    else gl_error_clear();
  }
  return GL_OK;
}

/* The conventions written next to the results (group attributes). */
static gl_err glrep_pop_conventions_(glrep_popr *pr, glrep_pop *p) {
  hid_t g;
  GL_CALL(glh5_group_open(pr->r->f, glrep_sub_(pr, ""), &g));
  glrep_attr_str_(g, "tangling_space", &p->space);
  glrep_attr_str_(g, "tangling_epsilon_rule", &p->eps_rule);
  if (p->eps_rule) p->eps_rule[strcspn(p->eps_rule, ":")] = '\0';
  return glh5_close(&g);
}

/* Tangling of the cycle averages (q at the analysed rows, summary attributes, per-condition
 * mean and max) and, when present, of every raw sample. */
static gl_err glrep_pop_tangling_(glrep_popr *pr, glrep_pop *p, double **q, double **row,
                                  size_t *m) {
  const glrep_rd *r = pr->r;
  hsize_t dims[2];
  GL_CALL(glrep_read_(r, glrep_sub_(pr, "tangling/q"), 1, q, dims));
  *m = (size_t)dims[0];
  GL_CALL(glrep_read_(r, glrep_sub_(pr, "tangling/row"), 1, row, dims));
  if ((size_t)dims[0] != *m)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %zu entries, tangling/q has %zu", r->path,
                    pr->path, (size_t)dims[0], *m);
  hid_t g;
  GL_CALL(glh5_group_open(r->f, glrep_sub_(pr, "tangling"), &g));
  p->has_q = 1;
  glrep_summary_attrs_(g, p->q);
  glrep_attr_double_(g, "epsilon", &p->eps);
  p->qdims = glrep_attr_ll_(g, "dimensions");
  GL_CALL(glh5_close(&g));
  int has;
  GL_CALL(glrep_has_(pr, "tangling/per_condition_mean_max", &has));
  if (has) {
    GL_CALL(glrep_read_(r, pr->path, 2, &p->pcm, dims));
    p->npcm = dims[1] == 2 ? (int)dims[0] : 0;
  }
  GL_CALL(glrep_open_opt_(r, glrep_sub_(pr, "tangling_raw"), &g));
  if (g >= 0) {
    p->has_raw = 1;
    glrep_summary_attrs_(g, p->qraw);
    GL_CALL(glh5_close(&g));
  }
  return GL_OK;
}

/* Speed axis: its attributes and the projection of each condition mean onto it. */
static gl_err glrep_pop_speed_(glrep_popr *pr, glrep_pop *p) {
  const glrep_rd *r = pr->r;
  hid_t g;
  GL_CALL(glrep_open_opt_(r, glrep_sub_(pr, "speed_axis"), &g));
  if (g < 0) return GL_OK;
  p->has_speed = 1;
  glrep_attr_double_(g, "fraction", &p->speed_fraction);
  glrep_attr_str_(g, "family", &p->speed_family);
  GL_CALL(glh5_close(&g));
  double *cm = NULL, *dir = NULL;
  hsize_t dims[2], dd[2], ds[2];
  gl_err err = GL_OK;
  GL_GOTO(err, glrep_read_(r, glrep_sub_(pr, "speed_axis/direction_pcs"), 1, &dir, dd), done);
  GL_GOTO(err, glrep_read_(r, glrep_sub_(pr, "speed_axis/condition_means"), 2, &cm, dims), done);
  GL_GOTO(err, glrep_read_(r, glrep_sub_(pr, "speed_axis/speed"), 1, &p->speed_value, ds), done);
  if (dims[1] != dd[0] || dims[0] != ds[0]) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 objects under /analysis/%s/speed_axis disagree in shape",
                   r->path, pr->name);
    goto done;
  }
  p->nspeed = (int)ds[0];
  GL_GOTO(err, GL_ALLOC(p->speed_proj, p->nspeed ? p->nspeed : 1), done);
  for (int s = 0; s < p->nspeed; ++s)
    for (hsize_t j = 0; j < dd[0]; ++j) p->speed_proj[s] += cm[(size_t)s * dd[0] + j] * dir[j];
  int has;
  GL_GOTO(err, glrep_has_(pr, "speed_axis/projection", &has), done);
  if (has) {
    GL_GOTO(err, glrep_read_(r, pr->path, 1, &p->sproj, dims), done);
    if ((long long)dims[0] != p->rows) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %llu entries for %lld rows", r->path,
                     pr->path, (unsigned long long)dims[0], p->rows);
      goto done;
    }
  }
done:
  free(cm);
  free(dir);
  return err;
}

/* Two [nseg x points] spline datasets of the same shape (both present), or *a = NULL. */
static gl_err glrep_spline_pair_(glrep_popr *pr, const char *xs, const char *ys, int nseg,
                                 double **a, double **b, hsize_t dims[2]) {
  int hx, hy = 0;
  *a = *b = NULL;
  GL_CALL(glrep_has_(pr, xs, &hx));
  if (hx) GL_CALL(glrep_has_(pr, ys, &hy));
  if (!hx || !hy) return GL_OK;
  hsize_t d2[2];
  GL_CALL(glrep_read_(pr->r, glrep_sub_(pr, xs), 2, a, dims));
  GL_CALL(glrep_read_(pr->r, glrep_sub_(pr, ys), 2, b, d2));
  if (dims[0] != (hsize_t)nseg || d2[0] != dims[0] || d2[1] != dims[1] || dims[1] < 2)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s must be [%d conditions x points] like %s",
                    pr->r->path, pr->path, nseg, xs);
  return GL_OK;
}

/* Figure curves: the splines when present, else the samples themselves. */
static gl_err glrep_pop_curves_(glrep_popr *pr, glrep_pop *p, const double *off,
                                const double *scores, int k, const double *q, const double *row,
                                size_t m) {
  const int nseg = p->nseg;
  double *a = NULL, *b = NULL;
  hsize_t dims[2];
  gl_err err = GL_OK;
  GL_GOTO(err, glrep_spline_pair_(pr, "spline/pc1", "spline/pc2", nseg, &a, &b, dims), done);
  if (a) {
    GL_GOTO(err, glrep_curves_from_grid_(a, b, nseg, (int)dims[1], &p->pc), done);
    p->spline = 1;
  } else {
    GL_GOTO(err, glrep_pc_from_scores_(scores, k, off, nseg, &p->pc), done);
  }
  free(a);
  free(b);
  GL_GOTO(err, glrep_spline_pair_(pr, "spline/time", "spline/tangling", nseg, &a, &b, dims), done);
  if (a) {
    for (int c = 0; c < nseg; ++c) { /* time -> phase in [0, 1] */
      double *t = a + (size_t)c * dims[1], T = t[dims[1] - 1];
      for (hsize_t i = 0; i < dims[1]; ++i) t[i] = T > 0 ? t[i] / T : NAN;
    }
    GL_GOTO(err, glrep_curves_from_grid_(a, b, nseg, (int)dims[1], &p->tq), done);
  } else {
    GL_GOTO(err, glrep_tq_from_rows_(q, row, m, off, nseg, &p->tq), done);
  }
done:
  free(a);
  free(b);
  return err;
}

static gl_err glrep_population_(const glrep_rd *r, const char *name, glrep_pop *p) {
  double *off = NULL, *scores = NULL, *q = NULL, *row = NULL;
  hsize_t dsc[2] = {0, 0};
  size_t m = 0;
  glrep_popr pr = {r, name, NULL, strlen(name) + sizeof "/analysis/" + GLREP_SUB_MAX};
  gl_err err = GL_OK;
  if (!(p->name = glrep_strdup_(name))) return gl_error(GL_ERR_NOMEM, "out of memory");
  GL_CALL(GL_ALLOC(pr.path, pr.cap));
  GL_GOTO(err, glrep_pop_pca_(&pr, p, &off, &scores, dsc), done);
  GL_GOTO(err, glrep_pop_conventions_(&pr, p), done);
  GL_GOTO(err, glrep_pop_tangling_(&pr, p, &q, &row, &m), done);
  GL_GOTO(err, glrep_pop_speed_(&pr, p), done);
  GL_GOTO(err, glrep_pop_curves_(&pr, p, off, scores, (int)dsc[1], q, row, m), done);
done:
  free(pr.path);
  /* the rows stay with the population (the claims read them); glrep_destroy frees them */
  p->off = off;
  p->scores = scores;
  p->sk = (int)dsc[1];
  p->qv = q;
  p->qrow = row;
  p->nq = m;
  return err;
}

static gl_err glrep_analysis_(const glrep_rd *r, glrep_file *g) {
  int has;
  GL_CALL(glh5_exists(r->f, "/analysis", &has));
  if (!has) return GL_OK;
  g->has_analysis = 1;
  hid_t top;
  GL_CALL(glh5_group_open(r->f, "/analysis", &top));
  glrep_attr_str_(top, "warning", &g->warning);
  glrep_attr_str_(top, "git_hash", &g->analysis_git);
  g->analysis_nranks = glrep_attr_ll_(top, "nranks");
  glrep_attr_double_(top, "seconds", &g->analysis_seconds);
  char **names = NULL;
  int n = 0;
  gl_err err = glh5_list_groups(top, &names, &n);
  err = glh5_release(err, &top);
  if (!err) err = glh5_exists(r->f, "/analysis/cycles", &has);
  if (!err && has) err = glrep_cycles_(r, g);
  /* every group but cycles is a population */
  int npop = 0;
  for (int i = 0; i < n; ++i) npop += strcmp(names[i], "cycles") != 0;
  if (!err && npop) err = GL_ALLOC(g->pop, npop);
  for (int i = 0; !err && i < n; ++i) {
    if (strcmp(names[i], "cycles") == 0) continue;
    err = glrep_population_(r, names[i], &g->pop[g->npop]);
    g->npop++;
  }
  glh5_free_names(names, n);
  return err;
}

static int glrep_force_cmp2_(const void *a, const void *b) {
  const double *x = a, *y = b;
  for (int k = 0; k < 2; ++k)
    if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
  return 0;
}

static int glrep_force_cmp_(const void *a, const void *b) {
  const double *x = a, *y = b;
  for (int k = 0; k < 3; ++k)
    if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
  return 0;
}

/* The disturbed agents of a force experiment, counted per (condition, magnitude, duration):
 * trials, trials whose force was applied (a touchdown came), falls among those. */
static gl_err glrep_force_(const glrep_rd *r, glrep_file *g) {
  int has;
  GL_CALL(glh5_exists(r->f, "/agents/force_magnitude", &has));
  if (!has) return GL_OK;
  static const char *const obj[6] = {"/agents/condition", "/agents/force_magnitude",
                                     "/agents/force_duration", "/agents/force_onset_step",
                                     "/agents/fell", "/agents/perturbed"};
  double *col[6] = {NULL};
  hsize_t dims[2], n = 0;
  glrep_recovery *rec = NULL; /* opened at the first trial that needs it */
  gl_err err = GL_OK;
  for (int k = 0; k < 6 && !err; ++k) {
    err = glrep_read_(r, obj[k], 1, &col[k], dims);
    if (!err && k == 0) n = dims[0];
    if (!err && dims[0] != n)
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %llu entries, %s has %llu", r->path, obj[k],
                     (unsigned long long)dims[0], obj[0], (unsigned long long)n);
  }
  if (!err) err = GL_ALLOC(g->force, (size_t)(n ? n : 1) * GLREP_FORCE_NCOL);
  for (hsize_t a = 0; a < n && !err; ++a) {
    if (!(col[5][a] > 0)) continue;
    const double key[3] = {col[0][a], col[1][a], col[2][a]};
    int c = 0;
    while (c < g->nforce && glrep_force_cmp_(g->force + (size_t)c * GLREP_FORCE_NCOL, key) != 0) ++c;
    double *cell = g->force + (size_t)c * GLREP_FORCE_NCOL;
    if (c == g->nforce) {
      memset(cell, 0, GLREP_FORCE_NCOL * sizeof *cell);
      memcpy(cell, key, sizeof key);
      g->nforce++;
    }
    cell[GLREP_FC_TRIALS] += 1;
    if (col[3][a] >= 0) {
      cell[GLREP_FC_APPLIED] += 1;
      cell[GLREP_FC_FELL] += col[4][a] > 0;
    }
    if (col[3][a] >= 0 && !(col[4][a] > 0) && g->has_analysis) {
      glrep_pushm m;
      if (!rec) err = glrep_recovery_open(g, GLREP_RECOVERY_LAYER, &rec);
      if (!err) err = glrep_recovery_trial(rec, (int)a, (int)col[0][a], (int)col[3][a], &m);
      if (!err && m.measured) {
        cell[GLREP_FC_MEASURED] += 1;
        cell[GLREP_FC_RECOVERED] += m.recovered;
        cell[GLREP_FC_CYCLES] += m.recovered ? m.cycles : 0;
      }
    }
  }
  err = glrep_recovery_close(rec, err);
  if (!err) qsort(g->force, (size_t)g->nforce, GLREP_FORCE_NCOL * sizeof(double), glrep_force_cmp_);
  for (int k = 0; k < 6; ++k) free(col[k]);
  return err;
}

/* The agents of an experiment with a neural: block, counted per (condition, units changed):
 * falls, tracking error and RF cycles of those standing, and for a transient change (not
 * ablate) the recovery after it. */
static gl_err glrep_neural_(const glrep_rd *r, glrep_file *g) {
  int has;
  GL_CALL(glh5_exists(r->f, "/agents/neural_count", &has));
  if (!has) return GL_OK;
  hid_t d;
  GL_CALL(glh5_object_open(r->f, "/agents/neural_count", &d));
  gl_err err = glh5_attr_read_string(d, "kind", &g->neural_kind);
  if (!err) err = glh5_attr_read_int(d, "step", &g->neural_step);
  GL_CALL(glh5_release(err, &d));
  static const char *const obj[5] = {"/agents/condition", "/agents/neural_count", "/agents/fell",
                                     "/agents/rf_cycles", "/agents/mean_velocity"};
  double *col[5] = {NULL};
  hsize_t dims[2], n = 0;
  glrep_recovery *rec = NULL; /* opened at the first trial that needs it */
  for (int k = 0; k < 5 && !err; ++k) {
    err = glrep_read_(r, obj[k], k == 4 ? 2 : 1, &col[k], dims);
    if (!err && k == 0) n = dims[0];
    if (!err && (dims[0] != n || (k == 4 && dims[1] != 3)))
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has shape [%llu]%s, expected [%llu]%s", r->path, obj[k],
                     (unsigned long long)dims[0], k == 4 ? "[?]" : "", (unsigned long long)n, k == 4 ? "[3]" : "");
  }
  if (!err) err = GL_ALLOC(g->neural, (size_t)(n ? n : 1) * GLREP_NEURAL_NCOL);
  const int transient = g->neural_kind && strcmp(g->neural_kind, "ablate") != 0;
  for (hsize_t a = 0; a < n && !err; ++a) {
    const double key[2] = {col[0][a], col[1][a]};
    const int k = (int)key[0];
    if (k < 0 || k >= g->ncond) {
      err = gl_error(GL_ERR_INPUT, "'%s': /agents/condition[%llu] = %d is not a condition (0..%d)", r->path, (unsigned long long)a, k, g->ncond - 1);
      break;
    }
    int c = 0;
    while (c < g->nneural && glrep_force_cmp2_(g->neural + (size_t)c * GLREP_NEURAL_NCOL, key) != 0) ++c;
    double *cell = g->neural + (size_t)c * GLREP_NEURAL_NCOL;
    if (c == g->nneural) {
      memset(cell, 0, GLREP_NEURAL_NCOL * sizeof *cell);
      memcpy(cell, key, sizeof key);
      g->nneural++;
    }
    cell[GLREP_NC_AGENTS] += 1;
    if (col[2][a] > 0) {
      cell[GLREP_NC_FELL] += 1;
      continue;
    }
    const double *mv = col[4] + 3 * a;
    cell[GLREP_NC_STANDING] += 1;
    cell[GLREP_NC_EU] += fabs(mv[0] - g->u[k]);
    cell[GLREP_NC_EV] += fabs(mv[1] - g->v[k]);
    cell[GLREP_NC_ER] += fabs(mv[2] - g->r[k]);
    cell[GLREP_NC_RF] += col[3][a];
    if (transient && key[1] > 0 && g->has_analysis) {
      glrep_pushm m;
      if (!rec) err = glrep_recovery_open(g, GLREP_RECOVERY_LAYER, &rec);
      if (!err) err = glrep_recovery_trial(rec, (int)a, k, (int)g->neural_step, &m);
      if (!err && m.measured) {
        cell[GLREP_NC_MEASURED] += 1;
        cell[GLREP_NC_RECOVERED] += m.recovered;
        cell[GLREP_NC_CYCLES] += m.recovered ? m.cycles : 0;
      }
    }
  }
  err = glrep_recovery_close(rec, err);
  if (!err) qsort(g->neural, (size_t)g->nneural, GLREP_NEURAL_NCOL * sizeof(double), glrep_force_cmp2_);
  for (int k = 0; k < 5; ++k) free(col[k]);
  return err;
}

static char *glrep_stem_(const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  char *s = glrep_strdup_(b);
  if (!s) return NULL;
  size_t n = strlen(s);
  if (n > 3 && strcmp(s + n - 3, ".h5") == 0) s[n - 3] = '\0';
  else if (n > 5 && strcmp(s + n - 5, ".hdf5") == 0) s[n - 5] = '\0';
  return s;
}

gl_err glrep_load(const char *path, glrep_file **out) {
  *out = NULL;
  glrep_rd r = {-1, path};
  GL_CALL(glh5_open(&r.f, path, GLH5_READ));
  glrep_file *g = NULL;
  gl_err err = GL_ALLOC(g, 1);
  if (err) return glh5_release(err, &r.f);
  g->seed = g->policy_seed = g->nranks = g->analysis_nranks = -1;
  g->analysis_seconds = NAN;
  g->path = glrep_strdup_(path);
  g->stem = glrep_stem_(path);
  if (!g->path || !g->stem) {
    err = gl_error(GL_ERR_NOMEM, "out of memory");
    goto done;
  }
  int has;
  GL_GOTO(err, glh5_exists(r.f, "/summary/tracking", &has), done);
  if (!has) {
    err = gl_error(GL_ERR_INPUT, "'%s' is not a gaitlab recording: HDF5 object /summary/tracking is missing",
                   path);
    goto done;
  }
  GL_GOTO(err, glrep_provenance_(&r, g), done);
  GL_GOTO(err, glrep_tracking_(&r, g), done);
  GL_GOTO(err, glrep_analysis_(&r, g), done);
  /* after the analysis: the recovery measure reads its cycle averages and PCs */
  GL_GOTO(err, glrep_force_(&r, g), done);
  GL_GOTO(err, glrep_neural_(&r, g), done);
  GL_GOTO(err, glrep_fixed_points_load(r.f, path, g), done);
done:
  err = glh5_release(err, &r.f);
  if (err) glrep_destroy(g);
  else *out = g;
  return err;
}

static void glrep_curves_free_(glrep_curves *c) {
  free(c->x);
  free(c->y);
  free(c->off);
}

void glrep_destroy(glrep_file *f) {
  if (!f) return;
  for (int i = 0; i < f->npop; ++i) {
    glrep_pop *p = &f->pop[i];
    free(p->name);
    free(p->evr);
    free(p->space);
    free(p->eps_rule);
    free(p->pcm);
    free(p->speed_family);
    free(p->speed_value);
    free(p->speed_proj);
    glrep_curves_free_(&p->pc);
    glrep_curves_free_(&p->tq);
    free(p->off);
    free(p->scores);
    free(p->qv);
    free(p->qrow);
    free(p->sproj);
  }
  free(f->pop);
  glrep_fixed_points_free(f);
  free(f->force);
  free(f->neural);
  free(f->neural_kind);
  if (f->colname)
    for (int c = 0; c < f->ncol; ++c) free(f->colname[c]);
  free(f->colname);
  free(f->tracking);
  free(f->u);
  free(f->v);
  free(f->r);
  free(f->mode);
  free(f->freq);
  free(f->nused);
  free(f->path);
  free(f->stem);
  free(f->name);
  free(f->git_hash);
  free(f->policy);
  free(f->status);
  free(f->version);
  free(f->warning);
  free(f->analysis_git);
  free(f);
}

int glrep_npopulations(const glrep_file *f) { return f->npop; }
const char *glrep_population_name(const glrep_file *f, int i) {
  return i >= 0 && i < f->npop ? f->pop[i].name : NULL;
}

int glrep_column(const glrep_file *f, const char *name) {
  for (int c = 0; c < f->ncol; ++c)
    if (strcmp(f->colname[c], name) == 0) return c;
  return -1;
}

double glrep_fall_rate(const glrep_file *f) {
  int fr = glrep_column(f, "fall_rate"), ag = glrep_column(f, "agents");
  if (fr < 0 || f->nrow == 0) return NAN;
  double num = 0, den = 0;
  for (int i = 0; i < f->nrow; ++i) {
    double w = ag >= 0 ? f->tracking[(size_t)i * (size_t)f->ncol + (size_t)ag] : 1.0;
    double v = f->tracking[(size_t)i * (size_t)f->ncol + (size_t)fr];
    if (!isfinite(v) || !(w > 0)) continue;
    num += w * v;
    den += w;
  }
  return den > 0 ? num / den : NAN;
}

double glrep_cum_evr(const glrep_pop *p, int n) {
  if (p->k <= 0) return NAN;
  double s = 0;
  for (int i = 0; i < n && i < p->k; ++i) s += p->evr[i];
  return s;
}

int glrep_speed_family(const glrep_file *f, const double **values) {
  const double *fam[3] = {f->u, f->v, f->r};
  for (int k = 0; k < 3; ++k)
    for (int c = 1; c < f->ncond; ++c)
      if (fam[k][c] != fam[k][0]) {
        *values = fam[k];
        return k;
      }
  *values = f->u;
  return 0;
}

int glrep_find_pop(const glrep_file *f, const char *name) {
  for (int i = 0; i < f->npop; ++i)
    if (strcmp(f->pop[i].name, name) == 0) return i;
  return -1;
}
