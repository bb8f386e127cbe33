/* The policy object: creation with PyTorch-default initialisation, a self-describing HDF5
 * file format, and broadcast over MPI. */
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"
#include "gaitlab/policy.h"
#include "gaitlab/rng.h"

#define GLP_FORMAT "gaitlab-policy"
#define GLP_FORMAT_VERSION 1
#define GLP_CRITIC_OUT 1
#define GLP_TOWER_IDS 16 /* tensor ids: tower * 16 + block; log-std is 32 */

/* ---- allocation ---- */

void glp_policy_destroy(glp_policy *p) {
  if (!p) return;
  free(p->params);
  glp_norm_free(&p->norm);
  free(p->train_yaml);
  free(p->git_hash);
  free(p);
}

static gl_err check_inputs(const glp_inputs *in, int actor_in, int critic_in) {
  if ((actor_in != in->base && actor_in != in->full) ||
      (critic_in != in->base && critic_in != in->full))
    return gl_error(GL_ERR_INPUT, "policy inputs must be %d or %d (got actor %d, critic %d)",
                    in->base, in->full, actor_in, critic_in);
  return GL_OK;
}

/* A zeroed policy of the given shape with a fresh normaliser. */
static gl_err policy_alloc(glp_policy **out, const glp_inputs *in, int actor_in, int critic_in) {
  *out = NULL;
  GL_CALL(check_inputs(in, actor_in, critic_in));
  glp_policy *p;
  GL_CALL(GL_ALLOC(p, 1));
  p->in = in;
  p->actor_in = actor_in;
  p->critic_in = critic_in;
  glp_layout_init(&p->actor, actor_in, GLP_NACT);
  glp_layout_init(&p->critic, critic_in, GLP_CRITIC_OUT);
  p->off_actor = 0;
  p->off_critic = p->actor.n;
  p->off_logstd = p->off_critic + p->critic.n;
  p->nparams = p->off_logstd + GLP_NACT;
  gl_err e = GL_OK;
  GL_GOTO(e, GL_ALLOC(p->params, p->nparams), fail);
  GL_GOTO(e, glp_norm_init(&p->norm, in->full), fail);
  *out = p;
  return GL_OK;
fail:
  glp_policy_destroy(p);
  return e;
}

/* ---- the tensors, in file order, with PyTorch-style names ---- */

typedef struct tensor_spec {
  char name[48];
  size_t off;      /* into params */
  int rank;
  hsize_t dims[2];
  int id;          /* random stream index for initialisation */
  double bound;    /* U(+-bound) init; 0 = zero (Linear biases) */
} tensor_spec;

static int tower_specs(const glp_layout *L, size_t base, const char *tower, const char *head,
                       int tower_id, double head_gain, tensor_spec *ts) {
  const double lstm_b = 1.0 / sqrt((double)GLP_LSTM);
  struct {
    const char *name;
    size_t off;
    int rows, cols;
    double bound;
  } blk[10] = {
      {"mlp0/weight", L->W1, GLP_H1, L->in, 1.0 / sqrt((double)L->in)},
      {"mlp0/bias", L->b1, GLP_H1, 0, 0},
      {"mlp1/weight", L->W2, GLP_H2, GLP_H1, 1.0 / sqrt((double)GLP_H1)},
      {"mlp1/bias", L->b2, GLP_H2, 0, 0},
      {"lstm/weight_ih", L->Wih, 4 * GLP_LSTM, GLP_H2, lstm_b},
      {"lstm/bias_ih", L->bih, 4 * GLP_LSTM, 0, lstm_b},
      {"lstm/weight_hh", L->Whh, 4 * GLP_LSTM, GLP_LSTM, lstm_b},
      {"lstm/bias_hh", L->bhh, 4 * GLP_LSTM, 0, lstm_b},
      {"weight", L->Wo, L->out, GLP_LSTM, head_gain / sqrt((double)GLP_LSTM)},
      {"bias", L->bo, L->out, 0, 0},
  };
  for (int k = 0; k < 10; k++) {
    if (k >= 8) snprintf(ts[k].name, sizeof ts[k].name, "%s/%s/%s", tower, head, blk[k].name);
    else snprintf(ts[k].name, sizeof ts[k].name, "%s/%s", tower, blk[k].name);
    ts[k].off = base + blk[k].off;
    ts[k].rank = blk[k].cols ? 2 : 1;
    ts[k].dims[0] = (hsize_t)blk[k].rows;
    ts[k].dims[1] = (hsize_t)blk[k].cols;
    ts[k].id = tower_id * GLP_TOWER_IDS + k;
    ts[k].bound = blk[k].bound;
  }
  return 10;
}

