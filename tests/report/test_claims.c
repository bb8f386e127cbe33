/* `gaitlab report --claims`: every claim's rule on synthetic analysed files, written here in
 * the layout of `gaitlab run` + `gaitlab analyze`, whose answer is known both ways: a circle
 * (recurrent) vs a figure-eight (actuation) and then swapped (C1), the rotation sense with
 * time reversed (C2), nested vs overlapping speed loops (C3), a limit cycle kicked once with
 * a known decay (C4, exact cycle counts), frequencies rising and then falling (C5),
 * action-feedback vs baseline tangling (C6), and mean ± sd across files. */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gaitlab/cli.h"
#include "gaitlab/h5.h"
#include "gaitlab/report.h"
#include "report/report_internal.h"

enum { MAXC = 8, MAXR = 512, K = 3 };

/* ------------------------------------------------------------ synthetic files */

typedef struct syn_pop {
  const char *name;
  double scores[MAXR * K]; /* PC1-3 of every cycle-average row */
  double q[MAXR];
  double sproj[MAXR];      /* speed-axis projection */
  int has_sproj;
} syn_pop;

typedef struct syn {
  const char *name, *policy;
  int ncond;
  double u[MAXC], v[MAXC], r[MAXC];
  int mode[MAXC];          /* rows (samples) per condition */
  double freq[MAXC];
  int npop;
  syn_pop pop[3];
} syn;

static void put_(hid_t f, const char *name, int nd, const hsize_t *dims, const double *v) {
  assert_int_equal(glh5_write(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nd, dims, v), GL_OK);
}
static void put_i_(hid_t f, const char *name, hsize_t n, const int *v) {
  assert_int_equal(glh5_write(f, name, H5T_STD_I32LE, H5T_NATIVE_INT, 1, &n, v), GL_OK);
}

static int rows_(const syn *s) {
  int n = 0;
  for (int c = 0; c < s->ncond; ++c) n += s->mode[c];
  return n;
}

