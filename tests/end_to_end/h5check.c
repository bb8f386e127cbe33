/* Independent checks of recording files through the plain HDF5 API (not gaitlab's reader):
 *   h5check compare A.h5 B.h5          every dataset bitwise equal (NaN payloads included)
 *   h5check layout FILE.h5 NAGENTS NWIN NCOND   names, shapes, types and attributes of the contract
 *   h5check cycles FILE.h5             per-agent RF cycles counted by the run driver equal those the
 *                                      analysis found (/analysis/cycles/agent)
 *   h5check validity FILE.h5           samples finite before each agent's fall_step, NaN from it;
 *                                      prints "agents N fell F: i j ..."
 *   h5check acceptance [--max-fall-pct P] FILE.h5...
 *                                      the [train] acceptance criteria of a policy, from per-agent
 *                                      data (/agents, /conditions; not the driver's summary): in
 *                                      every condition the mean measured speed of each commanded
 *                                      component within 10 % (pure forward) or 20 % (lateral,
 *                                      yaw), >= 5 RF cycles per standing agent in pure forward
 *                                      conditions, and fewer than P % (default 1) of all agents of
 *                                      all files fell
 * Exit status 0 = pass; failures are printed. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define FAIL(...) do { fprintf(stderr, "h5check: " __VA_ARGS__); fputc('\n', stderr); ++failures; } while (0)

typedef struct { hid_t other; int count; } cmp_ctx;

static herr_t cmp_cb(hid_t obj, const char *name, const H5O_info_t *info, void *op) {
  cmp_ctx *c = op;
  if (info->type != H5O_TYPE_DATASET) return 0;
  c->count++;
  if (H5Lexists(c->other, name, H5P_DEFAULT) <= 0) { FAIL("/%s missing in second file", name); return 0; }
  hid_t a = H5Dopen2(obj, name, H5P_DEFAULT), b = H5Dopen2(c->other, name, H5P_DEFAULT);
  hid_t ta = H5Dget_type(a), tb = H5Dget_type(b);
  hsize_t na = H5Dget_storage_size(a);
  hid_t sa = H5Dget_space(a), sb = H5Dget_space(b);
  hssize_t ea = H5Sget_simple_extent_npoints(sa), eb = H5Sget_simple_extent_npoints(sb);
  size_t sz = H5Tget_size(ta);
  if (H5Tequal(ta, tb) <= 0 || ea != eb) {
    FAIL("/%s: type or shape differs", name);
  } else if (ea > 0) {
    char *ba = malloc((size_t)ea * sz), *bb = malloc((size_t)ea * sz);
    hid_t mt = H5Tget_native_type(ta, H5T_DIR_DEFAULT);
    if (H5Dread(a, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ba) < 0 || H5Dread(b, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, bb) < 0)
      FAIL("/%s: read failed", name);
    else if (memcmp(ba, bb, (size_t)ea * sz) != 0) {
      size_t k = 0;
      while (k < (size_t)ea * sz && ba[k] == bb[k]) ++k;
      FAIL("/%s: data differs (first differing byte %zu of %zu)", name, k, (size_t)ea * sz);
    }
    H5Tclose(mt);
    free(ba);
    free(bb);
  }
  (void)na;
  H5Sclose(sa); H5Sclose(sb); H5Tclose(ta); H5Tclose(tb); H5Dclose(a); H5Dclose(b);
  return 0;
}

static int compare(const char *pa, const char *pb) {
  hid_t fa = H5Fopen(pa, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(pb, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (fa < 0 || fb < 0) { FAIL("cannot open %s or %s", pa, pb); return 1; }
  cmp_ctx c = {fb, 0};
  H5Ovisit2(fa, H5_INDEX_NAME, H5_ITER_INC, cmp_cb, &c, H5O_INFO_BASIC);
  cmp_ctx r = {fa, 0};
  /* Reverse direction catches datasets only the second file has (data compared twice:
   * cheap at test sizes). */
  H5Ovisit2(fb, H5_INDEX_NAME, H5_ITER_INC, cmp_cb, &r, H5O_INFO_BASIC);
  if (c.count < 20) FAIL("only %d datasets compared", c.count);
  printf("compared %d datasets: %s\n", c.count, failures ? "DIFFERENT" : "bitwise identical");
  H5Fclose(fa);
  H5Fclose(fb);
  return failures != 0;
}

