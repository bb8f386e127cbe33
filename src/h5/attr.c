/* Attributes: numbers and strings, written (replacing one of the same name) and read back
 * whatever the integer/float type or the string kind and character set the file stores. */
#include <stdlib.h>
#include <string.h>

#include "h5/h5_internal.h"

/* Variable-length UTF-8 string type (caller closes). */
static gl_err glh5_vlstr_(hid_t *t) {
  *t = H5Tcopy(H5T_C_S1);
  if (*t < 0 || H5Tset_size(*t, H5T_VARIABLE) < 0 || H5Tset_cset(*t, H5T_CSET_UTF8) < 0) {
    if (*t >= 0) H5Tclose(*t);
    *t = -1;
    return gl_error(GL_ERR_LIB, "HDF5: cannot create a string type");
  }
  return GL_OK;
}

static gl_err glh5_attr_write_(hid_t obj, const char *name, hid_t type, hid_t mtype, hid_t sp,
                               const void *buf) {
  htri_t e = H5Aexists(obj, name);
  if (e < 0) return glh5_attr_fail_(GL_ERR_LIB, obj, name, "cannot be looked up");
  if (e > 0 && H5Adelete(obj, name) < 0)
    return glh5_attr_fail_(GL_ERR_LIB, obj, name, "cannot be replaced");
  hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  gl_err err = GL_OK;
  if (a < 0 || H5Awrite(a, mtype, buf) < 0)
    err = glh5_attr_fail_(GL_ERR_LIB, obj, name, "cannot be written");
  return glh5_release(err, &a);
}

static gl_err glh5_attr_scalar_(hid_t obj, const char *name, hid_t type, const void *buf) {
  hid_t sp = H5Screate(H5S_SCALAR);
  if (sp < 0) return glh5_attr_fail_(GL_ERR_LIB, obj, name, "has no dataspace (HDF5 failed)");
  gl_err err = glh5_attr_write_(obj, name, type, type, sp, buf);
  return glh5_release(err, &sp);
}

gl_err glh5_attr_string(hid_t obj, const char *name, const char *value) {
  hid_t t;
  GL_CALL(glh5_vlstr_(&t));
  const char *v = value ? value : "";
  gl_err err = glh5_attr_scalar_(obj, name, t, &v);
  return glh5_release(err, &t);
}

gl_err glh5_attr_strings(hid_t obj, const char *name, const char *const *values, int n) {
  hid_t t, sp;
  hsize_t dn = (hsize_t)n;
  GL_CALL(glh5_vlstr_(&t));
  sp = H5Screate_simple(1, &dn, NULL);
  gl_err err = sp < 0 ? glh5_attr_fail_(GL_ERR_LIB, obj, name, "has no dataspace (HDF5 failed)")
                      : glh5_attr_write_(obj, name, t, t, sp, values);
  err = glh5_release(err, &sp);
  return glh5_release(err, &t);
}

gl_err glh5_attr_int(hid_t obj, const char *name, long long value) {
  return glh5_attr_scalar_(obj, name, H5T_NATIVE_LLONG, &value);
}

gl_err glh5_attr_double(hid_t obj, const char *name, double value) {
  return glh5_attr_scalar_(obj, name, H5T_NATIVE_DOUBLE, &value);
}

gl_err glh5_attr_array(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                       const void *value) {
  hid_t sp = H5Screate_simple(1, &n, NULL);
  if (sp < 0) return glh5_attr_fail_(GL_ERR_LIB, obj, name, "has no dataspace (HDF5 failed)");
  gl_err err = glh5_attr_write_(obj, name, ftype, mtype, sp, value);
  return glh5_release(err, &sp);
}

gl_err glh5_attr_exists(hid_t obj, const char *name, int *exists) {
  htri_t e = H5Aexists(obj, name);
  *exists = e > 0;
  return e < 0 ? glh5_attr_fail_(GL_ERR_INPUT, obj, name, "cannot be looked up") : GL_OK;
}

/* Open an attribute that must exist. */
static gl_err glh5_attr_open_(hid_t obj, const char *name, hid_t *a) {
  int e;
  *a = -1;
  GL_CALL(glh5_attr_exists(obj, name, &e));
  if (!e) return glh5_attr_fail_(GL_ERR_INPUT, obj, name, "is missing");
  *a = H5Aopen(obj, name, H5P_DEFAULT);
  if (*a < 0) return glh5_attr_fail_(GL_ERR_INPUT, obj, name, "cannot be opened");
  return GL_OK;
}

gl_err glh5_attr_class(hid_t obj, const char *name, H5T_class_t *cls) {
  hid_t a, t = -1;
  GL_CALL(glh5_attr_open_(obj, name, &a));
  gl_err err = GL_OK;
  t = H5Aget_type(a);
  *cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (*cls == H5T_NO_CLASS) err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "has no readable type");
  err = glh5_release(err, &t);
  return glh5_release(err, &a);
}

