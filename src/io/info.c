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

static herr_t glinfo_attr_cb_(hid_t loc, const char *name, const H5A_info_t *ai, void *op) {
  (void)ai;
  (void)op;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a);
  H5T_class_t cls = H5Tget_class(t);
  if (cls == H5T_STRING) {
    char *v = NULL;
    if (glh5_attr_read_string(loc, name, &v) == GL_OK) {
      int lines = 1;
      for (const char *c = v; *c; ++c) lines += *c == '\n' && c[1] != '\0';
      if (lines > 1 || strlen(v) > 100)
        printf("  %-18s (%zu chars, %d lines; h5dump -a %s)\n", name, strlen(v), lines, name);
      else
        printf("  %-18s %s\n", name, v);
      free(v);
    }
  } else if (cls == H5T_INTEGER) {
    long long v = 0;
    H5Aread(a, H5T_NATIVE_LLONG, &v);
    printf("  %-18s %lld\n", name, v);
  } else if (cls == H5T_FLOAT) {
    double v = 0;
    H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    printf("  %-18s %.10g\n", name, v);
  }
  H5Tclose(t);
  H5Aclose(a);
  return 0;
}

static herr_t glinfo_visit_cb_(hid_t obj, const char *name, const H5O_info_t *info, void *op) {
  (void)op;
  if (info->type == H5O_TYPE_GROUP && strcmp(name, ".") != 0) {
    printf("  /%s/\n", name);
  } else if (info->type == H5O_TYPE_DATASET) {
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t dims[8];
    int nd = H5Sget_simple_extent_dims(s, dims, NULL);
    H5T_class_t cls = H5Tget_class(t);
    if (cls == H5T_STRING)
      printf("  /%-32s string [", name);
    else
      printf("  /%-32s %s%zu [", name, cls == H5T_FLOAT ? "float" : cls == H5T_INTEGER ? "int" : "other",
             8 * H5Tget_size(t));
    for (int i = 0; i < nd; ++i) printf("%s%llu", i ? " x " : "", (unsigned long long)dims[i]);
    printf("]");
    char *u = NULL;
    if (H5Aexists(d, "units") > 0 && glh5_attr_read_string(d, "units", &u) == GL_OK) {
      printf("  %.*s", 60, u);
      free(u);
    }
    printf("\n");
    H5Tclose(t);
    H5Sclose(s);
    H5Dclose(d);
  }
  return 0;
}

static int glinfo_read_(hid_t f, const char *path, hid_t type, void *buf) {
  if (H5Lexists(f, path, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  herr_t st = H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Dclose(d);
  return st < 0 ? -1 : 0;
}

static long long glinfo_len_(hid_t f, const char *path) {
  if (H5Lexists(f, path, H5P_DEFAULT) <= 0) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  hid_t s = H5Dget_space(d);
  hsize_t dims[8];
  H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s);
  H5Dclose(d);
  return (long long)dims[0];
}

static gl_err glinfo_tracking_(hid_t f) {
  long long nc = glinfo_len_(f, "/summary/tracking");
  if (nc <= 0) return GL_OK;
  enum { NCOL = 10 };
  double *t = malloc(sizeof(double) * NCOL * (size_t)nc);
  if (!t) return gl_error(GL_ERR_NOMEM, "out of memory");
  if (glinfo_read_(f, "/summary/tracking", H5T_NATIVE_DOUBLE, t) == 0) {
    printf("\ntracking (mean body-frame velocity over the recording window, agents that did not fall):\n");
    printf("  %5s  %7s %7s %7s | %8s %8s %8s | %6s %6s %7s  %s\n", "cond", "u_cmd", "v_cmd", "r_cmd",
           "u_meas", "v_meas", "r_meas", "u err", "fall%", "cycles", "agents");
    for (long long c = 0; c < nc; ++c) {
      const double *r = &t[NCOL * c];
      double uerr = fabs(r[0]) > 1e-9 ? 100.0 * (r[3] - r[0]) / fabs(r[0]) : NAN;
      printf("  %5lld  %7.3f %7.3f %7.3f | %8.3f %8.3f %8.3f | %5.1f%% %5.1f%% %7.1f  %.0f\n", c, r[0],
             r[1], r[2], r[3], r[4], r[5], uerr, 100.0 * r[6], r[9], r[8]);
    }
    printf("  (m/s, m/s, rad/s; the authors' plots label u, v x2 and r x0.25; cycles = mean complete\n"
           "   RF-foot cycles per standing agent in the window)\n");
  }
  free(t);
  return GL_OK;
}

static gl_err glinfo_agents_(hid_t f) {
  long long na = glinfo_len_(f, "/agents/fell");
  if (na <= 0) return GL_OK;
  signed char *fell = malloc((size_t)na), *done = malloc((size_t)na);
  if (!fell || !done) {
    free(fell);
    free(done);
    return gl_error(GL_ERR_NOMEM, "out of memory");
  }
  long long nf = 0, nd = 0;
  if (glinfo_read_(f, "/agents/fell", H5T_NATIVE_SCHAR, fell) == 0 &&
      glinfo_read_(f, "/agents/complete", H5T_NATIVE_SCHAR, done) == 0) {
    for (long long a = 0; a < na; ++a) {
      nf += fell[a] != 0;
      nd += done[a] != 0;
    }
    printf("\nagents: %lld, complete %lld, fell %lld (%.2f%%)\n", na, nd, nf, 100.0 * (double)nf / (double)na);
  }
  free(fell);
  free(done);
  return GL_OK;
}

gl_err glio_info(const char *path) {
  gl_err err = GL_OK;
  glh5_quiet();
  htri_t is = H5Fis_hdf5(path);
  if (is <= 0) {
    err = gl_error(GL_ERR_INPUT, "'%s' is %s", path, is < 0 ? "missing or unreadable" : "not an HDF5 file");
  } else {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
      err = gl_error(GL_ERR_INPUT, "cannot open '%s' as HDF5", path);
    } else {
      printf("%s\n", path);
      H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, NULL, glinfo_attr_cb_, NULL);
      /* Policy files keep their training provenance in a group of its own. */
      if (H5Lexists(f, "provenance", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "provenance", H5P_DEFAULT);
        printf("provenance:\n");
        H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, glinfo_attr_cb_, NULL);
        H5Gclose(g);
      }
      printf("\ncontents:\n");
      H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, glinfo_visit_cb_, NULL, H5O_INFO_BASIC);
      err = glinfo_agents_(f);
      if (!err) err = glinfo_tracking_(f);
      H5Fclose(f);
    }
  }
  fflush(stdout);
  return err;
}
