/* End to end on a synthetic recording with the production layout: known gait periods per
 * condition (one copy falls, one has an extra short cycle, a tie is resolved to the shorter
 * period), activity that is an exact function of the cycle phase, the CLI entry
 * (glcli_analyze with --set keys), and rank invariance: the file analysed by all ranks
 * against a copy analysed by rank 0 alone (MPI_COMM_SELF). Runs on 1, 2 and 4 ranks. */
#include <hdf5.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/analysis.h"
#include "gaitlab/cli.h"
#include "analysis/ana_h5_test.h"

enum { C = 3, COPIES = 4, A = C * COPIES, W = 150, DH = 6 };
static const int period[C] = {10, 12, 15};
static const int t0 = 400;

/* activity of condition c at phase p (0..P-1): a closed loop with a speed-dependent offset */
static double act(int c, int p, int j) {
  double th = 2 * M_PI * p / period[c];
  double base = (j % 2 ? sin(th * (1 + j / 2)) : cos(th * (1 + j / 2)));
  return base * (1.0 + 0.3 * c) + 0.5 * c * (j == 4);
}

/* lift-offs of agent (c, k): every P samples from offset k + 1; agent (1, 2) falls at
 * window sample 100; agent (2, 1) also has one 14-sample cycle (not averaged). */
static void write_file(const char *path, double noise) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t gc = H5Gcreate2(f, "conditions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t ga = H5Gcreate2(f, "agents", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t gr = H5Gcreate2(f, "recording", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double u[C] = {0.4, 0.7, 1.0}, z[C] = {0, 0, 0};
  hsize_t dc = C, da = A, dw = W;
  tput(gc, "u", H5T_NATIVE_DOUBLE, 1, &dc, u);
  tput(gc, "v", H5T_NATIVE_DOUBLE, 1, &dc, z);
  tput(gc, "r", H5T_NATIVE_DOUBLE, 1, &dc, z);
  int cond[A], copy[A], fall[A], step[W];
  for (int a = 0; a < A; ++a) {
    cond[a] = a / COPIES;
    copy[a] = a % COPIES;
    fall[a] = (cond[a] == 1 && copy[a] == 2) ? t0 + 100 : -1;
  }
  for (int k = 0; k < W; ++k) step[k] = t0 + k;
  tput(ga, "condition", H5T_NATIVE_INT, 1, &da, cond);
  tput(ga, "copy", H5T_NATIVE_INT, 1, &da, copy);
  tput(ga, "fall_step", H5T_NATIVE_INT, 1, &da, fall);
  tput(gr, "step", H5T_NATIVE_INT, 1, &dw, step);
  tattr_double(gr, "step", "dt", 0.02);
  float *ff = calloc((size_t)A * W * 4, sizeof(float)), *h = calloc((size_t)A * W * DH, sizeof(float));
  for (int a = 0; a < A; ++a) {
    int c = cond[a], P = period[c];
    int lo[64], n = 0;
    for (int t = copy[a] + 1; t < W; t += P) {
      lo[n++] = t;
      if (c == 2 && copy[a] == 1 && n == 3) t -= P - 14 + 0; /* one cycle of 14 samples */
    }
    /* contact for the first half of each cycle before a lift-off */
    for (int i = 0; i < n; ++i) {
      int len = i + 1 < n ? lo[i + 1] - lo[i] : P;
      for (int t = lo[i] - len / 2; t < lo[i]; ++t)
        if (t >= 0) ff[((size_t)a * W + t) * 4 + 1] = 80.0f;
    }
    for (int t = 0; t < W; ++t) {
      ff[((size_t)a * W + t) * 4 + 0] = 60.0f; /* other feet: always loaded, ignored */
      int i = 0;
      while (i + 1 < n && lo[i + 1] <= t) ++i;
      int ph = t >= lo[0] ? (t - lo[i]) % P : (t - lo[0] + 10 * P) % P;
      for (int j = 0; j < DH; ++j) /* a deterministic per-sample wobble when noise > 0 */
        h[((size_t)a * W + t) * DH + j] =
            (float)(act(c, ph, j) + noise * sin(12.9898 * a + 78.233 * t + 37.719 * j));
      if (fall[a] >= 0 && step[t] >= fall[a]) {
        for (int j = 0; j < DH; ++j) h[((size_t)a * W + t) * DH + j] = NAN;
        for (int j = 0; j < 4; ++j) ff[((size_t)a * W + t) * 4 + j] = NAN;
      }
    }
  }
  hsize_t d3[3] = {A, W, 4}, d4[3] = {A, W, DH};
  tput(gr, "foot_force", H5T_NATIVE_FLOAT, 3, d3, ff);
  tput(gr, "lstm_h", H5T_NATIVE_FLOAT, 3, d4, h);
  free(ff);
  free(h);
  H5Gclose(gc);
  H5Gclose(ga);
  H5Gclose(gr);
  H5Fclose(f);
}