static int cmp_d_(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One analysed population: condition offsets, PCA (3 components of a 3-unit layer, the
 * identity), tangling with its summary attributes, the speed axis when given. */
static void write_pop_(hid_t f, const syn *s, const syn_pop *p) {
  char path[256];
  const int n = rows_(s);
  hsize_t hn = (hsize_t)n, hk = K, dsc[2] = {hn, K}, dk2[2] = {K, K}, no = (hsize_t)s->ncond + 1;
  double off[MAXC + 1] = {0}, row[MAXR], evr[K] = {0.5, 0.3, 0.2}, eye[K * K] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  double zero[K] = {0, 0, 0}, one[K] = {1, 1, 1};
  for (int c = 0; c < s->ncond; ++c) off[c + 1] = off[c] + s->mode[c];
  for (int i = 0; i < n; ++i) row[i] = i;
#define P(sub) (snprintf(path, sizeof path, "/analysis/%s/%s", p->name, sub), path)
  put_(f, P("condition_offset"), 1, &no, off);
  put_(f, P("pca/explained_variance_ratio"), 1, &hk, evr);
  put_(f, P("pca/scores"), 2, dsc, p->scores);
  put_(f, P("pca/components"), 2, dk2, eye);
  put_(f, P("pca/mean"), 1, &hk, zero);
  put_(f, P("norm_mean"), 1, &hk, zero);
  put_(f, P("norm_scale"), 1, &hk, one);
  put_(f, P("tangling/q"), 1, &hn, p->q);
  put_(f, P("tangling/row"), 1, &hn, row);
  hid_t g;
  assert_int_equal(glh5_group_open(f, P(""), &g), GL_OK);
  assert_int_equal(glh5_attr_string(g, "normalization", "zscore: pooled over all rows, ddof 0"), GL_OK);
  assert_int_equal(glh5_close(&g), GL_OK);
  double sorted[MAXR], mean = 0;
  memcpy(sorted, p->q, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_d_);
  for (int i = 0; i < n; ++i) mean += p->q[i] / n;
  assert_int_equal(glh5_group_open(f, P("tangling"), &g), GL_OK);
  assert_int_equal(glh5_attr_double(g, "mean", mean), GL_OK);
  assert_int_equal(glh5_attr_double(g, "median", sorted[n / 2]), GL_OK);
  assert_int_equal(glh5_attr_double(g, "max", sorted[n - 1]), GL_OK);
  assert_int_equal(glh5_close(&g), GL_OK);
  if (p->has_sproj) {
    hsize_t nc = (hsize_t)s->ncond, d1 = 1, dcm[2] = {nc, 1};
    double dir = 1, cm[MAXC] = {0};
    put_(f, P("speed_axis/projection"), 1, &hn, p->sproj);
    put_(f, P("speed_axis/direction_pcs"), 1, &d1, &dir);
    put_(f, P("speed_axis/condition_means"), 2, dcm, cm);
    put_(f, P("speed_axis/speed"), 1, &nc, s->u);
  }
#undef P
}

/* The recording skeleton the report loader needs, /analysis/cycles and every population. */
static hid_t write_syn_(const char *path, const syn *s) {
  hid_t f;
  assert_int_equal(glh5_open(&f, path, GLH5_CREATE), GL_OK);
  assert_int_equal(glh5_attr_string(f, "name", s->name), GL_OK);
  assert_int_equal(glh5_attr_string(f, "policy", s->policy ? s->policy : "default"), GL_OK);
  hsize_t nc = (hsize_t)s->ncond, dt[2] = {nc, 1};
  double tr[MAXC], used[MAXC];
  for (int c = 0; c < s->ncond; ++c) tr[c] = 0, used[c] = 10;
  put_(f, "/conditions/u", 1, &nc, s->u);
  put_(f, "/conditions/v", 1, &nc, s->v);
  put_(f, "/conditions/r", 1, &nc, s->r);
  put_(f, "/summary/tracking", 2, dt, tr);
  put_i_(f, "/analysis/cycles/mode_period", nc, s->mode);
  put_(f, "/analysis/cycles/gait_frequency_hz", 1, &nc, s->freq);
  put_(f, "/analysis/cycles/n_used", 1, &nc, used);
  for (int i = 0; i < s->npop; ++i) write_pop_(f, s, &s->pop[i]);
  return f;
}

static void write_close_(const char *path, const syn *s) {
  hid_t f = write_syn_(path, s);
  assert_int_equal(glh5_close(&f), GL_OK);
}

/* ------------------------------------------------------------ curves and their tangling */

enum { N = 40 };
static const double DT = 2 * M_PI / N;

static void circle_(double *sc, int n, double radius, int reverse, double z) {
  for (int i = 0; i < n; ++i) {
    double t = (reverse ? -1 : 1) * 2 * M_PI * i / n;
    sc[K * i] = radius * cos(t), sc[K * i + 1] = radius * sin(t), sc[K * i + 2] = z;
  }
}

static void figure8_(double *sc, int n) {
  for (int i = 0; i < n; ++i) {
    double t = 2 * M_PI * i / n;
    sc[K * i] = sin(t), sc[K * i + 1] = sin(2 * t), sc[K * i + 2] = 0;
  }
}

/* Russo's Q of one closed loop (periodic backward derivative, eps = 0.1 x variance of the
 * flattened n x 3 array): an independent reference for what the analysis would write. */
static void tangling_(const double *x, int n, double *q) {
  double dx[MAXR * K], m = 0, var = 0;
  for (int i = 0; i < n * K; ++i) m += x[i] / (n * K);
  for (int i = 0; i < n * K; ++i) var += (x[i] - m) * (x[i] - m) / (n * K);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < K; ++k) dx[K * i + k] = (x[K * i + k] - x[K * ((i + n - 1) % n) + k]) / DT;
  for (int i = 0; i < n; ++i) {
    q[i] = 0;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      double a = 0, b = 0;
      for (int k = 0; k < K; ++k) {
        a += (dx[K * i + k] - dx[K * j + k]) * (dx[K * i + k] - dx[K * j + k]);
        b += (x[K * i + k] - x[K * j + k]) * (x[K * i + k] - x[K * j + k]);
      }
      double v = a / (b + 0.1 * var);
      q[i] = v > q[i] ? v : q[i];
    }
  }
}

/* ------------------------------------------------------------ running the table */

