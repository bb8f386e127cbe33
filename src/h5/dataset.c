/* Datasets: reads checked against the shape the caller expects before anything is read,
 * serial writes with HDF5's default creation properties, and the collective writes of
 * the MPI-IO files (fixed-size datasets created by every rank, data written by the ranks
 * that hold it). */
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "h5/h5_internal.h"

/* HDF5 rejects a NULL buffer even for an empty selection. */
static const char glh5_empty_ = 0;

static int glh5_numeric_(hid_t memtype) {
  if (memtype < 0) return 0;
  H5T_class_t c = H5Tget_class(memtype);
  return c == H5T_INTEGER || c == H5T_FLOAT;
}

static hsize_t glh5_npoints_(int rank, const hsize_t *dims) {
  hsize_t n = 1;
  for (int k = 0; k < rank; ++k) n *= dims[k];
  return n;
}

gl_err glh5_open_checked_(hid_t loc, const char *obj, hid_t memtype, int rank,
                          const hsize_t *want, hid_t *dset, int *found, hsize_t *dims) {
  *dset = -1;
  GL_CALL(glh5_require(loc, obj));
  hid_t d = H5Dopen2(loc, obj, H5P_DEFAULT);
  if (d < 0) return glh5_fail_(GL_ERR_INPUT, loc, "object", obj, "is not a readable dataset");
  hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
  int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  hsize_t got[GLH5_MAXRANK];
  for (int k = 0; k < GLH5_MAXRANK; ++k) got[k] = 1;
  gl_err err = GL_OK;
  H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (nd < 0 || nd > GLH5_MAXRANK || cls == H5T_NO_CLASS ||
      (nd > 0 && H5Sget_simple_extent_dims(sp, got, NULL) < 0)) {
    err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "has an unreadable shape or type");
  } else if (glh5_numeric_(memtype) && cls != H5T_INTEGER && cls != H5T_FLOAT) {
    err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "is not numeric");
  } else if (rank >= 0) {
    int same = nd == rank;
    for (int k = 0; same && k < rank; ++k) same = !want || want[k] == GLH5_ANY || want[k] == got[k];
    if (!same) {
      char a[GLH5_SHAPE_LEN], b[GLH5_SHAPE_LEN];
      err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "has shape %s, expected %s",
                       glh5_shape_str_(nd, got, a), glh5_shape_str_(rank, want, b));
    }
  }
  if (found) *found = nd;
  if (dims) memcpy(dims, got, sizeof got);
  err = glh5_release(err, &t);
  err = glh5_release(err, &sp);
  if (err) glh5_release(err, &d);
  *dset = d;
  return err;
}

gl_err glh5_shape(hid_t loc, const char *obj, int *rank, hsize_t dims[GLH5_MAXRANK],
                  H5T_class_t *cls) {
  hid_t d, t = -1;
  GL_CALL(glh5_open_checked_(loc, obj, -1, -1, NULL, &d, rank, dims));
  gl_err err = GL_OK;
  t = H5Dget_type(d);
  *cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (*cls == H5T_NO_CLASS) err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "has no readable type");
  err = glh5_release(err, &t);
  return glh5_release(err, &d);
}

gl_err glh5_check(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                  hsize_t *dims) {
  hid_t d;
  hsize_t got[GLH5_MAXRANK];
  GL_CALL(glh5_open_checked_(loc, obj, memtype, rank, want, &d, NULL, got));
  if (dims && rank > 0) memcpy(dims, got, (size_t)rank * sizeof *dims);
  return glh5_close(&d);
}

static gl_err glh5_read_open_(hid_t loc, const char *obj, hid_t d, hid_t memtype, hsize_t n,
                              void *buf, hid_t dxpl) {
  if (n && H5Dread(d, memtype, H5S_ALL, H5S_ALL, dxpl, buf) < 0)
    return glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "cannot be read (truncated or corrupt?)");
  return GL_OK;
}