static void expect_dset(hid_t f, const char *path, H5T_class_t cls, size_t size, int rank, const hsize_t *dims) {
  if (H5Lexists(f, path, H5P_DEFAULT) <= 0) { FAIL("%s missing", path); return; }
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT), t = H5Dget_type(d), s = H5Dget_space(d);
  hsize_t got[8];
  int r = H5Sget_simple_extent_dims(s, got, NULL);
  if (H5Tget_class(t) != cls || H5Tget_size(t) != size) FAIL("%s: wrong type", path);
  if (r != rank) FAIL("%s: rank %d, expected %d", path, r, rank);
  else for (int i = 0; i < rank; ++i)
    if (got[i] != dims[i]) FAIL("%s: dim %d is %llu, expected %llu", path, i, (unsigned long long)got[i], (unsigned long long)dims[i]);
  H5Sclose(s); H5Tclose(t); H5Dclose(d);
}

static void expect_attr(hid_t obj, const char *objname, const char *name) {
  if (H5Aexists(obj, name) <= 0) FAIL("%s: attribute '%s' missing", objname, name);
}

static int layout(const char *path, hsize_t na, hsize_t nw, hsize_t nc) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) { FAIL("cannot open %s", path); return 1; }
  const char *root_attrs[] = {"config_yaml", "git_hash", "seed", "nranks", "library_versions", "status", "units"};
  for (size_t i = 0; i < sizeof root_attrs / sizeof *root_attrs; ++i) expect_attr(f, "/", root_attrs[i]);
  const char *cn[] = {"/conditions/u", "/conditions/v", "/conditions/r", "/conditions/u_obs", "/conditions/v_obs", "/conditions/r_obs"};
  for (int i = 0; i < 6; ++i) expect_dset(f, cn[i], H5T_FLOAT, 8, 1, &nc);
  const struct { const char *n; H5T_class_t c; size_t s; } ag[] = {
      {"/agents/condition", H5T_INTEGER, 4}, {"/agents/copy", H5T_INTEGER, 4}, {"/agents/fell", H5T_INTEGER, 1},
      {"/agents/fall_step", H5T_INTEGER, 4}, {"/agents/complete", H5T_INTEGER, 1}, {"/agents/friction", H5T_FLOAT, 4}, {"/agents/rf_cycles", H5T_INTEGER, 4}};
  for (size_t i = 0; i < sizeof ag / sizeof *ag; ++i) expect_dset(f, ag[i].n, ag[i].c, ag[i].s, 1, &na);
  const struct { const char *n; hsize_t d; } rec[] = {
      {"obs", 176}, {"mlp", 256}, {"lstm_h", 128}, {"lstm_c", 128}, {"gate_fc", 128}, {"gate_ig", 128},
      {"mu", 12}, {"torque", 12}, {"foot_force", 4}, {"base_lin_vel", 3}, {"base_ang_vel", 3}, {"command", 3}};
  for (size_t i = 0; i < sizeof rec / sizeof *rec; ++i) {
    char p[64];
    snprintf(p, sizeof p, "/recording/%s", rec[i].n);
    hsize_t dims[3] = {na, nw, rec[i].d};
    expect_dset(f, p, H5T_FLOAT, 4, 3, dims);
    if (H5Lexists(f, p, H5P_DEFAULT) > 0) {
      hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
      expect_attr(d, p, "units");
      expect_attr(d, p, "dims");
      hid_t pl = H5Dget_create_plist(d);
      hsize_t ch[3] = {0, 0, 0};
      if (H5Pget_layout(pl) != H5D_CHUNKED || H5Pget_chunk(pl, 3, ch) != 3 || ch[0] != 1 || ch[1] != nw)
        FAIL("%s: not chunked one agent per chunk", p);
      H5Pclose(pl);
      H5Dclose(d);
    }
  }
  expect_dset(f, "/recording/step", H5T_INTEGER, 4, 1, &nw);
  hsize_t tdims[2] = {nc, 10};
  expect_dset(f, "/summary/tracking", H5T_FLOAT, 8, 2, tdims);
  /* status must say complete */
  hid_t a = H5Aopen(f, "status", H5P_DEFAULT);
  if (a >= 0) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL;
    if (H5Aread(a, t, &v) < 0 || !v || strcmp(v, "complete") != 0) FAIL("status is not 'complete'");
    if (v) H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Fclose(f);
  printf("layout of %s: %s\n", path, failures ? "WRONG" : "ok");
  return failures != 0;
}