static double *rd(const char *path, const char *ds, size_t *n) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  hssize_t m = H5Sget_simple_extent_npoints(sp);
  double *v = malloc(sizeof(double) * (size_t)(m ? m : 1));
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  *n = (size_t)m;
  return v;
}

static double rdattr(const char *path, const char *obj, const char *name) {
  return tget_attr_double(path, obj, name);
}

static char pa[256], pb[256];
enum { NRAW = 3 };
static char praw[NRAW][256];

static void test_end_to_end(void **st) {
  (void)st;
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  glcli_args args;
  memset(&args, 0, sizeof args);
  args.positional[0] = pa;
  args.npositional = 1;
  args.sets[args.nsets++] = "analysis.populations=[lstm_h]";
  args.sets[args.nsets++] = "analysis.tangling.raw=true";
  args.sets[args.nsets++] = "analysis.tangling.tile=64";
  args.sets[args.nsets++] = "analysis.pca_components=5";
  args.quiet = 1;
  gl_err e = glcli_analyze(&args, MPI_COMM_WORLD);
  if (e) fprintf(stderr, "analyze: %s\n", gl_errmsg());
  assert_int_equal(e, GL_OK);
  if (rank == 0) { /* the same analysis by one rank alone */
    gla_config cfg;
    gla_config_defaults(&cfg);
    char *pops[] = {"lstm_h"};
    cfg.populations.v = pops;
    cfg.populations.n = 1;
    cfg.raw = 1;
    cfg.tile = 64;
    cfg.pca_components = 5;
    assert_int_equal(gla_analyze_file(pb, &cfg, MPI_COMM_SELF), GL_OK);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) return;
  size_t n, n2;
  double *mode = rd(pa, "/analysis/cycles/mode_period", &n);
  assert_int_equal(n, C);
  for (int c = 0; c < C; ++c) assert_true(mode[c] == period[c]);
  double *fq = rd(pa, "/analysis/cycles/gait_frequency_hz", &n);
  for (int c = 0; c < C; ++c) assert_true(fabs(fq[c] - 1.0 / (period[c] * 0.02)) < 1e-12);
  /* cycle counts: full cycles between lift-offs inside the valid window */
  double *nu = rd(pa, "/analysis/cycles/n_used", &n);
  int expect[C] = {0, 0, 0};
  for (int a = 0; a < A; ++a) {
    int c = a / COPIES, k = a % COPIES, nv = (c == 1 && k == 2) ? 100 : W, cnt = 0;
    for (int t = k + 1; t + period[c] < nv; t += period[c]) ++cnt;
    if (c == 2 && k == 1) cnt = 0; /* recomputed below */
    expect[c] += cnt;
  }
  { /* agent (2,1): lift-offs 2, 17, 32, 46, 61, ... -> one 14-cycle, rest 15 */
    int lo[64], m = 0;
    for (int t = 2; t < W; t += 15) {
      lo[m++] = t;
      if (m == 3) t -= 1;
    }
    for (int i = 0; i + 1 < m; ++i) expect[2] += lo[i + 1] - lo[i] == 15;
  }
  for (int c = 0; c < C; ++c) assert_true(nu[c] == expect[c]);
  /* averages: exact function of the phase */
  double *avg = rd(pa, "/analysis/lstm_h/average", &n);
  size_t row = 0;
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < period[c]; ++p, ++row)
      for (int j = 0; j < DH; ++j) assert_true(fabs(avg[row * DH + j] - (double)(float)act(c, p, j)) < 1e-12);
  assert_int_equal(n, row * DH);
  /* tangling from the file vs the direct formula on the stored normalised rows */
  double *z = rd(pa, "/analysis/lstm_h/normalized", &n);
  double *q = rd(pa, "/analysis/lstm_h/tangling/q", &n2);
  size_t R = row;
  assert_int_equal(n2, R);
  double *zd = malloc(sizeof(double) * R * DH), qd[64];
  int64_t ad[64];
  size_t seg[C + 1] = {0};
  for (int c = 0; c < C; ++c) seg[c + 1] = seg[c] + (size_t)period[c];
  gla_derivative(z, R, DH, seg, C, GLA_DERIV_PERIODIC_BACKWARD, 0.02, zd);
  double eps = 0, mean = 0;
  for (size_t i = 0; i < R * DH; ++i) mean += z[i];
  mean /= (double)(R * DH);
  for (size_t i = 0; i < R * DH; ++i) eps += (z[i] - mean) * (z[i] - mean);
  eps = 0.1 * eps / (double)(R * DH);
  assert_true(fabs(rdattr(pa, "/analysis/lstm_h/tangling", "epsilon") - eps) < 1e-13);
  gla_tangle_opts o = {eps, 0, 0, NULL};
  gla_tangling_direct(z, zd, R, DH, &o, qd, ad);
  for (size_t i = 0; i < R; ++i) assert_true(fabs(q[i] - qd[i]) < 1e-10 * qd[i]);
  /* rank invariance: world vs self */
  static const char *const bitwise[] = {
      "/analysis/cycles/histogram", "/analysis/cycles/agent", "/analysis/cycles/start",
      "/analysis/lstm_h/average", "/analysis/lstm_h/variance", "/analysis/lstm_h/normalized",
      "/analysis/lstm_h/tangling/q", "/analysis/lstm_h/tangling/argmax_row",
      "/analysis/lstm_h/tangling_raw/q", "/analysis/lstm_h/tangling_raw/argmax_row",
      "/analysis/lstm_h/subspace/overlap"};
  for (size_t i = 0; i < sizeof bitwise / sizeof *bitwise; ++i) {
    double *x1 = rd(pa, bitwise[i], &n), *x2 = rd(pb, bitwise[i], &n2);
    assert_int_equal(n, n2);
    assert_true(n > 0);
    for (size_t k = 0; k < n; ++k) assert_true(x1[k] == x2[k] || (isnan(x1[k]) && isnan(x2[k])));
    free(x1);
    free(x2);
  }
  static const char *const close[] = {"/analysis/lstm_h/pca/components",
                                      "/analysis/lstm_h/pca/explained_variance",
                                      "/analysis/lstm_h/speed_axis/axis_units",
                                      "/analysis/lstm_h/spline/pc1"};
  for (size_t i = 0; i < sizeof close / sizeof *close; ++i) {
    double *x1 = rd(pa, close[i], &n), *x2 = rd(pb, close[i], &n2);
    assert_int_equal(n, n2);
    double mx = 0;
    for (size_t k = 0; k < n; ++k) mx = fabs(x2[k]) > mx ? fabs(x2[k]) : mx;
    for (size_t k = 0; k < n; ++k) assert_true(fabs(x1[k] - x2[k]) <= 1e-12 * mx);
    free(x1);
    free(x2);
  }
  /* raw tangling covers every valid sample */
  double *qr = rd(pa, "/analysis/lstm_h/tangling_raw/q", &n);
  assert_int_equal(n, (size_t)(A - 1) * W + 100);
  for (size_t k = 0; k < n; ++k) assert_true(qr[k] >= 0 && isfinite(qr[k]));
  free(qr);
  free(mode); free(fq); free(nu); free(avg); free(z); free(q); free(zd);
}

