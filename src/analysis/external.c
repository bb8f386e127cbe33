/* External recordings: any HDF5 datasets of [time x unit], one per condition (MATLAB v7.3
 * files are HDF5), analysed with the same pipeline. Order of operations follows
 * tangleAnalysis.m: normalise and mean-centre over all samples of all conditions, then keep
 * the analysed times, then PCA / derivative / epsilon / stride. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "gaitlab/core.h"

/* Path of a sibling dataset, malloc'd: "/condition_0/A" + "times_ms" -> "/condition_0/times_ms";
 * an absolute name is taken as it is. */
static gl_err gla_sibling_(const char *ds, const char *name, char **out) {
  if (name[0] == '/') return glh5_path_with(name, "", out);
  const char *slash = strrchr(ds, '/');
  const size_t n = slash ? (size_t)(slash - ds) : 0, len = n + strlen(name) + 2;
  GL_CALL(GL_ALLOC(*out, len));
  snprintf(*out, len, "%.*s/%s", (int)n, ds, name);
  return GL_OK;
}

/* The external data while it is prepared: per-condition blocks, then all of them stacked,
 * normalised, and the analysed rows kept. */
typedef struct gla_ext_ {
  int nc, D;         /* conditions (datasets), units */
  double **data;     /* [nc] [rows[k] x D] */
  size_t *rows;      /* [nc] */
  size_t total;      /* sum of rows */
  unsigned char *mask; /* [total] analysed rows */
  double *all;       /* [total x D] stacked, normalised in place */
  double *mean, *scale; /* [D] */
  double *kept;      /* [n x D] the analysed rows */
  size_t n;
  size_t *seg;       /* [nc + 1] condition offsets into kept */
  double dt;
} gla_ext_;

static void gla_ext_free_(gla_ext_ *X) {
  if (X->data)
    for (int k = 0; k < X->nc; ++k) free(X->data[k]);
  free(X->data);
  free(X->rows);
  free(X->mask);
  free(X->all);
  free(X->mean);
  free(X->scale);
  free(X->kept);
  free(X->seg);
}

/* Dataset k as [time x unit] (transposed when analysis.external.transpose says the file
 * holds [unit x time]); every dataset must have the first one's unit count. */
static gl_err gla_ext_read_one_(const glh5_file *in, const gla_config *c, int k, gla_ext_ *X,
                                MPI_Comm comm) {
  hsize_t dims[GLH5_MAXRANK];
  int nd;
  const char *ds = c->ext_datasets.v[k];
  GL_CALL(gl_agree(comm, glh5_read_any(in->id, ds, H5T_NATIVE_DOUBLE, &nd, dims, &X->data[k])));
  if (nd != 2) return gl_agree(comm, gl_error(GL_ERR_INPUT, "external dataset '%s' must be 2-D [time x unit]", ds));
  const size_t T = c->ext_transpose ? dims[1] : dims[0];
  const int U = (int)(c->ext_transpose ? dims[0] : dims[1]);
  if (c->ext_transpose) {
    double *t = NULL;
    GL_CALL(GL_ALLOC(t, T * (size_t)U));
    for (size_t i = 0; i < T; ++i)
      for (int j = 0; j < U; ++j) t[i * (size_t)U + (size_t)j] = X->data[k][(size_t)j * T + i];
    free(X->data[k]);
    X->data[k] = t;
  }
  if (X->D >= 0 && U != X->D)
    return gl_error(GL_ERR_INPUT, "external dataset '%s' has %d units, the first had %d", ds, U, X->D);
  X->D = U;
  X->rows[k] = T;
  X->total += T;
  return GL_OK;
}

/* The sampling period: analysis.external.sampling_period, else the file's root attribute. */
static gl_err gla_ext_period_(const glh5_file *in, const gla_config *c, double *dt) {
  *dt = c->ext_sampling_period;
  if (*dt > 0) return GL_OK;
  GL_CALL(glh5_attr_read_double(in->id, "sampling_period_s", dt));
  if (!(*dt > 0))
    return gl_error(GL_ERR_INPUT, "sampling period must be > 0: set analysis.external.sampling_period");
  return GL_OK;
}

