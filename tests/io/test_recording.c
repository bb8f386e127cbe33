/* The recording module on its own (glio_), without a simulation: a file written
 * collectively in blocks by every rank is read back with plain HDF5 calls and compared with
 * what was written; the tracking summary against its definition computed here; a resume
 * after an abort continues from the completion flags and gives the same data; a .partial
 * of another configuration is refused and left as it was. Run on 1, 2 and 4 ranks. */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"
#include "gaitlab/recording.h"

enum { NCOND = 3, COPIES = 3, NAG = NCOND * COPIES, START = 10, STOP = 22, NWIN = STOP - START };
static const double cond_[NCOND * 3] = {1.0, 0.0, 0.0, -0.5, 0.25, 0.0, 0.4, 0.0, -1.0};
static char dir_[256];

/* What agent a writes into the mu layer at window row t, unit j (exact in float). */
static float mu_value(int64_t a, int t, int j) { return (float)(a * 1000 + t * 10) + 0.125f * (float)j; }

/* Agent 4 falls and 7 falls too; the others stand with a velocity derived from their index. */
static void agent_row(int64_t a, glio_agent_row *r) {
  memset(r, 0, sizeof *r);
  r->condition = (int32_t)(a / COPIES);
  r->copy = (int32_t)(a % COPIES);
  r->fell = a == 4 || a == 7;
  r->fall_step = r->fell ? 15 + (int32_t)a : -1;
  r->complete = 1;
  r->friction = 0.8f + 0.01f * (float)a;
  for (int k = 0; k < 3; ++k) r->mean_vel[k] = 0.5f * (float)k + 0.03125f * (float)a;
  r->rf_cycles = 10 + (int32_t)a;
}

static void spec_for(glio_spec *sp, const char *output, const char *yaml, int *layer_on) {
  memset(sp, 0, sizeof *sp);
  memset(layer_on, 0, sizeof(int) * GLIO_NLAYERS);
  layer_on[GLIO_MU] = 1;
  sp->output = output;
  sp->config_yaml = yaml;
  sp->name = "recording_test";
  sp->policy = "none";
  sp->seed = 5;
  sp->policy_seed = 12;
  sp->policy_steps = 34000000;
  sp->policy_iterations = 2770;
  sp->policy_git_hash = "feedbeef0123";
  sp->nconditions = NCOND;
  sp->cond = cond_;
  sp->copies = COPIES;
  sp->nagents = NAG;
  sp->record_start = START;
  sp->record_stop = STOP;
  sp->dt = 0.02;
  sp->layer_on = layer_on;
}

/* Collective: this rank's agents in blocks of 2, every rank calling glio_write_block the same
 * number of times (an empty block where its share is used up). Writes the first
 * `rounds_max` rounds only (-1: all). */
static void write_blocks(glio_file *f, const int8_t *skip, int rounds_max) {
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int64_t a0, a1;
  gl_shard_range(NAG, size, rank, &a0, &a1);
  const int dim = glio_layer_table()[GLIO_MU].dim;
  float *mu = malloc(sizeof(float) * 2 * NWIN * (size_t)dim);
  assert_non_null(mu);
  const int rounds = (NAG + size - 1) / size / 2 + 1;
  for (int round = 0; round < rounds && (rounds_max < 0 || round < rounds_max); ++round) {
    int64_t lo = a0 + 2 * round, hi = lo + 2 < a1 ? lo + 2 : a1;
    if (lo > hi) lo = hi;
    glio_agent_row rows[2];
    int64_t n = 0;
    for (int64_t a = lo; a < hi; ++a, ++n) {
      agent_row(a, &rows[n]);
      for (int t = 0; t < NWIN; ++t)
        for (int j = 0; j < dim; ++j) mu[((size_t)n * NWIN + t) * dim + j] = mu_value(a, t, j);
    }
    if (skip && n > 0 && skip[lo]) n = 0, lo = hi; /* already complete in the .partial */
    float *layer[GLIO_NLAYERS] = {0};
    layer[GLIO_MU] = mu;
    assert_int_equal(glio_write_block(f, lo, n, layer, rows), GL_OK);
  }
  free(mu);
}

/* Rank 0's checks count their failures instead of leaving the test at the first: the other
 * ranks would wait for it in the next collective call. Each test then agrees on the count. */
static int bad_;
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      if (bad_++ < 10) fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                                 \
  } while (0)

