/* Text outputs of the report: the per-file report, the comparison table across files
 * (multi-seed studies) and summary.csv. Absent values print as "n/a" (CSV: empty). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static const char *glrep_s_(const char *s) { return s ? s : "n/a"; }

/* %.*f or %.6g into buf, "n/a" for non-finite values. */
static const char *glrep_num_(char *buf, size_t n, double v, int decimals) {
  if (!isfinite(v)) snprintf(buf, n, "n/a");
  else if (decimals >= 0) snprintf(buf, n, "%.*f", decimals, v);
  else snprintf(buf, n, "%.6g", v);
  return buf;
}

/* ------------------------------------------------------------ one report, n files
 *
 * The per-file report and the across-seeds report are one layout: every number is read from
 * each file by a getter and printed as the value (one file) or as "mean ± sd" over the files
 * that have it (several files, sd with ddof 1). Conditions and tracking columns are matched
 * by position after checking that every file has the same commands; populations by name. */

typedef struct glrep_set {
  const glrep_file *const *f;
  int n;
  int same_conditions; /* every file has f[0]'s (u, v, r) list */
} glrep_set;

typedef struct glrep_ix {
  const char *name; /* population or tracking column */
  int a, b;
} glrep_ix;

typedef double (*glrep_get_fn)(const glrep_file *f, glrep_ix ix);

static const glrep_pop *glrep_pop_of_(const glrep_file *f, const char *name) {
  int p = glrep_find_pop(f, name);
  return p >= 0 ? &f->pop[p] : NULL;
}

static double glrep_g_track_(const glrep_file *f, glrep_ix ix) {
  int c = glrep_column(f, ix.name);
  return c >= 0 && ix.a < f->nrow ? f->tracking[(size_t)ix.a * (size_t)f->ncol + (size_t)c] : NAN;
}
static double glrep_g_fall_(const glrep_file *f, glrep_ix ix) { (void)ix; return 100.0 * glrep_fall_rate(f); }
static double glrep_g_mode_s_(const glrep_file *f, glrep_ix ix) {
  return f->has_cycles && ix.a < f->ncond && f->mode[ix.a] > 0 && f->dt > 0 ? f->mode[ix.a] * f->dt : NAN;
}
static double glrep_g_freq_(const glrep_file *f, glrep_ix ix) {
  return f->has_cycles && ix.a < f->ncond && f->mode[ix.a] > 0 ? f->freq[ix.a] : NAN;
}
static double glrep_g_nused_(const glrep_file *f, glrep_ix ix) {
  return f->has_cycles && ix.a < f->ncond ? (double)f->nused[ix.a] : NAN;
}
static double glrep_g_evr_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  return p && ix.a < p->k ? 100.0 * p->evr[ix.a] : NAN;
}
static double glrep_g_cum_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  return p ? 100.0 * glrep_cum_evr(p, ix.a) : NAN;
}
static double glrep_g_q_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  if (!p) return NAN;
  if (ix.b) return p->has_raw ? p->qraw[ix.a] : NAN;
  return p->has_q ? p->q[ix.a] : NAN;
}
static double glrep_g_pcm_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  return p && ix.a < p->npcm ? p->pcm[2 * ix.a + ix.b] : NAN;
}
static double glrep_g_speed_frac_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  return p && p->has_speed ? p->speed_fraction : NAN;
}
static double glrep_g_speed_proj_(const glrep_file *f, glrep_ix ix) {
  const glrep_pop *p = glrep_pop_of_(f, ix.name);
  return p && p->has_speed && ix.a < p->nspeed ? p->speed_proj[ix.a] : NAN;
}

/* The cell of one number: the value, or mean ± sd over the files that have it ("n/a" when
 * none has it; the sd is n/a with one value). */
