/* glc_doc_load_bcast on 1, 2 and 4 ranks: every rank ends with the same document (same
 * bound values, same marks naming the original file), and a failure on rank 0 reaches
 * every rank with the same code and message. */
#include <limits.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/config.h"

typedef struct cfg {
  double timestep;
  int decimation;
  int terrain;
  int render;
  int seed;
  char *name;
  glc_reals speeds;
} cfg;

static const char *const terrains[] = {"flat", "rough", NULL};
static const glc_key schema[] = {
    {"sim.timestep", GLC_REAL, offsetof(cfg, timestep), 0, 0.05, GLC_OPEN_MIN, NULL, "step"},
    {"sim.decimation", GLC_INT, offsetof(cfg, decimation), 1, 100, 0, NULL, "decimation"},
    {"sim.terrain", GLC_ENUM, offsetof(cfg, terrain), 0, 0, 0, terrains, "terrain"},
    {"sim.render", GLC_BOOL, offsetof(cfg, render), 0, 0, 0, NULL, "render"},
    {"train.seed", GLC_INT, offsetof(cfg, seed), 0, INT_MAX, 0, NULL, "seed"},
    {"train.name", GLC_STRING, offsetof(cfg, name), 0, 0, 0, NULL, "name"},
    {"train.speeds", GLC_REALS, offsetof(cfg, speeds), 0, 10, 0, NULL, "speeds"},
};

#define NKEYS (sizeof schema / sizeof schema[0])

static int rank_, size_;

static char *data_path(const char *name) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "%s/%s", CONFIG_DATA_DIR, name);
  return buf;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* Same value on every rank? */
static int all_equal_u64(uint64_t v) {
  unsigned long long lo = v, hi = v, mn, mx;
  MPI_Allreduce(&lo, &mn, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&hi, &mx, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
  return mn == mx;
}

static void test_bcast_binds_identically(void **state) {
  (void)state;
  MPI_Comm comm = MPI_COMM_WORLD;
  const char *sets[] = {"sim.decimation=7", "train.speeds={start: 0, stop: 1, num: 5}"};
  /* only rank 0's path and overrides count: the others pass something else on purpose */
  char good[1024];
  snprintf(good, sizeof good, "%s", data_path("good.yaml"));
  glc_doc *d = NULL;
  gl_err e = rank_ == 0 ? glc_doc_load_bcast(&d, good, sets, 2, &comm)
                        : glc_doc_load_bcast(&d, "not-read-here.yaml", NULL, 0, &comm);
  assert_int_equal(e, GL_OK);
  assert_non_null(d);

  cfg c = {0};
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_ERR_INPUT); /* train has more keys */
  glc_free(schema, NKEYS, &c);
  memset(&c, 0, sizeof c);
  assert_int_equal(glc_bind(d, "sim", schema, 4, &c), GL_OK);
  assert_int_equal(glc_bind(d, "train.seed", schema + 4, 1, &c), GL_OK);
  assert_int_equal(glc_bind(d, "train.name", schema + 5, 1, &c), GL_OK);
  assert_int_equal(glc_bind(d, "train.speeds", schema + 6, 1, &c), GL_OK);
  assert_int_equal(c.terrain, 1);
  assert_int_equal(c.render, 0);
  assert_true(c.timestep == 0.005);
  assert_int_equal(c.decimation, 7);
  assert_int_equal(c.seed, 42);
  assert_string_equal(c.name, "anymal run");
  assert_int_equal(c.speeds.n, 5);
  for (int i = 0; i < 5; ++i) assert_true(c.speeds.v[i] == 0.25 * i);

  /* marks travel with the document: file:line:col of the original text on every rank */
  char m[1200], want[1200];
  snprintf(want, sizeof want, "%s:3:13", good);
  assert_string_equal(glc_doc_mark(d, "sim.timestep", m, sizeof m), want);
  assert_string_equal(glc_doc_mark(d, "sim.decimation", m, sizeof m), "--set sim.decimation=7");

  /* bitwise identical bound values and emitted text across ranks */
  char *text;
  assert_int_equal(glc_doc_emit(d, &text), GL_OK);
  uint64_t h = 1469598103934665603ull;
  h = fnv1a(h, text, strlen(text));
  h = fnv1a(h, &c.timestep, sizeof c.timestep);
  h = fnv1a(h, &c.decimation, sizeof c.decimation);
  h = fnv1a(h, c.speeds.v, (size_t)c.speeds.n * sizeof(double));
  h = fnv1a(h, c.name, strlen(c.name));
  assert_true(all_equal_u64(h));
  free(text);
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(d);
}

/* A failure on rank 0 must give every rank the same code and message and no document. */
static void expect_everywhere(const char *path, const char *const *sets, int nsets,
                              const char *msg) {
  MPI_Comm comm = MPI_COMM_WORLD;
  glc_doc *d = (glc_doc *)0x1;
  gl_err e = glc_doc_load_bcast(&d, path, sets, nsets, &comm);
  if (e != GL_ERR_INPUT || strcmp(gl_errmsg(), msg) != 0)
    fprintf(stderr, "rank %d: code %d\n  got:  %s\n  want: %s\n", rank_, (int)e, gl_errmsg(), msg);
  assert_int_equal(e, GL_ERR_INPUT);
  assert_null(d);
  assert_string_equal(gl_errmsg(), msg);
  assert_true(all_equal_u64((uint64_t)e));
}

static void test_bcast_missing_file(void **state) {
  (void)state;
  /* only rank 0 reads: the other ranks' path is irrelevant */
  expect_everywhere(rank_ == 0 ? "no/such/file.yaml" : data_path("good.yaml"), NULL, 0,
                    "cannot read 'no/such/file.yaml': No such file or directory");
}

static void test_bcast_bad_file(void **state) {
  (void)state;
  char want[1400];
  snprintf(want, sizeof want,
           "%s:5:1: duplicate key 'sim' (first at line 1); allowed: each key once per mapping",
           data_path("dup.yaml"));
  expect_everywhere(data_path("dup.yaml"), NULL, 0, want);
}

static void test_bcast_bad_override(void **state) {
  (void)state;
  const char *sets[] = {"sim.timestep=0.01", "sim.timestep.x=1"};
  char want[1400];
  snprintf(want, sizeof want,
           "--set sim.timestep.x=1: 'sim.timestep' is a single value '0.01' (at --set "
           "sim.timestep=0.01), not a mapping; allowed: set 'sim.timestep' itself, or a path "
           "through mappings");
  expect_everywhere(data_path("good.yaml"), sets, rank_ == 0 ? 2 : 0, want);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bcast_binds_identically),
      cmocka_unit_test(test_bcast_missing_file),
      cmocka_unit_test(test_bcast_bad_file),
      cmocka_unit_test(test_bcast_bad_override),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any ? 1 : 0;
}
