/* gla_analyze_file for gaitlab recordings: cycle alignment on each rank's own agents,
 * reproducible reduction of the cycle sums, then the replicated pipeline per population
 * (and optionally exact tangling of every raw sample). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_internal.h"
#include "gaitlab/core.h"

typedef struct gla_rec {
  int A, C, W;         /* agents, conditions, window steps */
  double dt;
  int a0, na;          /* this rank's agents */
  int *cond, *fall;    /* [A] */
  int *step;           /* [W] */
  double *cu, *cv, *cr;/* [C] */
  int *nvalid;         /* [A] valid window samples (before the fall) */
  /* cycles of this rank */
  int ncyc, capcyc;
  int *cyc;            /* triples (agent, start, length) */
  int64_t *hist;       /* [C x (W + 1)] global */
  int *mode;           /* [C] */
  int64_t *nused;      /* [C] */
} gla_rec;

static void gla_rec_free_(gla_rec *r) {
  free(r->cond);
  free(r->fall);
  free(r->step);
  free(r->cu);
  free(r->cv);
  free(r->cr);
  free(r->nvalid);
  free(r->cyc);
  free(r->hist);
  free(r->mode);
  free(r->nused);
}

/* A 1-D dataset (of *want entries unless want is NULL) as ints: read as doubles and
 * truncated, whatever its stored type. */
static gl_err gla_rec_ints_(hid_t loc, const char *path, const hsize_t *want, int **out,
                            hsize_t *n) {
  double *v = NULL;
  *out = NULL;
  GL_CALL(glh5_read_alloc(loc, path, H5T_NATIVE_DOUBLE, 1, want, n, &v));
  gl_err err = GL_ALLOC(*out, *n);
  if (!err)
    for (hsize_t i = 0; i < *n; ++i) (*out)[i] = (int)v[i];
  free(v);
  return err;
}

static gl_err gla_rec_load_(const glh5_file *h, gla_rec *r) {
  hsize_t n, dims[1];
  GL_CALL(gla_rec_ints_(h->id, "/agents/condition", NULL, &r->cond, &n));
  r->A = (int)n;
  const hsize_t agents = n;
  GL_CALL(gla_rec_ints_(h->id, "/agents/fall_step", &agents, &r->fall, &n));
  GL_CALL(gla_rec_ints_(h->id, "/recording/step", NULL, &r->step, &n));
  r->W = (int)n;
  GL_CALL(glh5_read_alloc(h->id, "/conditions/u", H5T_NATIVE_DOUBLE, 1, NULL, dims, &r->cu));
  r->C = (int)dims[0];
  const hsize_t conds = dims[0];
  GL_CALL(glh5_read_alloc(h->id, "/conditions/v", H5T_NATIVE_DOUBLE, 1, &conds, NULL, &r->cv));
  GL_CALL(glh5_read_alloc(h->id, "/conditions/r", H5T_NATIVE_DOUBLE, 1, &conds, NULL, &r->cr));
  for (int a = 0; a < r->A; ++a)
    if (r->cond[a] < 0 || r->cond[a] >= r->C)
      return gl_error(GL_ERR_INPUT, "agent %d has condition %d outside [0, %d)", a, r->cond[a], r->C);
  /* sampling period: /recording/step attribute dt, else the root attribute policy_dt */
  hid_t d;
  GL_CALL(glh5_object_open(h->id, "/recording/step", &d));
  gl_err e = glh5_attr_read_double(d, "dt", &r->dt);
  GL_CALL(glh5_close(&d));
  if (e) {
    gl_error_clear();
    GL_CALL(glh5_attr_read_double(h->id, "policy_dt", &r->dt));
  }
  if (!(r->dt > 0)) return gl_error(GL_ERR_INPUT, "recording sampling period must be > 0 (got %g)", r->dt);
  GL_CALL(GL_ALLOC(r->nvalid, r->A));
  for (int a = 0; a < r->A; ++a) {
    int k = 0;
    if (r->fall[a] < 0) k = r->W;
    else
      while (k < r->W && r->step[k] < r->fall[a]) ++k;
    r->nvalid[a] = k;
  }
  r->a0 = (int)((int64_t)r->A * h->rank / h->size);
  r->na = (int)((int64_t)r->A * (h->rank + 1) / h->size) - r->a0;
  return GL_OK;
}

