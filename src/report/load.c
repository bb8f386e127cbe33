/* Loading a recording for the report: provenance, /summary/tracking, /analysis/cycles and
 * every analysed population, read serially with the default file access property list.
 * Objects the report cannot do without are checked up front so the user gets one line
 * naming the file and the object, never an HDF5 traceback. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* H5Lexists fails (rather than answering 0) when an intermediate group is missing, so walk
 * the path one component at a time. */
static int glrep_exists_(hid_t f, const char *path) {
  char buf[512];
  size_t n = strlen(path);
  if (n >= sizeof buf) return 0;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char keep = buf[i];
    buf[i] = '\0';
    htri_t e = H5Lexists(f, buf, H5P_DEFAULT);
    buf[i] = keep;
    if (e <= 0) return 0;
  }
  return 1;
}

static gl_err glrep_missing_(const glrep_rd *r, const char *obj) {
  return gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is missing or unreadable", r->path, obj);
}

/* Whole dataset as doubles (HDF5 converts integer types); dims[0..1] (dims[1] = 1 for 1-D). */
static gl_err glrep_read_(const glrep_rd *r, const char *obj, int want_nd, double **out,
                          hsize_t dims[2]) {
  *out = NULL;
  dims[0] = dims[1] = 1;
  if (!glrep_exists_(r->f, obj)) return glrep_missing_(r, obj);
  hid_t d = H5Dopen2(r->f, obj, H5P_DEFAULT);
  if (d < 0) return glrep_missing_(r, obj);
  hid_t s = H5Dget_space(d);
  hsize_t dd[8] = {0};
  int nd = H5Sget_simple_extent_ndims(s);
  if (nd >= 1 && nd <= 8) H5Sget_simple_extent_dims(s, dd, NULL);
  H5Sclose(s);
  gl_err err = GL_OK;
  if (nd != want_nd) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %d dimensions, expected %d", r->path,
                   obj, nd, want_nd);
    goto done;
  }
  dims[0] = dd[0];
  if (nd == 2) dims[1] = dd[1];
  size_t n = (size_t)(dims[0] * dims[1]);
  GL_GOTO(err, gl_calloc(out, n ? n : 1, sizeof(double)), done);
  if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
    free(*out);
    *out = NULL;
    err = glrep_missing_(r, obj);
  }
done:
  H5Dclose(d);
  return err;
}

/* Optional attributes: 1 when present and read, 0 otherwise (reports show what exists). */
static int glrep_attr_str_(hid_t obj, const char *name, char **out) {
  *out = NULL;
  return H5Aexists(obj, name) > 0 && glh5_attr_read_string(obj, name, out) == GL_OK;
}

static int glrep_attr_double_(hid_t obj, const char *name, double *out) {
  int ok = H5Aexists(obj, name) > 0 && glh5_attr_read_double(obj, name, out) == GL_OK;
  if (!ok) *out = NAN;
  return ok;
}

static long long glrep_attr_ll_(hid_t obj, const char *name) {
  double v;
  return glrep_attr_double_(obj, name, &v) && isfinite(v) ? (long long)v : -1;
}

/* Opens a group or dataset by path; -1 when absent. */
static hid_t glrep_open_(hid_t f, const char *path) {
  return glrep_exists_(f, path) ? H5Oopen(f, path, H5P_DEFAULT) : -1;
}

static gl_err glrep_provenance_(const glrep_rd *r, glrep_file *g) {
  glrep_attr_str_(r->f, "name", &g->name);
  glrep_attr_str_(r->f, "git_hash", &g->git_hash);
  glrep_attr_str_(r->f, "policy", &g->policy);
  glrep_attr_str_(r->f, "status", &g->status);
  glrep_attr_str_(r->f, "gaitlab_version", &g->version);
  g->seed = glrep_attr_ll_(r->f, "seed");
  g->nranks = glrep_attr_ll_(r->f, "nranks");
  return GL_OK;
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
  GL_CALL(GL_ALLOC(g->colname, g->ncol));
  /* Column names from the 'columns' attribute ("a, b, c"); generic names for the rest. */
  char *cols = NULL;
  hid_t d = H5Dopen2(r->f, "/summary/tracking", H5P_DEFAULT);
  glrep_attr_str_(d, "columns", &cols);
  H5Dclose(d);
  char *save = NULL, *tok = cols ? strtok_r(cols, ",", &save) : NULL;
  for (int c = 0; c < g->ncol; ++c) {
    char gen[32];
    while (tok && *tok == ' ') ++tok;
    if (tok) {
      size_t n = strlen(tok);
      while (n && tok[n - 1] == ' ') tok[--n] = '\0';
    } else {
      snprintf(gen, sizeof gen, "col%d", c);
    }
    g->colname[c] = glrep_strdup_(tok ? tok : gen);
    if (!g->colname[c]) {
      free(cols);
      return gl_error(GL_ERR_NOMEM, "out of memory");
    }
    tok = tok ? strtok_r(NULL, ",", &save) : NULL;
  }
  free(cols);
  return GL_OK;
}

