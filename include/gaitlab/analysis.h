/* Population analysis (prefix gla_): gait-cycle alignment, z-score + PCA (ScaLAPACK),
 * exact all-pairs trajectory tangling, speed axes, periodic splines and subspace overlap,
 * distributed over an MPI communicator. Definitions: docs/analysis.md; every convention
 * chosen is written next to the results as an HDF5 attribute.
 *
 * Determinism: every reduction over ranks goes through gla_rsum (fixed-point, exact integer
 * sums), so cycle averages, z-score statistics and covariances are bitwise identical for any
 * rank count; tangling tiles are fixed by the data size, not by the rank count, so Q is
 * bitwise identical too. The ScaLAPACK eigensolver's rounding depends on the process grid:
 * results then agree to ~1e-13; analysis.pca.grid_procs = 1 makes them bitwise identical.
 *
 * Output layout (gla_analyze_file), all under /analysis:
 *   cycles/{agent,condition,start,length,used}   every complete RF lift-off cycle
 *   cycles/{histogram [cond x len], mode_period, n_used, gait_frequency_hz} per condition
 *   <population>/average [rows x dim], row_condition, row_phase, variance, condition_offset
 *   <population>/zscore/{mean,scale}, pca/{components,explained_variance,ratio,scores}
 *   <population>/tangling/{q,argmax,summary}, speed_axis/..., spline/..., subspace/overlap
 *   <population>/tangling_raw/...  (analysis.tangling.raw: exact Q on every raw sample) */
#ifndef GAITLAB_ANALYSIS_H
#define GAITLAB_ANALYSIS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "gaitlab/config.h"
#include "gaitlab/error.h"

/* ---------------------------------------------------------------- configuration */

typedef enum gla_eps_rule {
  GLA_EPS_AUTHORS = 0, /* factor x np.var of the flattened N x D array (Rush et al. code) */
  GLA_EPS_RUSSO = 1    /* factor x sum over columns of var(x_d) (Russo et al. 2018 code) */
} gla_eps_rule;

typedef enum gla_deriv {
  GLA_DERIV_AUTO = 0,              /* periodic backward for cycle averages, backward raw */
  GLA_DERIV_PERIODIC_BACKWARD = 1, /* x'[0] = (x[0] - x[last]) / dt */
  GLA_DERIV_BACKWARD = 2,          /* x'[0] = x'[1] (first row duplicated; Russo, authors) */
  GLA_DERIV_CENTRAL = 3,           /* numpy.gradient (one-sided at the ends) */
  GLA_DERIV_PERIODIC_CENTRAL = 4
} gla_deriv;

typedef enum gla_space { GLA_SPACE_UNITS = 0, GLA_SPACE_PCS = 1 } gla_space;
typedef enum gla_norm { GLA_NORM_ZSCORE = 0, GLA_NORM_RANGE = 1, GLA_NORM_NONE = 2 } gla_norm;
typedef enum gla_preset { GLA_PRESET_NONE = 0, GLA_PRESET_PAPER = 1, GLA_PRESET_RUSSO = 2 } gla_preset;

typedef struct gla_config {
  int preset;                /* gla_preset: defaults for the keys below (explicit keys win) */
  glc_strings populations;   /* layer names under /recording */
  double contact_threshold;  /* N; contact = F_z > threshold (0 = the authors' 0/>0 rule) */
  int foot;                  /* 0..3 in file order LF, RF, LH, RH; default 1 (RF) */
  int pca_components;        /* 12 */
  int pca_grid_procs;        /* BLACS grid size, 0 = all ranks */
  int normalize;             /* gla_norm, before PCA/tangling (zscore for recordings) */
  double range_constant;     /* soft normalisation: x / (range + constant) */
  /* tangling */
  int eps_rule;              /* gla_eps_rule */
  double eps_factor;         /* 0.1 */
  int eps_ddof;              /* 0 or 1 */
  int space;                 /* gla_space */
  int tangling_pcs;          /* k when space = pcs */
  int derivative;            /* gla_deriv */
  int within_condition;      /* restrict t' to t's condition */
  double stride_s;           /* subsample t and t' every stride_s seconds (0 = none) */
  int raw;                   /* also exact tangling of every raw (unaveraged) sample */
  int tile;                  /* tangling tile edge (rows); fixed tiles keep Q rank-invariant */
  /* speed axis */
  int speed_family;          /* 0 = u, 1 = v, 2 = r */
  int speed_centered;        /* 0 = authors (uncentred condition means), 1 = paper wording */
  int spline_points;         /* 1000 */
  int subspace_pcs;          /* 10 */
  /* external recordings */
  glc_strings ext_datasets;  /* [time x unit] datasets, one per condition */
  double ext_sampling_period;/* s; 0 = the file's root attribute "sampling_period_s" */
  char *ext_times;           /* sibling dataset of times (optional) */
  char *ext_analyze_times;   /* sibling dataset of times to analyse (optional) */
  int ext_transpose;         /* datasets stored [unit x time] (MATLAB v7.3 column-major) */
  int ext_cyclic;            /* each condition is a closed loop */
  int owned;                 /* 1 once bound: strings/lists are heap copies */
} gla_config;