static gl_err gla_rec_cycles_(const glh5_file *h, gla_rec *r, const gla_config *c) {
  hsize_t dims[3];
  float *ff = NULL;
  int *lo = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(ff, (size_t)(r->na ? r->na : 1) * (size_t)r->W * 4), done);
  {
    const hsize_t want[3] = {(hsize_t)r->A, (hsize_t)r->W, 4};
    GL_GOTO(err, glh5_read_rows(h->id, "/recording/foot_force", H5T_NATIVE_FLOAT, 3, want,
                                (hsize_t)r->a0, (hsize_t)r->na, ff, h->dxpl, dims), done);
  }
  GL_GOTO(err, GL_ALLOC(lo, r->W + 1), done);
  GL_GOTO(err, GL_ALLOC(r->hist, (size_t)r->C * (size_t)(r->W + 1)), done);
  r->capcyc = 64;
  GL_GOTO(err, GL_ALLOC(r->cyc, 3 * (size_t)r->capcyc), done);
  for (int i = 0; i < r->na; ++i) {
    int a = r->a0 + i;
    int nl = gla_liftoffs(ff + (size_t)i * (size_t)r->W * 4 + c->foot, 4, r->W, r->nvalid[a],
                          c->contact_threshold, lo, r->W + 1);
    for (int j = 0; j + 1 < nl; ++j) {
      if (r->ncyc == r->capcyc) {
        int *bigger = realloc(r->cyc, 6 * (size_t)r->capcyc * sizeof *bigger);
        if (!bigger) {
          err = gl_error(GL_ERR_NOMEM, "out of memory storing cycles");
          goto done;
        }
        r->cyc = bigger;
        r->capcyc *= 2;
      }
      int len = lo[j + 1] - lo[j];
      r->cyc[3 * r->ncyc] = a;
      r->cyc[3 * r->ncyc + 1] = lo[j];
      r->cyc[3 * r->ncyc + 2] = len;
      r->ncyc++;
      r->hist[(size_t)r->cond[a] * (size_t)(r->W + 1) + (size_t)len]++;
    }
  }
done:
  free(ff);
  free(lo);
  GL_CALL(gl_agree(h->comm, err));
  GL_MPI(MPI_Allreduce(MPI_IN_PLACE, r->hist, r->C * (r->W + 1), MPI_INT64_T, MPI_SUM, h->comm));
  GL_CALL(GL_ALLOC(r->mode, r->C));
  GL_CALL(GL_ALLOC(r->nused, r->C));
  for (int k = 0; k < r->C; ++k) {
    r->mode[k] = gla_mode_period(r->hist + (size_t)k * (size_t)(r->W + 1), r->W);
    r->nused[k] = r->mode[k] ? r->hist[(size_t)k * (size_t)(r->W + 1) + (size_t)r->mode[k]] : 0;
  }
  return GL_OK;
}