static gl_err glrep_cycles_(const glrep_rd *r, glrep_file *g) {
  hsize_t dims[2];
  double *mode = NULL, *nused = NULL;
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
  hid_t cy = H5Gopen2(r->f, "/analysis/cycles", H5P_DEFAULT);
  if (!glrep_attr_double_(cy, "sampling_period_s", &g->dt)) g->dt = 0;
  H5Gclose(cy);
  g->has_cycles = 1;
done:
  free(mode);
  free(nused);
  return err;
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

static gl_err glrep_population_(const glrep_rd *r, const char *name, glrep_pop *p) {
  char path[600];
  hsize_t dims[2], dsc[2];
  double *off = NULL, *scores = NULL, *q = NULL, *row = NULL, *a = NULL, *b = NULL;
  double *cm = NULL, *dir = NULL;
  hid_t g = -1;
  gl_err err = GL_OK;
  if (!(p->name = glrep_strdup_(name))) return gl_error(GL_ERR_NOMEM, "out of memory");
#define GLREP_P(sub) (snprintf(path, sizeof path, "/analysis/%s/%s", name, sub), path)
  GL_GOTO(err, glrep_read_(r, GLREP_P("pca/explained_variance_ratio"), 1, &p->evr, dims), done);
  p->k = (int)dims[0];
  GL_GOTO(err, glrep_read_(r, GLREP_P("condition_offset"), 1, &off, dims), done);
  int nseg = (int)dims[0] - 1;
  p->nseg = nseg;
  if (nseg < 1) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is empty", r->path, path);
    goto done;
  }
  for (int c = 0; c < nseg; ++c)
    if (!(off[c + 1] >= off[c])) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s is not non-decreasing", r->path, path);
      goto done;
    }
  GL_GOTO(err, glrep_read_(r, GLREP_P("pca/scores"), 2, &scores, dsc), done);
  if (dsc[0] != (hsize_t)off[nseg]) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %llu rows, condition_offset says %.0f",
                   r->path, path, (unsigned long long)dsc[0], off[nseg]);
    goto done;
  }
  p->rows = (long long)dsc[0];
  if ((g = glrep_open_(r->f, GLREP_P("pca/components"))) >= 0) {
    hid_t s = H5Dget_space(g);
    hsize_t cd[2] = {0, 0};
    if (H5Sget_simple_extent_ndims(s) == 2) H5Sget_simple_extent_dims(s, cd, NULL);
    p->dim = (long long)cd[1];
    H5Sclose(s);
    H5Oclose(g);
  }
  /* conventions written next to the results */
  snprintf(path, sizeof path, "/analysis/%s", name);
  g = H5Gopen2(r->f, path, H5P_DEFAULT);
  if (g >= 0) {
    glrep_attr_str_(g, "tangling_space", &p->space);
    glrep_attr_str_(g, "tangling_epsilon_rule", &p->eps_rule);
    if (p->eps_rule) p->eps_rule[strcspn(p->eps_rule, ":")] = '\0';
    H5Gclose(g);
  }
  /* tangling */
  GL_GOTO(err, glrep_read_(r, GLREP_P("tangling/q"), 1, &q, dims), done);
  size_t m = (size_t)dims[0];
  GL_GOTO(err, glrep_read_(r, GLREP_P("tangling/row"), 1, &row, dims), done);
  if ((size_t)dims[0] != m) {
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s has %zu entries, tangling/q has %zu", r->path,
                   path, (size_t)dims[0], m);
    goto done;
  }
  g = H5Gopen2(r->f, GLREP_P("tangling"), H5P_DEFAULT);
  p->has_q = 1;
  glrep_summary_attrs_(g, p->q);
  glrep_attr_double_(g, "epsilon", &p->eps);
  p->qdims = glrep_attr_ll_(g, "dimensions");
  H5Gclose(g);
  g = -1;
  if (glrep_exists_(r->f, GLREP_P("tangling/per_condition_mean_max"))) {
    GL_GOTO(err, glrep_read_(r, path, 2, &p->pcm, dims), done);
    p->npcm = dims[1] == 2 ? (int)dims[0] : 0;
  }
  if ((g = glrep_open_(r->f, GLREP_P("tangling_raw"))) >= 0) {
    p->has_raw = 1;
    glrep_summary_attrs_(g, p->qraw);
    H5Oclose(g);
    g = -1;
  }
  /* speed axis: projection of each condition mean onto the axis */
  if ((g = glrep_open_(r->f, GLREP_P("speed_axis"))) >= 0) {
    p->has_speed = 1;
    glrep_attr_double_(g, "fraction", &p->speed_fraction);
    glrep_attr_str_(g, "family", &p->speed_family);
    H5Oclose(g);
    g = -1;
    hsize_t dd[2], ds[2];
    GL_GOTO(err, glrep_read_(r, GLREP_P("speed_axis/direction_pcs"), 1, &dir, dd), done);
    GL_GOTO(err, glrep_read_(r, GLREP_P("speed_axis/condition_means"), 2, &cm, dims), done);
    GL_GOTO(err, glrep_read_(r, GLREP_P("speed_axis/speed"), 1, &p->speed_value, ds), done);
    if (dims[1] != dd[0] || dims[0] != ds[0]) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 objects under /analysis/%s/speed_axis disagree in shape",
                     r->path, name);
      goto done;
    }
    p->nspeed = (int)ds[0];
    GL_GOTO(err, GL_ALLOC(p->speed_proj, p->nspeed ? p->nspeed : 1), done);
    for (int s = 0; s < p->nspeed; ++s)
      for (hsize_t j = 0; j < dd[0]; ++j) p->speed_proj[s] += cm[(size_t)s * dd[0] + j] * dir[j];
  }
  /* figure curves: the splines when present, else the samples themselves */
  if (glrep_exists_(r->f, GLREP_P("spline/pc1")) && glrep_exists_(r->f, GLREP_P("spline/pc2"))) {
    hsize_t d2[2];
    GL_GOTO(err, glrep_read_(r, GLREP_P("spline/pc1"), 2, &a, dims), done);
    GL_GOTO(err, glrep_read_(r, GLREP_P("spline/pc2"), 2, &b, d2), done);
    if (dims[0] != (hsize_t)nseg || d2[0] != dims[0] || d2[1] != dims[1]) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s must be [%d conditions x points] like spline/pc1",
                     r->path, path, nseg);
      goto done;
    }
    GL_GOTO(err, glrep_curves_from_grid_(a, b, nseg, (int)dims[1], &p->pc), done);
    p->spline = 1;
    free(a);
    free(b);
    a = b = NULL;
  } else {
    GL_GOTO(err, glrep_pc_from_scores_(scores, (int)dsc[1], off, nseg, &p->pc), done);
  }
  if (glrep_exists_(r->f, GLREP_P("spline/tangling")) && glrep_exists_(r->f, GLREP_P("spline/time"))) {
    hsize_t d2[2];
    GL_GOTO(err, glrep_read_(r, GLREP_P("spline/time"), 2, &a, dims), done);
    GL_GOTO(err, glrep_read_(r, GLREP_P("spline/tangling"), 2, &b, d2), done);
    if (dims[0] != (hsize_t)nseg || d2[0] != dims[0] || d2[1] != dims[1] || dims[1] < 2) {
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 object %s must be [%d conditions x points] like spline/time",
                     r->path, path, nseg);
      goto done;
    }
    for (int c = 0; c < nseg; ++c) { /* time -> phase in [0, 1] */
      double *t = a + (size_t)c * dims[1], T = t[dims[1] - 1];
      for (hsize_t i = 0; i < dims[1]; ++i) t[i] = T > 0 ? t[i] / T : NAN;
    }
    GL_GOTO(err, glrep_curves_from_grid_(a, b, nseg, (int)dims[1], &p->tq), done);
  } else {
    GL_GOTO(err, glrep_tq_from_rows_(q, row, m, off, nseg, &p->tq), done);
  }