static void agree_no_failures(void) {
  int all = 0;
  MPI_Allreduce(&bad_, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  bad_ = 0;
  assert_int_equal(all, 0);
}

static void read_all(hid_t f, const char *name, hid_t type, void *buf) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  CHECK(d >= 0);
  if (d < 0) return;
  CHECK(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  H5Dclose(d);
}

/* Rank 0: the finished file against what every rank wrote, by plain HDF5 reads. */
static void check_file(const char *path) {
  const int dim = glio_layer_table()[GLIO_MU].dim;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0);
  float *mu = calloc((size_t)NAG * NWIN * (size_t)dim, sizeof(float));
  if (f < 0 || !mu) {
    free(mu);
    return;
  }
  read_all(f, "/recording/mu", H5T_NATIVE_FLOAT, mu);
  size_t bad = 0;
  for (int64_t a = 0; a < NAG; ++a)
    for (int t = 0; t < NWIN; ++t)
      for (int j = 0; j < dim; ++j) bad += mu[((size_t)a * NWIN + t) * dim + j] != mu_value(a, t, j);
  CHECK(bad == 0);
  free(mu);
  int32_t step[NWIN];
  read_all(f, "/recording/step", H5T_NATIVE_INT32, step);
  for (int t = 0; t < NWIN; ++t) CHECK(step[t] == START + t);
  /* SI speeds and the authors' observation-scaled labels side by side */
  static const char *const si[3] = {"/conditions/u", "/conditions/v", "/conditions/r"};
  static const char *const ob[3] = {"/conditions/u_obs", "/conditions/v_obs", "/conditions/r_obs"};
  const double scale[3] = {2.0, 2.0, 0.25};
  for (int k = 0; k < 3; ++k) {
    double c[NCOND], o[NCOND];
    read_all(f, si[k], H5T_NATIVE_DOUBLE, c);
    read_all(f, ob[k], H5T_NATIVE_DOUBLE, o);
    for (int i = 0; i < NCOND; ++i) {
      CHECK(c[i] == cond_[3 * i + k]);
      CHECK(o[i] == scale[k] * cond_[3 * i + k]);
    }
  }
  int32_t condition[NAG], cycles[NAG], fall_step[NAG];
  int8_t fell[NAG], complete[NAG];
  float mvel[NAG * 3];
  read_all(f, "/agents/condition", H5T_NATIVE_INT32, condition);
  read_all(f, "/agents/rf_cycles", H5T_NATIVE_INT32, cycles);
  read_all(f, "/agents/fall_step", H5T_NATIVE_INT32, fall_step);
  read_all(f, "/agents/fell", H5T_NATIVE_INT8, fell);
  read_all(f, "/agents/complete", H5T_NATIVE_INT8, complete);
  read_all(f, "/agents/mean_velocity", H5T_NATIVE_FLOAT, mvel);
  for (int64_t a = 0; a < NAG; ++a) {
    glio_agent_row r;
    agent_row(a, &r);
    CHECK(condition[a] == r.condition);
    CHECK(cycles[a] == r.rf_cycles);
    CHECK(fall_step[a] == r.fall_step);
    CHECK(fell[a] == r.fell);
    CHECK(complete[a] == 1);
    for (int k = 0; k < 3; ++k) CHECK(mvel[3 * a + k] == r.mean_vel[k]);
  }
  /* the tracking table by its definition: means over the standing agents of a condition */
  double table[NCOND * GLIO_TRACK_NCOL];
  read_all(f, "/summary/tracking", H5T_NATIVE_DOUBLE, table);
  for (int c = 0; c < NCOND; ++c) {
    double sum[3] = {0}, cyc = 0;
    int standing = 0, agents = 0;
    for (int64_t a = 0; a < NAG; ++a) {
      if (a / COPIES != c) continue;
      ++agents;
      if (fell[a]) continue;
      ++standing;
      for (int k = 0; k < 3; ++k) sum[k] += mvel[3 * a + k];
      cyc += cycles[a];
    }
    const double *row = table + c * GLIO_TRACK_NCOL;
    for (int k = 0; k < 3; ++k) {
      CHECK(row[GLIO_TRACK_U_CMD + k] == cond_[3 * c + k]);
      CHECK(fabs(row[GLIO_TRACK_U_MEAS + k] - sum[k] / standing) < 1e-12);
    }
    CHECK(fabs(row[GLIO_TRACK_FALL_RATE] - (double)(agents - standing) / agents) < 1e-15);
    CHECK(row[GLIO_TRACK_STANDING] == standing);
    CHECK(row[GLIO_TRACK_AGENTS] == agents);
    CHECK(fabs(row[GLIO_TRACK_RF_CYCLES] - cyc / standing) < 1e-12);
  }
  char *status = NULL;
  CHECK(glh5_attr_read_string(f, "status", &status) == GL_OK);
  CHECK(status && strcmp(status, "complete") == 0);
  free(status);
  /* the agent's provenance beside the experiment's */
  long long ps = 0, st = 0, it = 0, seed = 0;
  char *gh = NULL;
  CHECK(glh5_attr_read_int(f, "policy_seed", &ps) == GL_OK && ps == 12);
  CHECK(glh5_attr_read_int(f, "policy_steps", &st) == GL_OK && st == 34000000);
  CHECK(glh5_attr_read_int(f, "policy_iterations", &it) == GL_OK && it == 2770);
  CHECK(glh5_attr_read_int(f, "seed", &seed) == GL_OK && seed == 5);
  CHECK(glh5_attr_read_string(f, "policy_git_hash", &gh) == GL_OK && gh && strcmp(gh, "feedbeef0123") == 0);
  free(gh);
  H5Fclose(f);
}