static char *claims_(const char *const *paths, int n, const char *rec, const char *act) {
  glrep_file *f[8];
  for (int i = 0; i < n; ++i) assert_int_equal(glrep_load(paths[i], &f[i]), GL_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *o = open_memstream(&buf, &len);
  assert_non_null(o);
  assert_int_equal(glrep_write_claims((const glrep_file *const *)f, n, rec, act, o), GL_OK);
  fclose(o);
  for (int i = 0; i < n; ++i) glrep_destroy(f[i]);
  return buf;
}

/* The verdict of the first table row of `claim` and `exp` whose measure contains `measure`;
 * its numbers into numbers (may be NULL). */
static const char *verdict_(const char *table, const char *claim, const char *exp, const char *measure,
                            char *numbers, size_t cap) {
  static char v[64];
  char key[128];
  snprintf(key, sizeof key, "| %s | %s | ", claim, exp);
  for (const char *p = strstr(table, key); p; p = strstr(p + 1, key)) {
    const char *eol = strchr(p, '\n');
    char line[4096];
    size_t n = eol ? (size_t)(eol - p) : strlen(p);
    if (n >= sizeof line) n = sizeof line - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    if (measure && !strstr(line, measure)) continue;
    char *cells[6] = {0};
    int k = 0;
    for (char *c = strtok(line, "|"); c && k < 6; c = strtok(NULL, "|")) cells[k++] = c;
    assert_int_equal(k, 5);
    if (numbers) snprintf(numbers, cap, "%s", cells[3]);
    snprintf(v, sizeof v, "%s", cells[4] + 1);
    v[strlen(v) - 1] = '\0';
    return v;
  }
  return "absent";
}

static syn one_condition_(const char *name) {
  syn s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.ncond = 1;
  s.u[0] = 1.0;
  s.mode[0] = N;
  s.freq[0] = 1 / (N * 0.02);
  return s;
}

/* ------------------------------------------------------------ C1 */

static void c1_file_(const char *path, int swap) {
  syn s = one_condition_("paper_exp1_forward");
  s.npop = 2;
  syn_pop *rec = &s.pop[0], *act = &s.pop[1];
  rec->name = "lstm_c";
  act->name = "mu";
  circle_(swap ? act->scores : rec->scores, N, 1, 0, 0);
  figure8_(swap ? rec->scores : act->scores, N);
  tangling_(rec->scores, N, rec->q);
  tangling_(act->scores, N, act->q);
  write_close_(path, &s);
}

/* lstm_h, when the file has it, gets its own C1 row next to lstm_c's. */
static void test_c1_lstm_h_row(void **state) {
  (void)state;
  syn s = one_condition_("paper_exp1_forward");
  s.npop = 3;
  s.pop[0].name = "lstm_c";
  s.pop[1].name = "lstm_h";
  s.pop[2].name = "mu";
  circle_(s.pop[0].scores, N, 1, 0, 0);
  figure8_(s.pop[1].scores, N);
  circle_(s.pop[2].scores, N, 2, 0, 0);
  for (int l = 0; l < 3; ++l) tangling_(s.pop[l].scores, N, s.pop[l].q);
  for (int i = 0; i < N; ++i) s.pop[2].q[i] += 1; /* mu above the circle, below the figure-eight */
  write_close_("c1h.h5", &s);
  const char *p[1] = {"c1h.h5"};
  char *t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "Q of lstm_c", NULL, 0), "holds");
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "Q of lstm_h", NULL, 0), "does not hold");
  free(t);
  t = claims_(p, 1, "lstm_h", NULL); /* a chosen recurrent layer other than lstm_c stands alone */
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "Q of lstm_c", NULL, 0), "absent");
  free(t);
}

static void test_c1_circle_vs_figure8(void **state) {
  (void)state;
  c1_file_("c1.h5", 0);
  glrep_file *f;
  assert_int_equal(glrep_load("c1.h5", &f), GL_OK);
  glrep_tcmp m;
  assert_int_equal(glrep_tangling_compare(f, "lstm_c", "mu", &m), GL_OK);
  /* the circle's Q in the continuum is 4 s^2 / (4 + eps): the periodic backward difference
   * shrinks speeds by s = sin(dt/2)/(dt/2); eps = 0.1 x flattened variance (1/3 here) */
  double sh = sin(DT / 2) / (DT / 2), qc = 4 * sh * sh / (4 + 0.1 / 3);
  assert_int_equal(m.measured, 1);
  assert_int_equal(m.n, N);
  assert_float_equal(m.mean[0], qc, 1e-9);
  assert_float_equal(m.median[0], qc, 1e-9);
  assert_float_equal(m.p90[0], qc, 1e-9);
  assert_true(m.mean[1] > 10 * qc); /* the figure-eight crosses itself */
  assert_true(m.share > 0.5);
  assert_int_equal(glrep_rule_c1(&m), GLREP_HOLDS);
  glrep_destroy(f);
  const char *p[1] = {"c1.h5"};
  char *t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "lstm_c", NULL, 0), "holds");
  free(t);

  /* swapped: the recurrent layer is now the figure-eight */
  c1_file_("c1.h5", 1);
  assert_int_equal(glrep_load("c1.h5", &f), GL_OK);
  assert_int_equal(glrep_tangling_compare(f, "lstm_c", "mu", &m), GL_OK);
  assert_float_equal(m.mean[1], qc, 1e-9);
  assert_true(m.share < 0.5);
  assert_int_equal(glrep_rule_c1(&m), GLREP_FAILS);
  glrep_destroy(f);
  t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "lstm_c", NULL, 0), "does not hold");
  /* nothing else was given: the other claims are rows marked not measured */
  assert_string_equal(verdict_(t, "C4", "paper_exp1_push", NULL, NULL, 0), "not measured");
  assert_string_equal(verdict_(t, "C6", "any", NULL, NULL, 0), "not measured");
  free(t);
  /* a layer the file does not have */
  t = claims_(p, 1, "lstm_h", NULL);
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "lstm_h", NULL, 0), "not measured");
  free(t);
}