#define GLP_NTENSORS 21

static void policy_specs(const glp_policy *p, double head_gain, tensor_spec *ts) {
  int n = tower_specs(&p->actor, p->off_actor, "actor", "mu", 0, head_gain, ts);
  n += tower_specs(&p->critic, p->off_critic, "critic", "value", 1, 1.0, ts + n);
  snprintf(ts[n].name, sizeof ts[n].name, "logstd");
  ts[n].off = p->off_logstd;
  ts[n].rank = 1;
  ts[n].dims[0] = GLP_NACT;
  ts[n].dims[1] = 0;
  ts[n].id = 2 * GLP_TOWER_IDS;
  ts[n].bound = 0;
}

static size_t spec_count(const tensor_spec *t) {
  return (size_t)t->dims[0] * (t->rank == 2 ? (size_t)t->dims[1] : 1);
}

gl_err glp_policy_create(glp_policy **out, const glp_inputs *in, int actor_in, int critic_in,
                         uint64_t seed, double head_gain, double logstd0) {
  *out = NULL;
  glp_policy *p;
  GL_CALL(policy_alloc(&p, in, actor_in, critic_in));
  tensor_spec ts[GLP_NTENSORS];
  policy_specs(p, head_gain, ts);
  for (int k = 0; k < GLP_NTENSORS; k++) {
    float *v = p->params + ts[k].off;
    size_t n = spec_count(&ts[k]);
    if (ts[k].bound == 0) continue; /* zeroed by the allocation */
    glr_stream s;
    glr_init(&s, seed, (uint64_t)ts[k].id, GLR_PARAM_INIT);
    for (size_t i = 0; i < n; i++) v[i] = (float)glr_uniform_range(&s, -ts[k].bound, ts[k].bound);
  }
  for (int j = 0; j < GLP_NACT; j++) p->params[p->off_logstd + j] = (float)logstd0;
  p->seed = seed;
  *out = p;
  return GL_OK;
}

/* File format (format_version 1):
 *   /  attributes format = "gaitlab-policy", format_version, actor_in, critic_in,
 *      hidden_sizes [512 256 128], architecture, obs_layout, gaitlab_version
 *   /obs_names                [188] fixed-length strings (names of the inputs)
 *   /{actor,critic}/mlp0/weight [512][in], mlp0/bias [512], mlp1/weight [256][512],
 *      mlp1/bias [256], lstm/weight_ih [512][256], lstm/bias_ih [512],
 *      lstm/weight_hh [512][128], lstm/bias_hh [512]  (float32, PyTorch shapes, gates i,f,g,o)
 *   /actor/mu/weight [12][128], /actor/mu/bias [12]; /critic/value/weight [1][128], bias [1]
 *   /logstd [12]
 *   /normalizer/mean [188], /normalizer/var [188], /normalizer/count (float64)
 *   /provenance attributes seed, policy_steps, wall_seconds, iterations, git_hash;
 *   /provenance/train_yaml (string dataset) */
