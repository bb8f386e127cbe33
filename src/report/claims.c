/* The paper's claims (Rush, Jayaram & Humbert, arXiv 2305.11107) checked on analysed
 * recordings: for each claim one measure (a function of what the files hold) and one rule
 * (a function of the measure's numbers) deciding `holds` / `does not hold`; `not measured`
 * when a file, layer or agent is missing. The README's "Claims" section states the same
 * rules; tests/report/test_claims.c checks each on synthetic files whose answer is known.
 * Nothing here rewrites a file: the numbers come from /analysis (and, for the push, the raw
 * /recording of the pushed agent projected on that file's own PCs). */
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/config.h"
#include "gaitlab/experiment.h"
#include "gaitlab/h5.h"
#include "report_internal.h"

const char *const glrep_verdict_names[3] = {"not measured", "holds", "does not hold"};

/* ------------------------------------------------------------------ small statistics */

static int glrep_cmp_d_(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Linear-interpolation quantile (numpy's default) of sorted x[n]. */
static double glrep_quantile_(const double *x, size_t n, double p) {
  if (n == 0) return NAN;
  double pos = p * (double)(n - 1);
  size_t i = (size_t)floor(pos);
  if (i + 1 >= n) return x[n - 1];
  return x[i] + (pos - (double)i) * (x[i + 1] - x[i]);
}

/* Mean, median and p90 of x[n]; x is sorted in place. */
static void glrep_summary_(double *x, size_t n, double *mean, double *median, double *p90) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  qsort(x, n, sizeof *x, glrep_cmp_d_);
  *mean = n ? s / (double)n : NAN;
  *median = glrep_quantile_(x, n, 0.5);
  *p90 = glrep_quantile_(x, n, 0.9);
}

/* Average ranks (ties share their mean rank) of x[n] into r[n]. */
static void glrep_ranks_(const double *x, int n, double *r) {
  for (int i = 0; i < n; ++i) {
    int below = 0, equal = 0;
    for (int j = 0; j < n; ++j) below += x[j] < x[i], equal += x[j] == x[i];
    r[i] = below + (equal + 1) / 2.0;
  }
}

/* Spearman's rho: Pearson correlation of the ranks; NaN for n < 2 or constant data. */
static gl_err glrep_spearman_(const double *x, const double *y, int n, double *rho) {
  double *rx = NULL, *ry = NULL;
  *rho = NAN;
  if (n < 2) return GL_OK;
  gl_err err = GL_ALLOC(rx, n);
  if (!err) err = GL_ALLOC(ry, n);
  if (!err) {
    glrep_ranks_(x, n, rx);
    glrep_ranks_(y, n, ry);
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; ++i) mx += rx[i] / n, my += ry[i] / n;
    for (int i = 0; i < n; ++i) {
      sxy += (rx[i] - mx) * (ry[i] - my);
      sxx += (rx[i] - mx) * (rx[i] - mx);
      syy += (ry[i] - my) * (ry[i] - my);
    }
    if (sxx > 0 && syy > 0) *rho = sxy / sqrt(sxx * syy);
  }
  free(rx);
  free(ry);
  return err;
}

/* ------------------------------------------------------------------ C1, C2: tangling */

gl_err glrep_tangling_compare(const glrep_file *f, const char *a, const char *b, glrep_tcmp *m) {
  memset(m, 0, sizeof *m);
  int ia = glrep_find_pop(f, a), ib = glrep_find_pop(f, b);
  if (ia < 0 || ib < 0) return GL_OK;
  const glrep_pop *pa = &f->pop[ia], *pb = &f->pop[ib];
  if (!pa->has_q || !pb->has_q || !pa->nq || !pb->nq) return GL_OK;
  size_t cap = pa->nq < pb->nq ? pa->nq : pb->nq, n = 0, below = 0;
  double *qa = NULL, *qb = NULL;
  gl_err err = GL_ALLOC(qa, cap);
  if (!err) err = GL_ALLOC(qb, cap);
  /* the rows are stored in increasing order: a merge finds the ones both layers have */
  for (size_t i = 0, j = 0; !err && i < pa->nq && j < pb->nq;) {
    if (pa->qrow[i] < pb->qrow[j]) ++i;
    else if (pb->qrow[j] < pa->qrow[i]) ++j;
    else {
      qa[n] = pa->qv[i++];
      qb[n] = pb->qv[j++];
      below += qa[n] < qb[n];
      ++n;
    }
  }
  if (!err && n > 0) {
    m->measured = 1;
    m->n = n;
    m->share = (double)below / (double)n;
    glrep_summary_(qa, n, &m->mean[0], &m->median[0], &m->p90[0]);
    glrep_summary_(qb, n, &m->mean[1], &m->median[1], &m->p90[1]);
  }
  free(qa);
  free(qb);
  return err;
}

/* Holds when the recurrent layer's mean, median and p90 are all below the actuation
 * layer's and more than half of the rows are less tangled (Russo's scatter below the
 * diagonal). */
glrep_verdict glrep_rule_c1(const glrep_tcmp *m) {
  if (!m->measured) return GLREP_NOT_MEASURED;
  int lower = m->mean[0] < m->mean[1] && m->median[0] < m->median[1] && m->p90[0] < m->p90[1];
  return lower && m->share > 0.5 ? GLREP_HOLDS : GLREP_FAILS;
}

double glrep_signed_area(const glrep_pop *p, int c) {
  if (!p->scores || p->sk < 2 || c < 0 || c >= p->nseg) return NAN;
  size_t a = (size_t)p->off[c], b = (size_t)p->off[c + 1];
  if (b < a + 3) return NAN;
  double s = 0;
  for (size_t i = a; i < b; ++i) {
    size_t j = i + 1 < b ? i + 1 : a; /* the cycle average is a closed loop */
    const double *u = p->scores + i * (size_t)p->sk, *w = p->scores + j * (size_t)p->sk;
    s += u[0] * w[1] - w[0] * u[1];
  }
  return 0.5 * s;
}

/* Holds when +u and -u rotate in opposite senses in every pair given. */
glrep_verdict glrep_rule_c2_rotation(const double *pos, const double *neg, int n) {
  if (n < 1) return GLREP_NOT_MEASURED;
  for (int i = 0; i < n; ++i)
    if (!isfinite(pos[i]) || !isfinite(neg[i])) return GLREP_NOT_MEASURED;
  for (int i = 0; i < n; ++i)
    if (!(pos[i] * neg[i] < 0)) return GLREP_FAILS;
  return GLREP_HOLDS;
}

/* ------------------------------------------------------------------ C3: speed */

static double glrep_dist2_(const double *x, const double *y, int k) {
  double s = 0;
  for (int i = 0; i < k; ++i) s += (x[i] - y[i]) * (x[i] - y[i]);
  return s;
}

/* Row i of p as a point of PC1, PC2 and either PC3 or the speed-axis projection. */
static void glrep_point_(const glrep_pop *p, size_t i, int axis, double out[3]) {
  const double *s = p->scores + i * (size_t)p->sk;
  out[0] = s[0];
  out[1] = s[1];
  out[2] = axis ? p->sproj[i] : s[2];
}