static gl_err gla_rec_write_cycles_(const glh5_file *h, hid_t top, const gla_rec *r, const gla_config *c) {
  int *counts = NULL, *displs = NULL, *all = NULL;
  double *tmp = NULL;
  hid_t g = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(counts, h->size), done);
  GL_GOTO(err, GL_ALLOC(displs, h->size), done);
  int mine = 3 * r->ncyc;
  GL_MPI_GOTO(err, MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, h->comm), done);
  int tot = 0;
  for (int i = 0; i < h->size; ++i) {
    displs[i] = tot;
    tot += counts[i];
  }
  GL_GOTO(err, GL_ALLOC(all, tot ? tot : 1), done);
  GL_MPI_GOTO(err, MPI_Allgatherv(r->cyc, mine, MPI_INT, all, counts, displs, MPI_INT, h->comm), done);
  int nc = tot / 3;
  int *col = NULL;
  GL_GOTO(err, GL_ALLOC(col, nc ? nc : 1), done);
  GL_GOTO(err, glh5_group_create(top, "cycles", &g), col_done);
  hsize_t dn = (hsize_t)nc;
  static const char *const names[] = {"agent", "start", "length"};
  for (int f = 0; f < 3; ++f) {
    for (int i = 0; i < nc; ++i) col[i] = all[3 * i + f];
    GL_GOTO(err, glh5_put_mpi(h, g, names[f], H5T_NATIVE_INT, 1, &dn, col), col_done);
  }
  for (int i = 0; i < nc; ++i) col[i] = r->cond[all[3 * i]];
  GL_GOTO(err, glh5_put_mpi(h, g, "condition", H5T_NATIVE_INT, 1, &dn, col), col_done);
  for (int i = 0; i < nc; ++i) col[i] = all[3 * i + 2] == r->mode[r->cond[all[3 * i]]];
  GL_GOTO(err, glh5_put_mpi(h, g, "used", H5T_NATIVE_INT, 1, &dn, col), col_done);
  {
    hsize_t dh[2] = {(hsize_t)r->C, (hsize_t)(r->W + 1)}, dc = (hsize_t)r->C;
    GL_GOTO(err, glh5_put_mpi(h, g, "histogram", H5T_NATIVE_INT64, 2, dh, r->hist), col_done);
    GL_GOTO(err, glh5_put_mpi(h, g, "mode_period", H5T_NATIVE_INT, 1, &dc, r->mode), col_done);
    GL_GOTO(err, glh5_put_mpi(h, g, "n_used", H5T_NATIVE_INT64, 1, &dc, r->nused), col_done);
    GL_GOTO(err, GL_ALLOC(tmp, r->C), col_done);
    for (int k = 0; k < r->C; ++k) tmp[k] = r->mode[k] ? 1.0 / (r->mode[k] * r->dt) : 0.0;
    GL_GOTO(err, glh5_put_mpi(h, g, "gait_frequency_hz", H5T_NATIVE_DOUBLE, 1, &dc, tmp), col_done);
  }
  GL_GOTO(err, glh5_attr_string(g, "foot", (const char *[]){"LF", "RF", "LH", "RH"}[c->foot]), col_done);
  GL_GOTO(err, glh5_attr_double(g, "contact_threshold_N", c->contact_threshold), col_done);
  GL_GOTO(err, glh5_attr_string(g, "definition", "contact = F_z > contact_threshold; lift-off = first sample without contact after a sample with contact; a cycle runs from one lift-off to the next inside the window and before the fall; incomplete first and last pieces are dropped; start = window sample index"), col_done);
  GL_GOTO(err, glh5_attr_string(g, "mode", "per-condition mode of the cycle lengths (samples), ties -> shorter; only cycles of exactly the mode length are averaged (used = 1); 0 = no cycles"), col_done);
  GL_GOTO(err, glh5_attr_double(g, "sampling_period_s", r->dt), col_done);
col_done:
  free(col);
done:
  free(counts);
  free(displs);
  free(all);
  free(tmp);
  return glh5_release(err, &g);
}

static double gla_fmaxabs_(const float *v, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    double a = fabs((double)v[i]);
    if (!(a <= m)) m = a;
  }
  return m;
}

/* Cycle averages of one population: returns rows [R x D] and per-sample variance. */
static gl_err gla_rec_average_(const glh5_file *h, const gla_rec *r, const float *x, int D,
                               const size_t *off, double *avg, double *var) {
  size_t R = off[r->C];
  double bound = 0, *row = NULL;
  int64_t nterms = 1;
  gla_rsum s1 = {0}, s2 = {0};
  gl_err err = GL_OK;
  for (int k = 0; k < r->C; ++k) nterms = r->nused[k] > nterms ? r->nused[k] : nterms;
  for (int i = 0; i < r->ncyc; ++i) {
    int a = r->cyc[3 * i], st = r->cyc[3 * i + 1], len = r->cyc[3 * i + 2];
    if (len != r->mode[r->cond[a]]) continue;
    double m = gla_fmaxabs_(x + ((size_t)(a - r->a0) * (size_t)r->W + (size_t)st) * (size_t)D, (size_t)len * (size_t)D);
    if (!(m <= bound)) bound = m;
  }
  GL_MPI(MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, h->comm));
  size_t maxlen = 1;
  for (int k = 0; k < r->C; ++k) maxlen = (size_t)r->mode[k] > maxlen ? (size_t)r->mode[k] : maxlen;
  GL_GOTO(err, GL_ALLOC(row, maxlen * (size_t)D), done);
  GL_GOTO(err, gla_rsum_init(&s1, R * (size_t)D, bound, nterms), done);
  for (int pass = 0; pass < 2; ++pass) {
    gla_rsum *s = pass ? &s2 : &s1;
    for (int i = 0; i < r->ncyc; ++i) {
      int a = r->cyc[3 * i], st = r->cyc[3 * i + 1], len = r->cyc[3 * i + 2], k = r->cond[a];
      if (len != r->mode[k]) continue;
      const float *src = x + ((size_t)(a - r->a0) * (size_t)r->W + (size_t)st) * (size_t)D;
      for (size_t j = 0; j < (size_t)len * (size_t)D; ++j) {
        double v = (double)src[j];
        if (pass) {
          v -= avg[off[k] * (size_t)D + j];
          v *= v;
        }
        row[j] = v;
      }
      gla_rsum_add_range(s, off[k] * (size_t)D, row, (size_t)len * (size_t)D);
    }
    GL_GOTO(err, gla_rsum_finish(s, pass ? var : avg, h->comm), done);
    for (int k = 0; k < r->C; ++k)
      for (size_t j = off[k] * (size_t)D; j < off[k + 1] * (size_t)D; ++j)
        (pass ? var : avg)[j] /= (double)r->nused[k];
    if (!pass) GL_GOTO(err, gla_rsum_init(&s2, R * (size_t)D, 4.0 * bound * bound, nterms), done);
  }