static herr_t validity_cb(hid_t g, const char *name, const H5L_info_t *li, void *op) {
  (void)li;
  int *ctx = op; /* [0] = nagents, [1] = nwin, then fall_step[nagents], step[nwin] */
  int na = ctx[0], nw = ctx[1];
  const int *fall = ctx + 2, *step = ctx + 2 + na;
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT), sp = H5Dget_space(d);
  hsize_t dims[3];
  if (H5Sget_simple_extent_ndims(sp) != 3) { H5Sclose(sp); H5Dclose(d); return 0; }
  H5Sget_simple_extent_dims(sp, dims, NULL);
  float *x = malloc(sizeof(float) * dims[0] * dims[1] * dims[2]);
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  for (int a = 0; a < na; ++a)
    for (int t = 0; t < nw; ++t)
      for (hsize_t k = 0; k < dims[2]; ++k) {
        float v = x[((size_t)a * dims[1] + t) * dims[2] + k];
        int invalid = fall[a] >= 0 && step[t] >= fall[a];
        if (invalid != (v != v) || (!invalid && (v - v) != 0.0f)) {
          FAIL("/recording/%s agent %d step %d: %s sample is %g", name, a, step[t], invalid ? "invalid" : "valid", (double)v);
          free(x); H5Sclose(sp); H5Dclose(d); return 1;
        }
      }
  free(x); H5Sclose(sp); H5Dclose(d);
  return 0;
}

static int validity(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) { FAIL("cannot open %s", path); return 1; }
  hid_t d = H5Dopen2(f, "/agents/fall_step", H5P_DEFAULT), sp = H5Dget_space(d);
  hsize_t na;
  H5Sget_simple_extent_dims(sp, &na, NULL);
  H5Sclose(sp);
  hid_t ds = H5Dopen2(f, "/recording/step", H5P_DEFAULT), sps = H5Dget_space(ds);
  hsize_t nw;
  H5Sget_simple_extent_dims(sps, &nw, NULL);
  H5Sclose(sps);
  int *ctx = malloc(sizeof(int) * (2 + na + nw));
  ctx[0] = (int)na; ctx[1] = (int)nw;
  H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ctx + 2);
  H5Dread(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ctx + 2 + na);
  H5Dclose(d); H5Dclose(ds);
  hid_t g = H5Gopen2(f, "/recording", H5P_DEFAULT);
  H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, validity_cb, ctx);
  H5Gclose(g);
  int nf = 0;
  for (hsize_t a = 0; a < na; ++a) nf += ctx[2 + a] >= 0;
  printf("agents %llu fell %d:", (unsigned long long)na, nf);
  for (hsize_t a = 0; a < na; ++a) if (ctx[2 + a] >= 0) printf(" %llu@%d", (unsigned long long)a, ctx[2 + a]);
  printf("\n");
  free(ctx);
  H5Fclose(f);
  return failures != 0;
}

static int read_ints(hid_t f, const char *path, int **out, hsize_t *n) {
  if (H5Lexists(f, "/analysis", H5P_DEFAULT) <= 0 && strncmp(path, "/analysis", 9) == 0) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  H5Sget_simple_extent_dims(sp, n, NULL);
  *out = malloc(sizeof(int) * (*n ? *n : 1));
  herr_t st = H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out);
  H5Sclose(sp);
  H5Dclose(d);
  return st < 0 ? -1 : 0;
}

static int cycles(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) { FAIL("cannot open %s", path); return 1; }
  int *rf = NULL, *ag = NULL;
  hsize_t na = 0, nc = 0;
  if (read_ints(f, "/agents/rf_cycles", &rf, &na) < 0 || read_ints(f, "/analysis/cycles/agent", &ag, &nc) < 0) {
    FAIL("%s lacks /agents/rf_cycles or /analysis/cycles/agent", path);
  } else {
    long total = 0;
    for (hsize_t a = 0; a < na; ++a) {
      int count = 0;
      for (hsize_t k = 0; k < nc; ++k) count += ag[k] == (int)a;
      if (count != rf[a]) FAIL("agent %llu: run driver counted %d RF cycles, analysis %d", (unsigned long long)a, rf[a], count);
      total += rf[a];
    }
    printf("cycles: %ld in %llu agents, driver and analysis agree: %s\n", total, (unsigned long long)na, failures ? "NO" : "yes");
    if (total == 0) FAIL("no gait cycles at all: the policy does not step");
  }
  free(rf);
  free(ag);
  H5Fclose(f);
  return failures != 0;
}

static int read_doubles(hid_t f, const char *path, double **out, hsize_t *n) {
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t sp = H5Dget_space(d);
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  *n = (hsize_t)np;
  *out = malloc(sizeof(double) * (np ? (size_t)np : 1));
  herr_t st = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out);
  H5Sclose(sp);
  H5Dclose(d);
  return st < 0 ? -1 : 0;
}

