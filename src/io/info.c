/* A readable summary of any gaitlab file (recording or policy) on stdout, read serially
 * (what `gaitlab info` prints). Everything printed comes from the file itself, so the command
 * also documents the layout for users writing their own readers. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"
#include "gaitlab/recording.h"

/* One attribute of obj as "  name value"; long or multi-line strings by size only. */
static gl_err glinfo_attr_(hid_t obj, const char *name) {
  H5T_class_t cls;
  GL_CALL(glh5_attr_class(obj, name, &cls));
  if (cls == H5T_STRING) {
    char *v = NULL;
    GL_CALL(glh5_attr_read_string(obj, name, &v));
    int lines = 1;
    for (const char *c = v; *c; ++c) lines += *c == '\n' && c[1] != '\0';
    if (lines > 1 || strlen(v) > 100)
      printf("  %-18s (%zu chars, %d lines; h5dump -a %s)\n", name, strlen(v), lines, name);
    else
      printf("  %-18s %s\n", name, v);
    free(v);
  } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    /* numbers, and short arrays of them (a policy's hidden_sizes) in brackets */
    enum { SHOW = 8 };
    double v[SHOW];
    hsize_t n = 0;
    GL_CALL(glh5_attr_read_doubles(obj, name, v, SHOW, &n));
    printf("  %-18s ", name);
    if (n > SHOW) printf("(%llu numbers; h5dump -a %s)", (unsigned long long)n, name);
    for (hsize_t i = 0; n <= SHOW && i < n; ++i) {
      /* integers in full (a step count of 1e10 is not 1e+10), other numbers to 10 digits */
      char num[40];
      snprintf(num, sizeof num, cls == H5T_INTEGER ? "%.0f" : "%.10g", v[i]);
      printf("%s%s", n == 1 ? "" : i == 0 ? "[" : ", ", num);
    }
    printf("%s\n", n > 1 && n <= SHOW ? "]" : "");
  }
  return GL_OK;
}

/* Every attribute of obj, in name order (long arrays and texts by size only: h5dump). */
static gl_err glinfo_attrs_(hid_t obj) {
  char **names = NULL;
  int n = 0;
  GL_CALL(glh5_attr_names(obj, &names, &n));
  gl_err err = GL_OK;
  for (int i = 0; i < n && !err; ++i) err = glinfo_attr_(obj, names[i]);
  glh5_free_names(names, n);
  return err;
}

static gl_err glinfo_dataset_line_(hid_t f, const glh5_object *o) {
  if (o->cls == H5T_STRING)
    printf("  /%-32s string [", o->name);
  else
    printf("  /%-32s %s%zu [", o->name, o->cls == H5T_FLOAT ? "float" : o->cls == H5T_INTEGER ? "int" : "other",
           8 * o->type_size);
  for (int i = 0; i < o->rank; ++i) printf("%s%llu", i ? " x " : "", (unsigned long long)o->dims[i]);
  printf("]");
  hid_t d;
  int has = 0;
  GL_CALL(glh5_object_open(f, o->name, &d));
  gl_err err = glh5_attr_exists(d, "units", &has);
  if (!err && has) {
    char *u = NULL;
    err = glh5_attr_read_string(d, "units", &u);
    if (!err) printf("  %.*s", 60, u);
    free(u);
  }
  printf("\n");
  return glh5_release(err, &d);
}

static gl_err glinfo_contents_(hid_t f) {
  glh5_object *objs = NULL;
  int n = 0;
  GL_CALL(glh5_list_objects(f, &objs, &n));
  printf("\ncontents:\n");
  gl_err err = GL_OK;
  for (int i = 0; i < n && !err; ++i) {
    if (objs[i].is_group) {
      if (strcmp(objs[i].name, ".") != 0) printf("  /%s/\n", objs[i].name);
    } else {
      err = glinfo_dataset_line_(f, &objs[i]);
    }
  }
  glh5_free_objects(objs, n);
  return err;
}