/* Each number over several files of one experiment is mean ± sd (ddof 1). */
static void test_c1_mean_sd_across_files(void **state) {
  (void)state;
  const char *p[2] = {"c1a.h5", "c1b.h5"};
  for (int k = 0; k < 2; ++k) {
    syn s = one_condition_("paper_exp1_forward");
    s.npop = 2;
    s.pop[0].name = "lstm_c";
    s.pop[1].name = "mu";
    for (int i = 0; i < N; ++i) s.pop[0].q[i] = 1 + k, s.pop[1].q[i] = 5; /* means 1 and 2 */
    circle_(s.pop[0].scores, N, 1, 0, 0);
    circle_(s.pop[1].scores, N, 1, 0, 0);
    write_close_(p[k], &s);
  }
  char *t = claims_(p, 2, NULL, NULL), num[4096];
  assert_string_equal(verdict_(t, "C1", "paper_exp1_forward", "lstm_c", num, sizeof num), "holds");
  char want[128];
  snprintf(want, sizeof want, "mean 1.5 ± %.2g vs 5 ± 0", sqrt(0.5));
  assert_non_null(strstr(num, want));
  assert_non_null(strstr(num, "share 1 ± 0 of 40 ± 0 rows (2 files)"));
  free(t);
}

/* ------------------------------------------------------------ C2 */

/* Six opposing conditions; -u runs backwards in time when `reverse`. */
static void c2_file_(const char *path, int reverse) {
  syn s;
  memset(&s, 0, sizeof s);
  s.name = "paper_exp2_opposing";
  s.ncond = 6;
  const double u[6] = {1, -1, 0, 0, 1, 1}, v[6] = {0, 0, 1, -1, 0, 0}, r[6] = {0, 0, 0, 0, 1, -1};
  memcpy(s.u, u, sizeof u);
  memcpy(s.v, v, sizeof v);
  memcpy(s.r, r, sizeof r);
  s.npop = 2;
  s.pop[0].name = "lstm_c";
  s.pop[1].name = "mu";
  for (int c = 0; c < 6; ++c) {
    s.mode[c] = 20;
    s.freq[c] = 2.5;
    for (int l = 0; l < 2; ++l) circle_(s.pop[l].scores + K * 20 * c, 20, 1 + c, c == 1 && reverse, 0);
  }
  for (int l = 0; l < 2; ++l) tangling_(s.pop[l].scores, 120, s.pop[l].q);
  write_close_(path, &s);
}

static void test_c2_rotation_flips_with_time(void **state) {
  (void)state;
  const char *p[1] = {"c2.h5"};
  c2_file_(p[0], 1);
  glrep_file *f;
  assert_int_equal(glrep_load(p[0], &f), GL_OK);
  const glrep_pop *rec = &f->pop[glrep_find_pop(f, "lstm_c")];
  /* the polygon's area: n/2 sin(2 pi / n) radius^2, signed by the sense */
  double a0 = 10 * sin(2 * M_PI / 20);
  assert_float_equal(glrep_signed_area(rec, 0), a0, 1e-12);
  assert_float_equal(glrep_signed_area(rec, 1), -4 * a0, 1e-12);
  assert_float_equal(glrep_signed_area(rec, 5), 36 * a0, 1e-12);
  glrep_destroy(f);
  char *t = claims_(p, 1, NULL, NULL), num[4096];
  assert_string_equal(verdict_(t, "C2", "paper_exp2_opposing", "rotation", num, sizeof num), "holds");
  assert_non_null(strstr(num, "lstm_c: +u ccw -u cw +v ccw"));
  assert_non_null(strstr(num, "mu: +u ccw -u cw"));
  free(t);
  c2_file_(p[0], 0); /* -u forward in time: same sense as +u */
  t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C2", "paper_exp2_opposing", "rotation", NULL, 0), "does not hold");
  free(t);
  double pos[2] = {1, 2}, neg[2] = {-1, -3}, same[2] = {-1, 3};
  assert_int_equal(glrep_rule_c2_rotation(pos, neg, 2), GLREP_HOLDS);
  assert_int_equal(glrep_rule_c2_rotation(pos, same, 2), GLREP_FAILS);
  double nan_[1] = {NAN};
  assert_int_equal(glrep_rule_c2_rotation(pos, nan_, 1), GLREP_NOT_MEASURED);
}