static void test_bad_input(void **st) {
  (void)st;
  glcli_args args;
  memset(&args, 0, sizeof args);
  args.positional[0] = pa;
  args.npositional = 1;
  args.sets[args.nsets++] = "analysis.populations=[no_such_layer]";
  args.quiet = 1;
  assert_int_equal(glcli_analyze(&args, MPI_COMM_WORLD), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "no_such_layer"));
  args.sets[0] = "analysis.tangling.ddof=7";
  assert_int_equal(glcli_analyze(&args, MPI_COMM_WORLD), GL_ERR_INPUT);
  args.sets[0] = "analysis.no_such_key=1";
  assert_int_equal(glcli_analyze(&args, MPI_COMM_WORLD), GL_ERR_INPUT);
}

/* Raw tangling against the definition, computed here from the recording alone: the valid
 * samples of every agent, normalised with pooled statistics as analysis.normalize says,
 * backward derivative within each agent's trace, epsilon = 0.1 x variance of the flattened
 * rows, and t' over all samples or, with within_condition, over all samples of the agent's
 * condition (every agent of it, not only its own trace). within = 2 restricts t' to the
 * agent's own trace instead, to show that the two differ. */
static void raw_direct_(const char *path, const char *norm, double k, int within, double *q,
                        double *pcm, size_t *nrow) {
  size_t n;
  double *all = rd(path, "/recording/lstm_h", &n);
  int nv[A], cond[A];
  size_t N = 0;
  for (int a = 0; a < A; ++a) {
    cond[a] = a / COPIES;
    nv[a] = (cond[a] == 1 && a % COPIES == 2) ? 100 : W;
    N += (size_t)nv[a];
  }
  double *x = malloc(sizeof(double) * N * DH), *xd = malloc(sizeof(double) * N * DH);
  int *lab = malloc(sizeof(int) * N), *agent = malloc(sizeof(int) * N);
  size_t o = 0;
  for (int a = 0; a < A; ++a)
    for (int t = 0; t < nv[a]; ++t, ++o) {
      lab[o] = cond[a];
      agent[o] = a;
      for (int j = 0; j < DH; ++j) x[o * DH + j] = all[((size_t)a * W + t) * DH + j];
    }
  for (int j = 0; j < DH; ++j) {
    double m = 0, v = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < N; ++i) m += x[i * DH + j];
    m /= (double)N;
    for (size_t i = 0; i < N; ++i) {
      double e = x[i * DH + j];
      v += (e - m) * (e - m);
      lo = e < lo ? e : lo;
      hi = e > hi ? e : hi;
    }
    double den = !strcmp(norm, "range") ? hi - lo + k : !strcmp(norm, "zscore") ? sqrt(v / (double)N) : 1;
    double mm = !strcmp(norm, "none") ? 0 : m;
    for (size_t i = 0; i < N; ++i) x[i * DH + j] = (x[i * DH + j] - mm) / den;
  }
  o = 0;
  for (int a = 0; a < A; ++a, o += (size_t)nv[a - 1])
    for (int t = 0; t < nv[a]; ++t) {
      int tt = t ? t : 1;
      for (int j = 0; j < DH; ++j)
        xd[(o + (size_t)t) * DH + j] = (x[(o + (size_t)tt) * DH + j] - x[(o + (size_t)tt - 1) * DH + j]) / 0.02;
    }
  double mean = 0, eps = 0;
  for (size_t i = 0; i < N * DH; ++i) mean += x[i];
  mean /= (double)(N * DH);
  for (size_t i = 0; i < N * DH; ++i) eps += (x[i] - mean) * (x[i] - mean);
  eps = 0.1 * eps / (double)(N * DH);
  for (int c = 0; c < C; ++c) pcm[2 * c] = pcm[2 * c + 1] = 0;
  size_t cnt[C] = {0};
  for (size_t i = 0; i < N; ++i) {
    double best = 0;
    for (size_t u = 0; u < N; ++u) {
      if ((within == 1 && lab[u] != lab[i]) || (within == 2 && agent[u] != agent[i])) continue;
      double dd = 0, dx = 0;
      for (int j = 0; j < DH; ++j) {
        double a1 = xd[i * DH + j] - xd[u * DH + j], b1 = x[i * DH + j] - x[u * DH + j];
        dd += a1 * a1;
        dx += b1 * b1;
      }
      double v = dd / (dx + eps);
      best = v > best ? v : best;
    }
    q[i] = best;
    pcm[2 * lab[i]] += best;
    pcm[2 * lab[i] + 1] = best > pcm[2 * lab[i] + 1] ? best : pcm[2 * lab[i] + 1];
    cnt[lab[i]]++;
  }
  for (int c = 0; c < C; ++c) pcm[2 * c] /= (double)cnt[c];
  *nrow = N;
  free(all);
  free(x);
  free(xd);
  free(lab);
  free(agent);
}