static const char *glrep_cell_(char *buf, size_t len, const glrep_set *s, glrep_get_fn get,
                               glrep_ix ix, int decimals) {
  if (s->n == 1) return glrep_num_(buf, len, get(s->f[0], ix), decimals);
  double sum = 0, ss = 0;
  int m = 0;
  for (int i = 0; i < s->n; ++i) {
    double v = get(s->f[i], ix);
    if (isfinite(v)) sum += v, ++m;
  }
  const double mean = m ? sum / m : NAN;
  for (int i = 0; i < s->n; ++i) {
    double v = get(s->f[i], ix);
    if (isfinite(v)) ss += (v - mean) * (v - mean);
  }
  char a[32], b[32];
  snprintf(buf, len, "%s ± %s", glrep_num_(a, sizeof a, mean, decimals),
           glrep_num_(b, sizeof b, m > 1 ? sqrt(ss / (m - 1)) : NAN, decimals));
  return buf;
}

/* Column width for a cell: "mean ± sd" needs about twice a value's width. */
static int glrep_w_(const glrep_set *s, int w) { return s->n == 1 || w > 2 * 10 + 3 ? w : 2 * 10 + 3; }

static void glrep_tracking_text_(const glrep_set *s, FILE *o) {
  const glrep_file *f = s->f[0];
  if (s->same_conditions) {
    fprintf(o, "\ntracking (/summary/tracking, one row per condition):\n  %4s", "cond");
    for (int c = 0; c < f->ncol; ++c) {
      int w = (int)strlen(f->colname[c]);
      fprintf(o, " %*s", glrep_w_(s, w > 10 ? w : 10), f->colname[c]);
    }
    fprintf(o, "\n");
    for (int i = 0; i < f->nrow; ++i) {
      fprintf(o, "  %4d", i);
      for (int c = 0; c < f->ncol; ++c) {
        int w = (int)strlen(f->colname[c]);
        char b[80];
        fprintf(o, " %*s", glrep_w_(s, w > 10 ? w : 10),
                glrep_cell_(b, sizeof b, s, glrep_g_track_, (glrep_ix){f->colname[c], i, 0}, 4));
      }
      fprintf(o, "\n");
    }
  } else {
    fprintf(o, "\ntracking: the files command different conditions; per-condition rows left out\n");
  }
  char b[80];
  if (isfinite(glrep_fall_rate(f)) || s->n > 1)
    fprintf(o, "  fall rate over all agents: %s%%\n", glrep_cell_(b, sizeof b, s, glrep_g_fall_, (glrep_ix){0}, 2));
  else
    fprintf(o, "  fall rate over all agents: n/a (no fall_rate column)\n");
}

static int glrep_same_force_cells_(const glrep_set *s) {
  for (int i = 1; i < s->n; ++i) {
    if (s->f[i]->nforce != s->f[0]->nforce) return 0;
    for (int c = 0; c < s->f[0]->nforce; ++c)
      for (int k = 0; k < 3; ++k)
        if (s->f[i]->force[c * GLREP_FORCE_NCOL + k] != s->f[0]->force[c * GLREP_FORCE_NCOL + k]) return 0;
  }
  return 1;
}

static double glrep_g_force_fall_(const glrep_file *f, glrep_ix ix) {
  const double *c = f->force + (size_t)ix.a * GLREP_FORCE_NCOL;
  return c[GLREP_FC_APPLIED] > 0 ? 100.0 * c[GLREP_FC_FELL] / c[GLREP_FC_APPLIED] : NAN;
}
static double glrep_g_force_rec_(const glrep_file *f, glrep_ix ix) {
  const double *c = f->force + (size_t)ix.a * GLREP_FORCE_NCOL;
  return c[GLREP_FC_MEASURED] > 0 ? 100.0 * c[GLREP_FC_RECOVERED] / c[GLREP_FC_MEASURED] : NAN;
}
static double glrep_g_force_cyc_(const glrep_file *f, glrep_ix ix) {
  const double *c = f->force + (size_t)ix.a * GLREP_FORCE_NCOL;
  return c[GLREP_FC_RECOVERED] > 0 ? c[GLREP_FC_CYCLES] / c[GLREP_FC_RECOVERED] : NAN;
}

/* The robustness curve: fall rate per (condition, magnitude, duration), over the trials
 * whose force was applied; across files, mean ± sd of the files' rates. */