/* ------------------------------------------------------------ C3 */

/* Four speeds of circles. nested: radius 1 + i, PC3 = 0.1 i, projection 2 i (constant per
 * speed); else radius 4 - i, PC3 = 3 i, projection 0.5 i + cos(phase). */
static void c3_file_(const char *path, int nested) {
  syn s;
  memset(&s, 0, sizeof s);
  s.name = "paper_exp3_speed_u";
  s.ncond = 4;
  s.npop = 1;
  s.pop[0].name = "lstm_c";
  s.pop[0].has_sproj = 1;
  for (int c = 0; c < 4; ++c) {
    s.u[3 - c] = 0.4 + 0.2 * c; /* stored in reverse speed order: the measure sorts */
    s.mode[3 - c] = 20;
    s.freq[3 - c] = 2;
  }
  for (int c = 0; c < 4; ++c) { /* c = condition index; i = its speed rank */
    int i = 3 - c, o = 20 * c;
    circle_(s.pop[0].scores + K * o, 20, nested ? 1 + i : 4 - i, 0, nested ? 0.1 * i : 3.0 * i);
    for (int j = 0; j < 20; ++j) s.pop[0].sproj[o + j] = nested ? 2.0 * i : 0.5 * i + cos(2 * M_PI * j / 20);
  }
  write_close_(path, &s);
}

static void test_c3_speed_separation_axis_size(void **state) {
  (void)state;
  const char *p[1] = {"c3.h5"};
  c3_file_(p[0], 1);
  glrep_file *f;
  glrep_speedm m;
  assert_int_equal(glrep_load(p[0], &f), GL_OK);
  assert_int_equal(glrep_speed_measure(f, "lstm_c", 0, &m), GL_OK);
  assert_int_equal(m.measured, 1);
  assert_int_equal(m.ns, 4);
  assert_float_equal(m.speed[0], 0.4, 1e-12);
  assert_float_equal(m.speed[3], 1.0, 1e-12);
  assert_float_equal(m.d3, sqrt(1 + 0.01), 1e-12); /* same phase, radii 1 apart, PC3 0.1 apart */
  assert_float_equal(m.ds, sqrt(5), 1e-12);        /* ... projections 2 apart */
  assert_float_equal(m.min_gap, 2, 1e-12);
  assert_int_equal(m.separated, 3);
  assert_float_equal(m.size[0], 1, 1e-12);
  assert_float_equal(m.size[3], 4, 1e-12);
  assert_float_equal(m.rho, 1, 1e-12);
  glrep_speedm_free(&m);
  glrep_destroy(f);
  char *t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "pairs apart", NULL, 0), "holds");
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "PC1-PC3", NULL, 0), "holds");
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "Spearman", NULL, 0), "holds");
  free(t);

  c3_file_(p[0], 0);
  assert_int_equal(glrep_load(p[0], &f), GL_OK);
  assert_int_equal(glrep_speed_measure(f, "lstm_c", 0, &m), GL_OK);
  assert_float_equal(m.d3, sqrt(1 + 9), 1e-12);
  assert_true(m.ds < m.d3);
  assert_float_equal(m.min_gap, 0.5 - 2, 1e-12); /* ranges of width 2, 0.5 apart */
  assert_int_equal(m.separated, 0);
  assert_float_equal(m.rho, -1, 1e-12);
  glrep_speedm_free(&m);
  glrep_destroy(f);
  t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "pairs apart", NULL, 0), "does not hold");
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "PC1-PC3", NULL, 0), "does not hold");
  assert_string_equal(verdict_(t, "C3", "paper_exp3_speed_u", "Spearman", NULL, 0), "does not hold");
  free(t);
  assert_int_equal(glrep_rule_c3_size(0.9), GLREP_HOLDS);
  assert_int_equal(glrep_rule_c3_size(0.89), GLREP_FAILS);
}

/* ------------------------------------------------------------ C4 */

enum { T = 300, P = 20, KP = 75 };

/* One pushed agent, recorded steps 400-699, a 3-unit layer whose z-scored state runs on the
 * unit circle with period P; from sample KP its radius is 1 + A exp(-rate (t - KP)). */
static void c4_layer_(double *x, double a, double rate) {
  for (int t = 0; t < T; ++t) {
    double rad = 1 + (t >= KP ? a * exp(-rate * (t - KP)) : 0), th = 2 * M_PI * t / P;
    /* raw = mean + scale z with norm_mean (1, 2, 3) and norm_scale 2 */
    x[3 * t] = 1 + 2 * rad * cos(th), x[3 * t + 1] = 2 + 2 * rad * sin(th), x[3 * t + 2] = 3;
  }
}

