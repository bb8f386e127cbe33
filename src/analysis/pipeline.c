/* The analysis of one population's replicated rows (cycle averages, or external
 * conditions): PCA, tangling, speed axis, splines and subspace overlap, each written next to
 * the attributes that state its conventions. Everything but the PCA reduction and the
 * tangling tiles is small and computed identically on every rank. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "gaitlab/core.h"

enum { GLA_PCA_BLOCK = 256 };

/* PCA of replicated rows: fixed 256-row blocks dealt round-robin, so each block's Gram
 * matrix is one reproducible term whatever the rank count. */
static gl_err gla_pca_replicated_(const double *z, size_t n, int d, int k, int grid,
                                  MPI_Comm comm, gla_pca *p) {
  int rank, size;
  GL_MPI(MPI_Comm_rank(comm, &rank));
  GL_MPI(MPI_Comm_size(comm, &size));
  size_t nb = (n + GLA_PCA_BLOCK - 1) / GLA_PCA_BLOCK, mine = 0, rows = 0;
  for (size_t b = (size_t)rank; b < nb; b += (size_t)size) ++mine;
  double *loc = NULL;
  int64_t *br = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(loc, (mine ? mine : 1) * GLA_PCA_BLOCK * (size_t)d), done);
  GL_GOTO(err, GL_ALLOC(br, mine ? mine : 1), done);
  int i = 0;
  for (size_t b = (size_t)rank; b < nb; b += (size_t)size, ++i) {
    size_t r0 = b * GLA_PCA_BLOCK, m = r0 + GLA_PCA_BLOCK <= n ? GLA_PCA_BLOCK : n - r0;
    memcpy(loc + rows * (size_t)d, z + r0 * (size_t)d, m * (size_t)d * sizeof *z);
    rows += m;
    br[i] = (int64_t)m;
  }
  err = gla_pca_fit(loc, br, (int)mine, d, k, grid, comm, p);
done:
  free(loc);
  free(br);
  return err;
}

gl_err gla_write_conventions(hid_t obj, const gla_config *c, int cyclic) {
  static const char *const eps[] = {"authors: factor x variance of the flattened N x D array (np.var)",
                                    "russo: factor x sum of per-column variances"};
  static const char *const norm[] = {"zscore: pooled over all rows, ddof 0, zero-variance units -> 0",
                                     "range: x / (max - min + range_constant), then mean-centred",
                                     "none"};
  int rule = c->derivative == GLA_DERIV_AUTO
                 ? (cyclic ? GLA_DERIV_PERIODIC_BACKWARD : GLA_DERIV_BACKWARD) : c->derivative;
  GL_CALL(glh5_attr_string(obj, "preset", c->preset == GLA_PRESET_PAPER ? "paper"
                                         : c->preset == GLA_PRESET_RUSSO ? "russo" : "none"));
  GL_CALL(glh5_attr_string(obj, "normalization", norm[c->normalize]));
  GL_CALL(glh5_attr_double(obj, "range_constant", c->range_constant));
  GL_CALL(glh5_attr_string(obj, "tangling_definition",
                          "Q(t) = max over t' != t of |dx_t - dx_t'|^2 / (|x_t - x_t'|^2 + eps), exact over all pairs (no nearest-neighbour shortcut)"));
  GL_CALL(glh5_attr_string(obj, "tangling_epsilon_rule", eps[c->eps_rule]));
  GL_CALL(glh5_attr_double(obj, "tangling_epsilon_factor", c->eps_factor));
  GL_CALL(glh5_attr_int(obj, "tangling_epsilon_ddof", c->eps_ddof));
  GL_CALL(glh5_attr_string(obj, "tangling_space", c->space == GLA_SPACE_PCS ? "pcs" : "units"));
  GL_CALL(glh5_attr_int(obj, "tangling_pcs", c->tangling_pcs));
  GL_CALL(glh5_attr_string(obj, "tangling_derivative", gla_deriv_name(rule)));
  GL_CALL(glh5_attr_string(obj, "tangling_derivative_scope", "within each condition (never across a boundary), divided by the sampling period"));
  GL_CALL(glh5_attr_string(obj, "tangling_t_prime", c->within_condition ? "own condition only" : "all samples of all conditions"));
  GL_CALL(glh5_attr_double(obj, "tangling_stride_s", c->stride_s));
  GL_CALL(glh5_attr_string(obj, "percentiles", "p90_linear = numpy default (linear); p90_hazen = MATLAB prctile (numpy method='hazen')"));
  GL_CALL(glh5_attr_string(obj, "pca", "covariance with ddof 1 of the normalised rows (centred), ScaLAPACK pdsyevd; explained_variance ddof 1; ratio = variance / total variance; each component signed so its largest-|loading| entry is positive; scores = (x - mean) components^T"));
  GL_CALL(glh5_attr_int(obj, "pca_components", c->pca_components));
  return GL_OK;
}

