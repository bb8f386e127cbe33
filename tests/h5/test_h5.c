/* The HDF5 layer (src/h5): shape-checked reads fail with one exact line before touching the
 * caller's buffer, create-then-rename leaves the old file intact on every failure, paths of
 * any length (files where the OS allows them, objects inside a file far beyond the old
 * 128-byte walker), attributes of every kind, and the collective open/put/row reads. */
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
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

#include "gaitlab/h5.h"

static int rank_ = 0;
static char shape_[64], keep_[64], dirf_[64], mpi_[64];

/* A crafted file: /g/x float32 [3][4] (= 10 * row + col), /g/s a string dataset, /n int32 [5],
 * attributes of several kinds on the root and on /g. */
static void craft_(const char *path) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  float x[3][4];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) x[i][j] = (float)(10 * i + j);
  hsize_t d2[2] = {3, 4}, d1 = 5;
  hid_t sp = H5Screate_simple(2, d2, NULL);
  hid_t d = H5Dcreate2(g, "x", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  int n[5] = {1, 2, 3, 4, 5};
  sp = H5Screate_simple(1, &d1, NULL);
  d = H5Dcreate2(f, "n", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, n) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  assert_int_equal(glh5_write_string(g, "s", "hello"), GL_OK);
  /* an ASCII variable-length string attribute, as other tools write them */
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "ascii", t, sp, H5P_DEFAULT, H5P_DEFAULT);
  const char *v = "plain ascii";
  assert_true(H5Awrite(a, t, &v) >= 0);
  H5Aclose(a);
  H5Tclose(t);
  /* a fixed-length string attribute */
  t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, 6);
  a = H5Acreate2(f, "fixed", t, sp, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Awrite(a, t, "abcdef") >= 0);
  H5Aclose(a);
  H5Tclose(t);
  /* a 32-bit integer and a float attribute */
  int i32 = 42;
  a = H5Acreate2(g, "i32", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5Awrite(a, H5T_NATIVE_INT, &i32) >= 0);
  H5Aclose(a);
  H5Sclose(sp);
  assert_int_equal(glh5_attr_double(g, "dt", 0.02), GL_OK);
  int three[3] = {512, 256, 128};
  assert_int_equal(glh5_attr_array(f, "sizes", H5T_STD_I32LE, H5T_NATIVE_INT, 3, three), GL_OK);
  H5Gclose(g);
  H5Fclose(f);
}

static void expect_msg_(gl_err got, gl_err want, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (got != want || strcmp(gl_errmsg(), msg) != 0)
    fprintf(stderr, "got %d '%s'\nwant %d '%s'\n", got, gl_errmsg(), want, msg);
  assert_int_equal(got, want);
  assert_string_equal(gl_errmsg(), msg);
}

