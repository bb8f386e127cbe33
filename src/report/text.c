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

static void glrep_tracking_text_(const glrep_file *f, FILE *o) {
  fprintf(o, "\ntracking (/summary/tracking, one row per condition):\n  %4s", "cond");
  for (int c = 0; c < f->ncol; ++c) {
    int w = (int)strlen(f->colname[c]);
    fprintf(o, " %*s", w > 10 ? w : 10, f->colname[c]);
  }
  fprintf(o, "\n");
  for (int i = 0; i < f->nrow; ++i) {
    fprintf(o, "  %4d", i);
    for (int c = 0; c < f->ncol; ++c) {
      int w = (int)strlen(f->colname[c]);
      char b[32];
      fprintf(o, " %*s", w > 10 ? w : 10, glrep_num_(b, sizeof b, f->tracking[(size_t)i * (size_t)f->ncol + (size_t)c], 4));
    }
    fprintf(o, "\n");
  }
  char b[32];
  double fr = glrep_fall_rate(f);
  if (isfinite(fr)) fprintf(o, "  fall rate over all agents: %s%%\n", glrep_num_(b, sizeof b, 100.0 * fr, 2));
  else fprintf(o, "  fall rate over all agents: n/a (no fall_rate column)\n");
}

static void glrep_cycles_text_(const glrep_file *f, FILE *o) {
  fprintf(o, "\ngait cycles (/analysis/cycles):\n  %4s %8s %8s %8s  %19s %10s %12s\n", "cond", "u_cmd",
          "v_cmd", "r_cmd", "mode period", "freq_hz", "cycles_used");
  for (int c = 0; c < f->ncond; ++c) {
    char per[64];
    if (f->mode[c] > 0 && f->dt > 0)
      snprintf(per, sizeof per, "%d (%.4f s)", f->mode[c], f->mode[c] * f->dt);
    else if (f->mode[c] > 0)
      snprintf(per, sizeof per, "%d samples", f->mode[c]);
    else
      snprintf(per, sizeof per, "no cycles");
    fprintf(o, "  %4d %8.4f %8.4f %8.4f  %19s %10.4f %12lld\n", c, f->u[c], f->v[c], f->r[c], per,
            f->freq[c], f->nused[c]);
  }
}

static void glrep_summary_text_(FILE *o, const char *label, const double *q) {
  char b[GLREP_NQ][32];
  fprintf(o, "  %s: mean %s, median %s, p90 (linear) %s, p90 (hazen) %s, max %s\n", label,
          glrep_num_(b[0], 32, q[GLREP_Q_MEAN], -1), glrep_num_(b[1], 32, q[GLREP_Q_MEDIAN], -1),
          glrep_num_(b[2], 32, q[GLREP_Q_P90_LINEAR], -1), glrep_num_(b[3], 32, q[GLREP_Q_P90_HAZEN], -1),
          glrep_num_(b[4], 32, q[GLREP_Q_MAX], -1));
}

static void glrep_pop_text_(const glrep_file *f, const glrep_pop *p, FILE *o) {
  char b[4][32];
  fprintf(o, "\npopulation %s (%lld cycle-average rows", p->name, p->rows);
  if (p->dim > 0) fprintf(o, " x %lld units", p->dim);
  fprintf(o, "):\n");
  fprintf(o, "  explained variance:");
  for (int i = 0; i < 3 && i < p->k; ++i) fprintf(o, "%s PC%d %.2f%%", i ? "," : "", i + 1, 100.0 * p->evr[i]);
  fprintf(o, "; PC1-%d %.2f%%", p->k < 3 ? p->k : 3, 100.0 * glrep_cum_evr(p, 3));
  if (p->k > 3) fprintf(o, "; PC1-%d %.2f%%", p->k < 12 ? p->k : 12, 100.0 * glrep_cum_evr(p, 12));
  fprintf(o, "\n");
  char label[256];
  int w = snprintf(label, sizeof label, "tangling (");
  if (p->space) w += snprintf(label + w, sizeof label - (size_t)w, "%s, ", p->space);
  if (p->qdims > 0) w += snprintf(label + w, sizeof label - (size_t)w, "%lld dims, ", p->qdims);
  w += snprintf(label + w, sizeof label - (size_t)w, "epsilon %s", glrep_num_(b[0], 32, p->eps, -1));
  if (p->eps_rule) snprintf(label + w, sizeof label - (size_t)w, ", %s", p->eps_rule);
  strncat(label, ")", sizeof label - strlen(label) - 1);
  glrep_summary_text_(o, label, p->q);
  if (p->npcm > 0) {
    fprintf(o, "  tangling per condition:\n");
    for (int c = 0; c < p->npcm; ++c) {
      if (!isfinite(p->pcm[2 * c])) continue; /* a condition without cycles has no rows */
      fprintf(o, "    cond %d: mean %s, max %s\n", c, glrep_num_(b[1], 32, p->pcm[2 * c], -1),
              glrep_num_(b[2], 32, p->pcm[2 * c + 1], -1));
    }
  }
  if (p->has_raw) glrep_summary_text_(o, "tangling of every raw sample", p->qraw);
  if (p->has_speed) {
    fprintf(o, "  speed axis (family %s, PCs 3..%d): fraction %s of condition-mean variance\n",
            glrep_s_(p->speed_family), p->k < 12 ? p->k : 12, glrep_num_(b[3], 32, p->speed_fraction, 4));
    for (int s = 0; s < p->nspeed; ++s)
      fprintf(o, "    speed %.4f -> projection %s\n", p->speed_value[s], glrep_num_(b[1], 32, p->speed_proj[s], -1));
  }
  (void)f;
}

gl_err glrep_write_text(const glrep_file *f, FILE *o) {
  fprintf(o, "== %s\n", f->path);
  fprintf(o, "provenance: name %s, git %s, gaitlab %s, seed %lld, nranks %lld, policy %s, status %s\n",
          glrep_s_(f->name), glrep_s_(f->git_hash), glrep_s_(f->version), f->seed, f->nranks,
          glrep_s_(f->policy), glrep_s_(f->status));
  glrep_tracking_text_(f, o);
  if (!f->has_analysis) {
    fprintf(o, "\nanalysis: absent (run `gaitlab analyze %s` first)\n", f->path);
  } else {
    char b[32];
    fprintf(o, "\nanalysis: git %s, nranks %lld, %s s\n", glrep_s_(f->analysis_git), f->analysis_nranks,
            glrep_num_(b, sizeof b, f->analysis_seconds, 2));
    if (f->warning) fprintf(o, "analysis skipped: %s\n", f->warning);
    if (f->has_cycles) glrep_cycles_text_(f, o);
    for (int i = 0; i < f->npop; ++i) glrep_pop_text_(f, &f->pop[i], o);
  }
  fprintf(o, "\n");
  return ferror(o) ? gl_error(GL_ERR_IO, "cannot write the report of '%s'", f->path) : GL_OK;
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
  fprintf(o, "comparison across %d files (fall%% over all agents; PC1-3%% explained variance; Q = mean tangling):\n", n);
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
    fprintf(o, "  %-24s %6lld", f[i]->stem, f[i]->seed);
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
