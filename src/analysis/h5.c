/* HDF5 access for the analysis stage. Files are opened with the MPI-IO driver; metadata
 * calls (groups, datasets, attributes) are made by every rank with identical arguments,
 * and small results are written collectively by rank 0 with the others selecting nothing. */
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"

gl_err gla_h5_open(gla_h5 *h, const char *path, int create, int readonly, MPI_Comm comm) {
  memset(h, 0, sizeof *h);
  h->file = h->dxpl_coll = -1;
  h->comm = comm;
  MPI_Comm_rank(comm, &h->rank);
  MPI_Comm_size(comm, &h->size);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
    if (fapl >= 0) H5Pclose(fapl);
    return gl_error(GL_ERR_LIB, "HDF5: cannot set up MPI-IO access for %s", path);
  }
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  if (create)
    h->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  else
    h->file = H5Fopen(path, readonly ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  if (h->file < 0)
    return gl_error(GL_ERR_IO, "cannot %s HDF5 file '%s'%s", create ? "create" : "open", path,
                    create || readonly ? "" : " for writing");
  h->dxpl_coll = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(h->dxpl_coll, H5FD_MPIO_COLLECTIVE);
  return GL_OK;
}

void gla_h5_close(gla_h5 *h) {
  if (h->dxpl_coll >= 0) H5Pclose(h->dxpl_coll);
  if (h->file >= 0) H5Fclose(h->file);
  h->file = h->dxpl_coll = -1;
}

int gla_h5_exists(hid_t loc, const char *path) {
  /* H5Lexists needs every intermediate link to exist: walk the path. */
  char buf[1024];
  size_t n = strlen(path);
  if (n >= sizeof buf) return 0;
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] == '/' || buf[i] == '\0') {
      char c = buf[i];
      buf[i] = '\0';
      if (strcmp(buf, "/") != 0 && H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
      buf[i] = c;
    }
  }
  return 1;
}

gl_err gla_h5_read_double(hid_t loc, const char *path, double **out, hsize_t *dims, int *ndims) {
  *out = NULL;
  if (!gla_h5_exists(loc, path)) return gl_error(GL_ERR_INPUT, "HDF5 dataset '%s' not found", path);
  hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
  if (d < 0) return gl_error(GL_ERR_IO, "cannot open dataset '%s'", path);
  hid_t sp = H5Dget_space(d);
  int nd = H5Sget_simple_extent_ndims(sp);
  hsize_t dd[8] = {0};
  gl_err err = GL_OK;
  if (nd < 0 || nd > 3) {
    err = gl_error(GL_ERR_INPUT, "dataset '%s' has %d dimensions (at most 3 supported)", path, nd);
    goto done;
  }
  H5Sget_simple_extent_dims(sp, dd, NULL);
  size_t total = 1;
  for (int i = 0; i < nd; ++i) total *= dd[i];
  hid_t ty = H5Dget_type(d);
  H5T_class_t cls = H5Tget_class(ty);
  H5Tclose(ty);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    err = gl_error(GL_ERR_INPUT, "dataset '%s' is not numeric", path);
    goto done;
  }
  GL_GOTO(err, GL_ALLOC(*out, total), done);
  if (total && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0) {
    err = gl_error(GL_ERR_IO, "cannot read dataset '%s'", path);
    free(*out);
    *out = NULL;
    goto done;
  }
  for (int i = 0; i < nd; ++i) dims[i] = dd[i];
  *ndims = nd;
done:
  H5Sclose(sp);
  H5Dclose(d);
  return err;
}

gl_err gla_h5_read_int(hid_t loc, const char *path, int **out, hsize_t *n) {
  double *v = NULL;
  hsize_t dims[3];
  int nd;
  GL_CALL(gla_h5_read_double(loc, path, &v, dims, &nd));
  if (nd != 1) {
    free(v);
    return gl_error(GL_ERR_INPUT, "dataset '%s' must be one-dimensional", path);
  }
  gl_err err = GL_ALLOC(*out, dims[0]);
  if (!err)
    for (hsize_t i = 0; i < dims[0]; ++i) (*out)[i] = (int)v[i];
  *n = dims[0];
  free(v);
  return err;
}

gl_err gla_h5_read_agents(gla_h5 *h, const char *path, hsize_t a0, hsize_t na, float *buf,
                          hsize_t *dims) {
  if (!gla_h5_exists(h->file, path))
    return gl_error(GL_ERR_INPUT, "recording has no dataset '%s'", path);
  hid_t d = H5Dopen2(h->file, path, H5P_DEFAULT);
  if (d < 0) return gl_error(GL_ERR_IO, "cannot open '%s'", path);
  hid_t fs = H5Dget_space(d);
  gl_err err = GL_OK;
  if (H5Sget_simple_extent_ndims(fs) != 3) {
    err = gl_error(GL_ERR_INPUT, "'%s' must be [agent x step x dim]", path);
    goto done;
  }
  H5Sget_simple_extent_dims(fs, dims, NULL);
  hsize_t start[3] = {a0, 0, 0}, count[3] = {na, dims[1], dims[2]};
  hid_t ms = H5Screate_simple(3, count, NULL);
  if (na > 0) {
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  } else {
    H5Sselect_none(fs);
    H5Sselect_none(ms);
  }
  if (H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, h->dxpl_coll, buf) < 0)
    err = gl_error(GL_ERR_IO, "cannot read '%s'", path);
  H5Sclose(ms);
done:
  H5Sclose(fs);
  H5Dclose(d);
  return err;
}

gl_err gla_h5_group(hid_t loc, const char *name, hid_t *g) {
  *g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (*g < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create group '%s'", name);
  return GL_OK;
}

static gl_err gla_h5_put_(gla_h5 *h, hid_t loc, const char *name, hid_t type, int ndims,
                          const hsize_t *dims, const void *data) {
  const hsize_t one = 1; /* a scalar result is stored as [1] */
  return glh5_put(loc, name, type, ndims > 0 ? ndims : 1, ndims > 0 ? dims : &one, data,
                  h->rank == 0, h->dxpl_coll);
}

gl_err gla_h5_put_double(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                         const double *data) {
  return gla_h5_put_(h, loc, name, H5T_NATIVE_DOUBLE, ndims, dims, data);
}
gl_err gla_h5_put_int(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                      const int *data) {
  return gla_h5_put_(h, loc, name, H5T_NATIVE_INT, ndims, dims, data);
}
gl_err gla_h5_put_int64(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                        const int64_t *data) {
  return gla_h5_put_(h, loc, name, H5T_NATIVE_INT64, ndims, dims, data);
}