done:
  gla_rsum_free(&s1);
  gla_rsum_free(&s2);
  free(row);
  return err;
}

/* ---- raw (not cycle-averaged) tangling: the steps of gla_rec_raw_ */

/* This rank's valid samples as doubles, agent-major: z [nloc x D], br[i] rows of agent i. */
static gl_err gla_raw_local_(const gla_rec *r, const float *x, int D, double **z, int64_t **br,
                             int64_t *nloc) {
  *nloc = 0;
  for (int i = 0; i < r->na; ++i) *nloc += r->nvalid[r->a0 + i];
  GL_CALL(GL_ALLOC(*z, (size_t)(*nloc ? *nloc : 1) * (size_t)D));
  GL_CALL(GL_ALLOC(*br, r->na ? r->na : 1));
  size_t o = 0;
  for (int i = 0; i < r->na; ++i) {
    int nv = r->nvalid[r->a0 + i];
    (*br)[i] = nv;
    for (size_t j = 0; j < (size_t)nv * (size_t)D; ++j)
      (*z)[o + j] = (double)x[(size_t)i * (size_t)r->W * (size_t)D + j];
    o += (size_t)nv * (size_t)D;
  }
  return GL_OK;
}

/* Per-unit divisor of range normalisation, max - min + k over the pooled samples (min and
 * max are exact under any reduction order); 0 for a unit with no spread at all. */
static gl_err gla_raw_range_(const glh5_file *h, const double *z, int64_t nloc, int D,
                             double k, double *den) {
  double *lo = NULL, *hi = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(lo, D), done);
  GL_GOTO(err, GL_ALLOC(hi, D), done);
  for (int j = 0; j < D; ++j) {
    lo[j] = INFINITY;
    hi[j] = -INFINITY;
  }
  for (int64_t i = 0; i < nloc; ++i)
    for (int j = 0; j < D; ++j) {
      double v = z[(size_t)i * (size_t)D + (size_t)j];
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
    }
  GL_MPI_GOTO(err, MPI_Allreduce(MPI_IN_PLACE, lo, D, MPI_DOUBLE, MPI_MIN, h->comm), done);
  GL_MPI_GOTO(err, MPI_Allreduce(MPI_IN_PLACE, hi, D, MPI_DOUBLE, MPI_MAX, h->comm), done);
  for (int j = 0; j < D; ++j) {
    den[j] = hi[j] >= lo[j] && hi[j] - lo[j] + k > 0 ? hi[j] - lo[j] + k : 0.0;
  }
done:
  free(lo);
  free(hi);
  return err;
}

/* analysis.normalize on the pooled raw samples, in place: zscore ((x - mean) / sd, ddof 0,
 * constant units -> 0), range ((x - mean) / (max - min + range_constant)) or none. The
 * statistics are those of every valid sample of every agent, whatever the rank count. */