static gl_err gla_put_summary_(hid_t g, const double *q, size_t n) {
  gla_summary s;
  GL_CALL(gla_summarize(q, n, &s));
  GL_CALL(glh5_attr_double(g, "max", s.max));
  GL_CALL(glh5_attr_double(g, "mean", s.mean));
  GL_CALL(glh5_attr_double(g, "median", s.median));
  GL_CALL(glh5_attr_double(g, "p90_linear", s.p90_linear));
  GL_CALL(glh5_attr_double(g, "p90_hazen", s.p90_hazen));
  return GL_OK;
}

/* Tangling of rows x [n x dx] with segment structure; writes into group g. q_row receives
 * Q per row (NaN for rows skipped by the stride) when not NULL. */
/* Mean and max of q over each group's rows: per_condition_mean_max [ngroup x 2]. */
static gl_err gla_put_per_group_(const glh5_file *h, hid_t g, const double *q, const int *grp,
                                 size_t m, int ngroup) {
  double *pc = NULL;
  GL_CALL(GL_ALLOC(pc, 2 * (size_t)(ngroup ? ngroup : 1)));
  for (int c2 = 0; c2 < ngroup; ++c2) {
    double sum = 0, mx = NAN;
    size_t cnt = 0;
    for (size_t i = 0; i < m; ++i)
      if (grp[i] == c2) {
        sum += q[i];
        mx = cnt == 0 || q[i] > mx ? q[i] : mx;
        ++cnt;
      }
    pc[2 * c2] = cnt ? sum / (double)cnt : NAN;
    pc[2 * c2 + 1] = mx;
  }
  hsize_t d2[2] = {(hsize_t)ngroup, 2};
  gl_err err = glh5_put_mpi(h, g, "per_condition_mean_max", H5T_NATIVE_DOUBLE, 2, d2, pc);
  free(pc);
  return err;
}