typedef struct glh5_anames_ {
  char **v;
  int n;
} glh5_anames_;

static herr_t glh5_attr_collect_cb_(hid_t loc, const char *name, const H5A_info_t *ai, void *op) {
  (void)loc;
  (void)ai;
  glh5_anames_ *L = op;
  char **v = realloc(L->v, (size_t)(L->n + 1) * sizeof *v);
  if (!v) return -1;
  L->v = v;
  if (!(v[L->n] = glh5_strdup_(name))) return -1;
  L->n++;
  return 0;
}

gl_err glh5_attr_names(hid_t obj, char ***names, int *n) {
  glh5_anames_ L = {NULL, 0};
  *names = NULL;
  *n = 0;
  if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, glh5_attr_collect_cb_, &L) < 0) {
    glh5_free_names(L.v, L.n);
    return glh5_fail_(GL_ERR_INPUT, obj, "object", NULL, "has attributes that cannot be listed");
  }
  *names = L.v;
  *n = L.n;
  return GL_OK;
}

gl_err glh5_attr_read_string(hid_t obj, const char *name, char **value) {
  *value = NULL;
  hid_t a, ft = -1, t = -1;
  GL_CALL(glh5_attr_open_(obj, name, &a));
  gl_err err = GL_OK;
  ft = H5Aget_type(a);
  htri_t vl = ft < 0 ? -1 : H5Tis_variable_str(ft);
  if (ft < 0 || H5Tget_class(ft) != H5T_STRING || vl < 0) {
    err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "is not a string");
  } else if (vl > 0) {
    /* HDF5 converts no variable-length string between character sets: read in the
     * attribute's own (files from other tools are often ASCII). */
    H5T_cset_t cs = H5Tget_cset(ft);
    char *tmp = NULL;
    err = glh5_vlstr_(&t);
    if (!err && (cs < 0 || H5Tset_cset(t, cs) < 0))
      err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "has an unknown character set");
    if (!err && (H5Aread(a, t, &tmp) < 0 || !tmp))
      err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "cannot be read");
    if (!err && !(*value = glh5_strdup_(tmp))) err = gl_error(GL_ERR_NOMEM, "out of memory");
    if (tmp && H5free_memory(tmp) < 0 && !err)
      err = glh5_attr_fail_(GL_ERR_LIB, obj, name, "cannot be released");
  } else {
    size_t n = H5Tget_size(ft);
    char *buf = n ? calloc(n + 1, 1) : NULL;
    if (!buf) {
      err = n ? gl_error(GL_ERR_NOMEM, "out of memory")
              : glh5_attr_fail_(GL_ERR_INPUT, obj, name, "has no readable size");
    } else if (H5Aread(a, ft, buf) < 0) {
      free(buf);
      err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "cannot be read");
    } else {
      *value = buf;
    }
  }
  if (err && *value) {
    free(*value);
    *value = NULL;
  }
  err = glh5_release(err, &t);
  err = glh5_release(err, &ft);
  return glh5_release(err, &a);
}

/* One numeric element of an integer or float attribute, converted by HDF5 to mtype. */
static gl_err glh5_attr_read_num_(hid_t obj, const char *name, hid_t mtype, void *value) {
  hid_t a, t = -1, sp = -1;
  GL_CALL(glh5_attr_open_(obj, name, &a));
  t = H5Aget_type(a);
  sp = H5Aget_space(a);
  H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  int ok = (cls == H5T_INTEGER || cls == H5T_FLOAT) && sp >= 0 &&
           H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, mtype, value) >= 0;
  gl_err err = ok ? GL_OK : glh5_attr_fail_(GL_ERR_INPUT, obj, name, "is not a single number");
  err = glh5_release(err, &sp);
  err = glh5_release(err, &t);
  return glh5_release(err, &a);
}

gl_err glh5_attr_read_int(hid_t obj, const char *name, long long *value) {
  return glh5_attr_read_num_(obj, name, H5T_NATIVE_LLONG, value);
}

gl_err glh5_attr_read_double(hid_t obj, const char *name, double *value) {
  return glh5_attr_read_num_(obj, name, H5T_NATIVE_DOUBLE, value);
}

gl_err glh5_attr_read_doubles(hid_t obj, const char *name, double *values, hsize_t max, hsize_t *n) {
  hid_t a, t = -1, sp = -1;
  *n = 0;
  GL_CALL(glh5_attr_open_(obj, name, &a));
  t = H5Aget_type(a);
  sp = H5Aget_space(a);
  H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
  gl_err err = GL_OK;
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || np < 0)
    err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "is not numeric");
  else if ((hsize_t)np <= max && np > 0 && H5Aread(a, H5T_NATIVE_DOUBLE, values) < 0)
    err = glh5_attr_fail_(GL_ERR_INPUT, obj, name, "cannot be read");
  if (!err) *n = (hsize_t)np;
  err = glh5_release(err, &sp);
  err = glh5_release(err, &t);
  return glh5_release(err, &a);
}