static void test_raw_direct(void **st) {
  (void)st;
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  static const struct { const char *norm; double k; int within; } cases[NRAW] = {
      {"range", 0.5, 1}, {"zscore", 0, 0}, {"none", 0, 1}};
  for (int k = 0; k < NRAW; ++k) {
    char s1[64], s2[64], s3[64];
    snprintf(s1, sizeof s1, "analysis.normalize=%s", cases[k].norm);
    snprintf(s2, sizeof s2, "analysis.range_constant=%g", cases[k].k);
    snprintf(s3, sizeof s3, "analysis.tangling.within_condition=%s", cases[k].within ? "true" : "false");
    glcli_args args;
    memset(&args, 0, sizeof args);
    args.positional[0] = praw[k];
    args.npositional = 1;
    const char *sets[] = {"analysis.populations=[lstm_h]", "analysis.tangling.raw=true",
                          "analysis.tangling.tile=64", s1, s2, s3};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; ++i) args.sets[args.nsets++] = sets[i];
    args.quiet = 1;
    gl_err e = glcli_analyze(&args, MPI_COMM_WORLD);
    if (e) fprintf(stderr, "analyze: %s\n", gl_errmsg());
    assert_int_equal(e, GL_OK);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank != 0) continue;
    size_t n, N, np;
    double *q = rd(praw[k], "/analysis/lstm_h/tangling_raw/q", &n);
    double *pcm = rd(praw[k], "/analysis/lstm_h/tangling_raw/per_condition_mean_max", &np);
    double *qd = malloc(sizeof(double) * n), pd[2 * C];
    raw_direct_(praw[k], cases[k].norm, cases[k].k, cases[k].within, qd, pd, &N);
    assert_int_equal(n, N);
    assert_int_equal(np, 2 * C);
    double worst = 0;
    for (size_t i = 0; i < n; ++i) {
      double rel = fabs(q[i] - qd[i]) / qd[i];
      worst = rel > worst ? rel : worst;
    }
    if (worst > 1e-9) fprintf(stderr, "raw case %d: worst relative difference %g\n", k, worst);
    assert_true(worst <= 1e-9);
    for (int c = 0; c < 2 * C; ++c) assert_true(fabs(pcm[c] - pd[c]) <= 1e-9 * pd[c]);
    if (cases[k].within) { /* t' over the agent's own trace only gives other numbers */
      double *qa = malloc(sizeof(double) * n), pa2[2 * C];
      raw_direct_(praw[k], cases[k].norm, cases[k].k, 2, qa, pa2, &N);
      size_t differ = 0;
      for (size_t i = 0; i < n; ++i) differ += fabs(q[i] - qa[i]) > 1e-6 * qa[i];
      assert_true(differ > n / 10);
      free(qa);
    }
    free(q);
    free(pcm);
    free(qd);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  snprintf(pa, sizeof pa, "ana_e2e_np%d_a.h5", size);
  snprintf(pb, sizeof pb, "ana_e2e_np%d_b.h5", size);
  for (int k = 0; k < NRAW; ++k) snprintf(praw[k], sizeof praw[k], "ana_e2e_np%d_raw%d.h5", size, k);
  if (rank == 0) {
    write_file(pa, 0);
    write_file(pb, 0);
    for (int k = 0; k < NRAW; ++k) write_file(praw[k], 0.05);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_end_to_end),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_raw_direct),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    unlink(pa);
    unlink(pb);
    for (int k = 0; k < NRAW; ++k) unlink(praw[k]);
  }
  MPI_Finalize();
  return rc;
}