/* Minimum distance between the rows of conditions c and d. */
static double glrep_min_dist_(const glrep_pop *p, int c, int d, int axis) {
  double best = INFINITY, x[3], y[3];
  for (size_t i = (size_t)p->off[c]; i < (size_t)p->off[c + 1]; ++i) {
    glrep_point_(p, i, axis, x);
    for (size_t j = (size_t)p->off[d]; j < (size_t)p->off[d + 1]; ++j) {
      glrep_point_(p, j, axis, y);
      double d2 = glrep_dist2_(x, y, 3);
      best = d2 < best ? d2 : best;
    }
  }
  return sqrt(best);
}

static double glrep_cond_size_(const glrep_pop *p, int c) {
  size_t a = (size_t)p->off[c], b = (size_t)p->off[c + 1];
  double cen[3] = {0, 0, 0}, x[3], s = 0;
  for (size_t i = a; i < b; ++i) {
    glrep_point_(p, i, 0, x);
    for (int k = 0; k < 3; ++k) cen[k] += x[k] / (double)(b - a);
  }
  for (size_t i = a; i < b; ++i) {
    glrep_point_(p, i, 0, x);
    s += glrep_dist2_(x, cen, 3);
  }
  return sqrt(s / (double)(b - a));
}

/* Speed-axis projection range of condition c. */
static void glrep_proj_range_(const glrep_pop *p, int c, double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t i = (size_t)p->off[c]; i < (size_t)p->off[c + 1]; ++i) {
    *lo = p->sproj[i] < *lo ? p->sproj[i] : *lo;
    *hi = p->sproj[i] > *hi ? p->sproj[i] : *hi;
  }
}

/* Conditions with rows, in order of increasing command of `family` (insertion sort: a
 * sweep has a handful of speeds). */
static int glrep_sorted_conditions_(const glrep_file *f, const glrep_pop *p, int family, int *idx) {
  const double *cmd = family == 1 ? f->v : family == 2 ? f->r : f->u;
  int n = 0;
  for (int c = 0; c < p->nseg && c < f->ncond; ++c) {
    if (p->off[c + 1] <= p->off[c]) continue;
    int j = n++;
    while (j > 0 && cmd[idx[j - 1]] > cmd[c]) idx[j] = idx[j - 1], --j;
    idx[j] = c;
  }
  return n;
}

gl_err glrep_speed_measure(const glrep_file *f, const char *layer, int family, glrep_speedm *m) {
  memset(m, 0, sizeof *m);
  int ip = glrep_find_pop(f, layer);
  if (ip < 0) return GL_OK;
  const glrep_pop *p = &f->pop[ip];
  if (!p->scores || p->sk < 3 || !p->sproj || p->nseg < 2) return GL_OK;
  int *idx = NULL;
  GL_CALL(GL_ALLOC(idx, p->nseg));
  int ns = glrep_sorted_conditions_(f, p, family, idx);
  gl_err err = GL_OK;
  if (ns < 2) goto done;
  GL_GOTO(err, GL_ALLOC(m->speed, ns), done);
  GL_GOTO(err, GL_ALLOC(m->size, ns), done);
  const double *cmd = family == 1 ? f->v : family == 2 ? f->r : f->u;
  m->ns = ns;
  m->d3 = m->ds = m->min_gap = INFINITY;
  for (int i = 0; i < ns; ++i) {
    m->speed[i] = cmd[idx[i]];
    m->size[i] = glrep_cond_size_(p, idx[i]);
    if (i == 0) continue;
    double d3 = glrep_min_dist_(p, idx[i - 1], idx[i], 0), ds = glrep_min_dist_(p, idx[i - 1], idx[i], 1);
    double lo0, hi0, lo1, hi1;
    glrep_proj_range_(p, idx[i - 1], &lo0, &hi0);
    glrep_proj_range_(p, idx[i], &lo1, &hi1);
    m->d3 = d3 < m->d3 ? d3 : m->d3;
    m->ds = ds < m->ds ? ds : m->ds;
    m->min_gap = lo1 - hi0 < m->min_gap ? lo1 - hi0 : m->min_gap;
    m->separated += lo1 - hi0 > 0;
  }
  GL_GOTO(err, glrep_spearman_(m->speed, m->size, ns, &m->rho), done);
  m->measured = 1;
done:
  free(idx);
  return err;
}

void glrep_speedm_free(glrep_speedm *m) {
  free(m->speed);
  free(m->size);
  memset(m, 0, sizeof *m);
}

/* Separation: the speed-axis ranges of adjacent speeds are disjoint and in speed order. */
glrep_verdict glrep_rule_c3_separation(double min_gap) {
  return isnan(min_gap) ? GLREP_NOT_MEASURED : min_gap > 0 ? GLREP_HOLDS : GLREP_FAILS;
}
/* The speed axis separates adjacent speeds more than PC3: ds > d3. */
glrep_verdict glrep_rule_c3_axis(double ds, double d3) {
  return isnan(ds) || isnan(d3) ? GLREP_NOT_MEASURED : ds > d3 ? GLREP_HOLDS : GLREP_FAILS;
}
/* Size grows with speed: Spearman rho >= 0.9 (with 7 speeds, one adjacent swap is allowed). */
glrep_verdict glrep_rule_c3_size(double rho) {
  return isnan(rho) ? GLREP_NOT_MEASURED : rho >= 0.9 ? GLREP_HOLDS : GLREP_FAILS;
}

/* ------------------------------------------------------------------ C5, C6 */

/* Holds when the frequency never falls from one speed to the next and the fastest speed
 * steps faster than the slowest (mode periods are whole samples, so ties are allowed). */
glrep_verdict glrep_rule_c5(const double *freq, int n) {
  if (n < 2) return GLREP_NOT_MEASURED;
  for (int i = 0; i < n; ++i)
    if (!isfinite(freq[i])) return GLREP_NOT_MEASURED;
  for (int i = 1; i < n; ++i)
    if (freq[i] < freq[i - 1]) return GLREP_FAILS;
  return freq[n - 1] > freq[0] ? GLREP_HOLDS : GLREP_FAILS;
}

/* Holds when every action-feedback file is more tangled than every baseline file. */
glrep_verdict glrep_rule_c6(const double *af, int naf, const double *base, int nbase) {
  if (naf < 1 || nbase < 1) return GLREP_NOT_MEASURED;
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < naf; ++i) lo = af[i] < lo ? af[i] : lo;
  for (int i = 0; i < nbase; ++i) hi = base[i] > hi ? base[i] : hi;
  if (!isfinite(lo) || !isfinite(hi)) return GLREP_NOT_MEASURED;
  return lo > hi ? GLREP_HOLDS : GLREP_FAILS;
}

/* ------------------------------------------------------------------ C4: the push */

/* What the recovery measure reads from the file besides the loaded analysis. Everything but
 * x is the same for every trial of a file and is read once (glrep_recovery_open): a force
 * sweep measures thousands of agents of one file. */
typedef struct glrep_push_in {
  hid_t f;
  const char *path;
  int agent, cond, push_step, step0;
  hsize_t T, D;
  char rec[256];               /* /recording/<layer> */
  hsize_t nrec;                /* its agents */
  double *x;                   /* [T x D] the trial's agent's raw layer */
  double *nmean, *nscale;      /* [D] the analysis' normalisation */
  double *pmean, *comp;        /* [D], [K x D] its PCA */
  hsize_t K;
  int norm;                    /* 0 zscore, 1 range, 2 none */
  double *cagent, *cstart, *clen; /* /analysis/cycles */
  hsize_t ncyc;
  size_t *cyc_of, *cyc_first;  /* cycles grouped by agent, in file order within an agent:
                                  agent a's are cyc_of[cyc_first[a] .. cyc_first[a + 1]) */
} glrep_push_in;

