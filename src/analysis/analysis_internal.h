/* Internals of the analysis stage shared between its files (not public API). */
#ifndef GAITLAB_ANALYSIS_INTERNAL_H
#define GAITLAB_ANALYSIS_INTERNAL_H

#include <hdf5.h>

#include "gaitlab/analysis.h"
#include "gaitlab/h5.h"

/* Add term[0..len) into elements [offset, offset + len) of the sum. */
void gla_rsum_add_range(gla_rsum *r, size_t offset, const double *term, size_t len);

/* ---- HDF5 (every call is collective where HDF5 requires it; errors become gl_err) */
typedef struct gla_h5 {
  hid_t file, dxpl_coll;
  int rank, size;
  MPI_Comm comm;
} gla_h5;

gl_err gla_h5_open(gla_h5 *h, const char *path, int create, int readonly, MPI_Comm comm);
void gla_h5_close(gla_h5 *h);
int gla_h5_exists(hid_t loc, const char *path);
/* Whole dataset read on every rank (independent I/O), converted to double; dims[<=3]. */
gl_err gla_h5_read_double(hid_t loc, const char *path, double **out, hsize_t *dims, int *ndims);
gl_err gla_h5_read_int(hid_t loc, const char *path, int **out, hsize_t *n);
/* Rows [a0, a0 + na) of a 3-D float dataset [agent x step x dim], collectively. */
gl_err gla_h5_read_agents(gla_h5 *h, const char *path, hsize_t a0, hsize_t na, float *buf,
                          hsize_t *dims);
/* Create a group (replacing nothing); returns its id. */
gl_err gla_h5_group(hid_t loc, const char *name, hid_t *g);
/* Create and write a small replicated dataset (rank 0 writes, collectively). */
gl_err gla_h5_put_double(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                         const double *data);
gl_err gla_h5_put_int(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                      const int *data);
gl_err gla_h5_put_int64(gla_h5 *h, hid_t loc, const char *name, int ndims, const hsize_t *dims,
                        const int64_t *data);

/* ---- the shared pipeline on replicated rows (cycle averages or external conditions) */
typedef struct gla_rows {
  double *x;          /* [n x d] row-major */
  size_t n;
  int d;
  int nseg;           /* conditions */
  size_t *seg;        /* [nseg + 1] row offsets */
  double dt;          /* sampling period (s) */
  int cyclic;         /* rows of each segment form a closed loop */
  const double *speed;/* [nseg] commanded speed along the family, or NULL */
} gla_rows;

gl_err gla_pipeline(gla_h5 *h, hid_t group, const gla_rows *rows, const gla_config *cfg,
                    MPI_Comm comm);
gl_err gla_analyze_external(const char *in_path, const char *out_path, const gla_config *cfg,
                            MPI_Comm comm);
/* Write every configuration choice as attributes of obj. */
gl_err gla_write_conventions(hid_t obj, const gla_config *cfg, int cyclic);
const char *gla_deriv_name(int rule);

#endif

#ifndef GAITLAB_ANALYSIS_INTERNAL_TANGLE
#define GAITLAB_ANALYSIS_INTERNAL_TANGLE
/* Tangling of rows with the configured derivative, epsilon and stride; writes q, row,
 * argmax_row (and agent when row_label != NULL) plus summary attributes into g. */
gl_err gla_tangle_rows(gla_h5 *h, hid_t g, const double *x, size_t n, int dx,
                       const size_t *seg, int nseg, double dt, int cyclic, const gla_config *c,
                       const int64_t *row_label, MPI_Comm comm, double *q_row);
/* Normalise columns in place: zscore (ddof 0, constant -> 0), range (x / (range + k), then
 * centred) or none; mean/scale [d] receive the statistics. */
void gla_normalize(double *x, size_t n, int d, int mode, double range_constant, double *mean,
                   double *scale);
#endif
