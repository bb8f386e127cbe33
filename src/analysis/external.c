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

/* path of a sibling dataset: "/condition_0/A" + "times_ms" -> "/condition_0/times_ms" */
static void gla_sibling_(const char *ds, const char *name, char *out, size_t len) {
  if (name[0] == '/') {
    snprintf(out, len, "%s", name);
    return;
  }
  const char *slash = strrchr(ds, '/');
  int n = slash ? (int)(slash - ds) : 0;
  snprintf(out, len, "%.*s/%s", n, ds, name);
}

gl_err gla_analyze_external(const char *in_path, const char *out_path, const gla_config *c,
                            MPI_Comm comm) {
  int nc = c->ext_datasets.n, same = strcmp(in_path, out_path) == 0;
  glh5_file in, out;
  memset(&out, 0, sizeof out);
  out.id = out.dxpl = -1;
  gl_err err = gl_agree(comm, glh5_open_mpi(&in, in_path, same ? GLH5_RDWR : GLH5_READ, comm));
  if (err) return err;
  double **data = NULL, *all = NULL, *mean = NULL, *scale = NULL, *kept = NULL;
  size_t *rows = NULL, *seg = NULL;
  unsigned char *mask = NULL;
  hid_t top = -1, g = -1;
  int D = -1;
  double dt = c->ext_sampling_period;
  GL_GOTO(err, GL_ALLOC(data, nc), done);
  GL_GOTO(err, GL_ALLOC(rows, nc), done);
  GL_GOTO(err, GL_ALLOC(seg, (size_t)nc + 1), done);
  size_t total = 0;
  for (int k = 0; k < nc; ++k) {
    hsize_t dims[GLH5_MAXRANK];
    int nd;
    const char *ds = c->ext_datasets.v[k];
    GL_GOTO(err, gl_agree(comm, glh5_read_any(in.id, ds, H5T_NATIVE_DOUBLE, &nd, dims, &data[k])), done);
    if (nd != 2) {
      err = gl_agree(comm, gl_error(GL_ERR_INPUT, "external dataset '%s' must be 2-D [time x unit]", ds));
      goto done;
    }
    size_t T = c->ext_transpose ? dims[1] : dims[0];
    int U = (int)(c->ext_transpose ? dims[0] : dims[1]);
    if (c->ext_transpose) { /* [unit x time] -> [time x unit] */
      double *t = NULL;
      GL_GOTO(err, GL_ALLOC(t, T * (size_t)U), done);
      for (size_t i = 0; i < T; ++i)
        for (int j = 0; j < U; ++j) t[i * (size_t)U + (size_t)j] = data[k][(size_t)j * T + i];
      free(data[k]);
      data[k] = t;
    }
    if (D >= 0 && U != D) {
      err = gl_error(GL_ERR_INPUT, "external dataset '%s' has %d units, the first had %d", ds, U, D);
      goto done;
    }
    D = U;
    rows[k] = T;
    total += T;
  }
  if (!(dt > 0)) {
    GL_GOTO(err, glh5_attr_read_double(in.id, "sampling_period_s", &dt), done);
    if (!(dt > 0)) {
      err = gl_error(GL_ERR_INPUT, "sampling period must be > 0: set analysis.external.sampling_period");
      goto done;
    }
  }
  GL_GOTO(err, GL_ALLOC(all, total * (size_t)D), done);
  GL_GOTO(err, GL_ALLOC(mask, total), done);
  for (size_t k = 0, o = 0; k < (size_t)nc; o += rows[k], ++k)
    memcpy(all + o * (size_t)D, data[k], rows[k] * (size_t)D * sizeof *all);
  /* analysed times: rows whose time appears in analyze_times (all rows if not given) */
  memset(mask, 1, total);
  if (c->ext_analyze_times) {
    for (size_t k = 0, o = 0; k < (size_t)nc; o += rows[k], ++k) {
      char p1[1024], p2[1024];
      double *tm = NULL, *at = NULL;
      hsize_t d1[GLH5_MAXRANK], d2[GLH5_MAXRANK];
      int n1 = 0, n2;
      gla_sibling_(c->ext_datasets.v[k], c->ext_analyze_times, p2, sizeof p2);
      GL_GOTO(err, glh5_read_any(in.id, p2, H5T_NATIVE_DOUBLE, &n2, d2, &at), done);
      if (c->ext_times) {
        gla_sibling_(c->ext_datasets.v[k], c->ext_times, p1, sizeof p1);
        err = glh5_read_any(in.id, p1, H5T_NATIVE_DOUBLE, &n1, d1, &tm);
        if (!err && d1[0] != rows[k])
          err = gl_error(GL_ERR_INPUT, "'%s' has %llu entries for %zu rows", p1, (unsigned long long)d1[0], rows[k]);
      }
      for (size_t i = 0; !err && i < rows[k]; ++i) {
        double t = tm ? tm[i] : (double)(i + 1); /* MATLAB default times = 1:T */
        int hit = 0;
        for (hsize_t j = 0; j < d2[0] && !hit; ++j) hit = at[j] == t;
        mask[o + i] = (unsigned char)hit;
      }
      free(tm);
      free(at);
      if (err) goto done;
    }
  }
  GL_GOTO(err, GL_ALLOC(mean, D), done);
  GL_GOTO(err, GL_ALLOC(scale, D), done);
  gla_normalize(all, total, D, c->normalize, c->range_constant, mean, scale);
  size_t n = 0;
  for (size_t i = 0; i < total; ++i) n += mask[i];
  GL_GOTO(err, GL_ALLOC(kept, (n ? n : 1) * (size_t)D), done);
  {
    size_t o = 0, w = 0;
    for (int k = 0; k < nc; ++k) {
      seg[k] = w;
      for (size_t i = 0; i < rows[k]; ++i, ++o)
        if (mask[o]) memcpy(kept + (w++) * (size_t)D, all + o * (size_t)D, (size_t)D * sizeof *kept);
    }
    seg[nc] = w;
  }
  if (n < 2) {
    err = gl_error(GL_ERR_INPUT, "external data: fewer than 2 samples selected");
    goto done;
  }
  if (same) {
    out = in;
    in.id = in.dxpl = -1;
  } else {
    GL_GOTO(err, gl_agree(comm, glh5_open_mpi(&out, out_path, GLH5_CREATE, comm)), done);
  }
  {
    int has;
    GL_GOTO(err, glh5_exists(out.id, "/analysis", &has), done);
    if (!has)
      GL_GOTO(err, glh5_group_create(out.id, "/analysis", &top), done);
    else
      GL_GOTO(err, glh5_group_open(out.id, "/analysis", &top), done);
  }
  GL_GOTO(err, glh5_delete(top, "external"), done);
  GL_GOTO(err, glh5_group_create(top, "external", &g), done);
  {
    hsize_t dd = (hsize_t)D, dc = (hsize_t)nc + 1, dn[2] = {n, (hsize_t)D};
    int64_t *s64 = NULL;
    GL_GOTO(err, GL_ALLOC(s64, nc + 1), done);
    for (int k = 0; k <= nc; ++k) s64[k] = (int64_t)seg[k];
    err = glh5_put_mpi(&out, g, "condition_offset", H5T_NATIVE_INT64, 1, &dc, s64);
    free(s64);
    if (err) goto done;
    GL_GOTO(err, glh5_put_mpi(&out, g, "norm_mean", H5T_NATIVE_DOUBLE, 1, &dd, mean), done);
    GL_GOTO(err, glh5_put_mpi(&out, g, "norm_scale", H5T_NATIVE_DOUBLE, 1, &dd, scale), done);
    GL_GOTO(err, glh5_put_mpi(&out, g, "normalized", H5T_NATIVE_DOUBLE, 2, dn, kept), done);
    GL_GOTO(err, glh5_attr_string(g, "source_file", in_path), done);
    char list[4096] = "";
    for (int k = 0; k < nc; ++k) {
      strncat(list, c->ext_datasets.v[k], sizeof list - strlen(list) - 2);
      if (k + 1 < nc) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    GL_GOTO(err, glh5_attr_string(g, "source_datasets", list), done);
    GL_GOTO(err, glh5_attr_double(g, "sampling_period_s", dt), done);
    GL_GOTO(err, glh5_attr_string(g, "order", "normalise + mean-centre over all samples of all conditions, then keep analysed times, then PCA / derivative (per condition) / epsilon at full rate / stride over the concatenated index (tangleAnalysis.m order)"), done);
  }
  gla_rows R = {kept, n, D, nc, seg, dt, c->ext_cyclic, NULL};
  GL_GOTO(err, gla_pipeline(&out, g, &R, c, comm), done);
done:
  err = glh5_release(err, &g);
  err = glh5_release(err, &top);
  if (data)
    for (int k = 0; k < nc; ++k) free(data[k]);
  free(data);
  free(all);
  free(mean);
  free(scale);
  free(kept);
  free(rows);
  free(seg);
  free(mask);
  {
    gl_err e1 = glh5_close_mpi(&out), e2 = glh5_close_mpi(&in);
    if (!err) err = e1 ? e1 : e2;
  }
  return err;
}
