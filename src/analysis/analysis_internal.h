/* Internals of the analysis stage shared between its files (not public API). */
#ifndef GAITLAB_ANALYSIS_INTERNAL_H
#define GAITLAB_ANALYSIS_INTERNAL_H

#include <hdf5.h>

#include "gaitlab/analysis.h"
#include "gaitlab/h5.h"

/* Add term[0..len) into elements [offset, offset + len) of the sum. */
void gla_rsum_add_range(gla_rsum *r, size_t offset, const double *term, size_t len);

/* ---- HDF5: through the h5 layer (gaitlab/h5.h). Files are opened collectively
 * (glh5_open_mpi); metadata calls are made by every rank with identical arguments and small
 * results are written by rank 0 with the others selecting nothing (glh5_put_mpi). */

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

gl_err gla_pipeline(const glh5_file *h, hid_t group, const gla_rows *rows, const gla_config *cfg,
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
 * argmax_row (and agent when row_label != NULL) plus summary attributes into g. The
 * derivative runs within each segment seg[s] .. seg[s+1]-1; seg_group[s] (NULL: s itself,
 * ngroup = nseg) is the condition a segment belongs to, for within_condition and for
 * per_condition_mean_max. */
gl_err gla_tangle_rows(const glh5_file *h, hid_t g, const double *x, size_t n, int dx,
                       const size_t *seg, int nseg, const int *seg_group, int ngroup, double dt,
                       int cyclic, const gla_config *c, const int64_t *row_label, MPI_Comm comm,
                       double *q_row);
/* Normalise columns in place: zscore (ddof 0, constant -> 0), range (x / (range + k), then
 * centred) or none; mean/scale [d] receive the statistics. */
void gla_normalize(double *x, size_t n, int d, int mode, double range_constant, double *mean,
                   double *scale);
#endif