gl_err glh5_read(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                 void *buf, hid_t dxpl) {
  hid_t d;
  GL_CALL(glh5_open_checked_(loc, obj, memtype, rank, want, &d, NULL, NULL));
  gl_err err = glh5_read_open_(loc, obj, d, memtype, glh5_npoints_(rank, want), buf, dxpl);
  return glh5_release(err, &d);
}

/* Read the whole of an already checked dataset into a new buffer. */
static gl_err glh5_read_new_(hid_t loc, const char *obj, hid_t d, hid_t memtype, int rank,
                             const hsize_t *got, void *out_ptr) {
  void **out = (void **)out_ptr;
  hsize_t n = glh5_npoints_(rank, got);
  size_t es = H5Tget_size(memtype);
  if (es == 0) return gl_error(GL_ERR_INTERNAL, "HDF5: memory type without a size reading '%s'", obj);
  GL_CALL(gl_calloc(out, n ? (size_t)n : 1, es));
  gl_err err = glh5_read_open_(loc, obj, d, memtype, n, *out, H5P_DEFAULT);
  if (err) {
    free(*out);
    *out = NULL;
  }
  return err;
}

gl_err glh5_read_alloc(hid_t loc, const char *obj, hid_t memtype, int rank,
                       const hsize_t *want, hsize_t *dims, void *out_ptr) {
  *(void **)out_ptr = NULL;
  hid_t d;
  hsize_t got[GLH5_MAXRANK];
  GL_CALL(glh5_open_checked_(loc, obj, memtype, rank, want, &d, NULL, got));
  gl_err err = glh5_read_new_(loc, obj, d, memtype, rank, got, out_ptr);
  if (!err && dims && rank > 0) memcpy(dims, got, (size_t)rank * sizeof *dims);
  return glh5_release(err, &d);
}

gl_err glh5_read_any(hid_t loc, const char *obj, hid_t memtype, int *rank,
                     hsize_t dims[GLH5_MAXRANK], void *out_ptr) {
  *(void **)out_ptr = NULL;
  hid_t d;
  GL_CALL(glh5_open_checked_(loc, obj, memtype, -1, NULL, &d, rank, dims));
  gl_err err = glh5_read_new_(loc, obj, d, memtype, *rank, dims, out_ptr);
  return glh5_release(err, &d);
}

/* Select rows [row0, row0 + n) x everything of the file space fs, and the matching memory
 * space; n = 0 selects nothing in both. */
static gl_err glh5_select_rows_(hid_t dset, hid_t fs, hsize_t row0, hsize_t n, hid_t *ms) {
  *ms = -1;
  hsize_t dims[GLH5_MAXRANK], start[GLH5_MAXRANK] = {0}, count[GLH5_MAXRANK];
  int rank = H5Sget_simple_extent_ndims(fs);
  if (rank < 1 || rank > GLH5_MAXRANK || H5Sget_simple_extent_dims(fs, dims, NULL) < 0)
    return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "has no row structure");
  if (row0 + n > dims[0])
    return glh5_fail_(GL_ERR_INTERNAL, dset, "dataset", NULL, "has %llu rows, not rows [%llu, %llu)",
                      (unsigned long long)dims[0], (unsigned long long)row0,
                      (unsigned long long)(row0 + n));
  if (n == 0) {
    if (H5Sselect_none(fs) < 0 || (*ms = H5Scopy(fs)) < 0 || H5Sselect_none(*ms) < 0)
      return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "cannot select no rows");
    return GL_OK;
  }
  start[0] = row0;
  count[0] = n;
  for (int k = 1; k < rank; ++k) count[k] = dims[k];
  if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      (*ms = H5Screate_simple(rank, count, NULL)) < 0)
    return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "cannot select rows [%llu, %llu)",
                      (unsigned long long)row0, (unsigned long long)(row0 + n));
  return GL_OK;
}