static void glrep_push_in_free_(glrep_push_in *in) {
  free(in->x);
  free(in->nmean);
  free(in->nscale);
  free(in->pmean);
  free(in->comp);
  free(in->cagent);
  free(in->cstart);
  free(in->clen);
  free(in->cyc_of);
  free(in->cyc_first);
}

/* perturbation.step of the experiment that wrote the file, from its root attribute
 * config_yaml (the effective YAML); 0 in *why's absence. */
static gl_err glrep_push_step_(glrep_push_in *in, const char **why) {
  int has;
  GL_CALL(glh5_attr_exists(in->f, "config_yaml", &has));
  if (!has) return *why = "no root attribute config_yaml", GL_OK;
  char *text = NULL;
  GL_CALL(glh5_attr_read_string(in->f, "config_yaml", &text));
  glc_doc *doc = NULL;
  gl_err err = glc_doc_load_string(&doc, in->path, text, strlen(text));
  free(text);
  if (err) return gl_error_context(err, "'%s': root attribute config_yaml", in->path);
  size_t nk;
  const glc_key *schema = glx_config_schema(&nk);
  glx_config cfg;
  memset(&cfg, 0, sizeof cfg);
  err = glc_bind(doc, "", schema, nk, &cfg);
  if (!err && (cfg.perturb_kind != GLX_PERTURB_VELOCITY || !glc_doc_has(doc, "perturbation.step")))
    *why = "config_yaml has no velocity perturbation with a step";
  in->push_step = cfg.perturb_step;
  glc_free(schema, nk, &cfg);
  glc_doc_destroy(doc);
  return err ? gl_error_context(err, "'%s': root attribute config_yaml", in->path) : GL_OK;
}

/* A whole 1-D dataset of doubles (checked present by the caller or here). */
static gl_err glrep_read1_(hid_t f, const char *obj, double **out, hsize_t *n) {
  hsize_t dims[1];
  GL_CALL(glh5_read_alloc(f, obj, H5T_NATIVE_DOUBLE, 1, NULL, dims, out));
  *n = dims[0];
  return GL_OK;
}

/* *all = 1 when every one of the n objects exists in f. */
static gl_err glrep_have_all_(hid_t f, const char *const *obj, size_t n, int *all) {
  *all = 1;
  for (size_t i = 0; i < n && *all; ++i) GL_CALL(glh5_exists(f, obj[i], all));
  return GL_OK;
}

/* The first agent with /agents/perturbed set and its condition. */
static gl_err glrep_push_agent_(glrep_push_in *in, const char **why) {
  static const char *const need[] = {"/agents/perturbed", "/agents/condition"};
  int has;
  GL_CALL(glrep_have_all_(in->f, need, 2, &has));
  if (!has) return *why = "a dataset of /agents is missing", GL_OK;
  double *pert = NULL, *cond = NULL;
  hsize_t na = 0, nc = 0;
  gl_err err = glrep_read1_(in->f, "/agents/perturbed", &pert, &na);
  if (!err) err = glrep_read1_(in->f, "/agents/condition", &cond, &nc);
  in->agent = -1;
  for (hsize_t i = 0; !err && i < na && i < nc; ++i)
    if (pert[i] != 0) {
      in->agent = (int)i;
      in->cond = (int)cond[i];
      break;
    }
  if (!err && in->agent < 0) *why = "no agent has /agents/perturbed set";
  free(pert);
  free(cond);
  return err;
}

/* The window's first step and length, and the cycles of /analysis/cycles. */
static gl_err glrep_push_cycles_(glrep_push_in *in, const char **why) {
  static const char *const need[] = {"/recording/step", "/analysis/cycles/agent"};
  int has;
  GL_CALL(glrep_have_all_(in->f, need, 2, &has));
  if (!has) return *why = "/recording/step or /analysis/cycles is missing", GL_OK;
  double *step = NULL;
  hsize_t ns = 0;
  gl_err err = glrep_read1_(in->f, "/recording/step", &step, &ns);
  if (!err && ns > 0) in->step0 = (int)step[0];
  in->T = ns;
  free(step);
  if (!err) err = glrep_read1_(in->f, "/analysis/cycles/agent", &in->cagent, &in->ncyc);
  hsize_t n1, n2;
  if (!err) err = glrep_read1_(in->f, "/analysis/cycles/start", &in->cstart, &n1);
  if (!err) err = glrep_read1_(in->f, "/analysis/cycles/length", &in->clen, &n2);
  if (!err && (n1 != in->ncyc || n2 != in->ncyc))
    err = gl_error(GL_ERR_INPUT, "'%s': HDF5 objects under /analysis/cycles disagree in length", in->path);
  return err;
}

/* The cycles of each agent (a counting sort by agent that keeps the file order within one),
 * so that a trial visits its own cycles only. Agents outside [0, nrec) have no trial. */
static gl_err glrep_push_index_(glrep_push_in *in) {
  const size_t na = (size_t)in->nrec;
  GL_CALL(GL_ALLOC(in->cyc_first, na + 1));
  GL_CALL(GL_ALLOC(in->cyc_of, in->ncyc ? (size_t)in->ncyc : 1));
  for (hsize_t j = 0; j < in->ncyc; ++j) {
    const double a = in->cagent[j];
    if (a >= 0 && a < (double)na) in->cyc_first[(size_t)a + 1]++;
  }
  for (size_t a = 0; a < na; ++a) in->cyc_first[a + 1] += in->cyc_first[a];
  size_t *fill = NULL;
  GL_CALL(GL_ALLOC(fill, na ? na : 1));
  for (size_t a = 0; a < na; ++a) fill[a] = in->cyc_first[a];
  for (hsize_t j = 0; j < in->ncyc; ++j) {
    const double a = in->cagent[j];
    if (a >= 0 && a < (double)na) in->cyc_of[fill[(size_t)a]++] = (size_t)j;
  }
  free(fill);
  return GL_OK;
}