static gl_err save_contents(const glp_policy *p, hid_t f) {
  int ver = GLP_FORMAT_VERSION, sizes[3] = {GLP_H1, GLP_H2, GLP_LSTM};
  GL_CALL(glh5_attr_string(f, "format", GLP_FORMAT));
  GL_CALL(glh5_attr_int(f, "format_version", ver));
  GL_CALL(glh5_attr_int(f, "actor_in", p->actor_in));
  GL_CALL(glh5_attr_int(f, "critic_in", p->critic_in));
  GL_CALL(glh5_attr_array(f, "hidden_sizes", H5T_STD_I32LE, H5T_NATIVE_INT, 3, sizes));
  GL_CALL(glh5_attr_string(f, "architecture",
                            "per tower: Linear(in,512) ELU Linear(512,256) ELU LSTM(256,128; "
                            "gates i,f,g,o) Linear(128,out); actor out 12 = mu, critic out 1 = "
                            "value; policy Normal(mu, exp(logstd)); weights [out][in] like "
                            "PyTorch"));
  GL_CALL(glh5_attr_string(f, "obs_layout", p->in->layout));
  GL_CALL(glh5_attr_string(f, "gaitlab_version", gl_version()));

  /* names of the inputs as a dataset of fixed-length strings */
  {
    enum { NAMELEN = 32 };
    char *names = NULL;
    const int n = p->in->full;
    GL_CALL(gl_calloc((void **)&names, (size_t)n, NAMELEN));
    for (int j = 0; j < n; j++) p->in->name(j, names + (size_t)j * NAMELEN, NAMELEN);
    gl_err e = glh5_write_strings(f, "obs_names", names, (hsize_t)n, NAMELEN);
    free(names);
    GL_CALL(e);
  }

  tensor_spec ts[GLP_NTENSORS];
  policy_specs(p, 1.0, ts);
  for (int k = 0; k < GLP_NTENSORS; k++)
    GL_CALL(glh5_write(f, ts[k].name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ts[k].rank, ts[k].dims,
                       p->params + ts[k].off));

  hsize_t nd = (hsize_t)p->norm.dim;
  GL_CALL(glh5_write(f, "normalizer/mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nd, p->norm.mean));
  GL_CALL(glh5_write(f, "normalizer/var", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nd, p->norm.var));
  GL_CALL(glh5_write(f, "normalizer/count", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL,
                     &p->norm.count));

  /* provenance; the training YAML is a dataset because attributes are limited to 64 KiB */
  hid_t g;
  GL_CALL(glh5_group_create(f, "provenance", &g));
  gl_err e = GL_OK;
  GL_GOTO(e, glh5_attr_int(g, "seed", (long long)p->seed), done);
  GL_GOTO(e, glh5_attr_double(g, "policy_steps", p->policy_steps), done);
  GL_GOTO(e, glh5_attr_double(g, "wall_seconds", p->wall_seconds), done);
  GL_GOTO(e, glh5_attr_int(g, "iterations", p->iterations), done);
  GL_GOTO(e, glh5_attr_string(g, "git_hash", p->git_hash ? p->git_hash : ""), done);
  GL_GOTO(e, glh5_write_string(f, "provenance/train_yaml", p->train_yaml ? p->train_yaml : ""), done);
done:
  return glh5_release(e, &g);
}

static gl_err save_fill(hid_t f, void *p) { return save_contents(p, f); }

gl_err glp_policy_save(const glp_policy *p, const char *path) {
  /* a sibling file renamed into place, so a crash never leaves a half-written policy */
  gl_err e = glh5_write_replace(path, save_fill, (void *)p);
  return e ? gl_error_context(e, "saving policy file '%s'", path) : GL_OK;
}

/* ---- load ---- */

/* An int-valued attribute: any integer or float attribute holding a whole number that
 * fits an int (older files store these as 32-bit, newer as 64-bit integers). */
static gl_err r_attr_int(hid_t loc, const char *name, int *v) {
  long long x;
  GL_CALL(glh5_attr_read_int(loc, name, &x));
  if (x < INT_MIN || x > INT_MAX)
    return gl_error(GL_ERR_INPUT, "attribute '%s' = %lld is out of range", name, x);
  *v = (int)x;
  return GL_OK;
}

/* A tensor: floating point (HDF5 converts float32/float64), of exactly the expected shape. */
static gl_err r_data(hid_t f, const char *name, hid_t mtype, int rank, const hsize_t *dims,
                     void *v, const char *path) {
  int nd;
  hsize_t got[GLH5_MAXRANK];
  H5T_class_t cls;
  GL_CALL(glh5_shape(f, name, &nd, got, &cls));
  if (cls != H5T_FLOAT)
    return gl_error(GL_ERR_INPUT, "'%s': HDF5 dataset '%s' is not floating point", path, name);
  return glh5_read(f, name, mtype, rank, dims, v, H5P_DEFAULT);
}

static gl_err load_contents(hid_t f, const char *path, const glp_inputs *in, glp_policy **out) {
  char *fmt = NULL;
  gl_err e = glh5_attr_read_string(f, "format", &fmt);
  if (e != GL_OK)
    return gl_error(GL_ERR_INPUT, "'%s' is not a gaitlab policy file (no '/format' attribute)",
                    path);
  int is_policy = strcmp(fmt, GLP_FORMAT) == 0;
  if (!is_policy)
    e = gl_error(GL_ERR_INPUT, "'%s' is not a gaitlab policy file (format '%s')", path, fmt);
  free(fmt);
  GL_CALL(e);
  int ver = 0, ain = 0, cin = 0;
  if ((e = r_attr_int(f, "format_version", &ver)) != GL_OK)
    return gl_error_context(e, "policy file '%s'", path);
  if (ver != GLP_FORMAT_VERSION)
    return gl_error(GL_ERR_INPUT, "policy file '%s': format_version %d is not supported (this "
                    "gaitlab reads %d)", path, ver, GLP_FORMAT_VERSION);
  if ((e = r_attr_int(f, "actor_in", &ain)) != GL_OK ||
      (e = r_attr_int(f, "critic_in", &cin)) != GL_OK)
    return gl_error_context(e, "policy file '%s'", path);
  if (check_inputs(in, ain, cin) != GL_OK)
    return gl_error(GL_ERR_INPUT, "policy file '%s': inputs must be %d or %d (got actor %d, "
                    "critic %d)", path, in->base, in->full, ain, cin);

  glp_policy *p;
  GL_CALL(policy_alloc(&p, in, ain, cin));
  tensor_spec ts[GLP_NTENSORS];
  policy_specs(p, 1.0, ts);
  for (int k = 0; k < GLP_NTENSORS; k++)
    GL_GOTO(e, r_data(f, ts[k].name, H5T_NATIVE_FLOAT, ts[k].rank, ts[k].dims,
                      p->params + ts[k].off, path), fail);
  for (size_t i = 0; i < p->nparams; i++)
    if (!isfinite(p->params[i])) {
      e = gl_error(GL_ERR_INPUT, "policy file '%s': non-finite parameter (index %zu)", path, i);
      goto fail;
    }

  hsize_t nd = (hsize_t)p->norm.dim;
  GL_GOTO(e, r_data(f, "normalizer/mean", H5T_NATIVE_DOUBLE, 1, &nd, p->norm.mean, path), fail);
  GL_GOTO(e, r_data(f, "normalizer/var", H5T_NATIVE_DOUBLE, 1, &nd, p->norm.var, path), fail);
  GL_GOTO(e, r_data(f, "normalizer/count", H5T_NATIVE_DOUBLE, 0, NULL, &p->norm.count, path),
          fail);
  if (!(p->norm.count >= 1) || !isfinite(p->norm.count)) {
    e = gl_error(GL_ERR_INPUT, "policy file '%s': 'normalizer/count' = %g is invalid", path,
                 p->norm.count);
    goto fail;
  }
  for (int j = 0; j < p->norm.dim; j++)
    if (!isfinite(p->norm.mean[j]) || !(p->norm.var[j] >= 0) || !isfinite(p->norm.var[j])) {
      e = gl_error(GL_ERR_INPUT, "policy file '%s': normalizer entry %d is invalid (mean %g, "
                   "var %g)", path, j, p->norm.mean[j], p->norm.var[j]);
      goto fail;
    }

  hid_t g;
  GL_GOTO(e, glh5_group_open(f, "provenance", &g), fail);
  long long seed = 0;
  e = glh5_attr_read_int(g, "seed", &seed);
  p->seed = (uint64_t)seed;
  if (e == GL_OK) e = glh5_attr_read_double(g, "policy_steps", &p->policy_steps);
  if (e == GL_OK) e = glh5_attr_read_double(g, "wall_seconds", &p->wall_seconds);
  if (e == GL_OK) e = r_attr_int(g, "iterations", &p->iterations);
  if (e == GL_OK) e = glh5_attr_read_string(g, "git_hash", &p->git_hash);
  e = glh5_release(e, &g);
  if (e != GL_OK) {
    e = gl_error_context(e, "policy file '%s', group 'provenance'", path);
    goto fail;
  }
  GL_GOTO(e, glh5_read_string(f, "provenance/train_yaml", &p->train_yaml), fail);
  *out = p;
  return GL_OK;
fail:
  glp_policy_destroy(p);
  return e;
}

gl_err glp_policy_load(glp_policy **out, const char *path, const glp_inputs *in) {
  *out = NULL;
  if (access(path, R_OK) != 0)
    return gl_error(GL_ERR_INPUT, "cannot read policy file '%s': %s", path, strerror(errno));
  hid_t f;
  GL_CALL(glh5_open(&f, path, GLH5_READ));
  gl_err e = load_contents(f, path, in, out);
  e = glh5_release(e, &f);
  if (e && *out) {
    glp_policy_destroy(*out);
    *out = NULL;
  }
  return e;
}

/* ---- MPI broadcast ---- */

static gl_err bcast(void *buf, size_t count, MPI_Datatype t, int root, MPI_Comm comm) {
  /* MPI counts are int: send large arrays in slices */
  const size_t step = (size_t)1 << 28;
  int sz;
  MPI_Type_size(t, &sz);
  for (size_t o = 0; o < count; o += step) {
    int n = (int)(count - o < step ? count - o : step);
    if (MPI_Bcast((char *)buf + o * (size_t)sz, n, t, root, comm) != MPI_SUCCESS)
      return gl_error(GL_ERR_MPI, "MPI_Bcast failed while broadcasting the policy");
  }
  return GL_OK;
}

gl_err glp_policy_bcast(glp_policy **pp, const glp_inputs *in, int root, void *mpi_comm) {
  MPI_Comm comm = *(MPI_Comm *)mpi_comm;
  int rank;
  MPI_Comm_rank(comm, &rank);
  glp_policy *p = rank == root ? *pp : NULL;
  if (rank != root) *pp = NULL;
  /* header: ok, actor_in, critic_in, iterations, len(yaml)+1 or 0, len(git)+1 or 0 */
  long long hdr[6] = {0};
  double num[3] = {0};
  uint64_t seed = 0;
  if (rank == root && p) {
    hdr[0] = 1;
    hdr[1] = p->actor_in;
    hdr[2] = p->critic_in;
    hdr[3] = p->iterations;
    hdr[4] = p->train_yaml ? (long long)strlen(p->train_yaml) + 1 : 0;
    hdr[5] = p->git_hash ? (long long)strlen(p->git_hash) + 1 : 0;
    num[0] = p->policy_steps;
    num[1] = p->wall_seconds;
    num[2] = p->norm.count;
    seed = p->seed;
  }
  GL_CALL(bcast(hdr, 6, MPI_LONG_LONG, root, comm));
  if (!hdr[0]) return gl_error(GL_ERR_INTERNAL, "glp_policy_bcast: no policy on root %d", root);
  gl_err e = GL_OK;
  if (rank != root) {
    e = policy_alloc(&p, in, (int)hdr[1], (int)hdr[2]);
    if (e == GL_OK && hdr[4] && !(p->train_yaml = calloc((size_t)hdr[4], 1)))
      e = gl_error(GL_ERR_NOMEM, "out of memory receiving the policy");
    if (e == GL_OK && hdr[5] && !(p->git_hash = calloc((size_t)hdr[5], 1)))
      e = gl_error(GL_ERR_NOMEM, "out of memory receiving the policy");
  }
  GL_GOTO(e, gl_agree(comm, e), fail);
  GL_GOTO(e, bcast(num, 3, MPI_DOUBLE, root, comm), fail);
  GL_GOTO(e, bcast(&seed, 1, MPI_UINT64_T, root, comm), fail);
  GL_GOTO(e, bcast(p->params, p->nparams, MPI_FLOAT, root, comm), fail);
  GL_GOTO(e, bcast(p->norm.mean, (size_t)p->norm.dim, MPI_DOUBLE, root, comm), fail);
  GL_GOTO(e, bcast(p->norm.var, (size_t)p->norm.dim, MPI_DOUBLE, root, comm), fail);
  if (hdr[4]) GL_GOTO(e, bcast(p->train_yaml, (size_t)hdr[4], MPI_CHAR, root, comm), fail);
  if (hdr[5]) GL_GOTO(e, bcast(p->git_hash, (size_t)hdr[5], MPI_CHAR, root, comm), fail);
  if (rank != root) {
    p->iterations = (int)hdr[3];
    p->policy_steps = num[0];
    p->wall_seconds = num[1];
    p->norm.count = num[2];
    p->seed = seed;
    *pp = p;
  }
  return GL_OK;
fail:
  if (rank != root) glp_policy_destroy(p);
  return e;
}
