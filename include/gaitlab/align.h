/* Cross-agent comparison of structured neural activity (part of the analysis module, prefixes
 * gla_align_, gla_cca, gla_procrustes).
 *
 * Rush et al. (arXiv 2305.11107, supplement) state that agents trained from different seeds
 * have "different absolute neural activation patterns, but structured neural activity that is
 * nearly identical", and show pictures. This measures it. For two analysed recordings and one
 * layer:
 *   1. every condition's cycle average (P samples at phases 0, 1/P, ..., (P-1)/P) is
 *      resampled per unit onto a common phase grid phi_k = k/G with a periodic cubic spline
 *      over the closed cycle, because agents walk with different gait periods;
 *   2. the conditions common to the files (identical u, v, r, cycles in every file) are
 *      stacked, condition-major, and reduced to the top k principal components per agent;
 *   3. the two agents' score matrices are compared by canonical correlations (is there any
 *      linear map between them?) and by orthogonal Procrustes disparity (is it a rotation
 *      plus scale?);
 *   4. two controls compute the same numbers after breaking the row correspondence
 *      (conditions paired with the next condition; cycles shifted by half a cycle), so the
 *      real values can be read against what unrelated trajectories of the same shape give.
 * Every convention is also written as an HDF5 attribute next to the results (gla_align_write).
 *
 * Matrices are row-major [rows x columns] doubles unless stated otherwise. */
#ifndef GAITLAB_ALIGN_H
#define GAITLAB_ALIGN_H

#include "gaitlab/error.h"

enum { GLA_ALIGN_GRID = 50, GLA_ALIGN_PCS = 10 };

/* ---------------------------------------------------------------- math */

/* x [p x d]: one closed cycle, row i at phase i/p. out [g x d]: row k at phase k/g, from a
 * GSL periodic cubic spline per unit over phases 0..1 with row 0 repeated at phase 1.
 * p >= 2, g >= 1. */
gl_err gla_align_resample(const double *x, int p, int d, int g, double *out);

/* PCA scores of x [n x d]: columns centred, covariance (ddof 1) eigendecomposed with LAPACK
 * dsyevd, scores [n x k] = (x - mean) V_k for the top-k eigenvectors, each signed so that
 * its largest-|loading| entry is positive. GL_ERR_INPUT when k > min(n - 1, d);
 * GL_ERR_NUMERIC when the k-th component has no variance (fewer than k dimensions). */
gl_err gla_align_pca(const double *x, int n, int d, int k, double *scores);

/* Canonical correlations of a [n x ka] and b [n x kb] (Bjorck & Golub 1973): both centred,
 * thin QR (dgeqrf/dorgqr), rho = singular values of Qa^T Qb, descending, clamped to [0, 1];
 * rho has min(ka, kb) entries. GL_ERR_NUMERIC for a rank-deficient a or b. */
gl_err gla_cca(const double *a, int ka, const double *b, int kb, int n, double *rho);

/* Orthogonal Procrustes, scipy.spatial.procrustes convention: a, b [n x k] centred and
 * scaled to unit Frobenius norm, A^T B = U S V^T, R = U V^T (rotation or reflection that
 * takes A closest to B), scale s = trace S, disparity = |A - s B R^T|_F^2 (= 1 - s^2).
 * rot [k x k] receives R (may be NULL). GL_ERR_NUMERIC when a or b is constant. */
gl_err gla_procrustes(const double *a, const double *b, int n, int k, double *disparity,
                      double *rot);

/* One comparison: canonical correlations [k] (descending), their mean, and the disparity. */
typedef struct gla_align_score {
  double *rho;
  double mean_rho, disparity;
} gla_align_score;

/* The three comparisons of one pair of agents. */
typedef struct gla_align_result {
  gla_align_score real;       /* condition c, phase k of a with the same of b */
  gla_align_score cond_shift; /* condition c of a with condition (c + 1) mod n of b; all NaN
                                 when n < 2 */
  gla_align_score phase_shift;/* phase k of a with phase (k + g/2) mod g of b, per condition */
} gla_align_result;

/* xa [n x g x da], xb [n x g x db]: the same n conditions resampled onto g phase points,
 * condition-major. PCA per agent (k PCs each), then CCA and Procrustes for the real
 * correspondence and both controls. res->*.rho must point to k doubles each. */
gl_err gla_align_compare(const double *xa, int da, const double *xb, int db, int n, int g,
                         int k, gla_align_result *res);

/* ---------------------------------------------------------------- files */

typedef struct gla_align_opts {
  const char *const *layers; /* populations under /analysis; NULL or nlayers = 0: every
                                population of the first file, in name order */
  int nlayers;
  int grid;                  /* G, phase points per cycle (GLA_ALIGN_GRID) */
  int pcs;                   /* k, PCs per agent (GLA_ALIGN_PCS) */
} gla_align_opts;

typedef struct gla_align_layer {
  char *name;
  int d;              /* units */
  int ncond;          /* common conditions used */
  double *conditions; /* [ncond x 3] u, v, r (SI), in the first file's order */
  int npairs;         /* nfiles (nfiles - 1) / 2, pairs (i, j) with i < j in order */
  int *pairs;         /* [npairs x 2] file indices */
  double *rho, *rho_cond, *rho_phase;    /* [npairs x k] canonical correlations */
  double *disp, *disp_cond, *disp_phase; /* [npairs] Procrustes disparities */
} gla_align_layer;

typedef struct gla_align_results {
  int nfiles;
  char **paths;       /* [nfiles] as given */
  char **names;       /* [nfiles] display names: basename without .h5 */
  int grid, pcs;
  int nlayers;
  gla_align_layer *layer;
} gla_align_results;

/* Read every file's layers (serial, read-only; every dataset's shape is checked against the
 * others before it is used), match conditions by identical (u, v, r), resample, and compare
 * every pair of files. Input problems (missing file or layer, inconsistent shapes, no common
 * condition) are GL_ERR_INPUT with one line naming the file(s) and the HDF5 object. On error
 * *out is left empty; always release with gla_align_results_free. */
gl_err gla_align_files(const char *const *paths, int nfiles, const gla_align_opts *o,
                       gla_align_results *out);
void gla_align_results_free(gla_align_results *r);

/* Write /align/<layer>/... and the convention attributes to out_path atomically
 * (out_path.tmp, then rename). */
gl_err gla_align_write(const gla_align_results *r, const char *out_path);

#endif