static void glrep_force_text_(const glrep_set *s, FILE *o) {
  const glrep_file *f = s->f[0];
  if (f->nforce == 0) return;
  if (!glrep_same_force_cells_(s)) {
    fprintf(o, "\nforce disturbances: the files have different disturbance cells; left out\n");
    return;
  }
  fprintf(o, "\nforce disturbances (/agents/force_*; magnitude in body weights, duration in s; of the\n"
             "trials that stood, recovered_%% returned to the %s cycle average within tolerance in\n"
             "the window, after `cycles` gait cycles on average; the measure of C4, README \"Claims\"):\n"
             "  %4s %8s %8s %8s %9s %8s %6s %7s  %*s %*s %*s\n",
          GLREP_RECOVERY_LAYER, "cond", "u_cmd", "v_cmd", "r_cmd", "magnitude", "duration", "trials",
          "applied", glrep_w_(s, 11), "fall_rate_%", glrep_w_(s, 11), "recovered_%", glrep_w_(s, 7),
          "cycles");
  for (int c = 0; c < f->nforce; ++c) {
    const double *x = f->force + (size_t)c * GLREP_FORCE_NCOL;
    const int k = (int)x[GLREP_FC_COND];
    const int ok = k >= 0 && k < f->ncond;
    char b[80], b2[80], b3[80];
    const glrep_ix ix = {NULL, c, 0};
    fprintf(o, "  %4d %8.4f %8.4f %8.4f %9.4g %8.4g %6.0f %7.0f  %*s %*s %*s\n", k, ok ? f->u[k] : NAN,
            ok ? f->v[k] : NAN, ok ? f->r[k] : NAN, x[GLREP_FC_MAG], x[GLREP_FC_DUR], x[GLREP_FC_TRIALS],
            x[GLREP_FC_APPLIED], glrep_w_(s, 11), glrep_cell_(b, sizeof b, s, glrep_g_force_fall_, ix, 2),
            glrep_w_(s, 11), glrep_cell_(b2, sizeof b2, s, glrep_g_force_rec_, ix, 1), glrep_w_(s, 7),
            glrep_cell_(b3, sizeof b3, s, glrep_g_force_cyc_, ix, 2));
  }
}

static int glrep_same_neural_cells_(const glrep_set *s) {
  for (int i = 1; i < s->n; ++i) {
    if (s->f[i]->nneural != s->f[0]->nneural) return 0;
    for (int c = 0; c < s->f[0]->nneural; ++c)
      for (int k = 0; k < 2; ++k)
        if (s->f[i]->neural[c * GLREP_NEURAL_NCOL + k] != s->f[0]->neural[c * GLREP_NEURAL_NCOL + k]) return 0;
  }
  return 1;
}

/* Per neural cell, a rate over its agents or a mean over its standing agents (ix.b: the
 * column; ix.b < 0: the fall rate; GLREP_NC_RECOVERED: the recovered share). */
static double glrep_g_neural_(const glrep_file *f, glrep_ix ix) {
  const double *c = f->neural + (size_t)ix.a * GLREP_NEURAL_NCOL;
  if (ix.b < 0) return c[GLREP_NC_AGENTS] > 0 ? 100.0 * c[GLREP_NC_FELL] / c[GLREP_NC_AGENTS] : NAN;
  if (ix.b == GLREP_NC_RECOVERED)
    return c[GLREP_NC_MEASURED] > 0 ? 100.0 * c[GLREP_NC_RECOVERED] / c[GLREP_NC_MEASURED] : NAN;
  if (ix.b == GLREP_NC_CYCLES)
    return c[GLREP_NC_RECOVERED] > 0 ? c[GLREP_NC_CYCLES] / c[GLREP_NC_RECOVERED] : NAN;
  return c[GLREP_NC_STANDING] > 0 ? c[ix.b] / c[GLREP_NC_STANDING] : NAN;
}

/* The ablation curve (or the effect of a transient change): per (condition, units changed),
 * fall rate, tracking error and RF cycles; across files, mean ± sd of the files' values. */