static gl_err gla_raw_normalize_(const glh5_file *h, const gla_rec *r, const gla_config *c,
                                 double *z, const int64_t *br, int64_t nloc, int D, int64_t N) {
  if (c->normalize == GLA_NORM_NONE) return GL_OK;
  double *mean = NULL, *scale = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(mean, D), done);
  GL_GOTO(err, GL_ALLOC(scale, D), done);
  GL_GOTO(err, gla_block_moments(z, br, r->na, D, r->A, N, h->comm, mean, scale), done);
  if (c->normalize == GLA_NORM_RANGE) {
    GL_GOTO(err, gla_raw_range_(h, z, nloc, D, c->range_constant, scale), done);
  } else {
    for (int j = 0; j < D; ++j) {
      double var = scale[j];
      int constant = var <= (double)N * 2.2e-16 * var + pow((double)N * mean[j] * 2.2e-16, 2);
      scale[j] = constant ? 0.0 : sqrt(var);
    }
  }
  for (int64_t i = 0; i < nloc; ++i)
    for (int j = 0; j < D; ++j) {
      double *v = z + (size_t)i * (size_t)D + (size_t)j;
      *v = scale[j] > 0 ? (*v - mean[j]) / scale[j] : 0.0;
    }
done:
  free(mean);
  free(scale);
  return err;
}

/* Every rank's rows [N x dx], in rank (= agent) order, for the all-pairs computation. */
static gl_err gla_raw_replicate_(const glh5_file *h, const double *xl, int64_t nloc, int dx,
                                 int64_t N, double **xall) {
  int *counts = NULL, *displs = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(counts, h->size), done);
  GL_GOTO(err, GL_ALLOC(displs, h->size), done);
  GL_GOTO(err, GL_ALLOC(*xall, (size_t)(N ? N : 1) * (size_t)dx), done);
  int mine = (int)(nloc * dx), tot = 0;
  GL_MPI_GOTO(err, MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, h->comm), done);
  for (int i = 0; i < h->size; ++i) {
    displs[i] = tot;
    tot += counts[i];
  }
  GL_MPI_GOTO(err, MPI_Allgatherv(xl, mine, MPI_DOUBLE, *xall, counts, displs, MPI_DOUBLE, h->comm), done);
done:
  free(counts);
  free(displs);
  return err;
}

/* seg [A + 1]: each agent's first row; label [N]: the agent of each row. */
static gl_err gla_raw_segments_(const gla_rec *r, int64_t N, size_t **seg, int64_t **label) {
  GL_CALL(GL_ALLOC(*seg, (size_t)r->A + 1));
  GL_CALL(GL_ALLOC(*label, N ? N : 1));
  size_t o = 0;
  for (int a = 0; a < r->A; ++a) {
    (*seg)[a] = o;
    for (int t = 0; t < r->nvalid[a]; ++t) (*label)[o + (size_t)t] = a;
    o += (size_t)r->nvalid[a];
  }
  (*seg)[r->A] = o;
  return GL_OK;
}

/* Tangling of every valid sample of every agent (the raw data the authors could not reach):
 * normalised with pooled statistics, optionally projected onto the top PCs, then the blocked
 * all-pairs computation over the replicated rows (t' within the agent's condition, all its
 * agents, when within_condition is set); writes tangling_raw/. */
