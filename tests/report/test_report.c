/* `gaitlab report` on synthetic recordings written here with the layout of `gaitlab run` +
 * `gaitlab analyze` and known values: the printed numbers, summary.csv, the SVG figures
 * (well-formed, one polyline per condition, spline points, speed colours) and the exact
 * one-line errors for bad inputs. */
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gaitlab/cli.h"
#include "gaitlab/report.h"

enum { NC = 3, NPTS = 1000 };
static const int g_mode[NC] = {4, 5, 6};      /* rows per condition of the cycle averages */
static const double g_speed[NC] = {0.2, 0.5, 0.8};

/* ------------------------------------------------------------ writing synthetic files */

static void put_(hid_t loc, const char *name, hid_t type, int nd, const hsize_t *dims, const void *data) {
  hid_t s = H5Screate_simple(nd, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  H5Dclose(d);
  H5Sclose(s);
}
static void put_d_(hid_t loc, const char *name, int nd, const hsize_t *dims, const double *v) {
  put_(loc, name, H5T_NATIVE_DOUBLE, nd, dims, v);
}
static void attr_s_(hid_t obj, const char *name, const char *v) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8); /* as gaitlab writes them */
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Awrite(a, t, &v) >= 0);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
}
static void attr_num_(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *v) {
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Awrite(a, mtype, v) >= 0);
  H5Aclose(a);
  H5Sclose(s);
}
static void attr_d_(hid_t obj, const char *name, double v) { attr_num_(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v); }
static void attr_i_(hid_t obj, const char *name, long long v) { attr_num_(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v); }