static long acc_agents = 0, acc_fell = 0;

static void acceptance_file(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) { FAIL("cannot open %s", path); return; }
  double *cu = NULL, *cv = NULL, *cr = NULL, *mv = NULL;
  int *cond = NULL, *fell = NULL, *rf = NULL;
  hsize_t nc = 0, n1 = 0, n2 = 0, na = 0, n3 = 0, n4 = 0, nm = 0;
  if (read_doubles(f, "/conditions/u", &cu, &nc) < 0 || read_doubles(f, "/conditions/v", &cv, &n1) < 0 ||
      read_doubles(f, "/conditions/r", &cr, &n2) < 0 || read_ints(f, "/agents/condition", &cond, &na) < 0 ||
      read_ints(f, "/agents/fell", &fell, &n3) < 0 || read_ints(f, "/agents/rf_cycles", &rf, &n4) < 0 ||
      read_doubles(f, "/agents/mean_velocity", &mv, &nm) < 0 || n1 != nc || n2 != nc || n3 != na ||
      n4 != na || nm != 3 * na) {
    FAIL("%s: missing or inconsistent /conditions or /agents datasets", path);
    goto done;
  }
  for (hsize_t c = 0; c < nc; ++c) {
    const double cmd[3] = {cu[c], cv[c], cr[c]};
    const int forward = cv[c] == 0 && cr[c] == 0;
    double sum[3] = {0, 0, 0};
    int standing = 0, min_cycles = 1 << 30;
    for (hsize_t a = 0; a < na; ++a) {
      if ((hsize_t)cond[a] != c) continue;
      ++acc_agents;
      if (fell[a]) { ++acc_fell; continue; }
      ++standing;
      for (int k = 0; k < 3; ++k) sum[k] += mv[3 * a + (hsize_t)k];
      if (rf[a] < min_cycles) min_cycles = rf[a];
    }
    if (standing == 0) { FAIL("%s: condition %llu: every agent fell", path, (unsigned long long)c); continue; }
    printf("%s cond %llu: cmd (%.2f, %.2f, %.2f) meas (%.3f, %.3f, %.3f) standing %d min RF cycles %d\n",
           path, (unsigned long long)c, cmd[0], cmd[1], cmd[2], sum[0] / standing, sum[1] / standing,
           sum[2] / standing, standing, min_cycles);
    for (int k = 0; k < 3; ++k) {
      if (cmd[k] == 0) continue;
      double rel = fabs(sum[k] / standing / cmd[k] - 1.0), tol = forward ? 0.10 : 0.20;
      if (!(rel <= tol))
        FAIL("%s: condition %llu: component %d measured %.3f vs command %.3f (%.1f %% > %.0f %%)", path,
             (unsigned long long)c, k, sum[k] / standing, cmd[k], 100 * rel, 100 * tol);
    }
    if (forward && min_cycles < 5)
      FAIL("%s: condition %llu: an agent made only %d RF cycles in the window (need >= 5)", path,
           (unsigned long long)c, min_cycles);
  }
done:
  free(cu); free(cv); free(cr); free(mv); free(cond); free(fell); free(rf);
  H5Fclose(f);
}

static int acceptance(int nfiles, char **files) {
  double max_pct = 1.0;
  if (nfiles >= 2 && strcmp(files[0], "--max-fall-pct") == 0) {
    max_pct = atof(files[1]);
    files += 2;
    nfiles -= 2;
  }
  for (int i = 0; i < nfiles; ++i) acceptance_file(files[i]);
  printf("acceptance: %ld agents, %ld fell (%.2f %%)\n", acc_agents, acc_fell,
         acc_agents ? 100.0 * (double)acc_fell / (double)acc_agents : 0.0);
  if (acc_agents == 0) FAIL("no agents");
  else if (!(100.0 * (double)acc_fell < max_pct * (double)acc_agents))
    FAIL("%ld of %ld agents fell: not fewer than %g %%", acc_fell, acc_agents, max_pct);
  return failures != 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "acceptance") == 0) return acceptance(argc - 2, argv + 2);
  if (argc == 3 && strcmp(argv[1], "cycles") == 0) return cycles(argv[2]);
  if (argc == 3 && strcmp(argv[1], "validity") == 0) return validity(argv[2]);
  if (argc == 4 && strcmp(argv[1], "compare") == 0) return compare(argv[2], argv[3]);
  if (argc == 6 && strcmp(argv[1], "layout") == 0)
    return layout(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10));
  fprintf(stderr, "usage: h5check compare A B | h5check layout FILE NAGENTS NWIN NCOND\n");
  return 2;
}