static gl_err gla_rec_raw_(const glh5_file *h, hid_t pg, const gla_rec *r, const float *x, int D,
                           const gla_config *c) {
  int64_t N = 0, nloc = 0;
  for (int a = 0; a < r->A; ++a) N += r->nvalid[a];
  double *z = NULL, *xall = NULL, *xt = NULL;
  int64_t *br = NULL, *label = NULL;
  size_t *seg = NULL;
  gla_pca p = {0};
  hid_t g = -1;
  gl_err err = GL_OK;
  GL_GOTO(err, gla_raw_local_(r, x, D, &z, &br, &nloc), done);
  GL_GOTO(err, gla_raw_normalize_(h, r, c, z, br, nloc, D, N), done);
  int dx = D;
  double *xl = z;
  if (c->space == GLA_SPACE_PCS) {
    int k = c->tangling_pcs < D ? c->tangling_pcs : D;
    GL_GOTO(err, gla_pca_fit(z, br, r->na, D, k, c->pca_grid_procs, h->comm, &p), done);
    dx = p.k;
    GL_GOTO(err, GL_ALLOC(xt, (size_t)(nloc ? nloc : 1) * (size_t)dx), done);
    size_t o = 0;
    for (int i = 0; i < r->na; ++i) { /* per agent: GEMM blocking independent of ranks */
      gla_pca_project(&p, z + o * (size_t)D, (size_t)br[i], xt + o * (size_t)dx);
      o += (size_t)br[i];
    }
    xl = xt;
  }
  GL_GOTO(err, gla_raw_replicate_(h, xl, nloc, dx, N, &xall), done);
  GL_GOTO(err, gla_raw_segments_(r, N, &seg, &label), done);
  free(z);
  z = NULL;
  GL_GOTO(err, glh5_group_create(pg, "tangling_raw", &g), done);
  GL_GOTO(err, gla_tangle_rows(h, g, xall, (size_t)N, dx, seg, r->A, r->cond, r->C, r->dt, 0, c,
                               label, h->comm, NULL), done);
  static const char *const norm[] = {"zscore (ddof 0)", "range (x - mean) / (max - min + range_constant)", "none"};
  GL_GOTO(err, glh5_attr_string(g, "rows", "every valid window sample of every agent, agent-major (agent[i] names it); derivative within each agent's trace; per_condition_mean_max by the agents' conditions"), done);
  GL_GOTO(err, glh5_attr_string(g, "normalization", norm[c->normalize]), done);
  GL_GOTO(err, glh5_attr_double(g, "range_constant", c->range_constant), done);
  GL_GOTO(err, glh5_attr_string(g, "tangling_t_prime", c->within_condition ? "samples of the agent's own condition (all its agents)" : "all samples of all agents"), done);
done:
  err = glh5_release(err, &g);
  gla_pca_free(&p);
  free(z);
  free(xall);
  free(xt);
  free(br);
  free(label);
  free(seg);
  return err;
}

/* One population of a recording: read, cycle-average, normalise, write, then the pipeline.
 * One function (~95 lines) because its eleven buffers live from the read to the write and
 * one cleanup label frees them on every path; the steps themselves are the gla_rec_*_ calls. */