gl_err gla_tangle_rows(const glh5_file *h, hid_t g, const double *x, size_t n, int dx,
                       const size_t *seg, int nseg, const int *seg_group, int ngroup, double dt,
                       int cyclic, const gla_config *c, const int64_t *row_label, MPI_Comm comm,
                       double *q_row) {
  int rule = c->derivative == GLA_DERIV_AUTO
                 ? (cyclic ? GLA_DERIV_PERIODIC_BACKWARD : GLA_DERIV_BACKWARD) : c->derivative;
  size_t stride = 1;
  if (c->stride_s > 0) {
    stride = (size_t)floor(c->stride_s / dt + 1e-9);
    if (stride < 1) stride = 1;
  }
  size_t m = n ? (n - 1) / stride + 1 : 0;
  double *xd = NULL, *xs = NULL, *xds = NULL, *q = NULL;
  int64_t *arg = NULL, *rowof = NULL, *argrow = NULL;
  int *cond = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(xd, n * (size_t)dx), done);
  GL_GOTO(err, GL_ALLOC(xs, m * (size_t)dx), done);
  GL_GOTO(err, GL_ALLOC(xds, m * (size_t)dx), done);
  GL_GOTO(err, GL_ALLOC(q, m), done);
  GL_GOTO(err, GL_ALLOC(arg, m), done);
  GL_GOTO(err, GL_ALLOC(rowof, m), done);
  GL_GOTO(err, GL_ALLOC(argrow, m), done);
  GL_GOTO(err, GL_ALLOC(cond, m), done);
  GL_GOTO(err, gla_derivative(x, n, dx, seg, nseg, (gla_deriv)rule, dt, xd), done);
  /* epsilon at full rate, before subsampling (Russo computes it on all of X) */
  double eps = gla_epsilon(x, n, dx, (gla_eps_rule)c->eps_rule, c->eps_ddof, c->eps_factor);
  int s = 0;
  for (size_t i = 0; i < m; ++i) {
    size_t r = i * stride;
    while (s + 1 < nseg && r >= seg[s + 1]) ++s;
    rowof[i] = (int64_t)r;
    cond[i] = seg_group ? seg_group[s] : s;
    memcpy(xs + i * (size_t)dx, x + r * (size_t)dx, (size_t)dx * sizeof *x);
    memcpy(xds + i * (size_t)dx, xd + r * (size_t)dx, (size_t)dx * sizeof *x);
  }
  gla_tangle_opts o = {eps, c->tile, c->within_condition, cond};
  double t0 = MPI_Wtime();
  GL_GOTO(err, gla_tangling(xs, xds, m, dx, &o, q, arg, comm), done);
  double t1 = MPI_Wtime();
  for (size_t i = 0; i < m; ++i) argrow[i] = arg[i] >= 0 ? rowof[arg[i]] : -1;
  if (q_row) {
    for (size_t i = 0; i < n; ++i) q_row[i] = NAN;
    for (size_t i = 0; i < m; ++i) q_row[rowof[i]] = q[i];
  }
  hsize_t dm = m;
  GL_GOTO(err, glh5_put_mpi(h, g, "q", H5T_NATIVE_DOUBLE, 1, &dm, q), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "row", H5T_NATIVE_INT64, 1, &dm, rowof), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "argmax_row", H5T_NATIVE_INT64, 1, &dm, argrow), done);
  if (row_label) {
    for (size_t i = 0; i < m; ++i) argrow[i] = row_label[rowof[i]];
    GL_GOTO(err, glh5_put_mpi(h, g, "agent", H5T_NATIVE_INT64, 1, &dm, argrow), done);
  }
  GL_GOTO(err, gla_put_summary_(g, q, m), done);
  GL_GOTO(err, glh5_attr_double(g, "epsilon", eps), done);
  GL_GOTO(err, glh5_attr_int(g, "stride_samples", (long long)stride), done);
  GL_GOTO(err, glh5_attr_int(g, "dimensions", dx), done);
  GL_GOTO(err, glh5_attr_string(g, "derivative", gla_deriv_name(rule)), done);
  GL_GOTO(err, glh5_attr_double(g, "sampling_period_s", dt), done);
  GL_GOTO(err, glh5_attr_double(g, "seconds", t1 - t0), done);
  GL_GOTO(err, glh5_attr_string(g, "description", "q[i] = Q at row[i] (rows of the analysed matrix, after the stride); argmax_row = the maximising t' (lowest on ties)"), done);
  GL_GOTO(err, gla_put_per_group_(h, g, q, cond, m, seg_group ? ngroup : nseg), done);
done:
  free(xd);
  free(xs);
  free(xds);
  free(q);
  free(arg);
  free(rowof);
  free(argrow);
  free(cond);
  return err;
}

/* ---- the steps of gla_pipeline, each writing one group under the population's group */

/* PCA of the rows (kfit components) and their scores [n x k]; writes pca/. */
static gl_err gla_pipe_pca_(const glh5_file *h, hid_t group, const gla_rows *R, int kfit,
                            const gla_config *c, MPI_Comm comm, gla_pca *p, double **scores) {
  const size_t n = R->n;
  const int d = R->d;
  GL_CALL(gla_pca_replicated_(R->x, n, d, kfit, c->pca_grid_procs, comm, p));
  const int k = p->k;
  GL_CALL(GL_ALLOC(*scores, n * (size_t)k));
  gla_pca_project(p, R->x, n, *scores);
  hid_t g;
  GL_CALL(glh5_group_create(group, "pca", &g));
  gl_err err = GL_OK;
  hsize_t dk[2] = {(hsize_t)k, (hsize_t)d}, dn[2] = {n, (hsize_t)k}, dd1 = (hsize_t)d;
  GL_GOTO(err, glh5_put_mpi(h, g, "components", H5T_NATIVE_DOUBLE, 2, dk, p->components), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "explained_variance", H5T_NATIVE_DOUBLE, 1, dk, p->variance), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "explained_variance_ratio", H5T_NATIVE_DOUBLE, 1, dk, p->ratio), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "mean", H5T_NATIVE_DOUBLE, 1, &dd1, p->mean), done);
  GL_GOTO(err, glh5_put_mpi(h, g, "scores", H5T_NATIVE_DOUBLE, 2, dn, *scores), done);
  GL_GOTO(err, glh5_attr_double(g, "total_variance", p->total_variance), done);
  GL_GOTO(err, glh5_attr_int(g, "rows", (long long)p->nrows), done);