static void c4_file_(const char *path, double rate_rec, double rate_act) {
  syn s = one_condition_("paper_exp1_push");
  s.mode[0] = P;
  s.npop = 2;
  s.pop[0].name = "lstm_c";
  s.pop[1].name = "mu";
  for (int l = 0; l < 2; ++l) circle_(s.pop[l].scores, P, 1, 0, 0);
  hid_t f = write_syn_(path, &s);
  double m3[3] = {1, 2, 3}, s3[3] = {2, 2, 2};
  hsize_t h3 = 3, hT = T, d3[3] = {1, T, 3};
  static double x[T * 3];
  const char *names[2] = {"lstm_c", "mu"};
  const double rates[2] = {rate_rec, rate_act};
  for (int l = 0; l < 2; ++l) {
    char path_[128];
    snprintf(path_, sizeof path_, "/analysis/%s/norm_mean", names[l]);
    assert_int_equal(glh5_delete(f, path_), GL_OK);
    put_(f, path_, 1, &h3, m3);
    snprintf(path_, sizeof path_, "/analysis/%s/norm_scale", names[l]);
    assert_int_equal(glh5_delete(f, path_), GL_OK);
    put_(f, path_, 1, &h3, s3);
    c4_layer_(x, 2.0, rates[l]);
    snprintf(path_, sizeof path_, "/recording/%s", names[l]);
    assert_int_equal(glh5_write(f, path_, H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 3, d3, x), GL_OK);
  }
  int step[T], one = 1, zero = 0, ag[T / P], st[T / P], len[T / P];
  for (int t = 0; t < T; ++t) step[t] = 400 + t;
  for (int j = 0; j < T / P; ++j) ag[j] = 0, st[j] = P * j, len[j] = P;
  put_i_(f, "/recording/step", hT, step);
  put_i_(f, "/agents/perturbed", 1, &one);
  put_i_(f, "/agents/condition", 1, &zero);
  put_i_(f, "/analysis/cycles/agent", T / P, ag);
  put_i_(f, "/analysis/cycles/start", T / P, st);
  put_i_(f, "/analysis/cycles/length", T / P, len);
  assert_int_equal(glh5_attr_string(f, "config_yaml",
                                    "name: paper_exp1_push\nconditions:\n  u: [1.0]\nperturbation:\n"
                                    "  kind: velocity\n  step: 475\n  vy: 1.0\n"),
                   GL_OK);
  assert_int_equal(glh5_close(&f), GL_OK);
}

static void test_c4_push_recovery_count(void **state) {
  (void)state;
  const char *p[1] = {"c4.h5"};
  /* Kick 2, tolerance 0.1 (R = 1, nothing before the push). The push cycle is [60, 80);
   * cycle k >= 1 peaks at its start, 2 exp(-rate (20 k - 15)): with rate 0.05 cycle 3 peaks
   * at 0.211 and cycle 4 at 0.078, so 4 cycles; with rate 0.2, 0.736 then 0.0135: 2. */
  c4_file_(p[0], 0.05, 0.2);
  glrep_file *f;
  assert_int_equal(glrep_load(p[0], &f), GL_OK);
  glrep_pushm m;
  assert_int_equal(glrep_push_measure(f, "lstm_c", &m), GL_OK);
  assert_int_equal(m.measured, 1);
  assert_int_equal(m.agent, 0);
  assert_int_equal(m.push_sample, KP);
  assert_float_equal(m.radius, 1, 1e-12);
  assert_float_equal(m.d_pre, 0, 1e-6); /* float32 storage of the raw layer */
  assert_float_equal(m.delta, 0.1, 1e-6);
  assert_float_equal(m.peak, 2, 1e-5);
  assert_int_equal(m.recovered, 1);
  assert_int_equal(m.cycles, 4);
  assert_int_equal(m.cycles_after, (T - 60) / P);
  glrep_pushm a;
  assert_int_equal(glrep_push_measure(f, "mu", &a), GL_OK);
  assert_int_equal(a.cycles, 2);
  assert_int_equal(glrep_rule_c4(&m, &a), GLREP_HOLDS);
  glrep_pushm none;
  assert_int_equal(glrep_push_measure(f, "lstm_h", &none), GL_OK);
  assert_int_equal(none.measured, 0);
  assert_int_equal(glrep_rule_c4(&none, &a), GLREP_NOT_MEASURED);
  glrep_destroy(f);
  char *t = claims_(p, 1, NULL, NULL), num[4096];
  assert_string_equal(verdict_(t, "C4", "paper_exp1_push", NULL, num, sizeof num), "holds");
  assert_non_null(strstr(num, "lstm_c: 4 cycles"));
  assert_non_null(strstr(num, "mu: 2 cycles"));
  free(t);

  c4_file_(p[0], 0.0, 0.2); /* the recurrent state never returns */
  assert_int_equal(glrep_load(p[0], &f), GL_OK);
  assert_int_equal(glrep_push_measure(f, "lstm_c", &m), GL_OK);
  assert_int_equal(m.recovered, 0);
  assert_int_equal(m.cycles, (T - 60) / P);
  glrep_destroy(f);
  t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C4", "paper_exp1_push", NULL, NULL, 0), "does not hold");
  free(t);
}