/* Defaults point at static literals (owned = 0); gla_config_free is safe either way. */
void gla_config_defaults(gla_config *cfg);
/* Bind the `analysis:` block of doc (absent block = defaults). Applies analysis.preset
 * first, then every explicit key, so "--set analysis.preset=russo --set
 * analysis.tangling.k=4" means the Russo preset with 4 PCs. */
gl_err gla_config_bind(const glc_doc *doc, gla_config *cfg);
void gla_config_free(gla_config *cfg);
/* The schema table (for --help and validation). */
const glc_key *gla_config_schema(size_t *nkeys);

/* Analyse a recording file in place (collective; opens with the MPI-IO driver). Writes
 * /analysis (replacing an earlier /analysis). With cfg->ext_datasets set, analyses those
 * external datasets instead and writes /analysis/external to out_path (or h5path if NULL). */
gl_err gla_analyze_file(const char *h5path, const gla_config *cfg, MPI_Comm comm);
gl_err gla_analyze_file_to(const char *h5path, const char *out_path, const gla_config *cfg,
                           MPI_Comm comm);

/* ---------------------------------------------------------------- building blocks */

/* Reproducible distributed sum: every term is quantised onto a fixed-point grid chosen from
 * a global bound, accumulated in 64-bit integers and reduced exactly with MPI, so the sum
 * does not depend on how terms are spread over ranks or in which order they are added.
 * Error: below 2^-90 x nterms x bound per element. */
typedef struct gla_rsum {
  size_t n;
  int64_t *hi, *lo;
  int scale;          /* terms are multiplied by 2^scale */
  double mul;         /* 2^scale when that is a normal double, else 0 (then ldexp) */
  double limit;       /* largest |term| that cannot overflow */
  int overflow;
} gla_rsum;
/* bound >= |every term| on every rank (same value on all ranks), nterms = global count of
 * add() calls (upper bound). */
gl_err gla_rsum_init(gla_rsum *r, size_t n, double bound, int64_t nterms);
void gla_rsum_add(gla_rsum *r, const double *term);
void gla_rsum_add_scaled(gla_rsum *r, const double *term, double factor);
/* Collective: out[n] = the exact-to-rounding sum of all terms of all ranks. */
gl_err gla_rsum_finish(gla_rsum *r, double *out, MPI_Comm comm);
void gla_rsum_free(gla_rsum *r);

/* Cycle alignment on one trace: lift-off = first sample with F <= threshold after a sample
 * with F > threshold; samples at index >= nvalid are ignored. Writes up to cap lift-off
 * indices, returns their count (may exceed cap: then only cap were written). */
int gla_liftoffs(const float *force, int stride, int n, int nvalid, double threshold,
                 int *liftoff, int cap);
/* Mode of a histogram (counts[len], len = 0..maxlen); ties go to the shorter period;
 * returns 0 when empty. */
int gla_mode_period(const int64_t *counts, int maxlen);

/* Statistics. Both percentile helpers take sorted data; p in [0, 100]. */
double gla_percentile_linear(const double *sorted, size_t n, double p); /* numpy default */
double gla_percentile_hazen(const double *sorted, size_t n, double p);  /* MATLAB prctile */
typedef struct gla_summary {
  double max, mean, median, p90_linear, p90_hazen;
} gla_summary;
gl_err gla_summarize(const double *q, size_t n, gla_summary *s);

/* Derivative of x [n x d] row-major, independently within each segment
 * [seg_start[s], seg_start[s+1]) (seg_start has nseg+1 entries, last = n), divided by dt. */
gl_err gla_derivative(const double *x, size_t n, int d, const size_t *seg_start, int nseg,
                      gla_deriv rule, double dt, double *xdot);
/* epsilon for the rule: factor x flattened variance (authors) or x sum of column variances
 * (Russo), with the given ddof. */
double gla_epsilon(const double *x, size_t n, int d, gla_eps_rule rule, int ddof, double factor);

/* z-score columns in place (pooled, ddof 0; zero-variance columns map to 0). mean/scale [d]
 * receive the statistics (scale 0 marks a zero-variance column). */
void gla_zscore(double *x, size_t n, int d, double *mean, double *scale);