static gl_err glinfo_tracking_(hid_t f) {
  int has = 0;
  GL_CALL(glh5_exists(f, "/summary/tracking", &has));
  if (!has) return GL_OK;
  double *t = NULL;
  hsize_t dims[2];
  const hsize_t want[2] = {GLH5_ANY, GLIO_TRACK_NCOL};
  GL_CALL(glh5_read_alloc(f, "/summary/tracking", H5T_NATIVE_DOUBLE, 2, want, dims, &t));
  printf("\ntracking (mean body-frame velocity over the recording window, agents that did not fall):\n");
  printf("  %5s  %7s %7s %7s | %8s %8s %8s | %6s %6s %7s  %s\n", "cond", "u_cmd", "v_cmd", "r_cmd",
         "u_meas", "v_meas", "r_meas", "u err", "fall%", "cycles", "agents");
  for (hsize_t c = 0; c < dims[0]; ++c) {
    const double *r = &t[GLIO_TRACK_NCOL * c];
    const double u = r[GLIO_TRACK_U_CMD];
    double uerr = fabs(u) > 1e-9 ? 100.0 * (r[GLIO_TRACK_U_MEAS] - u) / fabs(u) : NAN;
    printf("  %5llu  %7.3f %7.3f %7.3f | %8.3f %8.3f %8.3f | %5.1f%% %5.1f%% %7.1f  %.0f\n",
           (unsigned long long)c, u, r[GLIO_TRACK_V_CMD], r[GLIO_TRACK_R_CMD], r[GLIO_TRACK_U_MEAS],
           r[GLIO_TRACK_V_MEAS], r[GLIO_TRACK_R_MEAS], uerr, 100.0 * r[GLIO_TRACK_FALL_RATE],
           r[GLIO_TRACK_RF_CYCLES], r[GLIO_TRACK_AGENTS]);
  }
  printf("  (m/s, m/s, rad/s; the authors' plots label u, v x2 and r x0.25; cycles = mean complete\n"
         "   RF-foot cycles per standing agent in the window)\n");
  free(t);
  return GL_OK;
}

static gl_err glinfo_agents_(hid_t f) {
  int has = 0;
  GL_CALL(glh5_exists(f, "/agents/fell", &has));
  if (!has) return GL_OK;
  signed char *fell = NULL, *done = NULL;
  hsize_t na[1], nd[1];
  GL_CALL(glh5_read_alloc(f, "/agents/fell", H5T_NATIVE_SCHAR, 1, NULL, na, &fell));
  /* complete must have one entry per agent, like fell */
  gl_err err = glh5_read_alloc(f, "/agents/complete", H5T_NATIVE_SCHAR, 1, na, nd, &done);
  if (!err) {
    long long nf = 0, nc = 0;
    for (hsize_t a = 0; a < na[0]; ++a) {
      nf += fell[a] != 0;
      nc += done[a] != 0;
    }
    printf("\nagents: %llu, complete %lld, fell %lld (%.2f%%)\n", (unsigned long long)na[0], nc, nf,
           na[0] ? 100.0 * (double)nf / (double)na[0] : 0.0);
  }
  free(fell);
  free(done);
  return err;
}

gl_err glio_info(const char *path) {
  hid_t f;
  glh5_quiet();
  GL_CALL(glh5_open(&f, path, GLH5_READ));
  printf("%s\n", path);
  gl_err err = glinfo_attrs_(f);
  /* Policy files keep their training provenance in a group of its own. */
  int has = 0;
  if (!err) err = glh5_exists(f, "provenance", &has);
  if (!err && has) {
    hid_t g;
    printf("provenance:\n");
    err = glh5_group_open(f, "provenance", &g);
    if (!err) err = glh5_release(glinfo_attrs_(g), &g);
  }
  if (!err) err = glinfo_contents_(f);
  if (!err) err = glinfo_agents_(f);
  if (!err) err = glinfo_tracking_(f);
  fflush(stdout);
  return glh5_release(err, &f);
}