static void tangling_group_(hid_t pop, const double *q, const double *row, hsize_t m, double mean,
                            double median, double p90l, double p90h, double max) {
  hid_t g = H5Gcreate2(pop, "tangling", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  put_d_(g, "q", 1, &m, q);
  put_d_(g, "row", 1, &m, row);
  attr_d_(g, "mean", mean);
  attr_d_(g, "median", median);
  attr_d_(g, "p90_linear", p90l);
  attr_d_(g, "p90_hazen", p90h);
  attr_d_(g, "max", max);
  attr_d_(g, "epsilon", 0.01);
  attr_i_(g, "dimensions", 8);
  double pcm[NC * 2] = {1.0, 2.0, 1.5, 3.0, 2.0, 3.5};
  hsize_t d2[2] = {NC, 2};
  put_d_(g, "per_condition_mean_max", 2, d2, pcm);
  H5Gclose(g);
}

/* A recording: provenance, conditions, tracking (fall rates fall[c] of 4 agents each), and
 * the analysis: "full" (cycles + lstm_c with splines and speed axis + mlp without),
 * "skipped" (cycles without any, warning attribute) or "none" (no /analysis). Population
 * `drop` (a path under /analysis/lstm_c) is left out to make a broken file. */
static void write_recording_(const char *path, long long seed, const double *fall, const char *analysis,
                             const char *drop) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  attr_s_(f, "name", "synth");
  attr_s_(f, "git_hash", "abc123");
  attr_s_(f, "gaitlab_version", "0.1.0");
  attr_s_(f, "policy", "default");
  attr_s_(f, "status", "complete");
  attr_i_(f, "seed", seed);
  if (seed != 9) attr_i_(f, "policy_seed", seed + 10); /* the agent's training seed; seedC's file predates it */
  attr_i_(f, "nranks", 2);
  hsize_t nc = NC;
  double zero[NC] = {0, 0, 0};
  hid_t g = H5Gcreate2(f, "conditions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  put_d_(g, "u", 1, &nc, g_speed);
  put_d_(g, "v", 1, &nc, zero);
  put_d_(g, "r", 1, &nc, zero);
  H5Gclose(g);
  g = H5Gcreate2(f, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double t[NC * 10];
  for (int c = 0; c < NC; ++c) {
    double row[10] = {g_speed[c], 0, 0, 0.9 * g_speed[c], 0.01, -0.02, fall[c], 4 * (1 - fall[c]), 4, 20 + c};
    memcpy(t + 10 * c, row, sizeof row);
  }
  hsize_t dt[2] = {NC, 10};
  put_d_(g, "tracking", 2, dt, t);
  hid_t d = H5Dopen2(g, "tracking", H5P_DEFAULT);
  attr_s_(d, "columns", "u_cmd, v_cmd, r_cmd, u_measured, v_measured, r_measured, fall_rate, agents_standing, agents, rf_cycles");
  H5Dclose(d);
  H5Gclose(g);
  if (strcmp(analysis, "none") == 0) {
    H5Fclose(f);
    return;
  }
  int full = strcmp(analysis, "full") == 0;
  hid_t an = H5Gcreate2(f, "analysis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  attr_s_(an, "git_hash", "def456");
  attr_i_(an, "nranks", 4);
  attr_d_(an, "seconds", 1.5);
  if (!full) attr_s_(an, "warning", "no complete gait cycles found (foot 1, threshold 0 N): cycle-averaged analyses skipped; is the robot walking?");
  g = H5Gcreate2(an, "cycles", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int mode[NC];
  long long nused[NC];
  double freq[NC];
  for (int c = 0; c < NC; ++c) {
    mode[c] = full ? g_mode[c] : 0;
    nused[c] = full ? 10 + c : 0;
    freq[c] = full ? 1.0 / (g_mode[c] * 0.02) : 0;
  }
  put_(g, "mode_period", H5T_NATIVE_INT, 1, &nc, mode);
  put_(g, "n_used", H5T_NATIVE_LLONG, 1, &nc, nused);
  put_d_(g, "gait_frequency_hz", 1, &nc, freq);
  attr_d_(g, "sampling_period_s", 0.02);
  H5Gclose(g);
  if (full) {
    /* lstm_c: 15 rows, 12 PCs, splines, speed axis */
    long long off[NC + 1] = {0, 4, 9, 15};
    hsize_t no = NC + 1, n = 15, k = 12;
    hid_t p = H5Gcreate2(an, "lstm_c", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    attr_s_(p, "tangling_space", "units");
    attr_s_(p, "tangling_epsilon_rule", "authors: factor x variance of the flattened N x D array (np.var)");
    if (!drop || strcmp(drop, "condition_offset") != 0) put_(p, "condition_offset", H5T_NATIVE_LLONG, 1, &no, off);
    hid_t pc = H5Gcreate2(p, "pca", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double evr[12] = {0.4, 0.2, 0.1, 0.05, 0.05, 0.05, 0.05, 0.04, 0.03, 0.02, 0.005, 0.005};
    put_d_(pc, "explained_variance_ratio", 1, &k, evr);
    double scores[15 * 12], comp[12 * 8] = {0};
    for (int i = 0; i < 15 * 12; ++i) scores[i] = 0.01 * i;
    hsize_t ds[2] = {n, k}, dc[2] = {k, 8};
    if (!drop || strcmp(drop, "pca/scores") != 0) put_d_(pc, "scores", 2, ds, scores);
    put_d_(pc, "components", 2, dc, comp);
    H5Gclose(pc);
    double q[15], row[15];
    for (int i = 0; i < 15; ++i) q[i] = 1 + 0.1 * i, row[i] = i;
    tangling_group_(p, q, row, n, 1.5, 1.25, 2.75, 2.9, 3.5);
    hid_t sa = H5Gcreate2(p, "speed_axis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double dir[2] = {0.6, 0.8}, cm[NC * 2] = {1, 0, 0, 1, 1, 1};
    hsize_t d2 = 2, dcm[2] = {NC, 2};
    put_d_(sa, "direction_pcs", 1, &d2, dir);
    put_d_(sa, "condition_means", 2, dcm, cm);
    put_d_(sa, "speed", 1, &nc, g_speed);
    attr_d_(sa, "fraction", 0.75);
    attr_s_(sa, "family", "u");
    H5Gclose(sa);
    hid_t sp = H5Gcreate2(p, "spline", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    static double a[NC * NPTS], b[NC * NPTS], tm[NC * NPTS], tq[NC * NPTS];
    for (int c = 0; c < NC; ++c)
      for (int i = 0; i < NPTS; ++i) {
        double ph = (double)i / (NPTS - 1);
        a[c * NPTS + i] = (c + 1) * cos(2 * M_PI * ph);
        b[c * NPTS + i] = (c + 1) * sin(2 * M_PI * ph);
        tm[c * NPTS + i] = g_mode[c] * 0.02 * ph;
        tq[c * NPTS + i] = c + ph;
      }
    hsize_t dsp[2] = {NC, NPTS};
    put_d_(sp, "pc1", 2, dsp, a);
    put_d_(sp, "pc2", 2, dsp, b);
    put_d_(sp, "time", 2, dsp, tm);
    put_d_(sp, "tangling", 2, dsp, tq);
    H5Gclose(sp);
    H5Gclose(p);
    /* mlp: 3 PCs, tangling with a stride of 2 rows, no splines: figures from the samples */
    p = H5Gcreate2(an, "mlp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_(p, "condition_offset", H5T_NATIVE_LLONG, 1, &no, off);
    pc = H5Gcreate2(p, "pca", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    double evr3[3] = {0.5, 0.3, 0.2}, sc3[15 * 3];
    for (int i = 0; i < 15 * 3; ++i) sc3[i] = sin(0.3 * i);
    hsize_t k3 = 3, ds3[2] = {n, 3};
    put_d_(pc, "explained_variance_ratio", 1, &k3, evr3);
    put_d_(pc, "scores", 2, ds3, sc3);
    H5Gclose(pc);
    double q8[8], r8[8];
    for (int i = 0; i < 8; ++i) q8[i] = 0.5 * i, r8[i] = 2 * i;
    tangling_group_(p, q8, r8, 8, 1.75, 1.75, 3.15, 3.5, 3.5);
    H5Gclose(p);
  }
  H5Gclose(an);
  H5Fclose(f);
}

/* ------------------------------------------------------------ running and reading back */

static char *slurp_(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = calloc((size_t)n + 1, 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  return s;
}

/* glcli_parse + glcli_report with stdout redirected into `capture` (may be NULL). */
static gl_err report_(const char *capture, int argc, const char **argv) {
  glcli_args a;
  gl_err err = glcli_parse(argc, (char **)argv, "gaitlab report FILE.h5... [-o DIR]", &a);
  if (err) return err;
  int saved = -1;
  if (capture) {
    fflush(stdout);
    saved = dup(1);
    int fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, 1);
    close(fd);
  }
  a.quiet = 1;
  err = glcli_report(&a, MPI_COMM_WORLD);
  if (capture) {
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
  }
  return err;
}

static int count_(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) ++n;
  return n;
}

/* Number of "x,y" points in the polyline of condition c. */
static int polyline_points_(const char *svg, int c) {
  char key[64];
  snprintf(key, sizeof key, "<polyline data-condition=\"%d\"", c);
  const char *p = strstr(svg, key);
  if (!p) return -1;
  p = strstr(p, "points=\"");
  assert_non_null(p);
  p += 8;
  int n = 1;
  for (; *p != '"'; ++p) n += *p == ' ';
  return n;
}

static void check_svg_(const char *path, int npolylines) {
  char *s = slurp_(path);
  assert_non_null(s);
  assert_memory_equal(s, "<svg", 4);
  size_t n = strlen(s);
  assert_true(n > 8);
  assert_string_equal(s + n - 7, "</svg>\n");
  assert_int_equal(count_(s, "<polyline"), npolylines);
  assert_int_equal(count_(s, "<svg"), 1);
  assert_true(count_(s, "<text") > 10); /* title, axis labels, tick labels, legend */
  free(s);
}

static void test_full_report(void **state) {
  (void)state;
  double fa[NC] = {0, 0.25, 0.5}, fb[NC] = {0.5, 0.5, 0.5}, fc[NC] = {0, 0, 0};
  write_recording_("seedA.h5", 7, fa, "full", NULL);
  write_recording_("seedB.h5", 8, fb, "skipped", NULL);
  write_recording_("seedC.h5", 9, fc, "none", NULL);
  const char *argv[] = {"seedA.h5", "seedB.h5", "seedC.h5", "-o", "report_out"};
  gl_err err = report_("report_stdout.txt", 5, argv);
  if (err) fprintf(stderr, "%s\n", gl_errmsg());
  assert_int_equal(err, GL_OK);

  char *t = slurp_("report_out/seedA_report.txt");
  assert_non_null(t);
  assert_non_null(strstr(t, "provenance: name synth, git abc123, gaitlab 0.1.0, seed 7, nranks 2, policy default, status complete\n"));
  /* agent-weighted fall rate: (0 + 0.25 + 0.5) x 4 agents / 12 */
  assert_non_null(strstr(t, "fall rate over all agents: 25.00%\n"));
  assert_non_null(strstr(t, "analysis: git def456, nranks 4, 1.50 s\n"));
  /* condition 1: mode 5 samples x 20 ms = 0.1 s, 10 Hz, 11 cycles */
  char line[256];
  snprintf(line, sizeof line, "  %4d %8.4f %8.4f %8.4f  %19s %10.4f %12d\n", 1, 0.5, 0.0, 0.0, "5 (0.1000 s)", 10.0, 11);
  assert_non_null(strstr(t, line));
  assert_non_null(strstr(t, "population lstm_c (15 cycle-average rows x 8 units):\n"));
  assert_non_null(strstr(t, "explained variance: PC1 40.00%, PC2 20.00%, PC3 10.00%; PC1-3 70.00%; PC1-12 100.00%\n"));
  assert_non_null(strstr(t, "tangling (units, 8 dims, epsilon 0.01, authors): mean 1.5, median 1.25, p90 (linear) 2.75, p90 (hazen) 2.9, max 3.5\n"));
  assert_non_null(strstr(t, "    cond 1: mean 1.5, max 3\n"));
  assert_non_null(strstr(t, "speed axis (family u, PCs 3..12): fraction 0.7500 of condition-mean variance\n"));
  /* projection of condition means (1,1) on direction (0.6, 0.8) */
  assert_non_null(strstr(t, "    speed 0.8000 -> projection 1.4\n"));
  assert_non_null(strstr(t, "population mlp (15 cycle-average rows):\n"));
  assert_non_null(strstr(t, "explained variance: PC1 50.00%, PC2 30.00%, PC3 20.00%; PC1-3 100.00%\n"));
  free(t);

  t = slurp_("report_out/seedB_report.txt");
  assert_non_null(t);
  assert_non_null(strstr(t, "analysis skipped: no complete gait cycles found"));
  assert_non_null(strstr(t, "no cycles"));
  assert_null(strstr(t, "population "));
  free(t);
  t = slurp_("report_out/seedC_report.txt");
  assert_non_null(t);
  assert_non_null(strstr(t, "analysis: absent (run `gaitlab analyze seedC.h5` first)\n"));
  free(t);

  /* stdout: the three reports then the comparison; mean / sd over the files that have it */
  t = slurp_("report_stdout.txt");
  assert_non_null(t);
  assert_int_equal(count_(t, "== seed"), 3);
  /* every number again as mean ± sd over the files that have it */
  const char *across = strstr(t, "== mean ± sd (ddof 1) across 3 files");
  assert_non_null(across);
  assert_non_null(strstr(across, "  fall rate over all agents: 25.00 ± 25.00%\n"));
  assert_non_null(strstr(across, "population lstm_c (15 cycle-average rows x 8 units in the first file; in 1 of 3 files):\n"));
  assert_non_null(strstr(across, "mean 1.5 ± n/a, median 1.25 ± n/a,"));
  const char *cmp = strstr(t, "comparison across 3 files");
  assert_true(cmp > across);
  assert_non_null(cmp);
  snprintf(line, sizeof line, "  %-24s %6d %10s %14s %14s %14s %14s\n", "seedA", 17, "25.00", "70.00", "1.5", "100.00", "1.75");
  assert_non_null(strstr(cmp, line));
  snprintf(line, sizeof line, "  %-24s %6s %10s %14s %14s %14s %14s\n", "seedC", "-", "0.00", "n/a", "n/a", "n/a", "n/a");
  assert_non_null(strstr(cmp, line));
  /* fall rates 25, 50, 0 %: mean 25, sd 25 */
  snprintf(line, sizeof line, "  %-24s %6s %10s %14s %14s", "mean", "", "25.00", "70.00", "1.5");
  assert_non_null(strstr(cmp, line));
  snprintf(line, sizeof line, "  %-24s %6s %10s %14s", "sd (ddof 1)", "", "25.00", "n/a");
  assert_non_null(strstr(cmp, line));
  free(t);

  t = slurp_("report_out/summary.csv");
  assert_non_null(t);
  assert_memory_equal(t, "file,stem,name,seed,nranks,git_hash,status,analysis,fall_rate,lstm_c_pc1,", 73);
  assert_int_equal(count_(t, "\n"), 4);
  assert_non_null(strstr(t, "\"seedA.h5\",\"seedA\",\"synth\",7,2,\"abc123\",\"complete\",ok,0.25,0.4,0.2,0.1,0.7,1,1.5,1.25,2.75,2.9,3.5,0.75,0.5,0.3,0.2,1,1,1.75,1.75,3.15,3.5,3.5,\n"));
  assert_non_null(strstr(t, "\"seedB.h5\",\"seedB\",\"synth\",8,2,\"abc123\",\"complete\",skipped,0.5,,,,,,,,,,,,,,,,,,,,,,\n"));
  assert_non_null(strstr(t, ",absent,0,"));
  free(t);

  /* figures: one polyline per condition; splines give 1000 points, samples close the loop */
  check_svg_("report_out/seedA_lstm_c_pc.svg", NC);
  check_svg_("report_out/seedA_mlp_pc.svg", NC);
  check_svg_("report_out/seedA_tangling.svg", 2 * NC);
  char *s = slurp_("report_out/seedA_lstm_c_pc.svg");
  for (int c = 0; c < NC; ++c) assert_int_equal(polyline_points_(s, c), NPTS);
  /* coloured by commanded u: slowest viridis dark purple, fastest yellow */
  assert_non_null(strstr(s, "<polyline data-condition=\"0\" fill=\"none\" stroke=\"#440154\""));
  assert_non_null(strstr(s, "<polyline data-condition=\"2\" fill=\"none\" stroke=\"#fde725\""));
  assert_non_null(strstr(s, "u = 0.5 m/s"));
  assert_non_null(strstr(s, ">PC1</text>"));
  free(s);
  s = slurp_("report_out/seedA_mlp_pc.svg");
  for (int c = 0; c < NC; ++c) assert_int_equal(polyline_points_(s, c), g_mode[c] + 1);
  free(s);
  /* mlp tangling at rows 0, 2, ..., 14: conditions [0,4) [4,9) [9,15) get 2, 3, 3 rows */
  s = slurp_("report_out/seedA_tangling.svg");
  const char *second = strstr(s, "mlp tangling");
  assert_non_null(second);
  assert_int_equal(polyline_points_(second, 0), 2);
  assert_int_equal(polyline_points_(second, 1), 3);
  assert_int_equal(polyline_points_(second, 2), 3);
  assert_int_equal(polyline_points_(s, 1), NPTS);
  free(s);
  struct stat st;
  assert_int_not_equal(stat("report_out/seedB_tangling.svg", &st), 0);
  assert_int_not_equal(stat("report_out/seedC_lstm_c_pc.svg", &st), 0);
}

/* Two analysed seeds and one with other commands: mean ± sd per number, per-condition rows
 * only while the commands agree. */
static void test_across_seeds(void **state) {
  (void)state;
  double fa[NC] = {0, 0.25, 0.5}, fb[NC] = {0.5, 0.5, 0.5};
  write_recording_("acrossA.h5", 1, fa, "full", NULL);
  write_recording_("acrossB.h5", 2, fb, "full", NULL);
  const char *argv[] = {"acrossA.h5", "acrossB.h5"};
  assert_int_equal(report_("across_stdout.txt", 2, argv), GL_OK);
  char *t = slurp_("across_stdout.txt");
  assert_non_null(t);
  const char *a = strstr(t, "== mean ± sd (ddof 1) across 2 files");
  assert_non_null(a);
  /* falls 25 % and 50 %: mean 37.5, sd 25 / sqrt 2 = 17.68 */
  assert_non_null(strstr(a, "  fall rate over all agents: 37.50 ± 17.68%\n"));
  /* condition 1's fall rate column: 0.25 and 0.5 -> 0.375 ± 0.1768 */
  assert_non_null(strstr(a, "0.3750 ± 0.1768"));
  /* both files hold the same analysis: sd 0 */
  assert_non_null(strstr(a, "explained variance: PC1 40.00 ± 0.00%, PC2 20.00 ± 0.00%, PC3 10.00 ± 0.00%; PC1-3 70.00 ± 0.00%"));
  assert_non_null(strstr(a, "    cond 1: mean 1.5 ± 0, max 3 ± 0\n"));
  assert_non_null(strstr(a, "    speed 0.8000 -> projection 1.4 ± 0\n"));
  /* 10 Hz in both files (5 samples x 20 ms) */
  assert_non_null(strstr(a, "0.1000 ± 0.0000 s"));
  free(t);
}

static void expect_error_(const char *file, const char *msg) {
  const char *argv[] = {file};
  gl_err err = report_("report_err_stdout.txt", 1, argv);
  assert_int_equal(err, GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), msg);
  /* nothing printed before the error */
  char *t = slurp_("report_err_stdout.txt");
  assert_non_null(t);
  assert_string_equal(t, "");
  free(t);
}

static void test_bad_inputs(void **state) {
  (void)state;
  expect_error_("missing.h5", "'missing.h5': No such file or directory");
  FILE *f = fopen("not_hdf5.h5", "w");
  assert_non_null(f);
  fputs("this is not HDF5\n", f);
  fclose(f);
  expect_error_("not_hdf5.h5", "'not_hdf5.h5' is not an HDF5 file");
  hid_t h = H5Fcreate("empty.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(H5Gcreate2(h, "agents", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose(h);
  expect_error_("empty.h5", "'empty.h5' is not a gaitlab recording: HDF5 object /summary/tracking is missing");
  double fa[NC] = {0, 0, 0};
  write_recording_("broken.h5", 1, fa, "full", "pca/scores");
  expect_error_("broken.h5", "'broken.h5': HDF5 object /analysis/lstm_c/pca/scores is missing or unreadable");
  write_recording_("broken2.h5", 1, fa, "full", "condition_offset");
  expect_error_("broken2.h5", "'broken2.h5': HDF5 object /analysis/lstm_c/condition_offset is missing or unreadable");
  /* a good file before a bad one: still no partial output */
  write_recording_("good.h5", 1, fa, "none", NULL);
  const char *argv[] = {"good.h5", "missing.h5"};
  assert_int_equal(report_("report_err_stdout.txt", 2, argv), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "'missing.h5': No such file or directory");
  char *t = slurp_("report_err_stdout.txt");
  assert_string_equal(t, "");
  free(t);
  assert_int_equal(report_(NULL, 0, NULL), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "report needs at least one recording; usage: gaitlab report FILE.h5... [-o DIR] | --claims FILE.h5... [--recurrent LAYER] [--actuation LAYER]");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_report),
      cmocka_unit_test(test_across_seeds),
      cmocka_unit_test(test_bad_inputs),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