gl_err glh5_read_rows_open(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, void *buf,
                           hid_t dxpl) {
  hid_t fs = H5Dget_space(dset), ms = -1;
  if (fs < 0) return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "has no dataspace");
  gl_err err = glh5_select_rows_(dset, fs, row0, nrows, &ms);
  if (!err && H5Dread(dset, memtype, ms, fs, dxpl, buf ? buf : (void *)&glh5_empty_) < 0)
    err = glh5_fail_(GL_ERR_INPUT, dset, "dataset", NULL, "rows [%llu, %llu) cannot be read",
                     (unsigned long long)row0, (unsigned long long)(row0 + nrows));
  err = glh5_release(err, &ms);
  return glh5_release(err, &fs);
}

gl_err glh5_read_rows(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                      hsize_t row0, hsize_t nrows, void *buf, hid_t dxpl, hsize_t *dims) {
  hid_t d;
  hsize_t got[GLH5_MAXRANK];
  GL_CALL(glh5_open_checked_(loc, obj, memtype, rank, want, &d, NULL, got));
  if (dims && rank > 0) memcpy(dims, got, (size_t)rank * sizeof *dims);
  return glh5_release(glh5_read_rows_open(d, memtype, row0, nrows, buf, dxpl), &d);
}

gl_err glh5_read_string(hid_t loc, const char *obj, char **out) {
  *out = NULL;
  hid_t d, t = -1;
  int rank;
  GL_CALL(glh5_open_checked_(loc, obj, -1, -1, NULL, &d, &rank, NULL));
  t = H5Dget_type(d);
  htri_t vl = t < 0 ? -1 : H5Tis_variable_str(t);
  size_t n = t < 0 ? 0 : H5Tget_size(t);
  gl_err err = GL_OK;
  char *s = NULL;
  if (t < 0 || H5Tget_class(t) != H5T_STRING || vl != 0 || n == 0 || rank != 0)
    err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "is not a fixed-length string");
  else if (!(s = calloc(n + 1, 1)))
    err = gl_error(GL_ERR_NOMEM, "out of memory reading '%s'", obj);
  else if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0)
    err = glh5_fail_(GL_ERR_INPUT, loc, "dataset", obj, "cannot be read (truncated or corrupt?)");
  if (err) free(s);
  else *out = s;
  err = glh5_release(err, &t);
  return glh5_release(err, &d);
}

gl_err glh5_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                  const hsize_t *dims, const void *data) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), sp = -1, d = -1;
  gl_err err = GL_OK;
  if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0)
    err = glh5_fail_(GL_ERR_LIB, loc, "dataset", name, "cannot be created (link properties)");
  if (!err && (sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR)) < 0)
    err = glh5_fail_(GL_ERR_LIB, loc, "dataset", name, "cannot be created (dataspace)");
  if (!err && (d = H5Dcreate2(loc, name, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT)) < 0)
    err = glh5_fail_(GL_ERR_IO, loc, "dataset", name, "cannot be created");
  if (!err && glh5_npoints_(rank, dims) > 0 &&
      H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    err = glh5_fail_(GL_ERR_IO, loc, "dataset", name, "cannot be written");
  err = glh5_release(err, &d);
  err = glh5_release(err, &sp);
  return glh5_release(err, &lcpl);
}

static gl_err glh5_write_fixed_str_(hid_t loc, const char *name, size_t size, int rank,
                                    const hsize_t *dims, const void *data) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0 || H5Tset_size(t, size) < 0) {
    if (t >= 0) H5Tclose(t);
    return glh5_fail_(GL_ERR_LIB, loc, "dataset", name, "cannot be created (string type)");
  }
  gl_err err = glh5_write(loc, name, t, t, rank, dims, data);
  return glh5_release(err, &t);
}

gl_err glh5_write_string(hid_t loc, const char *name, const char *value) {
  return glh5_write_fixed_str_(loc, name, strlen(value) + 1, 0, NULL, value);
}

gl_err glh5_write_strings(hid_t loc, const char *name, const char *strings, hsize_t n,
                          size_t len) {
  return glh5_write_fixed_str_(loc, name, len, 1, &n, strings);
}