done:
  return glh5_release(err, &g);
}

/* Tangling of the rows, in unit space or on the first tangling_pcs scores; writes
 * tangling/ and returns Q per row in qrow [n]. */
static gl_err gla_pipe_tangling_(const glh5_file *h, hid_t group, const gla_rows *R,
                                 const double *scores, int k, const gla_config *c,
                                 MPI_Comm comm, double *qrow) {
  const size_t n = R->n;
  int dx = R->d;
  double *xt = NULL;
  hid_t g = -1;
  gl_err err = GL_OK;
  if (c->space == GLA_SPACE_PCS) {
    dx = c->tangling_pcs < k ? c->tangling_pcs : k;
    GL_GOTO(err, GL_ALLOC(xt, n * (size_t)dx), done);
    for (size_t i = 0; i < n; ++i)
      memcpy(xt + i * (size_t)dx, scores + i * (size_t)k, (size_t)dx * sizeof *xt);
  }
  GL_GOTO(err, glh5_group_create(group, "tangling", &g), done);
  GL_GOTO(err, gla_tangle_rows(h, g, xt ? xt : R->x, n, dx, R->seg, R->nseg, NULL, 0, R->dt,
                               R->cyclic, c, NULL, comm, qrow), done);
done:
  free(xt);
  return glh5_release(err, &g);
}

/* Speed axis over PCs 3..pca_components from the condition means of the scores (conditions
 * without rows take no part); writes speed_axis/ and returns each row's projection in
 * *proj [n] (left NULL when there is no axis: no speeds, fewer than 3 PCs, no rows). */
static gl_err gla_pipe_speed_(const glh5_file *h, hid_t group, const gla_rows *R,
                              const gla_pca *p, const double *scores, const gla_config *c,
                              double **proj) {
  const size_t n = R->n;
  const int d = R->d, k = p->k;
  int kspeed = c->pca_components < k ? c->pca_components : k;
  int nonempty = 0;
  for (int c2 = 0; c2 < R->nseg; ++c2) nonempty += R->seg[c2 + 1] > R->seg[c2];
  if (!(R->speed && kspeed >= 3 && nonempty >= 1)) return GL_OK;
  int m = kspeed - 2, s = nonempty;
  double *cm = NULL, *dir = NULL, *axis = NULL, *spd = NULL, frac = 0;
  hid_t g = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(cm, (size_t)s * (size_t)m), done);
  GL_GOTO(err, GL_ALLOC(spd, s), done);
  GL_GOTO(err, GL_ALLOC(dir, m), done);
  GL_GOTO(err, GL_ALLOC(axis, d), done);
  GL_GOTO(err, GL_ALLOC(*proj, n), done);
  for (int c2 = 0, row = 0; c2 < R->nseg; ++c2) {
    size_t a = R->seg[c2], b = R->seg[c2 + 1];
    if (b == a) continue;
    for (int j = 0; j < m; ++j) {
      double sum = 0;
      for (size_t i = a; i < b; ++i) sum += scores[i * (size_t)k + 2 + (size_t)j];
      cm[(size_t)row * (size_t)m + (size_t)j] = sum / (double)(b - a);
    }
    spd[row++] = R->speed[c2];
  }
  GL_GOTO(err, gla_speed_axis(cm, s, m, spd, c->speed_centered, dir, &frac), done);
  for (int j = 0; j < d; ++j) {
    double v = 0;
    for (int t = 0; t < m; ++t) v += dir[t] * p->components[(size_t)(2 + t) * (size_t)d + (size_t)j];
    axis[j] = v;
  }
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    for (int t = 0; t < m; ++t) v += scores[i * (size_t)k + 2 + (size_t)t] * dir[t];
    (*proj)[i] = v;
  }
  GL_GOTO(err, glh5_group_create(group, "speed_axis", &g), done);
  {
    hsize_t dm = (hsize_t)m, dd1 = (hsize_t)d, dn = n, dcm[2] = {(hsize_t)s, (hsize_t)m},
            ds = (hsize_t)s;
    GL_GOTO(err, glh5_put_mpi(h, g, "direction_pcs", H5T_NATIVE_DOUBLE, 1, &dm, dir), done);
    GL_GOTO(err, glh5_put_mpi(h, g, "axis_units", H5T_NATIVE_DOUBLE, 1, &dd1, axis), done);
    GL_GOTO(err, glh5_put_mpi(h, g, "projection", H5T_NATIVE_DOUBLE, 1, &dn, *proj), done);
    GL_GOTO(err, glh5_put_mpi(h, g, "condition_means", H5T_NATIVE_DOUBLE, 2, dcm, cm), done);
    GL_GOTO(err, glh5_put_mpi(h, g, "speed", H5T_NATIVE_DOUBLE, 1, &ds, spd), done);
    GL_GOTO(err, glh5_attr_string(g, "conditions", "rows of condition_means/speed = the conditions that have cycles, in condition order"), done);
    GL_GOTO(err, glh5_attr_double(g, "fraction", frac), done);
    GL_GOTO(err, glh5_attr_string(g, "pcs", "direction over PCs 3..k (columns 2..k-1 of the scores); axis_units = components[2:k]^T direction, orthogonal to PC1-2"), done);
    GL_GOTO(err, glh5_attr_string(g, "centered", c->speed_centered ? "yes: condition means centred across conditions (paper wording)" : "no: uncentred condition means (authors' code)"), done);
    GL_GOTO(err, glh5_attr_string(g, "sign", "projections of the condition means correlate non-negatively with the commanded speed; constant speeds: largest |direction| entry positive"), done);
    GL_GOTO(err, glh5_attr_string(g, "family", c->speed_family == 0 ? "u" : c->speed_family == 1 ? "v" : "r"), done);
    GL_GOTO(err, glh5_attr_string(g, "fraction_definition", "|X d|^2 / |X|_F^2"), done);
  }