/* A defective input is one line naming the file and the HDF5 object, not a verdict. */
static void test_c4_bad_inputs(void **state) {
  (void)state;
  c4_file_("c4bad.h5", 0.05, 0.2);
  hid_t f;
  assert_int_equal(glh5_open(&f, "c4bad.h5", GLH5_RDWR), GL_OK);
  assert_int_equal(glh5_delete(f, "/recording/lstm_c"), GL_OK);
  double x[T];
  hsize_t d2[2] = {1, T};
  for (int t = 0; t < T; ++t) x[t] = t;
  put_(f, "/recording/lstm_c", 2, d2, x);
  assert_int_equal(glh5_attr_string(f, "config_yaml", "conditions: [unclosed"), GL_OK);
  assert_int_equal(glh5_close(&f), GL_OK);
  glrep_file *g;
  glrep_pushm m;
  assert_int_equal(glrep_load("c4bad.h5", &g), GL_OK);
  assert_int_equal(glrep_push_measure(g, "mu", &m), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "'c4bad.h5': root attribute config_yaml"));
  glrep_destroy(g);
  assert_int_equal(glh5_open(&f, "c4bad.h5", GLH5_RDWR), GL_OK);
  assert_int_equal(glh5_attr_string(f, "config_yaml", "conditions:\n  u: [1.0]\nperturbation:\n  kind: velocity\n  step: 475\n"), GL_OK);
  assert_int_equal(glh5_close(&f), GL_OK);
  assert_int_equal(glrep_load("c4bad.h5", &g), GL_OK);
  assert_int_equal(glrep_push_measure(g, "lstm_c", &m), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "'c4bad.h5': HDF5 dataset /recording/lstm_c is not [agent x 300 steps x unit]");
  assert_int_equal(glrep_push_measure(g, "mu", &m), GL_OK); /* the other layer is intact */
  assert_int_equal(m.cycles, 2);
  glrep_destroy(g);
  /* no pushed agent: not measured */
  assert_int_equal(glh5_open(&f, "c4bad.h5", GLH5_RDWR), GL_OK);
  assert_int_equal(glh5_delete(f, "/agents/perturbed"), GL_OK);
  int zero = 0;
  put_i_(f, "/agents/perturbed", 1, &zero);
  assert_int_equal(glh5_close(&f), GL_OK);
  assert_int_equal(glrep_load("c4bad.h5", &g), GL_OK);
  assert_int_equal(glrep_push_measure(g, "mu", &m), GL_OK);
  assert_int_equal(m.measured, 0);
  assert_string_equal(m.why, "no agent has /agents/perturbed set");
  glrep_destroy(g);
  gl_error_clear();
}

/* ------------------------------------------------------------ C5, C6 */

static void c5_file_(const char *path, const double *freq) {
  syn s;
  memset(&s, 0, sizeof s);
  s.name = "paper_exp3_speed_u";
  s.ncond = 4;
  for (int c = 0; c < 4; ++c) s.u[c] = 0.4 + 0.2 * c, s.mode[c] = 0, s.freq[c] = freq[c];
  for (int c = 0; c < 4; ++c) s.mode[c] = (int)lround(1 / (0.02 * freq[c]));
  write_close_(path, &s);
}

static void test_c5_frequency_with_speed(void **state) {
  (void)state;
  const char *p[1] = {"c5.h5"};
  const double up[4] = {1.8, 1.9, 2.0, 2.3}, updown[4] = {1.8, 2.0, 2.3, 2.1};
  c5_file_(p[0], up);
  char *t = claims_(p, 1, NULL, NULL), num[4096];
  assert_string_equal(verdict_(t, "C5", "paper_exp3_speed_u", NULL, num, sizeof num), "holds");
  assert_non_null(strstr(num, "f = 1.8, 1.9, 2, 2.3 Hz at u = 0.4 ... 1 m/s"));
  free(t);
  c5_file_(p[0], updown);
  t = claims_(p, 1, NULL, NULL);
  assert_string_equal(verdict_(t, "C5", "paper_exp3_speed_u", NULL, num, sizeof num), "does not hold");
  assert_non_null(strstr(num, "f = 1.8, 2, 2.3, 2.1 Hz"));
  free(t);
  const double ties[3] = {1.8, 1.8, 2.0}, flat[2] = {2, 2};
  assert_int_equal(glrep_rule_c5(ties, 3), GLREP_HOLDS);
  assert_int_equal(glrep_rule_c5(flat, 2), GLREP_FAILS);
  assert_int_equal(glrep_rule_c5(up, 1), GLREP_NOT_MEASURED);
}