/* Every element of a recording layer is written by gaitlab (NaN marks invalid samples), so
 * HDF5 need not pre-fill those: this halves the I/O of a run. Chunked datasets carry HDF5's
 * Fletcher-32 checksum per chunk: a flipped byte in a recording (a disk, a half copy) fails
 * the read that meets it instead of flowing into an analysis; HDF5 verifies it on every read.
 * zeroed: filled with 0 (the default fill value of every type) when the storage is
 * allocated, early, as parallel HDF5 allocates. */
static gl_err glh5_create_(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                           const hsize_t *chunk, int zeroed, hid_t *dset) {
  *dset = -1;
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  gl_err err = GL_OK;
  if (sp < 0 || dcpl < 0 || (chunk && (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0)) ||
      (zeroed && H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0) ||
      H5Pset_fill_time(dcpl, zeroed ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER) < 0)
    err = glh5_fail_(GL_ERR_LIB, loc, "dataset", name, "cannot be created (creation properties)");
  if (!err && (*dset = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
    err = glh5_fail_(GL_ERR_LIB, loc, "dataset", name, "cannot be created");
  err = glh5_release(err, &dcpl);
  err = glh5_release(err, &sp);
  if (err) glh5_release(err, dset);
  return err;
}

gl_err glh5_create(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                   const hsize_t *chunk, hid_t *dset) {
  return glh5_create_(loc, name, type, rank, dims, chunk, 0, dset);
}

gl_err glh5_create_zeroed(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                          hid_t *dset) {
  return glh5_create_(loc, name, type, rank, dims, NULL, 1, dset);
}

gl_err glh5_write_all(hid_t dset, hid_t memtype, const void *data, int i_am_writer, hid_t dxpl) {
  hid_t fs = H5Dget_space(dset), ms = -1;
  if (fs < 0) return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "has no dataspace");
  gl_err err = GL_OK;
  hssize_t np = H5Sget_simple_extent_npoints(fs);
  if (np < 0) err = glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "has no extent");
  /* An empty dataset has no storage: HDF5 1.10's collective path then fails on the
   * undefined address, so nothing is written (every rank knows the extent: all skip). */
  if (!err && np > 0) {
    if ((ms = H5Scopy(fs)) < 0 || (!i_am_writer && (H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0)))
      err = glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "cannot select its elements");
    if (!err && H5Dwrite(dset, memtype, ms, fs, dxpl, data ? data : (const void *)&glh5_empty_) < 0)
      err = glh5_fail_(GL_ERR_IO, dset, "dataset", NULL, "cannot be written (collective write failed)");
  }
  err = glh5_release(err, &ms);
  return glh5_release(err, &fs);
}

gl_err glh5_put(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *data, int i_am_writer, hid_t dxpl) {
  hid_t d;
  GL_CALL(glh5_create(loc, name, type, rank, dims, NULL, &d));
  gl_err err = glh5_write_all(d, type, data, i_am_writer, dxpl);
  return glh5_release(err, &d);
}

gl_err glh5_put_mpi(const glh5_file *f, hid_t loc, const char *name, hid_t type, int rank,
                    const hsize_t *dims, const void *data) {
  /* Only rank 0's write can fail (a full disk): every rank must learn it here, or the others
   * go on into the next collective call and wait there for ever. */
  return gl_agree(f->comm, glh5_put(loc, name, type, rank, dims, data, f->rank == 0, f->dxpl));
}

gl_err glh5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows,
                       const void *buf, hid_t dxpl) {
  hid_t fs = H5Dget_space(dset), ms = -1;
  if (fs < 0) return glh5_fail_(GL_ERR_LIB, dset, "dataset", NULL, "has no dataspace");
  gl_err err = glh5_select_rows_(dset, fs, row0, nrows, &ms);
  if (!err && H5Dwrite(dset, memtype, ms, fs, dxpl, buf ? buf : (const void *)&glh5_empty_) < 0)
    err = glh5_fail_(GL_ERR_IO, dset, "dataset", NULL, "rows [%llu, %llu) cannot be written (collective write failed)",
                     (unsigned long long)row0, (unsigned long long)(row0 + nrows));
  err = glh5_release(err, &ms);
  return glh5_release(err, &fs);
}