/* mask[o + i] for condition k (rows from o): whether row i's time is among the analysed times
 * (its sibling dataset analyze_times; times from the sibling `times`, else MATLAB's 1:T). */
static gl_err gla_ext_mask_one_(const glh5_file *in, const gla_config *c, int k, size_t o, gla_ext_ *X) {
  char *p1 = NULL, *p2 = NULL;
  double *tm = NULL, *at = NULL;
  hsize_t d1[GLH5_MAXRANK], d2[GLH5_MAXRANK];
  int n1 = 0, n2 = 0;
  gl_err err = gla_sibling_(c->ext_datasets.v[k], c->ext_analyze_times, &p2);
  if (!err) err = glh5_read_any(in->id, p2, H5T_NATIVE_DOUBLE, &n2, d2, &at);
  if (!err && c->ext_times) {
    err = gla_sibling_(c->ext_datasets.v[k], c->ext_times, &p1);
    if (!err) err = glh5_read_any(in->id, p1, H5T_NATIVE_DOUBLE, &n1, d1, &tm);
    if (!err && d1[0] != X->rows[k])
      err = gl_error(GL_ERR_INPUT, "'%s' has %llu entries for %zu rows", p1, (unsigned long long)d1[0], X->rows[k]);
  }
  for (size_t i = 0; !err && i < X->rows[k]; ++i) {
    double t = tm ? tm[i] : (double)(i + 1);
    int hit = 0;
    for (hsize_t j = 0; j < d2[0] && !hit; ++j) hit = at[j] == t;
    X->mask[o + i] = (unsigned char)hit;
  }
  free(tm);
  free(at);
  free(p1);
  free(p2);
  return err;
}

/* Read every dataset, stack, normalise over all samples of all conditions, and keep the
 * analysed rows (tangleAnalysis.m's order). */
static gl_err gla_ext_prepare_(const glh5_file *in, const gla_config *c, MPI_Comm comm, gla_ext_ *X) {
  X->nc = c->ext_datasets.n;
  X->D = -1;
  GL_CALL(GL_ALLOC(X->data, X->nc));
  GL_CALL(GL_ALLOC(X->rows, X->nc));
  GL_CALL(GL_ALLOC(X->seg, (size_t)X->nc + 1));
  for (int k = 0; k < X->nc; ++k) GL_CALL(gla_ext_read_one_(in, c, k, X, comm));
  GL_CALL(gla_ext_period_(in, c, &X->dt));
  const size_t D = (size_t)X->D;
  GL_CALL(GL_ALLOC(X->all, X->total * D));
  GL_CALL(GL_ALLOC(X->mask, X->total));
  for (size_t k = 0, o = 0; k < (size_t)X->nc; o += X->rows[k], ++k)
    memcpy(X->all + o * D, X->data[k], X->rows[k] * D * sizeof *X->all);
  memset(X->mask, 1, X->total);
  if (c->ext_analyze_times)
    for (size_t k = 0, o = 0; k < (size_t)X->nc; o += X->rows[k], ++k) GL_CALL(gla_ext_mask_one_(in, c, (int)k, o, X));
  GL_CALL(GL_ALLOC(X->mean, D));
  GL_CALL(GL_ALLOC(X->scale, D));
  gla_normalize(X->all, X->total, X->D, c->normalize, c->range_constant, X->mean, X->scale);
  for (size_t i = 0; i < X->total; ++i) X->n += X->mask[i];
  GL_CALL(GL_ALLOC(X->kept, (X->n ? X->n : 1) * D));
  size_t o = 0, w = 0;
  for (int k = 0; k < X->nc; ++k) {
    X->seg[k] = w;
    for (size_t i = 0; i < X->rows[k]; ++i, ++o)
      if (X->mask[o]) memcpy(X->kept + (w++) * D, X->all + o * D, D * sizeof *X->kept);
  }
  X->seg[X->nc] = w;
  if (X->n < 2) return gl_error(GL_ERR_INPUT, "external data: fewer than 2 samples selected");
  return GL_OK;
}