static void c6_file_(const char *path, const char *policy, double q) {
  syn s = one_condition_("paper_exp1_forward");
  s.policy = policy;
  s.npop = 2;
  s.pop[0].name = "lstm_c";
  s.pop[1].name = "mu";
  for (int i = 0; i < N; ++i) s.pop[0].q[i] = q, s.pop[1].q[i] = 2 * q;
  circle_(s.pop[0].scores, N, 1, 0, 0);
  circle_(s.pop[1].scores, N, 1, 0, 0);
  write_close_(path, &s);
}

static void test_c6_action_feedback(void **state) {
  (void)state;
  const char *p[3] = {"c6a.h5", "c6b.h5", "c6af.h5"};
  c6_file_(p[0], "default", 1.0);
  c6_file_(p[1], "seed_2", 1.5);
  c6_file_(p[2], "policies/action_feedback.h5", 3.0);
  char *t = claims_(p, 3, NULL, NULL), num[4096];
  assert_string_equal(verdict_(t, "C6", "paper_exp1_forward", NULL, num, sizeof num), "holds");
  char want[128];
  snprintf(want, sizeof want, "lstm_c: 3 vs 1.25 ± %.2g (1 vs 2 files)", sqrt(0.125));
  assert_non_null(strstr(num, want));
  /* the action-feedback file is not one of the baseline seeds of C1 */
  assert_non_null(strstr(t, "share 1 ± 0 of 40 ± 0 rows (2 files)"));
  free(t);
  c6_file_(p[2], "policies/action_feedback.h5", 1.2); /* inside the baseline range */
  t = claims_(p, 3, NULL, NULL);
  assert_string_equal(verdict_(t, "C6", "paper_exp1_forward", NULL, NULL, 0), "does not hold");
  free(t);
  const double af[1] = {2}, base[2] = {1, 3};
  assert_int_equal(glrep_rule_c6(af, 1, base, 2), GLREP_FAILS);
  assert_int_equal(glrep_rule_c6(af, 1, base, 0), GLREP_NOT_MEASURED);
}

/* ------------------------------------------------------------ the command line */

static gl_err report_cli_(int argc, const char **argv) {
  glcli_args a;
  gl_err err = glcli_parse_opts(argc, (char **)argv, "usage", glcli_report_opts, &a);
  if (err) return err;
  fflush(stdout);
  int saved = dup(1);
  FILE *devnull = fopen("/dev/null", "w");
  dup2(fileno(devnull), 1);
  err = glcli_report(&a, MPI_COMM_WORLD);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  fclose(devnull);
  return err;
}

static void test_claims_options(void **state) {
  (void)state;
  c1_file_("cli.h5", 0);
  const char *ok[] = {"--claims", "cli.h5", "--recurrent", "lstm_c", "--actuation=mu"};
  assert_int_equal(report_cli_(5, ok), GL_OK);
  const char *no_claims[] = {"cli.h5", "--recurrent", "lstm_c"};
  assert_int_equal(report_cli_(3, no_claims), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "--recurrent and --actuation need --claims"));
  const char *no_value[] = {"--claims", "cli.h5", "--actuation"};
  assert_int_equal(report_cli_(3, no_value), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "--actuation needs a value"));
  const char *missing[] = {"--claims", "nope.h5"};
  assert_int_equal(report_cli_(2, missing), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "nope.h5"));
  gl_error_clear();
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  glh5_quiet();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_c1_circle_vs_figure8),
      cmocka_unit_test(test_c1_mean_sd_across_files),
      cmocka_unit_test(test_c1_lstm_h_row),
      cmocka_unit_test(test_c2_rotation_flips_with_time),
      cmocka_unit_test(test_c3_speed_separation_axis_size),
      cmocka_unit_test(test_c4_push_recovery_count),
      cmocka_unit_test(test_c4_bad_inputs),
      cmocka_unit_test(test_c5_frequency_with_speed),
      cmocka_unit_test(test_c6_action_feedback),
      cmocka_unit_test(test_claims_options),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