static void glrep_neural_text_(const glrep_set *s, FILE *o) {
  const glrep_file *f = s->f[0];
  if (f->nneural == 0) return;
  if (!glrep_same_neural_cells_(s)) {
    fprintf(o, "\nneural perturbation: the files have different cells; left out\n");
    return;
  }
  const char *kind = f->neural_kind ? f->neural_kind : "?";
  fprintf(o, "\nneural perturbation (/agents/neural_*; %s from policy step %lld; units = units or PCs\n"
             "changed, 0 = unchanged; |e_u| |e_v| |e_r| = mean |measured - commanded| of the standing\n"
             "agents, m/s, m/s, rad/s; recovered_%% as for force disturbances, transient changes only):\n"
             "  %-6s %4s %5s %6s  %*s %*s %*s %*s %*s %*s %*s\n",
          kind, f->neural_step, "kind", "cond", "units", "agents", glrep_w_(s, 11), "fall_rate_%",
          glrep_w_(s, 7), "|e_u|", glrep_w_(s, 7), "|e_v|", glrep_w_(s, 7), "|e_r|", glrep_w_(s, 9),
          "rf_cycles", glrep_w_(s, 11), "recovered_%", glrep_w_(s, 7), "cycles");
  static const int cols[7] = {-1, GLREP_NC_EU, GLREP_NC_EV, GLREP_NC_ER, GLREP_NC_RF, GLREP_NC_RECOVERED, GLREP_NC_CYCLES};
  static const int width[7] = {11, 7, 7, 7, 9, 11, 7}, dec[7] = {2, 3, 3, 3, 1, 1, 2};
  for (int c = 0; c < f->nneural; ++c) {
    const double *x = f->neural + (size_t)c * GLREP_NEURAL_NCOL;
    fprintf(o, "  %-6s %4.0f %5.0f %6.0f ", kind, x[GLREP_NC_COND], x[GLREP_NC_COUNT], x[GLREP_NC_AGENTS]);
    for (int k = 0; k < 7; ++k) {
      char b[80];
      fprintf(o, " %*s", glrep_w_(s, width[k]), glrep_cell_(b, sizeof b, s, glrep_g_neural_, (glrep_ix){NULL, c, cols[k]}, dec[k]));
    }
    fprintf(o, "\n");
  }
}

static void glrep_cycles_text_(const glrep_set *s, FILE *o) {
  const glrep_file *f = s->f[0];
  if (!s->same_conditions) return;
  fprintf(o, "\ngait cycles (/analysis/cycles):\n  %4s %8s %8s %8s  %*s %*s %*s\n", "cond", "u_cmd",
          "v_cmd", "r_cmd", glrep_w_(s, 19), "mode period", glrep_w_(s, 10), "freq_hz",
          glrep_w_(s, 12), "cycles_used");
  for (int c = 0; c < f->ncond; ++c) {
    char per[96], fq[80], nu[80];
    const glrep_ix ix = {NULL, c, 0};
    if (s->n > 1) {
      char b[80];
      snprintf(per, sizeof per, "%s s", glrep_cell_(b, sizeof b, s, glrep_g_mode_s_, ix, 4));
    } else if (f->mode[c] > 0 && f->dt > 0) {
      snprintf(per, sizeof per, "%d (%.4f s)", f->mode[c], f->mode[c] * f->dt);
    } else if (f->mode[c] > 0) {
      snprintf(per, sizeof per, "%d samples", f->mode[c]);
    } else {
      snprintf(per, sizeof per, "no cycles");
    }
    if (s->n == 1) {
      snprintf(fq, sizeof fq, "%.4f", f->freq[c]);
      snprintf(nu, sizeof nu, "%lld", f->nused[c]);
    } else {
      glrep_cell_(fq, sizeof fq, s, glrep_g_freq_, ix, 4);
      glrep_cell_(nu, sizeof nu, s, glrep_g_nused_, ix, 1);
    }
    fprintf(o, "  %4d %8.4f %8.4f %8.4f  %*s %*s %*s\n", c, f->u[c], f->v[c], f->r[c],
            glrep_w_(s, 19), per, glrep_w_(s, 10), fq, glrep_w_(s, 12), nu);
  }
}