done:
  free(cm);
  free(spd);
  free(dir);
  free(axis);
  return glh5_release(err, &g);
}

/* Periodic splines of each condition's closed cycle (cyclic rows only) for PC1-3, the speed
 * axis projection (proj, may be NULL) and tangling (when every row has Q); writes spline/. */
static gl_err gla_pipe_splines_(const glh5_file *h, hid_t group, const gla_rows *R,
                                const double *scores, int k, const double *proj,
                                const double *qrow, const gla_config *c) {
  const size_t n = R->n;
  int npts = c->spline_points, nch = 0;
  const char *names[5];
  const double *src[5];
  int stride_src[5];
  for (int j = 0; j < 3 && j < k; ++j) {
    static const char *const pcn[] = {"pc1", "pc2", "pc3"};
    names[nch] = pcn[j];
    src[nch] = scores + j;
    stride_src[nch++] = k;
  }
  if (proj) {
    names[nch] = "speed_axis";
    src[nch] = proj;
    stride_src[nch++] = 1;
  }
  int has_q = 1;
  for (size_t i = 0; i < n; ++i) has_q &= !isnan(qrow[i]);
  if (has_q) {
    names[nch] = "tangling";
    src[nch] = qrow;
    stride_src[nch++] = 1;
  }
  double *spl = NULL, *ybuf = NULL;
  hid_t g = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(spl, (size_t)R->nseg * (size_t)npts), done);
  GL_GOTO(err, GL_ALLOC(ybuf, n ? n : 1), done);
  GL_GOTO(err, glh5_group_create(group, "spline", &g), done);
  for (int ch = 0; ch < nch; ++ch) {
    for (int c2 = 0; c2 < R->nseg; ++c2) {
      size_t a = R->seg[c2], P = R->seg[c2 + 1] - a;
      double *o = spl + (size_t)c2 * (size_t)npts;
      if (P < 2) {
        for (int i = 0; i < npts; ++i) o[i] = NAN;
        continue;
      }
      for (size_t i = 0; i < P; ++i) ybuf[i] = src[ch][(a + i) * (size_t)stride_src[ch]];
      GL_GOTO(err, gla_spline_periodic(ybuf, (int)P, R->dt, npts, o), done);
    }
    hsize_t ds[2] = {(hsize_t)R->nseg, (hsize_t)npts};
    GL_GOTO(err, glh5_put_mpi(h, g, names[ch], H5T_NATIVE_DOUBLE, 2, ds, spl), done);
  }
  for (int c2 = 0; c2 < R->nseg; ++c2) {
    double T = (double)(R->seg[c2 + 1] - R->seg[c2]) * R->dt;
    for (int i = 0; i < npts; ++i) spl[(size_t)c2 * (size_t)npts + (size_t)i] = T * i / (npts - 1);
  }
  {
    hsize_t ds[2] = {(hsize_t)R->nseg, (hsize_t)npts};
    GL_GOTO(err, glh5_put_mpi(h, g, "time", H5T_NATIVE_DOUBLE, 2, ds, spl), done);
    GL_GOTO(err, glh5_attr_string(g, "description", "periodic cubic spline (GSL cspline_periodic) of each condition's closed cycle (first sample appended at P dt), evaluated at linspace(0, P dt, points), both ends included; for figures only (tangling is computed on the samples)"), done);
  }
