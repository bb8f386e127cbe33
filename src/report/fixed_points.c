/* What `gaitlab dynamics` found in a file (/dynamics/fixed_points/<input>/), summarised per
 * input for the report: how many points, which of them are fixed and stable, their spectral
 * radii and how far out in c they sit (docs/dynamics.md §3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/h5.h"
#include "report/report_internal.h"

/* The inputs in a reading order: zero, zero_obs, then condition_<k> by k. */
static long glrep_fp_rank_(const char *name) {
  if (strcmp(name, "zero") == 0) return -2;
  if (strcmp(name, "zero_obs") == 0) return -1;
  if (strncmp(name, "condition_", 10) == 0) return strtol(name + 10, NULL, 10);
  return 1L << 30;
}
static int glrep_fp_cmp_(const void *a, const void *b) {
  const glrep_fp *x = a, *y = b;
  long rx = glrep_fp_rank_(x->input), ry = glrep_fp_rank_(y->input);
  return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x->input, y->input);
}

/* One input group: the per-point datasets, checked against each other in length. */
static gl_err glrep_fp_group_(hid_t f, const char *path, const char *name, glrep_fp *fp) {
  char obj[320];
  static const char *const col[4] = {"is_fixed", "spectral_radius", "unstable", "members"};
  double *v[4] = {NULL};
  double *pts = NULL;
  hsize_t dims[2], n = 0, pd[2];
  gl_err err = GL_OK;
  for (int k = 0; k < 4 && !err; ++k) {
    snprintf(obj, sizeof obj, "/dynamics/fixed_points/%s/%s", name, col[k]);
    err = glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 1, NULL, dims, &v[k]);
    if (!err && k == 0) n = dims[0];
    if (!err && dims[0] != n)
      err = gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset %s has %llu entries, is_fixed has %llu", path, obj,
                     (unsigned long long)dims[0], (unsigned long long)n);
  }
  snprintf(obj, sizeof obj, "/dynamics/fixed_points/%s/points", name);
  if (!err) err = glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 2, NULL, pd, &pts);
  if (!err && (pd[0] != n || pd[1] % 2 != 0))
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset %s is not [%llu points x (h, c)]", path, obj,
                   (unsigned long long)n);
  if (!err) {
    fp->input = strdup(name);
    if (!fp->input) err = gl_error(GL_ERR_NOMEM, "out of memory");
  }
  fp->points = (int)n;
  fp->rho_min = INFINITY;
  fp->rho_max = -INFINITY;
  const size_t half = (size_t)pd[1] / 2;
  for (hsize_t i = 0; !err && i < n; ++i) {
    fp->inits += (long long)v[3][i];
    if (!(v[0][i] > 0)) {
      fp->slow++;
      continue;
    }
    fp->fixed++;
    fp->fixed_stable += v[2][i] == 0 && v[1][i] < 1;
    fp->members += (long long)v[3][i];
    fp->rho_min = fmin(fp->rho_min, v[1][i]);
    fp->rho_max = fmax(fp->rho_max, v[1][i]);
    for (size_t j = half; j < 2 * half; ++j) fp->cmax = fmax(fp->cmax, fabs(pts[i * pd[1] + j]));
  }
  if (fp->fixed == 0) fp->rho_min = fp->rho_max = NAN;
  for (int k = 0; k < 4; ++k) free(v[k]);
  free(pts);
  return err;
}

gl_err glrep_fixed_points_load(hid_t f, const char *path, glrep_file *g) {
  int has = 0;
  GL_CALL(glh5_exists(f, "/dynamics/fixed_points", &has));
  if (!has) return GL_OK;
  hid_t grp;
  char **names = NULL;
  int n = 0;
  GL_CALL(glh5_group_open(f, "/dynamics/fixed_points", &grp));
  gl_err err = glh5_list_groups(grp, &names, &n);
  err = glh5_release(err, &grp);
  if (!err && n > 0) err = GL_ALLOC(g->fp, n);
  for (int i = 0; !err && i < n; ++i, ++g->nfp) err = glrep_fp_group_(f, path, names[i], &g->fp[i]);
  glh5_free_names(names, n);
  if (!err) qsort(g->fp, (size_t)g->nfp, sizeof *g->fp, glrep_fp_cmp_);
  return err;
}

void glrep_fixed_points_free(glrep_file *g) {
  for (int i = 0; i < g->nfp; ++i) free(g->fp[i].input);
  free(g->fp);
  g->fp = NULL;
  g->nfp = 0;
}