static void glrep_summary_text_(FILE *o, const glrep_set *s, const char *label, const char *pop, int raw) {
  char b[GLREP_NQ][80];
  for (int j = 0; j < GLREP_NQ; ++j) glrep_cell_(b[j], sizeof b[j], s, glrep_g_q_, (glrep_ix){pop, j, raw}, -1);
  fprintf(o, "  %s: mean %s, median %s, p90 (linear) %s, p90 (hazen) %s, max %s\n", label,
          b[GLREP_Q_MEAN], b[GLREP_Q_MEDIAN], b[GLREP_Q_P90_LINEAR], b[GLREP_Q_P90_HAZEN], b[GLREP_Q_MAX]);
}

static void glrep_variance_text_(const glrep_set *s, const glrep_pop *p, FILE *o) {
  char b[80];
  fprintf(o, "  explained variance:");
  for (int i = 0; i < 3 && i < p->k; ++i)
    fprintf(o, "%s PC%d %s%%", i ? "," : "", i + 1, glrep_cell_(b, sizeof b, s, glrep_g_evr_, (glrep_ix){p->name, i, 0}, 2));
  fprintf(o, "; PC1-%d %s%%", p->k < 3 ? p->k : 3, glrep_cell_(b, sizeof b, s, glrep_g_cum_, (glrep_ix){p->name, 3, 0}, 2));
  if (p->k > 3)
    fprintf(o, "; PC1-%d %s%%", p->k < 12 ? p->k : 12, glrep_cell_(b, sizeof b, s, glrep_g_cum_, (glrep_ix){p->name, 12, 0}, 2));
  fprintf(o, "\n");
}

static void glrep_pop_text_(const glrep_set *s, const glrep_pop *p, FILE *o) {
  char b[4][80];
  fprintf(o, "\npopulation %s (%lld cycle-average rows", p->name, p->rows);
  if (p->dim > 0) fprintf(o, " x %lld units", p->dim);
  if (s->n > 1) {
    int have = 0;
    for (int i = 0; i < s->n; ++i) have += glrep_find_pop(s->f[i], p->name) >= 0;
    fprintf(o, " in the first file; in %d of %d files", have, s->n);
  }
  fprintf(o, "):\n");
  glrep_variance_text_(s, p, o);
  char label[256];
  int w = snprintf(label, sizeof label, "tangling (");
  if (p->space) w += snprintf(label + w, sizeof label - (size_t)w, "%s, ", p->space);
  if (p->qdims > 0) w += snprintf(label + w, sizeof label - (size_t)w, "%lld dims, ", p->qdims);
  w += snprintf(label + w, sizeof label - (size_t)w, "epsilon %s", glrep_num_(b[0], 32, p->eps, -1));
  if (s->n > 1) w += snprintf(label + w, sizeof label - (size_t)w, " in the first file");
  if (p->eps_rule) snprintf(label + w, sizeof label - (size_t)w, ", %s", p->eps_rule);
  strncat(label, ")", sizeof label - strlen(label) - 1);
  glrep_summary_text_(o, s, label, p->name, 0);
  if (p->npcm > 0 && s->same_conditions) {
    fprintf(o, "  tangling per condition:\n");
    for (int c = 0; c < p->npcm; ++c) {
      if (!isfinite(p->pcm[2 * c])) continue; /* a condition without cycles has no rows */
      fprintf(o, "    cond %d: mean %s, max %s\n", c,
              glrep_cell_(b[1], sizeof b[1], s, glrep_g_pcm_, (glrep_ix){p->name, c, 0}, -1),
              glrep_cell_(b[2], sizeof b[2], s, glrep_g_pcm_, (glrep_ix){p->name, c, 1}, -1));
    }
  }
  if (p->has_raw) glrep_summary_text_(o, s, "tangling of every raw sample", p->name, 1);
  if (p->has_speed) {
    fprintf(o, "  speed axis (family %s, PCs 3..%d): fraction %s of condition-mean variance\n",
            glrep_s_(p->speed_family), p->k < 12 ? p->k : 12,
            glrep_cell_(b[3], sizeof b[3], s, glrep_g_speed_frac_, (glrep_ix){p->name, 0, 0}, 4));
    for (int k = 0; k < p->nspeed && s->same_conditions; ++k)
      fprintf(o, "    speed %.4f -> projection %s\n", p->speed_value[k],
              glrep_cell_(b[1], sizeof b[1], s, glrep_g_speed_proj_, (glrep_ix){p->name, k, 0}, -1));
  }
}