/* The layer's shape and the analysis' normalisation and PCA of it. */
static gl_err glrep_push_layer_(glrep_push_in *in, const char *layer, const char **why) {
  char an[256], obj[320];
  const char *rec = in->rec;
  snprintf(in->rec, sizeof in->rec, "/recording/%s", layer);
  snprintf(an, sizeof an, "/analysis/%s", layer);
  int has_r, has_a;
  GL_CALL(glh5_exists(in->f, rec, &has_r));
  GL_CALL(glh5_exists(in->f, an, &has_a));
  if (!has_r || !has_a) return *why = "the layer is not recorded or not analysed", GL_OK;
  int nd;
  hsize_t dims[GLH5_MAXRANK];
  H5T_class_t cls;
  GL_CALL(glh5_shape(in->f, rec, &nd, dims, &cls));
  if (nd != 3 || dims[1] != in->T)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset %s is not [agent x %llu steps x unit]", in->path, rec,
                    (unsigned long long)in->T);
  in->nrec = dims[0];
  in->D = dims[2];
  GL_CALL(GL_ALLOC(in->x, in->T * in->D));
  hsize_t n, d2[2];
  const char *sub[3] = {"norm_mean", "norm_scale", "pca/mean"};
  double **dst[3] = {&in->nmean, &in->nscale, &in->pmean};
  for (int i = 0; i < 3; ++i) {
    snprintf(obj, sizeof obj, "%s/%s", an, sub[i]);
    GL_CALL(glrep_read1_(in->f, obj, dst[i], &n));
    if (n != in->D) return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset %s has %llu entries, %s has %llu units",
                                    in->path, obj, (unsigned long long)n, rec, (unsigned long long)in->D);
  }
  snprintf(obj, sizeof obj, "%s/pca/components", an);
  GL_CALL(glh5_read_alloc(in->f, obj, H5T_NATIVE_DOUBLE, 2, NULL, d2, &in->comp));
  if (d2[1] != in->D || d2[0] < 1)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset %s is not [PC x %llu units]", in->path, obj,
                    (unsigned long long)in->D);
  in->K = d2[0];
  hid_t g;
  char *norm = NULL;
  GL_CALL(glh5_group_open(in->f, an, &g));
  gl_err err = glh5_attr_read_string(g, "normalization", &norm);
  err = glh5_release(err, &g);
  if (err) return err;
  in->norm = strncmp(norm, "zscore", 6) == 0 ? 0 : strncmp(norm, "range", 5) == 0 ? 1 : 2;
  free(norm);
  return GL_OK;
}

/* The trial's agent's rows of the layer. */
static gl_err glrep_push_rows_(glrep_push_in *in) {
  if (in->agent < 0 || (hsize_t)in->agent >= in->nrec)
    return gl_error(GL_ERR_INPUT, "'%s': agent %d is not in HDF5 dataset %s (%llu agents)", in->path, in->agent,
                    in->rec, (unsigned long long)in->nrec);
  const hsize_t dims[3] = {in->nrec, in->T, in->D};
  return glh5_read_rows(in->f, in->rec, H5T_NATIVE_DOUBLE, 3, dims, (hsize_t)in->agent, 1, in->x, H5P_DEFAULT, NULL);
}

/* Sample t in PC space: normalised as the analysis did (docs/analysis.md §3), centred by
 * the PCA mean, projected on the first k components. */
static void glrep_push_project_(const glrep_push_in *in, size_t t, int k, double *y) {
  for (int c = 0; c < k; ++c) y[c] = 0;
  for (hsize_t j = 0; j < in->D; ++j) {
    double x = in->x[t * in->D + j], s = in->nscale[j], z;
    if (in->norm == 0) z = s > 0 ? (x - in->nmean[j]) / s : 0;
    else if (in->norm == 1) z = s > 0 ? x / s - in->nmean[j] : 0;
    else z = x;
    for (int c = 0; c < k; ++c) y[c] += (z - in->pmean[j]) * in->comp[(size_t)c * in->D + j];
  }
}

/* Distance d[t] of every sample to the nearest row of the reference cycle (PCs 1..k), and
 * the reference's RMS radius. */
static void glrep_push_distances_(const glrep_push_in *in, const glrep_pop *p, int k, double *d,
                                  double *radius) {
  size_t a = (size_t)p->off[in->cond], b = (size_t)p->off[in->cond + 1];
  double cen[GLREP_PUSH_PCS] = {0}, y[GLREP_PUSH_PCS], r2 = 0;
  for (size_t i = a; i < b; ++i)
    for (int c = 0; c < k; ++c) cen[c] += p->scores[i * (size_t)p->sk + (size_t)c] / (double)(b - a);
  for (size_t i = a; i < b; ++i) r2 += glrep_dist2_(p->scores + i * (size_t)p->sk, cen, k);
  *radius = sqrt(r2 / (double)(b - a));
  for (size_t t = 0; t < in->T; ++t) {
    glrep_push_project_(in, t, k, y);
    double best = INFINITY;
    for (size_t i = a; i < b; ++i) {
      double d2 = glrep_dist2_(p->scores + i * (size_t)p->sk, y, k);
      best = d2 < best ? d2 : best;
    }
    d[t] = isfinite(best) ? sqrt(best) : INFINITY; /* a fallen agent's NaN rows count as far */
  }
}

/* Largest d over samples [s, e). */
static double glrep_max_over_(const double *d, size_t s, size_t e) {
  double m = 0;
  for (size_t t = s; t < e; ++t) m = d[t] > m ? d[t] : m;
  return m;
}

/* The count of C4 from the distances and the agent's complete cycles (in window order). */
static void glrep_push_count_(const glrep_push_in *in, const double *d, glrep_pushm *m) {
  const size_t kp = (size_t)m->push_sample;
  const size_t *mine = in->cyc_of + in->cyc_first[in->agent];
  const size_t nmine = in->cyc_first[in->agent + 1] - in->cyc_first[in->agent];
  size_t first = nmine;
  int n = 0;
  m->d_pre = 0;
  for (size_t q = 0; q < nmine; ++q) {
    const size_t j = mine[q];
    size_t s = (size_t)in->cstart[j], e = s + (size_t)in->clen[j];
    if (e > in->T) continue;
    if (e <= kp) {
      double v = glrep_max_over_(d, s, e);
      m->d_pre = v > m->d_pre ? v : m->d_pre;
    } else if (first == nmine) {
      first = q;
    }
  }
  m->delta = fmax(GLREP_PUSH_TOL_FRAC * m->radius, m->d_pre);
  m->peak = glrep_max_over_(d, kp, in->T);
  for (size_t q = first; q < nmine; ++q) {
    const size_t j = mine[q];
    size_t s = (size_t)in->cstart[j], e = s + (size_t)in->clen[j];
    if (e > in->T) continue;
    ++m->cycles_after;
    if (!m->recovered && glrep_max_over_(d, s, e) <= m->delta) m->recovered = 1, m->cycles = n;
    n += !m->recovered;
  }
  if (!m->recovered) m->cycles = n;
  m->measured = first < nmine;
  if (!m->measured) m->why = "no complete gait cycle after the push";
}

/* What every trial of a file shares: the window and cycles, the layer's analysis, the index
 * of cycles by agent. *why says what is missing. */
static gl_err glrep_push_prepare_(glrep_push_in *in, const char *layer, const char **why) {
  GL_CALL(glrep_push_cycles_(in, why));
  if (!*why) GL_CALL(glrep_push_layer_(in, layer, why));
  if (!*why) GL_CALL(glrep_push_index_(in));
  return GL_OK;
}

/* The recovery of one agent after a disturbance at policy step `step` (C4's measure): its
 * raw layer against its condition's cycle average, in PCs 1-3 of the file's analysis. */
static gl_err glrep_recovery_(const glrep_pop *p, glrep_push_in *in, glrep_pushm *m) {
  m->agent = in->agent;
  GL_CALL(glrep_push_rows_(in));
  m->push_sample = in->push_step - in->step0;
  if (m->push_sample < 0 || (hsize_t)m->push_sample >= in->T)
    return m->why = "the disturbance is outside the recorded window", GL_OK;
  if (in->cond < 0 || in->cond >= p->nseg || p->off[in->cond + 1] <= p->off[in->cond])
    return m->why = "the agent's condition has no cycle average", GL_OK;
  int k = p->sk < GLREP_PUSH_PCS ? p->sk : GLREP_PUSH_PCS;
  if ((hsize_t)k > in->K) k = (int)in->K;
  double *d = NULL;
  GL_CALL(GL_ALLOC(d, in->T));
  glrep_push_distances_(in, p, k, d, &m->radius);
  glrep_push_count_(in, d, m);
  free(d);
  return GL_OK;
}