static void make_dir(void) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    snprintf(dir_, sizeof dir_, "recording_test_XXXXXX");
    assert_non_null(mkdtemp(dir_));
  }
  MPI_Bcast(dir_, sizeof dir_, MPI_CHAR, 0, MPI_COMM_WORLD);
}

static void test_write_and_read_back(void **state) {
  (void)state;
  int rank, layer_on[GLIO_NLAYERS];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char out[512], partial[600];
  snprintf(out, sizeof out, "%s/whole.h5", dir_);
  snprintf(partial, sizeof partial, "%s.partial", out);
  glio_spec sp;
  spec_for(&sp, out, "name: recording_test\n", layer_on);
  glio_file *f = NULL;
  assert_int_equal(glio_open(&f, &sp, 0, MPI_COMM_WORLD, NULL), GL_OK);
  write_blocks(f, NULL, -1);
  assert_int_equal(glio_write_tracking(f), GL_OK);
  assert_int_equal(glio_finish(f), GL_OK);
  if (rank == 0) {
    CHECK(access(partial, F_OK) == -1); /* renamed, nothing left behind */
    check_file(out);
  }
  agree_no_failures();
}

/* An abort after the first round leaves a .partial whose completion flags name exactly the
 * agents written; the resume writes the others and the finished file is the whole one. */
static void test_resume_after_abort(void **state) {
  (void)state;
  int rank, size, layer_on[GLIO_NLAYERS];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char out[512];
  snprintf(out, sizeof out, "%s/resumed.h5", dir_);
  glio_spec sp;
  spec_for(&sp, out, "name: recording_test\n", layer_on);
  glio_file *f = NULL;
  assert_int_equal(glio_open(&f, &sp, 0, MPI_COMM_WORLD, NULL), GL_OK);
  write_blocks(f, NULL, 1);
  glio_abort(f);
  int8_t *done = NULL;
  assert_int_equal(glio_open(&f, &sp, 1, MPI_COMM_WORLD, &done), GL_OK);
  assert_non_null(done);
  for (int r = 0; r < size; ++r) {
    int64_t a0, a1;
    gl_shard_range(NAG, size, r, &a0, &a1);
    for (int64_t a = a0; a < a1; ++a) assert_int_equal(done[a], a < a0 + 2);
  }
  write_blocks(f, done, -1);
  free(done);
  assert_int_equal(glio_write_tracking(f), GL_OK);
  assert_int_equal(glio_finish(f), GL_OK);
  if (rank == 0) check_file(out);
  agree_no_failures();
}

/* The whole file in memory (rank 0's before/after comparison); -1 when unreadable. */
static long file_bytes(const char *path, unsigned char **buf) {
  *buf = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  long n = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
  if (n > 0 && fseek(fp, 0, SEEK_SET) == 0 && (*buf = malloc((size_t)n)) &&
      fread(*buf, 1, (size_t)n, fp) != (size_t)n)
    n = -1;
  fclose(fp);
  return *buf ? n : -1;
}

/* A .partial written by another configuration: the resume is refused with a message naming
 * the file, and the file is byte for byte what it was. */
static void test_resume_other_config_refused(void **state) {
  (void)state;
  int rank, layer_on[GLIO_NLAYERS];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char out[512], partial[600];
  snprintf(out, sizeof out, "%s/other.h5", dir_);
  snprintf(partial, sizeof partial, "%s.partial", out);
  glio_spec sp;
  spec_for(&sp, out, "name: recording_test\n", layer_on);
  glio_file *f = NULL;
  assert_int_equal(glio_open(&f, &sp, 0, MPI_COMM_WORLD, NULL), GL_OK);
  write_blocks(f, NULL, 1);
  glio_abort(f);
  MPI_Barrier(MPI_COMM_WORLD);
  unsigned char *before = NULL, *after = NULL;
  long nb = 0;
  if (rank == 0) nb = file_bytes(partial, &before);
  sp.config_yaml = "name: recording_test\nseed: 6\n";
  int8_t *done = NULL;
  gl_err e = glio_open(&f, &sp, 1, MPI_COMM_WORLD, &done);
  assert_int_equal(e, GL_ERR_INPUT);
  assert_null(f);
  assert_null(done);
  if (rank == 0) {
    CHECK(strstr(gl_errmsg(), "different configuration") != NULL);
    CHECK(strstr(gl_errmsg(), partial) != NULL);
    long na = file_bytes(partial, &after);
    CHECK(nb > 0 && na == nb && memcmp(before, after, (size_t)nb) == 0);
  }
  free(before);
  free(after);
  agree_no_failures();
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  gl_log_set_rank(rank);
  make_dir();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_and_read_back),
      cmocka_unit_test(test_resume_after_abort),
      cmocka_unit_test(test_resume_other_config_refused),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  int all = 0;
  MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && all == 0) {
    const char *names[] = {"whole.h5", "resumed.h5", "other.h5.partial", "other.h5.lock",
                           "whole.h5.lock", "resumed.h5.lock"};
    char p[600];
    for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
      snprintf(p, sizeof p, "%s/%s", dir_, names[i]);
      unlink(p);
    }
    rmdir(dir_);
  }
  MPI_Finalize();
  return all;
}