static void glrep_provenance_text_(const glrep_file *f, FILE *o) {
  fprintf(o, "provenance: name %s, git %s, gaitlab %s, seed %lld, nranks %lld, policy %s, status %s\n",
          glrep_s_(f->name), glrep_s_(f->git_hash), glrep_s_(f->version), f->seed, f->nranks,
          glrep_s_(f->policy), glrep_s_(f->status));
}

static int glrep_same_conditions_(const glrep_file *const *f, int n) {
  for (int i = 1; i < n; ++i) {
    if (f[i]->ncond != f[0]->ncond || f[i]->nrow != f[0]->nrow) return 0;
    for (int c = 0; c < f[0]->ncond; ++c)
      if (f[i]->u[c] != f[0]->u[c] || f[i]->v[c] != f[0]->v[c] || f[i]->r[c] != f[0]->r[c]) return 0;
  }
  return 1;
}

static void glrep_analysis_text_(const glrep_set *s, FILE *o) {
  const glrep_file *f = s->f[0];
  char b[32];
  if (s->n == 1) {
    fprintf(o, "\nanalysis: git %s, nranks %lld, %s s\n", glrep_s_(f->analysis_git), f->analysis_nranks,
            glrep_num_(b, sizeof b, f->analysis_seconds, 2));
    if (f->warning) fprintf(o, "analysis skipped: %s\n", f->warning);
  }
  if (f->has_cycles) glrep_cycles_text_(s, o);
  for (int i = 0; i < f->npop; ++i) glrep_pop_text_(s, &f->pop[i], o);
}

/* Fixed and slow points per constant input (one file's; across files they are not averaged:
 * the points of different agents are different objects). */
static void glrep_fixed_points_text_(const glrep_file *f, FILE *o) {
  if (f->nfp == 0) return;
  fprintf(o, "\nfixed points of the actor LSTM (/dynamics/fixed_points, gaitlab dynamics; fixed: q < q_fixed,\n"
             "stable: every |lambda(dF/dx)| < 1; inits: initial states that ended at a fixed point):\n"
             "  %-14s %6s %6s %6s %6s %13s %22s %10s\n",
          "input", "points", "fixed", "stable", "slow", "inits->fixed", "max|lambda| of fixed", "max |c|");
  for (int i = 0; i < f->nfp; ++i) {
    const glrep_fp *p = &f->fp[i];
    char rho[48], inits[32], cmax[32] = "n/a";
    if (p->fixed == 0) snprintf(rho, sizeof rho, "n/a");
    else if (p->fixed == 1 || p->rho_min == p->rho_max) snprintf(rho, sizeof rho, "%.4g", p->rho_max);
    else snprintf(rho, sizeof rho, "%.4g-%.4g", p->rho_min, p->rho_max);
    snprintf(inits, sizeof inits, "%lld/%lld", p->members, p->inits);
    if (p->fixed) snprintf(cmax, sizeof cmax, "%.4g", p->cmax);
    fprintf(o, "  %-14s %6d %6d %6d %6d %13s %22s %10s\n", p->input, p->points, p->fixed, p->fixed_stable,
            p->slow, inits, rho, cmax);
  }
}

gl_err glrep_write_text(const glrep_file *f, FILE *o) {
  const glrep_set s = {&f, 1, 1};
  fprintf(o, "== %s\n", f->path);
  glrep_provenance_text_(f, o);
  glrep_tracking_text_(&s, o);
  glrep_force_text_(&s, o);
  glrep_neural_text_(&s, o);
  glrep_fixed_points_text_(f, o);
  if (!f->has_analysis) fprintf(o, "\nanalysis: absent (run `gaitlab analyze %s` first)\n", f->path);
  else glrep_analysis_text_(&s, o);
  fprintf(o, "\n");
  return ferror(o) ? gl_error(GL_ERR_IO, "cannot write the report of '%s'", f->path) : GL_OK;
}