static const glrep_pop *glrep_scored_pop_(const glrep_file *f, const char *layer) {
  int ip = glrep_find_pop(f, layer);
  return ip < 0 || !f->pop[ip].scores || f->pop[ip].sk < 1 ? NULL : &f->pop[ip];
}

gl_err glrep_push_measure(const glrep_file *f, const char *layer, glrep_pushm *m) {
  memset(m, 0, sizeof *m);
  const glrep_pop *p = glrep_scored_pop_(f, layer);
  if (!p) return m->why = "the layer is not analysed", GL_OK;
  glrep_push_in in;
  memset(&in, 0, sizeof in);
  in.path = f->path;
  in.f = -1;
  GL_CALL(glh5_open(&in.f, f->path, GLH5_READ));
  gl_err err = glrep_push_step_(&in, &m->why);
  if (!err && !m->why) err = glrep_push_agent_(&in, &m->why);
  if (!err && !m->why) err = glrep_push_prepare_(&in, layer, &m->why);
  if (!err && !m->why) err = glrep_recovery_(p, &in, m);
  glrep_push_in_free_(&in);
  return glh5_release(err, &in.f);
}

struct glrep_recovery {
  glrep_push_in in;
  const glrep_pop *p;
  const char *why; /* why no trial of this file can be measured, or NULL */
};

gl_err glrep_recovery_open(const glrep_file *f, const char *layer, glrep_recovery **out) {
  *out = NULL;
  glrep_recovery *r;
  GL_CALL(GL_ALLOC(r, 1));
  r->in.path = f->path;
  r->in.f = -1;
  r->p = glrep_scored_pop_(f, layer);
  gl_err err = GL_OK;
  if (!r->p) r->why = "the layer is not analysed";
  else err = glh5_open(&r->in.f, f->path, GLH5_READ);
  if (!err && !r->why) err = glrep_push_prepare_(&r->in, layer, &r->why);
  if (err) return glrep_recovery_close(r, err);
  *out = r;
  return GL_OK;
}

gl_err glrep_recovery_trial(glrep_recovery *r, int agent, int cond, int step, glrep_pushm *m) {
  memset(m, 0, sizeof *m);
  if (r->why) return m->why = r->why, GL_OK;
  r->in.agent = agent;
  r->in.cond = cond;
  r->in.push_step = step;
  return glrep_recovery_(r->p, &r->in, m);
}

gl_err glrep_recovery_close(glrep_recovery *r, gl_err err) {
  if (!r) return err;
  glrep_push_in_free_(&r->in);
  err = glh5_release(err, &r->in.f);
  free(r);
  return err;
}

/* Holds when both layers are back within tolerance inside the recorded window. */
glrep_verdict glrep_rule_c4(const glrep_pushm *rec, const glrep_pushm *act) {
  if (!rec->measured || !act->measured) return GLREP_NOT_MEASURED;
  return rec->recovered && act->recovered ? GLREP_HOLDS : GLREP_FAILS;
}

/* ------------------------------------------------------------------ the table */

enum { GLREP_C1 = 1, GLREP_C2 = 2, GLREP_C3 = 4, GLREP_C4 = 8, GLREP_C5 = 16 };

/* Which claims each experiment answers, the speed family of a sweep, and the claims for
 * which a missing experiment is reported as a "not measured" row. */
static const struct {
  const char *name;
  unsigned claims, required;
  int family;
} glrep_exps_[] = {
    {"paper_exp1_forward", GLREP_C1, GLREP_C1, 0},
    {"paper_exp2_opposing", GLREP_C2, GLREP_C2, 0},
    {"paper_exp3_speed_u", GLREP_C1 | GLREP_C3 | GLREP_C5, GLREP_C3 | GLREP_C5, 0},
    {"paper_exp3_speed_v", GLREP_C1 | GLREP_C3 | GLREP_C5, 0, 1},
    {"paper_exp3_speed_r", GLREP_C1 | GLREP_C3 | GLREP_C5, 0, 2},
    {"paper_grid", GLREP_C1, 0, 0},
    {"paper_exp1_push", GLREP_C4, GLREP_C4, 0},
};
enum { GLREP_NEXPS = sizeof glrep_exps_ / sizeof *glrep_exps_ };

/* Files of one experiment and policy kind (action feedback or baseline). */
typedef struct glrep_grp {
  const char *name;
  int af, n;
  const glrep_file **f;
} glrep_grp;

typedef struct glrep_ctx {
  FILE *o;
  const char *rec, *act;
  glrep_grp *g;
  int ng;
  gl_err err; /* the first write error */
} glrep_ctx;

typedef struct glrep_sb {
  char s[2048];
  size_t n;
} glrep_sb;

