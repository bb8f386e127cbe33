#include "train/train_log.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/h5.h"

struct glt_log {
  hid_t file;
  int ncols;
  hid_t *ds;
  hsize_t rows;
};

static gl_err create_column(glt_log *g, int c, const glt_log_column *col) {
  hsize_t dims[1] = {0}, maxd[1] = {H5S_UNLIMITED}, chunk[1] = {256};
  hid_t sp = H5Screate_simple(1, dims, maxd);
  hid_t pl = H5Pcreate(H5P_DATASET_CREATE);
  /* Fletcher-32 like every chunked dataset gaitlab writes (src/h5/dataset.c). */
  if (sp >= 0 && pl >= 0 && H5Pset_chunk(pl, 1, chunk) >= 0 && H5Pset_fletcher32(pl) >= 0)
    g->ds[c] = H5Dcreate2(g->file, col->name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  else
    g->ds[c] = -1;
  if (pl >= 0) H5Pclose(pl);
  if (sp >= 0) H5Sclose(sp);
  if (g->ds[c] < 0) return gl_error(GL_ERR_IO, "training log: cannot create column %s", col->name);
  gl_err err = glh5_attr_string(g->ds[c], "units", col->units);
  if (!err) err = glh5_attr_string(g->ds[c], "description", col->description);
  return err ? gl_error_context(err, "training log column %s", col->name) : GL_OK;
}

void glt_log_close(glt_log *g) {
  if (!g) return;
  for (int c = 0; c < g->ncols; ++c)
    if (g->ds[c] > 0) H5Dclose(g->ds[c]);
  if (g->file > 0) H5Fclose(g->file);
  free(g->ds);
  free(g);
}

gl_err glt_log_open(glt_log **out, const char *path, const glt_log_column *cols, int ncols,
                    int64_t keep_rows) {
  *out = NULL;
  glt_log *g = NULL;
  GL_CALL(GL_ALLOC(g, 1));
  gl_err err = GL_ALLOC(g->ds, ncols);
  if (err) {
    free(g);
    return err;
  }
  g->ncols = ncols;
  g->file = -1;
  /* A log that cannot be reopened is started afresh: it is a record of the run, not state
   * the run resumes from. A new one has the checksummed format of every gaitlab file. */
  if (keep_rows >= 0 && glh5_open(&g->file, path, GLH5_RDWR) != GL_OK) gl_error_clear();
  if (keep_rows < 0 || g->file < 0) {
    keep_rows = -1;
    err = glh5_open(&g->file, path, GLH5_CREATE);
    if (err) {
      err = gl_error_context(err, "training log");
      goto fail;
    }
  }
  g->rows = keep_rows < 0 ? 0 : (hsize_t)keep_rows;
  for (int c = 0; c < ncols && !err; ++c) {
    hid_t ds = -1;
    if (keep_rows >= 0) {
      H5E_BEGIN_TRY { ds = H5Dopen2(g->file, cols[c].name, H5P_DEFAULT); }
      H5E_END_TRY;
    }
    if (ds < 0) {
      err = create_column(g, c, &cols[c]);
      /* a column new to this version: pad the resumed rows with NaN */
      if (!err && g->rows > 0) {
        hsize_t dims[1] = {g->rows};
        double *nan = malloc(g->rows * sizeof(double));
        if (!nan) err = gl_error(GL_ERR_NOMEM, "out of memory");
        for (hsize_t r = 0; nan && r < g->rows; ++r) nan[r] = NAN;
        if (!err && (H5Dset_extent(g->ds[c], dims) < 0 ||
                     H5Dwrite(g->ds[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, nan) < 0))
          err = gl_error(GL_ERR_IO, "training log: cannot pad column %s", cols[c].name);
        free(nan);
      }
    } else {
      g->ds[c] = ds;
      hsize_t dims[1] = {g->rows};
      if (H5Dset_extent(ds, dims) < 0)
        err = gl_error(GL_ERR_IO, "training log: cannot truncate column %s", cols[c].name);
    }
  }
  if (err) goto fail;
  *out = g;
  return GL_OK;
fail:
  glt_log_close(g);
  return err;
}

gl_err glt_log_append(glt_log *g, const double *row) {
  hsize_t dims[1] = {g->rows + 1}, start[1] = {g->rows}, count[1] = {1};
  for (int c = 0; c < g->ncols; ++c) {
    if (H5Dset_extent(g->ds[c], dims) < 0)
      return gl_error(GL_ERR_IO, "training log: cannot extend a column");
    hid_t fs = H5Dget_space(g->ds[c]);
    hid_t ms = H5Screate_simple(1, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t rc = H5Dwrite(g->ds[c], H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &row[c]);
    H5Sclose(ms);
    H5Sclose(fs);
    if (rc < 0) return gl_error(GL_ERR_IO, "training log: cannot write a row");
  }
  g->rows++;
  if (H5Fflush(g->file, H5F_SCOPE_LOCAL) < 0) return gl_error(GL_ERR_IO, "training log: flush failed");
  return GL_OK;
}