/* Exact tangling Q(t) = max_{t' != t} |x'_t - x'_t'|^2 / (|x_t - x_t'|^2 + eps) over all
 * n rows (replicated on every rank; both arrays are centred in place, which leaves Q
 * unchanged). Pair distances come from GEMM on fixed tiles (|a|^2 + |b|^2 - 2 a.b, clamped
 * at 0); tile pairs are spread over the ranks and the maxima combined exactly, so q and
 * argmax (lowest t' on ties) are bitwise identical for any rank count. condition (may be
 * NULL) restricts t' to t's own condition when within_condition is set. Collective. */
typedef struct gla_tangle_opts {
  double eps;
  int tile;               /* 0 = default (512) */
  int within_condition;
  const int *condition;   /* [n] or NULL */
} gla_tangle_opts;
gl_err gla_tangling(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                    double *q, int64_t *argmax, MPI_Comm comm);
/* The same without the float32 screen that gla_tangling applies first: two DGEMMs on every
 * tile. Same q and argmax (bitwise where the BLAS's DGEMM sums each entry as one FMA chain,
 * as OpenBLAS's x86-64 kernels do); about 2x slower. For tests and benchmarks. */
gl_err gla_tangling_exact(double *x, double *xdot, size_t n, int d, const gla_tangle_opts *o,
                          double *q, int64_t *argmax, MPI_Comm comm);
/* The calling rank's screen counts for its last gla_tangling call: tiles screened, tiles
 * among them computed densely (too many candidates), pairs evaluated in double. All 0 when
 * the screen did not apply (non-finite or degenerate data, no FMA). */
void gla_tangling_screen_stats(int64_t *tiles, int64_t *dense, int64_t *pairs);
/* The direct pairwise formula (serial, O(n^2 d)), for tests and small data. */
gl_err gla_tangling_direct(const double *x, const double *xdot, size_t n, int d,
                           const gla_tangle_opts *o, double *q, int64_t *argmax);

/* Column means and (var non-NULL) ddof-0 variances of rows held in blocks across ranks,
 * bitwise the same for any assignment of blocks to ranks; nterms = blocks on all ranks,
 * nglob = rows on all ranks. */
gl_err gla_block_moments(const double *x, const int64_t *brows, int nb, int d, int64_t nterms,
                         int64_t nglob, MPI_Comm comm, double *mean, double *var);

/* PCA of rows distributed over ranks. Local rows x [nlocal x d] row-major are grouped into
 * consecutive blocks (block_rows[nblocks], summing to nlocal) that must be defined
 * independently of the rank count (e.g. one block per agent): each block's contribution is
 * one reproducible term. The covariance (ddof 1) is eigendecomposed with ScaLAPACK
 * (pdsyevd) on a BLACS grid of grid_procs ranks (0 = all). Components are sorted by
 * decreasing variance and signed so that each one's largest-|loading| entry is positive.
 * Results are replicated on every rank. Collective. */
typedef struct gla_pca {
  int d, k;
  int64_t nrows;
  double *mean;        /* [d] */
  double *components;  /* [k x d] row-major, orthonormal rows */
  double *variance;    /* [k] explained variance (ddof 1) */
  double *ratio;       /* [k] variance / total variance */
  double total_variance;
} gla_pca;
gl_err gla_pca_fit(const double *x, const int64_t *block_rows, int nblocks, int d, int k,
                   int grid_procs, MPI_Comm comm, gla_pca *out);
/* scores [n x k] = (x - mean) components^T */
void gla_pca_project(const gla_pca *p, const double *x, size_t n, double *scores);
void gla_pca_free(gla_pca *p);

/* Speed axis: cond_means [s x m] (condition means of PCs 3..k), speeds [s] (may be NULL).
 * d [m] = top right singular vector of the (optionally centred) matrix, signed so that the
 * projections correlate non-negatively with speed (without speeds or with constant speeds:
 * largest |d_i| positive). *fraction = |X d|^2 / |X|_F^2. */
gl_err gla_speed_axis(const double *cond_means, int s, int m, const double *speeds,
                      int centered, double *d, double *fraction);

/* Periodic cubic spline (GSL) of one closed cycle y[p] sampled every dt: the loop is closed
 * by appending y[0] at p dt, then evaluated at npts points linspace(0, p dt) (both ends). */
gl_err gla_spline_periodic(const double *y, int p, double dt, int npts, double *out);

/* Subspace overlap: r_c [rows_c x d] per condition (centred by the caller), W_c from the
 * top-k right singular vectors; overlap[r*nc + c] = V(R_c, W_r) / V(R_c, W_c) with
 * V(R, W) = 1 - |R - R W W^T|_F / |R|_F. */
gl_err gla_subspace_overlap(const double *const *r, const int *rows, int nc, int d, int k,
                            double *overlap);

#endif