done:
  free(spl);
  free(ybuf);
  return glh5_release(err, &g);
}

/* Subspace overlap between conditions, each centred after the global normalisation;
 * writes subspace/. */
static gl_err gla_pipe_subspace_(const glh5_file *h, hid_t group, const gla_rows *R,
                                 const gla_config *c) {
  const int d = R->d;
  double **rc = NULL, *ov = NULL;
  int *rows = NULL;
  hid_t g = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(rc, R->nseg), done);
  GL_GOTO(err, GL_ALLOC(rows, R->nseg), done);
  GL_GOTO(err, GL_ALLOC(ov, (size_t)R->nseg * (size_t)R->nseg), done);
  for (int c2 = 0; c2 < R->nseg; ++c2) {
    size_t a = R->seg[c2], P = R->seg[c2 + 1] - a;
    rows[c2] = (int)P;
    GL_GOTO(err, GL_ALLOC(rc[c2], (P ? P : 1) * (size_t)d), done);
    memcpy(rc[c2], R->x + a * (size_t)d, P * (size_t)d * sizeof(double));
    for (int j = 0; j < d; ++j) {
      double mu = 0;
      for (size_t i = 0; i < P; ++i) mu += rc[c2][i * (size_t)d + (size_t)j];
      mu = P ? mu / (double)P : 0;
      for (size_t i = 0; i < P; ++i) rc[c2][i * (size_t)d + (size_t)j] -= mu;
    }
  }
  GL_GOTO(err, gla_subspace_overlap((const double *const *)rc, rows, R->nseg, d,
                                    c->subspace_pcs, ov), done);
  {
    hsize_t ds[2] = {(hsize_t)R->nseg, (hsize_t)R->nseg};
    GL_GOTO(err, glh5_group_create(group, "subspace", &g), done);
    GL_GOTO(err, glh5_put_mpi(h, g, "overlap", H5T_NATIVE_DOUBLE, 2, ds, ov), done);
    GL_GOTO(err, glh5_attr_int(g, "pcs", c->subspace_pcs), done);
    GL_GOTO(err, glh5_attr_string(g, "definition", "overlap[r][c] = V(R_c, W_r) / V(R_c, W_c), V(R, W) = 1 - |R - R W W^T|_F / |R|_F; R_c = condition c's rows after the global normalisation, centred per condition; W = top right singular vectors"), done);
  }
done:
  if (rc)
    for (int c2 = 0; c2 < R->nseg; ++c2) free(rc[c2]);
  free(rc);
  free(rows);
  free(ov);
  return glh5_release(err, &g);
}

gl_err gla_pipeline(const glh5_file *h, hid_t group, const gla_rows *R, const gla_config *c,
                    MPI_Comm comm) {
  int kfit = c->pca_components;
  if (c->space == GLA_SPACE_PCS && c->tangling_pcs > kfit) kfit = c->tangling_pcs;
  if (kfit > R->d) kfit = R->d;
  gla_pca p = {0};
  double *scores = NULL, *qrow = NULL, *proj = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, gla_write_conventions(group, c, R->cyclic), done);
  GL_GOTO(err, gla_pipe_pca_(h, group, R, kfit, c, comm, &p, &scores), done);
  GL_GOTO(err, GL_ALLOC(qrow, R->n), done);
  GL_GOTO(err, gla_pipe_tangling_(h, group, R, scores, p.k, c, comm, qrow), done);
  GL_GOTO(err, gla_pipe_speed_(h, group, R, &p, scores, c, &proj), done);
  if (R->cyclic) GL_GOTO(err, gla_pipe_splines_(h, group, R, scores, p.k, proj, qrow, c), done);
  if (R->nseg >= 1) GL_GOTO(err, gla_pipe_subspace_(h, group, R, c), done);
done:
  gla_pca_free(&p);
  free(scores);
  free(qrow);
  free(proj);
  return err;
}