static gl_err gla_rec_population_(const glh5_file *h, hid_t top, const gla_rec *r, const char *name,
                                  const gla_config *c) {
  char *path = NULL;
  int has;
  GL_CALL(glh5_path_with("/recording/", name, &path));
  gl_err err = glh5_exists(h->id, path, &has);
  if (!err && !has)
    err = gl_error(GL_ERR_INPUT, "analysis.populations: '%s' is not recorded in this file", name);
  hsize_t dims[3] = {0, 0, 0};
  const hsize_t want[3] = {(hsize_t)r->A, (hsize_t)r->W, GLH5_ANY};
  if (!err) err = glh5_check(h->id, path, H5T_NATIVE_FLOAT, 3, want, dims);
  if (err) {
    free(path);
    return err;
  }
  int D = (int)dims[2];
  float *x = NULL;
  double *avg = NULL, *var = NULL, *z = NULL, *mean = NULL, *scale = NULL, *speed = NULL;
  size_t *off = NULL;
  int *rowc = NULL, *rowp = NULL;
  hid_t pg = -1;
  GL_GOTO(err, GL_ALLOC(x, (size_t)(r->na ? r->na : 1) * (size_t)r->W * (size_t)D), done);
  GL_GOTO(err, glh5_read_rows(h->id, path, H5T_NATIVE_FLOAT, 3, dims, (hsize_t)r->a0,
                              (hsize_t)r->na, x, h->dxpl, NULL), done);
  GL_GOTO(err, GL_ALLOC(off, (size_t)r->C + 1), done);
  for (int k = 0; k < r->C; ++k) off[k + 1] = off[k] + (size_t)r->mode[k];
  size_t R = off[r->C];
  if (R < 2) {
    /* A recording of a robot that does not step (an untrained policy, a standing command) is
     * still a valid recording: say so in the file and on rank 0, and skip the cycle-based
     * analyses rather than failing the whole run. */
    char msg[256];
    snprintf(msg, sizeof msg, "no complete gait cycles found (foot %d, threshold %g N): cycle-averaged analyses skipped; is the robot walking?",
             c->foot, c->contact_threshold);
    if (h->rank == 0) fprintf(stderr, "gaitlab analyze: warning: %s: %s\n", name, msg);
    err = glh5_attr_string(top, "warning", msg);
    goto done;
  }
  GL_GOTO(err, GL_ALLOC(avg, R * (size_t)D), done);
  GL_GOTO(err, GL_ALLOC(var, R * (size_t)D), done);
  GL_GOTO(err, GL_ALLOC(z, R * (size_t)D), done);
  GL_GOTO(err, GL_ALLOC(mean, D), done);
  GL_GOTO(err, GL_ALLOC(scale, D), done);
  GL_GOTO(err, GL_ALLOC(rowc, R), done);
  GL_GOTO(err, GL_ALLOC(rowp, R), done);
  GL_GOTO(err, GL_ALLOC(speed, r->C), done);
  GL_GOTO(err, gla_rec_average_(h, r, x, D, off, avg, var), done);
  memcpy(z, avg, R * (size_t)D * sizeof *z);
  gla_normalize(z, R, D, c->normalize, c->range_constant, mean, scale);
  for (int k = 0; k < r->C; ++k) {
    speed[k] = c->speed_family == 0 ? r->cu[k] : c->speed_family == 1 ? r->cv[k] : r->cr[k];
    for (size_t i = off[k]; i < off[k + 1]; ++i) {
      rowc[i] = k;
      rowp[i] = (int)(i - off[k]);
    }
  }
  GL_GOTO(err, glh5_group_create(top, name, &pg), done);
  {
    hsize_t dr[2] = {R, (hsize_t)D}, d1 = R, dd = (hsize_t)D, dc = (hsize_t)r->C + 1;
    GL_GOTO(err, glh5_put_mpi(h, pg, "average", H5T_NATIVE_DOUBLE, 2, dr, avg), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "variance", H5T_NATIVE_DOUBLE, 2, dr, var), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "normalized", H5T_NATIVE_DOUBLE, 2, dr, z), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "row_condition", H5T_NATIVE_INT, 1, &d1, rowc), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "row_phase", H5T_NATIVE_INT, 1, &d1, rowp), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "norm_mean", H5T_NATIVE_DOUBLE, 1, &dd, mean), done);
    GL_GOTO(err, glh5_put_mpi(h, pg, "norm_scale", H5T_NATIVE_DOUBLE, 1, &dd, scale), done);
    {
      int64_t *o2 = NULL;
      GL_GOTO(err, GL_ALLOC(o2, r->C + 1), done);
      for (int k = 0; k <= r->C; ++k) o2[k] = (int64_t)off[k];
      err = glh5_put_mpi(h, pg, "condition_offset", H5T_NATIVE_INT64, 1, &dc, o2);
      free(o2);
      if (err) goto done;
    }
    GL_GOTO(err, glh5_attr_string(pg, "average_definition", "mean over every exact-mode-length cycle of the condition (all copies), sample by sample from lift-off; variance = across those cycles, ddof 0; rows of condition c are condition_offset[c] .. condition_offset[c+1]"), done);
    GL_GOTO(err, glh5_attr_double(pg, "sampling_period_s", r->dt), done);
  }
  gla_rows rows = {z, R, D, r->C, off, r->dt, 1, speed};
  /* conditions without cycles have no rows and are skipped by segment logic */
  GL_GOTO(err, gla_pipeline(h, pg, &rows, c, h->comm), done);
  if (c->raw) GL_GOTO(err, gla_rec_raw_(h, pg, r, x, D, c), done);
done:
  err = glh5_release(err, &pg);
  free(path);
  free(x);
  free(avg);
  free(var);
  free(z);
  free(mean);
  free(scale);
  free(off);
  free(rowc);
  free(rowp);
  free(speed);
  return err;
}

/* Rank 0: the analysis writes into the recording, so it holds the recording's lock. */
static gl_err gla_rec_lock_(const char *h5path, gl_lock *lock) {
  /* A run writes <output>.partial under the lock of <output>. */
  size_t n = strlen(h5path);
  if (n > 8 && strcmp(h5path + n - 8, ".partial") == 0)
    return gl_error(GL_ERR_INPUT, "'%s' is the unfinished output of a run; finish it with gaitlab run --resume, then analyse the file it renames it to", h5path);
  return gl_lock_take(lock, h5path);
}

/* Only a finished recording is analysed: in an interrupted one, agents that were never
 * written hold whatever the disk held (datasets are created without fill). */
static gl_err gla_rec_complete_(const glh5_file *h, const char *h5path) {
  int has = 0;
  GL_CALL(glh5_attr_exists(h->id, "status", &has));
  if (!has) return GL_OK; /* not written by gaitlab run (the layout is still checked) */
  char *st = NULL;
  GL_CALL(glh5_attr_read_string(h->id, "status", &st));
  gl_err err = strcmp(st, "complete") == 0 ? GL_OK
               : gl_error(GL_ERR_INPUT, "'%s' is an unfinished recording (status '%s'); finish it with gaitlab run --resume first", h5path, st);
  free(st);
  return err;
}