gl_err glrep_write_text_across(const glrep_file *const *f, int n, FILE *o) {
  const glrep_set s = {f, n, glrep_same_conditions_(f, n)};
  fprintf(o, "== mean ± sd (ddof 1) across %d files, over the files that have each number\n", n);
  for (int i = 0; i < n; ++i) {
    fprintf(o, "  %s: ", f[i]->path);
    glrep_provenance_text_(f[i], o);
  }
  glrep_tracking_text_(&s, o);
  glrep_force_text_(&s, o);
  glrep_neural_text_(&s, o);
  /* the layout (conditions, populations) is the first analysed file's */
  int first = -1;
  for (int i = 0; i < n && first < 0; ++i)
    if (f[i]->has_analysis && !f[i]->warning) first = i;
  if (first < 0) {
    fprintf(o, "\nanalysis: no file has a complete analysis\n");
  } else {
    const glrep_file **g = NULL;
    GL_CALL(GL_ALLOC(g, n));
    g[0] = f[first];
    for (int i = 0, k = 1; i < n; ++i)
      if (i != first) g[k++] = f[i];
    const glrep_set sa = {g, n, s.same_conditions};
    glrep_analysis_text_(&sa, o);
    free(g);
  }
  fprintf(o, "\n");
  return ferror(o) ? gl_error(GL_ERR_IO, "cannot write the report across files") : GL_OK;
}

/* Union of population names over files, in first-seen order (pointers into the files). */
static gl_err glrep_union_(const glrep_file *const *f, int n, const char ***names, int *nn) {
  int cap = 0;
  for (int i = 0; i < n; ++i) cap += f[i]->npop;
  *nn = 0;
  GL_CALL(gl_calloc(names, cap ? (size_t)cap : 1, sizeof **names));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < f[i]->npop; ++j) {
      int seen = 0;
      for (int k = 0; k < *nn; ++k) seen |= strcmp((*names)[k], f[i]->pop[j].name) == 0;
      if (!seen) (*names)[(*nn)++] = f[i]->pop[j].name;
    }
  return GL_OK;
}

/* Columns of the comparison table: fall rate, then per population PC1-3 and mean Q. */
static double glrep_cmp_value_(const glrep_file *f, const char *const *names, int col) {
  if (col == 0) return 100.0 * glrep_fall_rate(f);
  int p = glrep_find_pop(f, names[(col - 1) / 2]);
  if (p < 0) return NAN;
  return (col - 1) % 2 == 0 ? 100.0 * glrep_cum_evr(&f->pop[p], 3) : f->pop[p].q[GLREP_Q_MEAN];
}

gl_err glrep_write_comparison(const glrep_file *const *f, int n, FILE *o) {
  const char **names = NULL;
  int nn = 0;
  GL_CALL(glrep_union_(f, n, &names, &nn));
  int ncols = 1 + 2 * nn;
  fprintf(o, "comparison across %d files (seed: the agent's training seed, - when the file does not say; fall%% over all agents;\n"
             "PC1-3%% explained variance; Q = mean tangling):\n", n);
  fprintf(o, "  %-24s %6s %10s", "file", "seed", "fall%");
  for (int k = 0; k < nn; ++k) {
    char h1[96], h2[96];
    snprintf(h1, sizeof h1, "%s PC1-3%%", names[k]);
    snprintf(h2, sizeof h2, "%s Q", names[k]);
    fprintf(o, " %14s %14s", h1, h2);
  }
  fprintf(o, "\n");
  for (int i = 0; i < n; ++i) {
    char b[32];
    if (f[i]->policy_seed >= 0) fprintf(o, "  %-24s %6lld", f[i]->stem, f[i]->policy_seed);
    else fprintf(o, "  %-24s %6s", f[i]->stem, "-");
    for (int c = 0; c < ncols; ++c)
      fprintf(o, " %*s", c == 0 ? 10 : 14, glrep_num_(b, sizeof b, glrep_cmp_value_(f[i], names, c), c % 2 ? 2 : (c ? -1 : 2)));
    fprintf(o, "\n");
  }
  /* mean and sample sd over the files that have the value */
  for (int row = 0; row < 2; ++row) {
    fprintf(o, "  %-24s %6s", row ? "sd (ddof 1)" : "mean", "");
    for (int c = 0; c < ncols; ++c) {
      double s = 0, s2 = 0;
      int m = 0;
      for (int i = 0; i < n; ++i) {
        double v = glrep_cmp_value_(f[i], names, c);
        if (!isfinite(v)) continue;
        s += v;
        ++m;
      }
      double mean = m ? s / m : NAN;
      for (int i = 0; i < n; ++i) {
        double v = glrep_cmp_value_(f[i], names, c);
        if (isfinite(v)) s2 += (v - mean) * (v - mean);
      }
      double v = row ? (m > 1 ? sqrt(s2 / (m - 1)) : NAN) : mean;
      char b[32];
      fprintf(o, " %*s", c == 0 ? 10 : 14, glrep_num_(b, sizeof b, v, c % 2 ? 2 : (c ? -1 : 2)));
    }
    fprintf(o, "\n");
  }
  free(names);
  return ferror(o) ? gl_error(GL_ERR_IO, "cannot write the comparison table") : GL_OK;
}