/* /analysis/external's inputs: offsets, normalisation, the analysed rows and provenance. */
static gl_err gla_ext_write_(const glh5_file *out, hid_t g, const gla_ext_ *X, const gla_config *c,
                             const char *in_path) {
  hsize_t dd = (hsize_t)X->D, dc = (hsize_t)X->nc + 1, dn[2] = {X->n, (hsize_t)X->D};
  int64_t *s64 = NULL;
  GL_CALL(GL_ALLOC(s64, X->nc + 1));
  for (int k = 0; k <= X->nc; ++k) s64[k] = (int64_t)X->seg[k];
  gl_err err = glh5_put_mpi(out, g, "condition_offset", H5T_NATIVE_INT64, 1, &dc, s64);
  free(s64);
  GL_CALL(err);
  GL_CALL(glh5_put_mpi(out, g, "norm_mean", H5T_NATIVE_DOUBLE, 1, &dd, X->mean));
  GL_CALL(glh5_put_mpi(out, g, "norm_scale", H5T_NATIVE_DOUBLE, 1, &dd, X->scale));
  GL_CALL(glh5_put_mpi(out, g, "normalized", H5T_NATIVE_DOUBLE, 2, dn, X->kept));
  GL_CALL(glh5_attr_string(g, "source_file", in_path));
  size_t len = 1;
  for (int k = 0; k < X->nc; ++k) len += strlen(c->ext_datasets.v[k]) + 2;
  char *list = NULL;
  GL_CALL(GL_ALLOC(list, len));
  for (int k = 0; k < X->nc; ++k) {
    strcat(list, c->ext_datasets.v[k]);
    if (k + 1 < X->nc) strcat(list, ", ");
  }
  err = glh5_attr_string(g, "source_datasets", list);
  free(list);
  GL_CALL(err);
  GL_CALL(glh5_attr_double(g, "sampling_period_s", X->dt));
  return glh5_attr_string(g, "order", "normalise + mean-centre over all samples of all conditions, then keep analysed times, then PCA / derivative (per condition) / epsilon at full rate / stride over the concatenated index (tangleAnalysis.m order)");
}

/* /analysis (kept when it exists) and a fresh /analysis/external under it. */
static gl_err gla_ext_group_(const glh5_file *out, hid_t *top, hid_t *g) {
  int has;
  GL_CALL(glh5_exists(out->id, "/analysis", &has));
  if (has)
    GL_CALL(glh5_group_open(out->id, "/analysis", top));
  else
    GL_CALL(glh5_group_create(out->id, "/analysis", top));
  GL_CALL(glh5_delete(*top, "external"));
  return glh5_group_create(*top, "external", g);
}

gl_err gla_analyze_external(const char *in_path, const char *out_path, const gla_config *c,
                            MPI_Comm comm) {
  const int same = strcmp(in_path, out_path) == 0;
  glh5_file in, out;
  memset(&out, 0, sizeof out);
  out.id = out.dxpl = -1;
  gl_err err = gl_agree(comm, glh5_open_mpi(&in, in_path, same ? GLH5_RDWR : GLH5_READ, comm));
  if (err) return err;
  gla_ext_ X;
  memset(&X, 0, sizeof X);
  hid_t top = -1, g = -1;
  GL_GOTO(err, gla_ext_prepare_(&in, c, comm, &X), done);
  if (same) {
    out = in;
    in.id = in.dxpl = -1;
  } else {
    GL_GOTO(err, gl_agree(comm, glh5_open_mpi(&out, out_path, GLH5_CREATE, comm)), done);
  }
  GL_GOTO(err, gla_ext_group_(&out, &top, &g), done);
  GL_GOTO(err, gla_ext_write_(&out, g, &X, c, in_path), done);
  gla_rows R = {X.kept, X.n, X.D, X.nc, X.seg, X.dt, c->ext_cyclic, NULL};
  GL_GOTO(err, gla_pipeline(&out, g, &R, c, comm), done);
done:
  err = glh5_release(err, &g);
  err = glh5_release(err, &top);
  gla_ext_free_(&X);
  {
    gl_err e1 = glh5_close_mpi(&out), e2 = glh5_close_mpi(&in);
    if (!err) err = e1 ? e1 : e2;
  }
  return err;
}