static void test_shape_checks(void **state) {
  (void)state;
  craft_(shape_);
  hid_t f;
  assert_int_equal(glh5_open(&f, shape_, GLH5_READ), GL_OK);
  float buf[16];
  for (int i = 0; i < 16; ++i) buf[i] = -1.0f;
  /* the right shape reads */
  const hsize_t ok[2] = {3, 4};
  assert_int_equal(glh5_read(f, "/g/x", H5T_NATIVE_FLOAT, 2, ok, buf, H5P_DEFAULT), GL_OK);
  assert_true(buf[0] == 0.0f && buf[5] == 11.0f && buf[11] == 23.0f && buf[12] == -1.0f);
  /* another extent, another rank, a scalar: one line each, buffer untouched */
  for (int i = 0; i < 16; ++i) buf[i] = -1.0f;
  const hsize_t w35[2] = {3, 5}, w12 = 12;
  expect_msg_(glh5_read(f, "/g/x", H5T_NATIVE_FLOAT, 2, w35, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 dataset '/g/x' has shape [3][4], expected [3][5]", shape_);
  expect_msg_(glh5_read(f, "/g/x", H5T_NATIVE_FLOAT, 1, &w12, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 dataset '/g/x' has shape [3][4], expected [12]", shape_);
  expect_msg_(glh5_read(f, "g/x", H5T_NATIVE_FLOAT, 0, NULL, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 dataset 'g/x' has shape [3][4], expected scalar", shape_);
  for (int i = 0; i < 16; ++i) assert_true(buf[i] == -1.0f);
  /* relative to a group, the message names the whole path */
  hid_t g;
  assert_int_equal(glh5_group_open(f, "/g", &g), GL_OK);
  expect_msg_(glh5_read(g, "x", H5T_NATIVE_FLOAT, 2, w35, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 dataset '/g/x' has shape [3][4], expected [3][5]", shape_);
  /* any extent where the caller says so */
  float *all = NULL;
  hsize_t dims[2] = {0, 0};
  const hsize_t any4[2] = {GLH5_ANY, 4}, any5[2] = {GLH5_ANY, 5};
  assert_int_equal(glh5_read_alloc(g, "x", H5T_NATIVE_FLOAT, 2, any4, dims, &all), GL_OK);
  assert_true(dims[0] == 3 && dims[1] == 4 && all[7] == 13.0f);
  free(all);
  expect_msg_(glh5_read_alloc(g, "x", H5T_NATIVE_FLOAT, 2, any5, dims, &all), GL_ERR_INPUT,
              "'%s': HDF5 dataset '/g/x' has shape [3][4], expected [*][5]", shape_);
  assert_null(all);
  /* rows of a dataset */
  assert_int_equal(glh5_read_rows(f, "/g/x", H5T_NATIVE_FLOAT, 2, any4, 1, 2, buf, H5P_DEFAULT, dims), GL_OK);
  assert_true(buf[0] == 10.0f && buf[7] == 23.0f);
  /* missing objects, strings where numbers are expected, integers converted */
  expect_msg_(glh5_read(f, "/g/y", H5T_NATIVE_FLOAT, 2, ok, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 object '/g/y' is missing", shape_);
  expect_msg_(glh5_read(f, "/nope/x", H5T_NATIVE_FLOAT, 2, ok, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 object '/nope/x' is missing", shape_);
  expect_msg_(glh5_read(g, "s", H5T_NATIVE_DOUBLE, 0, NULL, buf, H5P_DEFAULT), GL_ERR_INPUT,
              "'%s': HDF5 dataset '/g/s' is not numeric", shape_);
  char *s = NULL;
  assert_int_equal(glh5_read_string(g, "s", &s), GL_OK);
  assert_string_equal(s, "hello");
  free(s);
  double *nd = NULL;
  int rank = -1;
  hsize_t dd[GLH5_MAXRANK];
  assert_int_equal(glh5_read_any(f, "n", H5T_NATIVE_DOUBLE, &rank, dd, &nd), GL_OK);
  assert_true(rank == 1 && dd[0] == 5 && nd[4] == 5.0);
  free(nd);
  /* attributes: strings in the character set and kind the file stores, numbers converted */
  assert_int_equal(glh5_attr_read_string(f, "ascii", &s), GL_OK);
  assert_string_equal(s, "plain ascii");
  free(s);
  assert_int_equal(glh5_attr_read_string(f, "fixed", &s), GL_OK);
  assert_string_equal(s, "abcdef");
  free(s);
  long long i = 0;
  double x = 0;
  assert_int_equal(glh5_attr_read_int(g, "i32", &i), GL_OK);
  assert_int_equal(i, 42);
  assert_int_equal(glh5_attr_read_double(g, "i32", &x), GL_OK);
  assert_true(x == 42.0);
  assert_int_equal(glh5_attr_read_double(g, "dt", &x), GL_OK);
  assert_true(x == 0.02);
  expect_msg_(glh5_attr_read_int(f, "sizes", &i), GL_ERR_INPUT,
              "'%s': HDF5 attribute 'sizes' of / is not a single number", shape_);
  expect_msg_(glh5_attr_read_string(g, "nope", &s), GL_ERR_INPUT,
              "'%s': HDF5 attribute 'nope' of /g is missing", shape_);
  expect_msg_(glh5_attr_read_string(g, "dt", &s), GL_ERR_INPUT,
              "'%s': HDF5 attribute 'dt' of /g is not a string", shape_);
  char **names = NULL;
  int n = 0;
  assert_int_equal(glh5_attr_names(f, &names, &n), GL_OK);
  assert_int_equal(n, 3);
  assert_string_equal(names[0], "ascii");
  assert_string_equal(names[2], "sizes");
  glh5_free_names(names, n);
  glh5_object *objs = NULL;
  assert_int_equal(glh5_list_objects(f, &objs, &n), GL_OK);
  assert_int_equal(n, 4); /* g, g/s, g/x, n */
  assert_true(objs[0].is_group && strcmp(objs[0].name, "g") == 0);
  assert_true(!objs[2].is_group && objs[2].rank == 2 && objs[2].dims[1] == 4 &&
              objs[2].cls == H5T_FLOAT && objs[2].type_size == 4);
  glh5_free_objects(objs, n);
  assert_int_equal(glh5_list_groups(f, &names, &n), GL_OK);
  assert_int_equal(n, 1);
  assert_string_equal(names[0], "g");
  glh5_free_names(names, n);
  assert_int_equal(glh5_close(&g), GL_OK);
  assert_int_equal(glh5_close(&f), GL_OK);
  assert_int_equal(f, -1);
  /* opening what is not there or not HDF5 */
  expect_msg_(glh5_open(&f, "no_such_file.h5", GLH5_READ), GL_ERR_INPUT,
              "'no_such_file.h5': No such file or directory");
  FILE *fp = fopen(dirf_, "w");
  fputs("not hdf5\n", fp);
  fclose(fp);
  expect_msg_(glh5_open(&f, dirf_, GLH5_READ), GL_ERR_INPUT, "'%s' is not an HDF5 file", dirf_);
  remove(dirf_);
  remove(shape_);
}

typedef struct fill_ctx {
  double value;
  int fail;
} fill_ctx;

static gl_err fill_(hid_t f, void *p) {
  const fill_ctx *c = p;
  GL_CALL(glh5_write(f, "v", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &c->value));
  if (c->fail) return gl_error(GL_ERR_NUMERIC, "fill failed on purpose");
  return GL_OK;
}

static double read_v_(const char *path) {
  hid_t f;
  double v = NAN;
  assert_int_equal(glh5_open(&f, path, GLH5_READ), GL_OK);
  assert_int_equal(glh5_read(f, "v", H5T_NATIVE_DOUBLE, 0, NULL, &v, H5P_DEFAULT), GL_OK);
  assert_int_equal(glh5_close(&f), GL_OK);
  return v;
}

static int exists_(const char *p) { return access(p, F_OK) == 0; }

static void test_write_replace(void **state) {
  (void)state;
  char tmp[80];
  snprintf(tmp, sizeof tmp, "%s.tmp", keep_);
  fill_ctx c = {1.0, 0};
  assert_int_equal(glh5_write_replace(keep_, fill_, &c), GL_OK);
  assert_true(read_v_(keep_) == 1.0);
  assert_false(exists_(tmp));
  /* a failing fill: the error comes back, the old file stays, no tmp is left */
  c.value = 2.0;
  c.fail = 1;
  expect_msg_(glh5_write_replace(keep_, fill_, &c), GL_ERR_NUMERIC, "fill failed on purpose");
  assert_true(read_v_(keep_) == 1.0);
  assert_false(exists_(tmp));
  /* success replaces it */
  c.fail = 0;
  assert_int_equal(glh5_write_replace(keep_, fill_, &c), GL_OK);
  assert_true(read_v_(keep_) == 2.0);
  /* a rename that cannot happen (the target is a non-empty directory): target untouched */
  char inner[128];
  assert_int_equal(mkdir(dirf_, 0755), 0);
  snprintf(inner, sizeof inner, "%s/inside", dirf_);
  FILE *fp = fopen(inner, "w");
  fputs("x", fp);
  fclose(fp);
  char dtmp[80];
  snprintf(dtmp, sizeof dtmp, "%s.tmp", dirf_);
  gl_err e = glh5_write_replace(dirf_, fill_, &c);
  assert_int_equal(e, GL_ERR_IO);
  assert_non_null(strstr(gl_errmsg(), "cannot rename"));
  assert_true(exists_(inner));
  assert_false(exists_(dtmp));
  remove(inner);
  rmdir(dirf_);
  /* a directory that does not exist: nothing is created */
  e = glh5_write_replace("no/such/dir/p.h5", fill_, &c);
  assert_int_equal(e, GL_ERR_IO);
  assert_string_equal(gl_errmsg(), "cannot create HDF5 file 'no/such/dir/p.h5.tmp'");
  assert_false(exists_("no/such/dir/p.h5.tmp"));
  /* glh5_commit names both paths when the source is missing */
  e = glh5_commit("no_such_source.tmp", keep_);
  assert_int_equal(e, GL_ERR_IO);
  assert_non_null(strstr(gl_errmsg(), "no_such_source.tmp"));
  assert_true(read_v_(keep_) == 2.0);
  remove(keep_);
}

/* A directory chain of 200-byte names under base, as long as `total` allows; returns the
 * path (malloc'd) or NULL when the OS refuses a level. */
static char *deep_dir_(const char *base, size_t total) {
  char comp[201];
  memset(comp, 'd', 200);
  comp[200] = '\0';
  size_t cap = total + 256;
  char *p = malloc(cap);
  snprintf(p, cap, "%s", base);
  if (mkdir(p, 0755) != 0 && errno != EEXIST) {
    free(p);
    return NULL;
  }
  while (strlen(p) + 201 <= total) {
    strcat(p, "/");
    strcat(p, comp);
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      free(p);
      return NULL;
    }
  }
  return p;
}

static void rm_deep_(const char *base, const char *deep) {
  char *p = strdup(deep);
  for (;;) {
    rmdir(p);
    if (strcmp(p, base) == 0) break;
    char *s = strrchr(p, '/');
    if (!s) break;
    *s = '\0';
  }
  free(p);
}

static void test_long_paths(void **state) {
  (void)state;
  char base[64];
  snprintf(base, sizeof base, "h5_long_%d_%d", (int)getpid(), rank_);
  /* a file path of nearly PATH_MAX bytes (the old fixed buffers held 128 to 4200) */
  char *dir = deep_dir_(base, PATH_MAX - 64);
  if (!dir) {
    fprintf(stderr, "long file paths: the OS refuses the directory chain; skipped\n");
  } else {
    size_t n = strlen(dir);
    char *file = malloc(n + 32);
    snprintf(file, n + 32, "%s/f.h5", dir);
    assert_true(strlen(file) > 3800); /* 19 levels of 200 bytes */
    fill_ctx c = {3.0, 0};
    assert_int_equal(glh5_write_replace(file, fill_, &c), GL_OK);
    assert_true(read_v_(file) == 3.0);
    remove(file);
    /* past PATH_MAX: the OS says no, cleanly, and nothing is left behind */
    char *longer = malloc(n + 1200);
    snprintf(longer, n + 1200, "%s/", dir);
    memset(longer + n + 1, 'x', 1100);
    longer[n + 1101] = '\0';
    strcat(longer, ".h5");
    assert_true(strlen(longer) > 4096);
    gl_err e = glh5_write_replace(longer, fill_, &c);
    assert_int_equal(e, GL_ERR_IO);
    assert_non_null(strstr(gl_errmsg(), "cannot create HDF5 file"));
    free(longer);
    free(file);
    rm_deep_(base, dir);
    free(dir);
  }
  /* object paths far beyond the old walker's 128 bytes (and past 4096) inside a file */
  char name[64];
  snprintf(name, sizeof name, "h5_walk_%d.h5", rank_);
  hid_t f;
  assert_int_equal(glh5_open(&f, name, GLH5_CREATE), GL_OK);
  size_t cap = 6000;
  char *path = calloc(cap, 1), *comp = malloc(1001);
  memset(comp, 'g', 1000);
  comp[1000] = '\0';
  for (int level = 0; level < 5; ++level) {
    comp[0] = (char)('a' + level);
    strcat(path, "/");
    strcat(path, comp);
    hid_t g;
    assert_int_equal(glh5_group_create(f, path, &g), GL_OK);
    assert_int_equal(glh5_close(&g), GL_OK);
  }
  strcat(path, "/data");
  assert_true(strlen(path) > 4096);
  const double v = 7.5;
  assert_int_equal(glh5_write(f, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &v), GL_OK);
  int e = 0;
  assert_int_equal(glh5_exists(f, path, &e), GL_OK);
  assert_int_equal(e, 1);
  double back = 0;
  assert_int_equal(glh5_read(f, path, H5T_NATIVE_DOUBLE, 0, NULL, &back, H5P_DEFAULT), GL_OK);
  assert_true(back == 7.5);
  /* a missing last component, and a missing intermediate one, past the 128th byte */
  path[strlen(path) - 1] = 'X';
  assert_int_equal(glh5_exists(f, path, &e), GL_OK);
  assert_int_equal(e, 0);
  path[300] = 'Z';
  assert_int_equal(glh5_exists(f, path, &e), GL_OK);
  assert_int_equal(e, 0);
  assert_int_equal(glh5_read(f, path, H5T_NATIVE_DOUBLE, 0, NULL, &back, H5P_DEFAULT), GL_ERR_INPUT);
  assert_non_null(strstr(gl_errmsg(), "HDF5 object '/a"));
  /* a component that is a dataset, not a group: absent, not an error */
  assert_int_equal(glh5_write(f, "/leaf", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &v), GL_OK);
  assert_int_equal(glh5_exists(f, "/leaf/below", &e), GL_OK);
  assert_int_equal(e, 0);
  assert_int_equal(glh5_exists(f, "/", &e), GL_OK);
  assert_int_equal(e, 1);
  assert_int_equal(glh5_delete(f, "/leaf"), GL_OK);
  assert_int_equal(glh5_exists(f, "/leaf", &e), GL_OK);
  assert_int_equal(e, 0);
  assert_int_equal(glh5_delete(f, "/leaf"), GL_OK); /* absent: nothing to do */
  free(path);
  free(comp);
  assert_int_equal(glh5_close(&f), GL_OK);
  remove(name);
}

/* Collective: create + put from rank 0, rows written and read per rank (0 rows on some). */
static void test_mpi(void **state) {
  (void)state;
  glh5_file f;
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  assert_int_equal(glh5_open_mpi(&f, mpi_, GLH5_CREATE, MPI_COMM_WORLD), GL_OK);
  const hsize_t n = 3, dims[2] = {3, 2};
  const double small[3] = {1, 2, 3};
  assert_int_equal(glh5_put_mpi(&f, f.id, "small", H5T_NATIVE_DOUBLE, 1, &n, small), GL_OK);
  hid_t d;
  assert_int_equal(glh5_create(f.id, "rows", H5T_NATIVE_INT, 2, dims, NULL, &d), GL_OK);
  /* rank 0 writes rows 0..1, rank 1 row 2, the rest nothing */
  int mine[4];
  hsize_t r0 = f.rank == 0 ? 0 : 2, nr = f.rank == 0 ? (size == 1 ? 3 : 2) : f.rank == 1 ? 1 : 0;
  for (int i = 0; i < 4; ++i) mine[i] = (int)(10 * (r0 + (hsize_t)i / 2) + (hsize_t)i % 2);
  if (size == 1) {
    int all[6] = {0, 1, 10, 11, 20, 21};
    assert_int_equal(glh5_write_rows(d, H5T_NATIVE_INT, 0, 3, all, f.dxpl), GL_OK);
  } else {
    assert_int_equal(glh5_write_rows(d, H5T_NATIVE_INT, r0, nr, nr ? mine : NULL, f.dxpl), GL_OK);
  }
  assert_int_equal(glh5_close(&d), GL_OK);
  assert_int_equal(glh5_close_mpi(&f), GL_OK);
  assert_int_equal(f.id, -1);
  assert_int_equal(glh5_open_mpi(&f, mpi_, GLH5_READ, MPI_COMM_WORLD), GL_OK);
  int got[6] = {-1, -1, -1, -1, -1, -1};
  const hsize_t want[2] = {GLH5_ANY, 2};
  hsize_t rr = f.rank == 0 ? 1 : 0;
  assert_int_equal(glh5_read_rows(f.id, "rows", H5T_NATIVE_INT, 2, want, 1, rr, rr ? got : NULL, f.dxpl, NULL), GL_OK);
  if (f.rank == 0) assert_true(got[0] == 10 && got[1] == 11 && got[2] == -1);
  double *s = NULL;
  assert_int_equal(glh5_read_alloc(f.id, "small", H5T_NATIVE_DOUBLE, 1, NULL, NULL, &s), GL_OK);
  assert_true(s[2] == 3.0);
  free(s);
  assert_int_equal(glh5_close_mpi(&f), GL_OK);
  MPI_Barrier(MPI_COMM_WORLD);
  if (f.rank == 0) remove(mpi_);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  snprintf(shape_, sizeof shape_, "h5_shape_%d.h5", rank_);
  snprintf(keep_, sizeof keep_, "h5_keep_%d.h5", rank_);
  snprintf(dirf_, sizeof dirf_, "h5_dir_%d.h5", rank_);
  snprintf(mpi_, sizeof mpi_, "h5_mpi.h5");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape_checks),
      cmocka_unit_test(test_write_replace),
      cmocka_unit_test(test_long_paths),
      cmocka_unit_test(test_mpi),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