/* CSV string cell, quoted (RFC 4180). */
static void glrep_csv_str_(FILE *o, const char *s) {
  fputc('"', o);
  for (; s && *s; ++s) {
    if (*s == '"') fputc('"', o);
    fputc(*s, o);
  }
  fputc('"', o);
}

static void glrep_csv_num_(FILE *o, double v) {
  fputc(',', o);
  if (isfinite(v)) fprintf(o, "%.10g", v);
}

gl_err glrep_write_csv(const glrep_file *const *f, int n, FILE *o) {
  static const char *const pcs[] = {"pc1", "pc2", "pc3", "pc1_3", "pc1_12"};
  const char **names = NULL;
  int nn = 0;
  GL_CALL(glrep_union_(f, n, &names, &nn));
  fprintf(o, "file,stem,name,seed,nranks,git_hash,status,analysis,fall_rate");
  for (int k = 0; k < nn; ++k) {
    for (int j = 0; j < 5; ++j) fprintf(o, ",%s_%s", names[k], pcs[j]);
    for (int j = 0; j < GLREP_NQ; ++j) fprintf(o, ",%s_q_%s", names[k], glrep_q_names[j]);
    fprintf(o, ",%s_speed_fraction", names[k]);
  }
  fprintf(o, "\n");
  for (int i = 0; i < n; ++i) {
    const glrep_file *g = f[i];
    glrep_csv_str_(o, g->path);
    fputc(',', o);
    glrep_csv_str_(o, g->stem);
    fputc(',', o);
    glrep_csv_str_(o, g->name);
    fputc(',', o);
    if (g->seed >= 0) fprintf(o, "%lld", g->seed);
    fputc(',', o);
    if (g->nranks >= 0) fprintf(o, "%lld", g->nranks);
    fputc(',', o);
    glrep_csv_str_(o, g->git_hash);
    fputc(',', o);
    glrep_csv_str_(o, g->status);
    fprintf(o, ",%s", !g->has_analysis ? "absent" : g->warning ? "skipped" : "ok");
    glrep_csv_num_(o, glrep_fall_rate(g));
    for (int k = 0; k < nn; ++k) {
      int p = glrep_find_pop(g, names[k]);
      const glrep_pop *q = p >= 0 ? &g->pop[p] : NULL;
      for (int j = 0; j < 3; ++j) glrep_csv_num_(o, q && j < q->k ? q->evr[j] : NAN);
      glrep_csv_num_(o, q ? glrep_cum_evr(q, 3) : NAN);
      glrep_csv_num_(o, q ? glrep_cum_evr(q, 12) : NAN);
      for (int j = 0; j < GLREP_NQ; ++j) glrep_csv_num_(o, q ? q->q[j] : NAN);
      glrep_csv_num_(o, q && q->has_speed ? q->speed_fraction : NAN);
    }
    fprintf(o, "\n");
  }
  free(names);
  return ferror(o) ? gl_error(GL_ERR_IO, "cannot write summary.csv") : GL_OK;
}