#undef GLREP_P
done:
  if (g >= 0) H5Oclose(g);
  free(off);
  free(scores);
  free(q);
  free(row);
  free(a);
  free(b);
  free(cm);
  free(dir);
  return err;
}

typedef struct glrep_names {
  char **v;
  int n;
  int failed;
} glrep_names;

static herr_t glrep_pop_cb_(hid_t grp, const char *name, const H5L_info_t *info, void *op) {
  (void)info;
  glrep_names *nm = op;
  if (strcmp(name, "cycles") == 0) return 0;
  hid_t o = H5Oopen(grp, name, H5P_DEFAULT);
  if (o < 0) return 0;
  int is_group = H5Iget_type(o) == H5I_GROUP;
  H5Oclose(o);
  if (!is_group) return 0;
  char **v = realloc(nm->v, (size_t)(nm->n + 1) * sizeof *v);
  if (!v || !(v[nm->n] = glrep_strdup_(name))) {
    if (v) nm->v = v;
    nm->failed = 1;
    return 1;
  }
  nm->v = v;
  nm->n++;
  return 0;
}

static gl_err glrep_analysis_(const glrep_rd *r, glrep_file *g) {
  if (!glrep_exists_(r->f, "/analysis")) return GL_OK;
  g->has_analysis = 1;
  hid_t top = H5Gopen2(r->f, "/analysis", H5P_DEFAULT);
  if (top < 0) return glrep_missing_(r, "/analysis");
  glrep_attr_str_(top, "warning", &g->warning);
  glrep_attr_str_(top, "git_hash", &g->analysis_git);
  g->analysis_nranks = glrep_attr_ll_(top, "nranks");
  glrep_attr_double_(top, "seconds", &g->analysis_seconds);
  glrep_names nm = {NULL, 0, 0};
  H5Literate(top, H5_INDEX_NAME, H5_ITER_INC, NULL, glrep_pop_cb_, &nm);
  H5Gclose(top);
  gl_err err = GL_OK;
  if (nm.failed) err = gl_error(GL_ERR_NOMEM, "out of memory listing /analysis");
  if (!err && glrep_exists_(r->f, "/analysis/cycles")) err = glrep_cycles_(r, g);
  if (!err && nm.n) err = GL_ALLOC(g->pop, nm.n);
  for (int i = 0; !err && i < nm.n; ++i) {
    err = glrep_population_(r, nm.v[i], &g->pop[i]);
    g->npop = i + 1;
  }
  for (int i = 0; i < nm.n; ++i) free(nm.v[i]);
  free(nm.v);
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
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  if (access(path, R_OK) != 0) return gl_error(GL_ERR_INPUT, "'%s': %s", path, strerror(errno));
  if (H5Fis_hdf5(path) <= 0) return gl_error(GL_ERR_INPUT, "'%s' is not an HDF5 file", path);
  glrep_file *g = NULL;
  GL_CALL(GL_ALLOC(g, 1));
  g->seed = g->nranks = g->analysis_nranks = -1;
  g->analysis_seconds = NAN;
  gl_err err = GL_OK;
  glrep_rd r = {H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), path};
  if (r.f < 0) {
    err = gl_error(GL_ERR_INPUT, "'%s': cannot open as HDF5", path);
    goto done;
  }
  g->path = glrep_strdup_(path);
  g->stem = glrep_stem_(path);
  if (!g->path || !g->stem) {
    err = gl_error(GL_ERR_NOMEM, "out of memory");
    goto done;
  }
  if (!glrep_exists_(r.f, "/summary/tracking")) {
    err = gl_error(GL_ERR_INPUT, "'%s' is not a gaitlab recording: HDF5 object /summary/tracking is missing", path);
    goto done;
  }
  GL_GOTO(err, glrep_provenance_(&r, g), done);
  GL_GOTO(err, glrep_tracking_(&r, g), done);
  GL_GOTO(err, glrep_analysis_(&r, g), done);
done:
  if (r.f >= 0) H5Fclose(r.f);
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
  }
  free(f->pop);
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