static void glrep_sb_(glrep_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void glrep_sb_(glrep_sb *b, const char *fmt, ...) {
  if (b->n >= sizeof b->s - 1) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
  va_end(ap);
  if (k > 0) b->n = b->n + (size_t)k < sizeof b->s ? b->n + (size_t)k : sizeof b->s - 1;
}

/* Mean of the finite values of v[n] (NaN when none). */
static double glrep_mean_(const double *v, int n) {
  double s = 0;
  int m = 0;
  for (int i = 0; i < n; ++i)
    if (isfinite(v[i])) s += v[i], ++m;
  return m ? s / m : NAN;
}

/* "x" for one value, "mean ± sd" (ddof 1) for several, "n/a" for none. */
static void glrep_ms_(glrep_sb *b, const double *v, int n) {
  double mean = glrep_mean_(v, n), ss = 0;
  int m = 0;
  for (int i = 0; i < n; ++i)
    if (isfinite(v[i])) ss += (v[i] - mean) * (v[i] - mean), ++m;
  if (m == 0) glrep_sb_(b, "n/a");
  else if (m == 1) glrep_sb_(b, "%.4g", mean);
  else glrep_sb_(b, "%.4g ± %.2g", mean, sqrt(ss / (m - 1)));
}

static void glrep_row_(glrep_ctx *c, const char *claim, const char *exp, const char *measure,
                       const char *numbers, glrep_verdict v) {
  if (fprintf(c->o, "| %s | %s | %s | %s | %s |\n", claim, exp, measure, numbers, glrep_verdict_names[v]) < 0 &&
      !c->err)
    c->err = gl_error(GL_ERR_IO, "cannot write the claims table");
}

static const glrep_grp *glrep_group_(const glrep_ctx *c, const char *name, int af) {
  for (int i = 0; i < c->ng; ++i)
    if (c->g[i].af == af && strcmp(c->g[i].name, name) == 0) return &c->g[i];
  return NULL;
}

static int glrep_group_has_pop_(const glrep_grp *g, const char *name) {
  for (int i = 0; i < g->n; ++i)
    if (glrep_find_pop(g->f[i], name) >= 0) return 1;
  return 0;
}

/* The recurrent layers compared: the chosen one and, next to lstm_c, lstm_h when present. */
static int glrep_rec_layers_(const glrep_ctx *c, const glrep_grp *g, const char *out[2]) {
  out[0] = c->rec;
  int n = 1;
  if (strcmp(c->rec, "lstm_c") == 0 && glrep_group_has_pop_(g, "lstm_h")) out[n++] = "lstm_h";
  return n;
}

/* C1 (and C2's tangling): one row per recurrent layer. */
static gl_err glrep_claim_tangling_(glrep_ctx *c, const char *claim, const glrep_grp *g) {
  const char *layers[2];
  int nl = glrep_rec_layers_(c, g, layers);
  glrep_tcmp *m = NULL;
  double *v = NULL;
  gl_err err = GL_ALLOC(m, g->n);
  if (!err) err = GL_ALLOC(v, g->n);
  for (int l = 0; !err && l < nl; ++l) {
    const char *L = layers[l];
    char measure[256];
    snprintf(measure, sizeof measure, "Q of %s vs %s on the same cycle-average rows: mean, median, p90; share of rows with Q_%s < Q_%s",
             L, c->act, L, c->act);
    int k = 0;
    for (int i = 0; !err && i < g->n; ++i) {
      err = glrep_tangling_compare(g->f[i], L, c->act, &m[i]);
      k += m[i].measured;
    }
    if (err) break;
    glrep_sb b = {.n = 0};
    if (!k) {
      glrep_sb_(&b, "no tangling of both %s and %s in %d file(s)", L, c->act, g->n);
      glrep_row_(c, claim, g->name, measure, b.s, GLREP_NOT_MEASURED);
      continue;
    }
    glrep_tcmp avg = {.measured = 1};
    const char *what[3] = {"mean", "median", "p90"};
    for (int q = 0; q < 3; ++q) {
      glrep_sb_(&b, "%s ", what[q]);
      for (int side = 0; side < 2; ++side) {
        for (int i = 0; i < g->n; ++i) {
          const double *arr = q == 0 ? m[i].mean : q == 1 ? m[i].median : m[i].p90;
          v[i] = m[i].measured ? arr[side] : NAN;
        }
        double *dst = q == 0 ? avg.mean : q == 1 ? avg.median : avg.p90;
        dst[side] = glrep_mean_(v, g->n);
        glrep_ms_(&b, v, g->n);
        glrep_sb_(&b, side == 0 ? " vs " : "; ");
      }
    }
    for (int i = 0; i < g->n; ++i) v[i] = m[i].measured ? m[i].share : NAN;
    avg.share = glrep_mean_(v, g->n);
    glrep_sb_(&b, "share ");
    glrep_ms_(&b, v, g->n);
    for (int i = 0; i < g->n; ++i) v[i] = m[i].measured ? (double)m[i].n : NAN;
    glrep_sb_(&b, " of ");
    glrep_ms_(&b, v, g->n);
    glrep_sb_(&b, " rows (%d file%s)", k, k == 1 ? "" : "s");
    glrep_row_(c, claim, g->name, measure, b.s, glrep_rule_c1(&avg));
  }
  free(m);
  free(v);
  return err ? err : c->err;
}

/* The condition whose (u, v, r) signs are (su, sv, sr), or -1. */
static int glrep_find_cond_(const glrep_file *f, int su, int sv, int sr) {
  for (int k = 0; k < f->ncond; ++k) {
    double x[3] = {f->u[k], f->v[k], f->r[k]};
    int s[3] = {su, sv, sr}, ok = 1;
    for (int j = 0; j < 3; ++j) ok &= (x[j] > 1e-9 ? 1 : x[j] < -1e-9 ? -1 : 0) == s[j];
    if (ok) return k;
  }
  return -1;
}

/* C2's rotation: the sense of each opposing condition in PC1-PC2, per layer. */
static gl_err glrep_claim_rotation_(glrep_ctx *c, const glrep_grp *g) {
  static const int sg[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {1, 0, 1}, {1, 0, -1}};
  static const char *const lab[6] = {"+u", "-u", "+v", "-v", "+r", "-r"};
  const char *layers[3];
  int nl = glrep_rec_layers_(c, g, layers);
  layers[nl++] = c->act;
  double *pos = NULL, *neg = NULL;
  gl_err err = GL_ALLOC(pos, g->n);
  if (!err) err = GL_ALLOC(neg, g->n);
  glrep_sb b = {.n = 0};
  glrep_verdict v = GLREP_HOLDS;
  for (int l = 0; !err && l < nl; ++l) {
    int opposite = 0;
    glrep_sb_(&b, "%s%s:", l ? "; " : "", layers[l]);
    for (int i = 0; i < g->n; ++i) {
      int ip = glrep_find_pop(g->f[i], layers[l]);
      const glrep_pop *p = ip >= 0 ? &g->f[i]->pop[ip] : NULL;
      double a[6];
      for (int k = 0; k < 6; ++k) {
        int cd = glrep_find_cond_(g->f[i], sg[k][0], sg[k][1], sg[k][2]);
        a[k] = p && cd >= 0 ? glrep_signed_area(p, cd) : NAN;
        if (g->n == 1) glrep_sb_(&b, " %s %s", lab[k], isnan(a[k]) ? "n/a" : a[k] > 0 ? "ccw" : a[k] < 0 ? "cw" : "0");
      }
      pos[i] = a[0];
      neg[i] = a[1];
      opposite += a[0] * a[1] < 0;
    }
    if (g->n > 1) glrep_sb_(&b, " +u and -u opposite in %d of %d files", opposite, g->n);
    glrep_verdict lv = glrep_rule_c2_rotation(pos, neg, g->n);
    if (lv == GLREP_NOT_MEASURED || v == GLREP_NOT_MEASURED) v = GLREP_NOT_MEASURED;
    else if (lv == GLREP_FAILS) v = GLREP_FAILS;
  }
  if (!err)
    glrep_row_(c, "C2", g->name, "rotation sense of each condition's cycle average in PC1-PC2 (sign of the signed area: ccw > 0); paper: +u and -u counter-rotate in both layers",
               b.s, v);
  free(pos);
  free(neg);
  return err ? err : c->err;
}

/* C3: three rows on the recurrent layer of a speed sweep. */
static gl_err glrep_claim_speed_(glrep_ctx *c, const glrep_grp *g, int family) {
  static const char *const fam[3] = {"u", "v", "r"};
  glrep_speedm *m = NULL;
  double *v = NULL, gap, d3, ds, rho;
  gl_err err = GL_ALLOC(m, g->n);
  if (!err) err = GL_ALLOC(v, g->n);
  int k = 0;
  for (int i = 0; !err && i < g->n; ++i) {
    err = glrep_speed_measure(g->f[i], c->rec, family, &m[i]);
    k += m[i].measured;
  }
  if (err) goto done;
  char measure[3][256];
  snprintf(measure[0], 256, "%s, speed axis (%s): min over adjacent speeds of min(projection of the faster) - max(projection of the slower); pairs apart", c->rec, fam[family]);
  snprintf(measure[1], 256, "%s: min distance between adjacent-speed cycle averages, PC1-PC2 + speed axis vs PC1-PC3", c->rec);
  snprintf(measure[2], 256, "%s: trajectory size (RMS radius in PC1-PC3) vs speed, Spearman rho", c->rec);
  glrep_sb b[3] = {{.n = 0}, {.n = 0}, {.n = 0}};
  if (!k) {
    for (int r = 0; r < 3; ++r) {
      glrep_sb_(&b[r], "no %s with PCs 1-3 and a speed axis in %d file(s)", c->rec, g->n);
      glrep_row_(c, "C3", g->name, measure[r], b[r].s, GLREP_NOT_MEASURED);
    }
    goto done;
  }
#define GLREP_GATHER(expr) for (int i = 0; i < g->n; ++i) v[i] = m[i].measured ? (double)(expr) : NAN
  GLREP_GATHER(m[i].min_gap);
  gap = glrep_mean_(v, g->n);
  glrep_sb_(&b[0], "min gap ");
  glrep_ms_(&b[0], v, g->n);
  GLREP_GATHER(m[i].separated);
  glrep_sb_(&b[0], "; pairs apart ");
  glrep_ms_(&b[0], v, g->n);
  glrep_sb_(&b[0], " of %d", m[0].measured ? m[0].ns - 1 : 0);
  GLREP_GATHER(m[i].ds);
  ds = glrep_mean_(v, g->n);
  glrep_sb_(&b[1], "PC1-2 + axis ");
  glrep_ms_(&b[1], v, g->n);
  GLREP_GATHER(m[i].d3);
  d3 = glrep_mean_(v, g->n);
  glrep_sb_(&b[1], " vs PC1-3 ");
  glrep_ms_(&b[1], v, g->n);
  GLREP_GATHER(m[i].rho);
  rho = glrep_mean_(v, g->n);
  glrep_sb_(&b[2], "rho ");
  glrep_ms_(&b[2], v, g->n);
  GLREP_GATHER(m[i].ns ? m[i].size[0] : NAN);
  glrep_sb_(&b[2], "; size ");
  glrep_ms_(&b[2], v, g->n);
  GLREP_GATHER(m[i].ns ? m[i].size[m[i].ns - 1] : NAN);
  glrep_sb_(&b[2], " at the slowest, ");
  glrep_ms_(&b[2], v, g->n);
  glrep_sb_(&b[2], " at the fastest");
#undef GLREP_GATHER
  for (int r = 0; r < 3; ++r) glrep_sb_(&b[r], " (%d file%s)", k, k == 1 ? "" : "s");
  glrep_row_(c, "C3", g->name, measure[0], b[0].s, glrep_rule_c3_separation(gap));
  glrep_row_(c, "C3", g->name, measure[1], b[1].s, glrep_rule_c3_axis(ds, d3));
  glrep_row_(c, "C3", g->name, measure[2], b[2].s, glrep_rule_c3_size(rho));
done:
  for (int i = 0; m && i < g->n; ++i) glrep_speedm_free(&m[i]);
  free(m);
  free(v);
  return err ? err : c->err;
}

/* C4: one row, both layers. */
static gl_err glrep_claim_push_(glrep_ctx *c, const glrep_grp *g) {
  const char *layers[2] = {c->rec, c->act};
  glrep_pushm *m = NULL;
  double *v = NULL;
  gl_err err = GL_ALLOC(m, 2 * g->n);
  if (!err) err = GL_ALLOC(v, g->n);
  for (int i = 0; !err && i < g->n; ++i)
    for (int l = 0; !err && l < 2; ++l) err = glrep_push_measure(g->f[i], layers[l], &m[2 * i + l]);
  glrep_sb b = {.n = 0};
  glrep_verdict verdict = GLREP_HOLDS;
  for (int i = 0; !err && i < g->n; ++i) {
    glrep_verdict fv = glrep_rule_c4(&m[2 * i], &m[2 * i + 1]);
    if (fv == GLREP_NOT_MEASURED || verdict == GLREP_NOT_MEASURED) verdict = GLREP_NOT_MEASURED;
    else if (fv == GLREP_FAILS) verdict = GLREP_FAILS;
  }
  for (int l = 0; !err && l < 2; ++l) {
    const glrep_pushm *m0 = &m[l];
    glrep_sb_(&b, "%s%s: ", l ? "; " : "", layers[l]);
    if (g->n == 1 && !m0->measured) {
      glrep_sb_(&b, "%s", m0->why ? m0->why : "not measured");
      continue;
    }
    int back = 0;
    for (int i = 0; i < g->n; ++i) v[i] = m[2 * i + l].recovered ? m[2 * i + l].cycles : NAN, back += m[2 * i + l].recovered;
    glrep_ms_(&b, v, g->n);
    glrep_sb_(&b, " cycles (back in %d of %d files)", back, g->n);
    if (g->n == 1)
      glrep_sb_(&b, ", tolerance %.3g = max(%.2g R, d_pre), R %.3g, d_pre %.3g, peak %.3g, %d cycles after the push",
                m0->delta, GLREP_PUSH_TOL_FRAC, m0->radius, m0->d_pre, m0->peak, m0->cycles_after);
  }
  if (!err)
    glrep_row_(c, "C4", g->name, "complete gait cycles from the push's until one stays within tolerance of the cycle average (PC1-3 distance to its nearest row)",
               b.s, verdict);
  free(m);
  free(v);
  return err ? err : c->err;
}

/* C5: gait frequency per speed (conditions with cycles, in speed order). */
static gl_err glrep_claim_freq_(glrep_ctx *c, const glrep_grp *g, int family) {
  static const char *const fam[3] = {"u", "v", "r"}, *const unit[3] = {"m/s", "m/s", "rad/s"};
  int ns = -1, maxc = 1;
  int *idx = NULL;
  double *v = NULL, *fm = NULL;
  gl_err err = GL_OK;
  for (int i = 0; i < g->n; ++i) {
    int k = 0;
    for (int cd = 0; g->f[i]->has_cycles && cd < g->f[i]->ncond; ++cd) k += g->f[i]->mode[cd] > 0;
    ns = ns < 0 || k < ns ? k : ns;
    maxc = g->f[i]->ncond > maxc ? g->f[i]->ncond : maxc;
  }
  glrep_sb b = {.n = 0};
  if (ns < 2) {
    glrep_sb_(&b, "fewer than 2 speeds with gait cycles");
    glrep_row_(c, "C5", g->name, "gait frequency per speed, Hz", b.s, GLREP_NOT_MEASURED);
    return c->err;
  }
  GL_GOTO(err, GL_ALLOC(idx, g->n * maxc), done);
  GL_GOTO(err, GL_ALLOC(v, g->n), done);
  GL_GOTO(err, GL_ALLOC(fm, ns), done);
  for (int i = 0; i < g->n; ++i) { /* each file's conditions with cycles, in speed order */
    const glrep_file *f = g->f[i];
    const double *cmd = family == 1 ? f->v : family == 2 ? f->r : f->u;
    int *ix = idx + (size_t)i * (size_t)maxc, n = 0;
    for (int cd = 0; cd < f->ncond; ++cd) {
      if (f->mode[cd] <= 0) continue;
      int j = n++;
      while (j > 0 && cmd[ix[j - 1]] > cmd[cd]) ix[j] = ix[j - 1], --j;
      ix[j] = cd;
    }
  }
  glrep_sb_(&b, "f = ");
  for (int s = 0; s < ns; ++s) {
    for (int i = 0; i < g->n; ++i) v[i] = g->f[i]->freq[idx[(size_t)i * (size_t)maxc + (size_t)s]];
    fm[s] = glrep_mean_(v, g->n);
    glrep_ms_(&b, v, g->n);
    glrep_sb_(&b, s + 1 < ns ? ", " : " Hz at ");
  }
  {
    const glrep_file *f = g->f[0];
    const double *cmd = family == 1 ? f->v : family == 2 ? f->r : f->u;
    /* The paper gives the frequencies of its u sweep only. */
    glrep_sb_(&b, "%s = %.3g ... %.3g %s%s", fam[family], cmd[idx[0]], cmd[idx[ns - 1]], unit[family],
              family == 0 ? " (paper: 1.8 -> 2.3 Hz)" : "");
  }
  if (g->n > 1) glrep_sb_(&b, " (%d files)", g->n);
  glrep_row_(c, "C5", g->name, "gait frequency (1 / mode period of RF lift-off cycles) per speed, Hz", b.s,
             glrep_rule_c5(fm, ns));
done:
  free(idx);
  free(v);
  free(fm);
  return err ? err : c->err;
}

/* Mean Q of `layer` (the file's tangling summary) over the files of g, into v. */
static int glrep_mean_q_(const glrep_grp *g, const char *layer, double *v) {
  int k = 0;
  for (int i = 0; i < g->n; ++i) {
    int ip = glrep_find_pop(g->f[i], layer);
    v[i] = ip >= 0 && g->f[i]->pop[ip].has_q ? g->f[i]->pop[ip].q[GLREP_Q_MEAN] : NAN;
    k += isfinite(v[i]);
  }
  return k;
}

/* C6: per experiment with both action-feedback and baseline files. */
static gl_err glrep_claim_af_(glrep_ctx *c) {
  const char *measure = "mean Q, action-feedback agent vs baseline agents, same experiment (verdict on the recurrent layer)";
  int rows = 0;
  for (int j = 0; j < c->ng; ++j) {
    const glrep_grp *af = &c->g[j], *base = af->af ? glrep_group_(c, af->name, 0) : NULL;
    if (!af->af) continue;
    ++rows;
    glrep_sb b = {.n = 0};
    if (!base) {
      glrep_sb_(&b, "no baseline file of this experiment");
      glrep_row_(c, "C6", af->name, measure, b.s, GLREP_NOT_MEASURED);
      continue;
    }
    double *va = NULL, *vb = NULL;
    gl_err err = GL_ALLOC(va, af->n);
    if (!err) err = GL_ALLOC(vb, base->n);
    glrep_verdict verdict = GLREP_NOT_MEASURED;
    const char *layers[2] = {c->rec, c->act};
    for (int l = 0; !err && l < 2; ++l) {
      glrep_mean_q_(af, layers[l], va);
      glrep_mean_q_(base, layers[l], vb);
      glrep_sb_(&b, "%s%s: ", l ? "; " : "", layers[l]);
      glrep_ms_(&b, va, af->n);
      glrep_sb_(&b, " vs ");
      glrep_ms_(&b, vb, base->n);
      glrep_sb_(&b, " (%d vs %d files)", af->n, base->n);
      if (l == 0) verdict = glrep_rule_c6(va, af->n, vb, base->n);
    }
    if (!err) glrep_row_(c, "C6", af->name, measure, b.s, verdict);
    free(va);
    free(vb);
    if (err) return err;
  }
  if (!rows) glrep_row_(c, "C6", "any", measure, "no file whose policy names action_feedback", GLREP_NOT_MEASURED);
  return c->err;
}

/* Claim `bit` on every experiment that answers it; a "not measured" row for a required one
 * that is absent. Unrecognised experiments answer C1. */
static gl_err glrep_claim_all_(glrep_ctx *c, unsigned bit) {
  for (int e = 0; e < GLREP_NEXPS; ++e) {
    if (!(glrep_exps_[e].claims & bit)) continue;
    const glrep_grp *g = glrep_group_(c, glrep_exps_[e].name, 0);
    if (!g) {
      if (glrep_exps_[e].required & bit) {
        char claim[4];
        snprintf(claim, sizeof claim, "C%d", bit == GLREP_C1 ? 1 : bit == GLREP_C2 ? 2 : bit == GLREP_C3 ? 3 : bit == GLREP_C4 ? 4 : 5);
        glrep_row_(c, claim, glrep_exps_[e].name, "-", "no file of this experiment", GLREP_NOT_MEASURED);
      }
      continue;
    }
    int fam = glrep_exps_[e].family;
    if (bit == GLREP_C1) GL_CALL(glrep_claim_tangling_(c, "C1", g));
    if (bit == GLREP_C2) GL_CALL(glrep_claim_tangling_(c, "C2", g));
    if (bit == GLREP_C2) GL_CALL(glrep_claim_rotation_(c, g));
    if (bit == GLREP_C3) GL_CALL(glrep_claim_speed_(c, g, fam));
    if (bit == GLREP_C4) GL_CALL(glrep_claim_push_(c, g));
    if (bit == GLREP_C5) GL_CALL(glrep_claim_freq_(c, g, fam));
  }
  for (int j = 0; bit == GLREP_C1 && j < c->ng; ++j) {
    int known = 0;
    for (int e = 0; e < GLREP_NEXPS; ++e) known |= strcmp(c->g[j].name, glrep_exps_[e].name) == 0;
    if (!known && !c->g[j].af) GL_CALL(glrep_claim_tangling_(c, "C1", &c->g[j]));
  }
  return c->err;
}

/* Files grouped by (root attribute name, action feedback or not), in order of appearance. */
static gl_err glrep_groups_(const glrep_file *const *f, int n, glrep_grp *g, int *ng) {
  *ng = 0;
  for (int i = 0; i < n; ++i) {
    const char *name = f[i]->name ? f[i]->name : "(unnamed)";
    int af = f[i]->policy && strstr(f[i]->policy, "action_feedback") != NULL, j = 0;
    while (j < *ng && !(g[j].af == af && strcmp(g[j].name, name) == 0)) ++j;
    if (j == *ng) {
      g[j].name = name;
      g[j].af = af;
      GL_CALL(GL_ALLOC(g[j].f, n));
      ++*ng;
    }
    g[j].f[g[j].n++] = f[i];
  }
  return GL_OK;
}

gl_err glrep_write_claims(const glrep_file *const *f, int n, const char *recurrent,
                          const char *actuation, FILE *out) {
  glrep_ctx c = {out, recurrent ? recurrent : "lstm_c", actuation ? actuation : "mu", NULL, 0, GL_OK};
  GL_CALL(GL_ALLOC(c.g, n > 0 ? n : 1));
  gl_err err = glrep_groups_(f, n, c.g, &c.ng);
  if (!err && fprintf(out, "| claim | experiment | measure | numbers | verdict |\n|---|---|---|---|---|\n") < 0)
    err = gl_error(GL_ERR_IO, "cannot write the claims table");
  const unsigned bits[5] = {GLREP_C1, GLREP_C2, GLREP_C3, GLREP_C4, GLREP_C5};
  for (int k = 0; !err && k < 5; ++k) err = glrep_claim_all_(&c, bits[k]);
  if (!err) err = glrep_claim_af_(&c);
  for (int j = 0; j < c.ng; ++j) free(c.g[j].f);
  free(c.g);
  return err;
}