static const char *gla_default_populations_[] = {"obs", "lstm_c", "lstm_h", "mlp", "mu"};

gl_err gla_analyze_file_to(const char *h5path, const char *out_path, const gla_config *c,
                           MPI_Comm comm) {
  if (c->ext_datasets.n > 0) return gla_analyze_external(h5path, out_path ? out_path : h5path, c, comm);
  if (out_path && strcmp(out_path, h5path) != 0)
    return gl_error(GL_ERR_INPUT, "recordings are analysed in place (-o is for external datasets)");
  glh5_file h;
  gla_rec r;
  memset(&r, 0, sizeof r);
  hid_t top = -1;
  gl_lock lock = GL_LOCK_NONE;
  int rank;
  GL_MPI(MPI_Comm_rank(comm, &rank));
  /* One writer at a time: a run still writing this output, or another analysis of it. */
  gl_err err = gl_agree(comm, rank == 0 ? gla_rec_lock_(h5path, &lock) : GL_OK);
  if (err) return err;
  err = gl_agree(comm, glh5_open_mpi(&h, h5path, GLH5_RDWR, comm));
  if (err) {
    gl_lock_release(&lock);
    return err;
  }
  double t0 = MPI_Wtime();
  GL_GOTO(err, gl_agree(comm, gla_rec_complete_(&h, h5path)), done);
  GL_GOTO(err, gl_agree(comm, gla_rec_load_(&h, &r)), done);
  GL_GOTO(err, gla_rec_cycles_(&h, &r, c), done);
  /* Built under /analysis.partial and renamed over /analysis only when every population is
   * done: a failure half-way leaves the previous analysis (or none) rather than a partial
   * one that report would show as if it were complete. */
  GL_GOTO(err, gl_agree(comm, glh5_delete(h.id, "/analysis.partial")), done);
  GL_GOTO(err, gl_agree(comm, glh5_group_create(h.id, "/analysis.partial", &top)), done);
  GL_GOTO(err, gl_agree(comm, gla_rec_write_cycles_(&h, top, &r, c)), done);
  int np = c->populations.n;
  for (int i = 0; i < np; ++i) {
    const char *name = c->populations.v ? c->populations.v[i] : gla_default_populations_[i];
    int stop = 0;
    GL_GOTO(err, gl_stop_agree(comm, &stop), done);
    if (stop) {
      err = gl_error_all(comm, GL_ERR_INTERRUPTED, "interrupted before population '%s'; '%s' keeps its previous analysis (run gaitlab analyze again)", name, h5path);
      goto done;
    }
    gl_log("analyze: population %s", name);
    err = gl_agree(comm, gla_rec_population_(&h, top, &r, name, c));
    if (err) {
      gl_error_context(err, "'%s', population '%s'", h5path, name);
      goto done;
    }
  }
  GL_GOTO(err, gl_agree(comm, glh5_attr_double(top, "seconds", MPI_Wtime() - t0)), done);
  GL_GOTO(err, gl_agree(comm, glh5_attr_int(top, "nranks", h.size)), done);
  GL_GOTO(err, gl_agree(comm, glh5_attr_string(top, "git_hash", gl_git_hash())), done);
  GL_GOTO(err, gl_agree(comm, glh5_close(&top)), done);
  GL_GOTO(err, gl_agree(comm, glh5_delete(h.id, "/analysis")), done);
  GL_GOTO(err, gl_agree(comm, glh5_move(h.id, "/analysis.partial", "/analysis")), done);
done:
  err = glh5_release(err, &top);
  if (err && h.id >= 0) (void)glh5_delete(h.id, "/analysis.partial"); /* best effort */
  if (err == GL_ERR_IO || err == GL_ERR_LIB) err = gl_name_enospc(err, h5path);
  {
    gl_err e2 = glh5_close_mpi(&h);
    if (!err) err = e2;
  }
  gl_lock_release(&lock);
  gla_rec_free_(&r);
  return err;
}

gl_err gla_analyze_file(const char *h5path, const gla_config *cfg, MPI_Comm comm) {
  return gla_analyze_file_to(h5path, NULL, cfg, comm);
}
