#include "gaitlab/h5.h"

#include <stdlib.h>
#include <string.h>

void glh5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static hid_t glh5_vlstr(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

static gl_err glh5_attr_write(hid_t obj, const char *name, hid_t type, const void *buf) {
  gl_err err = GL_OK;
  hid_t sp = H5Screate(H5S_SCALAR), a = -1;
  if (sp < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create dataspace for attribute '%s'", name);
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0 || H5Awrite(a, type, buf) < 0)
    err = gl_error(GL_ERR_LIB, "HDF5: cannot write attribute '%s'", name);
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  return err;
}

gl_err glh5_attr_string(hid_t obj, const char *name, const char *value) {
  hid_t t = glh5_vlstr();
  if (t < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create string type");
  const char *v = value ? value : "";
  gl_err err = glh5_attr_write(obj, name, t, &v);
  H5Tclose(t);
  return err;
}

gl_err glh5_attr_int(hid_t obj, const char *name, long long value) {
  return glh5_attr_write(obj, name, H5T_NATIVE_LLONG, &value);
}

gl_err glh5_attr_double(hid_t obj, const char *name, double value) {
  return glh5_attr_write(obj, name, H5T_NATIVE_DOUBLE, &value);
}

gl_err glh5_attr_read_string(hid_t obj, const char *name, char **value) {
  *value = NULL;
  if (H5Aexists(obj, name) <= 0) return gl_error(GL_ERR_INPUT, "HDF5 attribute '%s' is missing", name);
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return gl_error(GL_ERR_INPUT, "cannot open HDF5 attribute '%s'", name);
  gl_err err = GL_OK;
  hid_t ft = H5Aget_type(a);
  if (H5Tget_class(ft) != H5T_STRING) {
    err = gl_error(GL_ERR_INPUT, "HDF5 attribute '%s' is not a string", name);
  } else if (H5Tis_variable_str(ft) > 0) {
    /* HDF5 converts no variable-length string between character sets: read in the
     * attribute's own (files from other tools are often ASCII). */
    hid_t t = glh5_vlstr();
    if (t >= 0) H5Tset_cset(t, H5Tget_cset(ft));
    char *tmp = NULL;
    if (H5Aread(a, t, &tmp) < 0 || !tmp) {
      err = gl_error(GL_ERR_INPUT, "cannot read HDF5 attribute '%s'", name);
    } else {
      *value = strdup(tmp);
      H5free_memory(tmp);
      if (!*value) err = gl_error(GL_ERR_NOMEM, "out of memory");
    }
    H5Tclose(t);
  } else {
    size_t n = H5Tget_size(ft);
    char *buf = calloc(n + 1, 1);
    if (!buf) {
      err = gl_error(GL_ERR_NOMEM, "out of memory");
    } else if (H5Aread(a, ft, buf) < 0) {
      free(buf);
      err = gl_error(GL_ERR_INPUT, "cannot read HDF5 attribute '%s'", name);
    } else {
      *value = buf;
    }
  }
  H5Tclose(ft);
  H5Aclose(a);
  return err;
}

/* One numeric element of an integer or float attribute, converted by HDF5 to mtype. */
static gl_err glh5_attr_read_num(hid_t obj, const char *name, hid_t mtype, void *value) {
  if (H5Aexists(obj, name) <= 0) return gl_error(GL_ERR_INPUT, "HDF5 attribute '%s' is missing", name);
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return gl_error(GL_ERR_INPUT, "cannot open HDF5 attribute '%s'", name);
  hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
  H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  int ok = (cls == H5T_INTEGER || cls == H5T_FLOAT) && sp >= 0 &&
           H5Sget_simple_extent_npoints(sp) == 1 && H5Aread(a, mtype, value) >= 0;
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  H5Aclose(a);
  return ok ? GL_OK : gl_error(GL_ERR_INPUT, "HDF5 attribute '%s' is not a single number", name);
}

gl_err glh5_attr_read_int(hid_t obj, const char *name, long long *value) {
  return glh5_attr_read_num(obj, name, H5T_NATIVE_LLONG, value);
}

gl_err glh5_attr_read_double(hid_t obj, const char *name, double *value) {
  return glh5_attr_read_num(obj, name, H5T_NATIVE_DOUBLE, value);
}

gl_err glh5_create(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                   const hsize_t *chunk, hid_t *dset) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (chunk) H5Pset_chunk(dcpl, rank, chunk);
  /* Every element is written by the driver (NaN marks invalid samples), so HDF5 need not
   * pre-fill: this halves the I/O of a run. */
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  *dset = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(sp);
  if (*dset < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create dataset '%s'", name);
  return GL_OK;
}

gl_err glh5_write_all(hid_t dset, hid_t memtype, const void *data, int i_am_writer, hid_t dxpl) {
  hid_t fs = H5Dget_space(dset);
  /* An empty dataset has no storage: HDF5 1.10's collective path then fails on the
   * undefined address, so nothing is written (every rank knows the extent: all skip). */
  if (H5Sget_simple_extent_npoints(fs) == 0) {
    H5Sclose(fs);
    return GL_OK;
  }
  hid_t ms = H5Scopy(fs);
  if (!i_am_writer) {
    H5Sselect_none(fs);
    H5Sselect_none(ms);
  }
  static const char empty = 0; /* HDF5 rejects NULL even for an empty selection */
  herr_t st = H5Dwrite(dset, memtype, ms, fs, dxpl, data ? data : &empty);
  H5Sclose(ms);
  H5Sclose(fs);
  return st < 0 ? gl_error(GL_ERR_IO, "HDF5: collective write failed") : GL_OK;
}

gl_err glh5_put(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *data, int i_am_writer, hid_t dxpl) {
  hid_t d;
  GL_CALL(glh5_create(loc, name, type, rank, dims, NULL, &d));
  gl_err err = glh5_write_all(d, type, data, i_am_writer, dxpl);
  H5Dclose(d);
  if (err) return gl_error_context(err, "writing '%s'", name);
  return GL_OK;
}
