/* Training checkpoints: one serial HDF5 file written by rank 0 (glh5_write_replace: path.tmp,
 * fsync, rename, so a crash mid-write never leaves a torn checkpoint). Per-env records are
 * gathered in global env order, so the file does not depend on the rank count that wrote it. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"
#include "train/trainer_internal.h"

#define CKPT_FORMAT 1

/* Scalars shared by all ranks, in one array for a single broadcast. */
enum { S_FORMAT, S_NUM_ENVS, S_NPARAMS, S_OBS_DIM, S_SEED, S_ADAM_STEP, S_LR, S_VN_COUNT,
       S_VN_MEAN, S_VN_VAR, S_ITER, S_STEPS, S_NORM_COUNT, S_WALL, S_NSCALARS };
static const char *const scalar_names[S_NSCALARS] = {
    "format", "num_envs", "nparams", "obs_dim", "seed", "adam_step", "lr", "value_norm_count",
    "value_norm_mean", "value_norm_var", "iteration", "policy_steps", "obs_norm_count",
    "wall_seconds"};

typedef struct ckpt_out {
  glt_trainer *t;
  const char *text;
  const unsigned char *rec;
  const int64_t *off;
} ckpt_out;

static gl_err ckpt_put(hid_t f, const char *name, hid_t type, hsize_t n, const void *data) {
  return glh5_write(f, name, type, type, 1, &n, data);
}

/* The file's contents (glh5_write_replace writes them to path.tmp, then renames). */
static gl_err ckpt_fill(hid_t f, void *ctx) {
  const ckpt_out *o = ctx;
  glt_trainer *t = o->t;
  glp_policy *P = t->pol;
  double sc[S_NSCALARS] = {CKPT_FORMAT, t->p.num_envs, (double)P->nparams, t->obs_dim,
                           (double)t->p.seed, (double)t->adam.step, t->lr, t->vn.count,
                           t->vn.mean, t->vn.var, (double)t->iteration, t->policy_steps,
                           P->norm.count, t->wall_seconds};
  for (int s = 0; s < S_NSCALARS; ++s) GL_CALL(glh5_attr_double(f, scalar_names[s], sc[s]));
  if (o->text) GL_CALL(glh5_attr_string(f, "config_yaml", o->text));
  const hsize_t np = P->nparams, nd = (hsize_t)P->norm.dim, N = (hsize_t)t->p.num_envs;
  GL_CALL(ckpt_put(f, "params", H5T_NATIVE_FLOAT, np, P->params));
  GL_CALL(ckpt_put(f, "adam_m", H5T_NATIVE_FLOAT, np, t->adam.m));
  GL_CALL(ckpt_put(f, "adam_v", H5T_NATIVE_FLOAT, np, t->adam.v));
  GL_CALL(ckpt_put(f, "obs_norm_mean", H5T_NATIVE_DOUBLE, nd, P->norm.mean));
  GL_CALL(ckpt_put(f, "obs_norm_var", H5T_NATIVE_DOUBLE, nd, P->norm.var));
  GL_CALL(ckpt_put(f, "env_offsets", H5T_NATIVE_INT64, N + 1, o->off));
  GL_CALL(ckpt_put(f, "env_records", H5T_NATIVE_UCHAR, (hsize_t)o->off[N], o->rec));
  return GL_OK;
}

static gl_err write_file(glt_trainer *t, const char *path, const char *text,
                         const unsigned char *rec, const int64_t *off) {
  ckpt_out o = {t, text, rec, off};
  gl_err err = glh5_write_replace(path, ckpt_fill, &o);
  return err ? gl_error_context(err, "writing checkpoint '%s'", path) : GL_OK;
}

/* Every rank's (first env, env count), gathered on all ranks. */
static gl_err gather_blocks(glt_trainer *t, long long *blocks) {
  long long mine[2] = {(long long)t->env.first, t->n};
  GL_MPI(MPI_Allgather(mine, 2, MPI_LONG_LONG, blocks, 2, MPI_LONG_LONG, t->comm));
  return GL_OK;
}

gl_err glt_checkpoint_save(glt_trainer *t, const char *path, const char *extra_text) {
  const int n = t->n, N = t->p.num_envs;
  long long *blocks = NULL;
  int64_t *lsize = NULL, *off = NULL;
  unsigned char *lrec = NULL, *rec = NULL;
  int *counts = NULL, *displs = NULL;
  size_t ltot = 0;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(blocks, 2 * (size_t)t->size), local);
  GL_GOTO(err, GL_ALLOC(lsize, n + 1), local);
  GL_GOTO(err, GL_ALLOC(off, (size_t)N + 1), local);
  GL_GOTO(err, GL_ALLOC(counts, t->size), local);
  GL_GOTO(err, GL_ALLOC(displs, t->size), local);
  for (int i = 0; i < n; ++i) ltot += (lsize[i] = (int64_t)glt_env_record_size(t, i));
  if (ltot > (size_t)1 << 30) {
    err = gl_error(GL_ERR_INTERNAL, "checkpoint: %zu bytes of env state on one rank", ltot);
    goto local;
  }
  GL_GOTO(err, GL_ALLOC(lrec, ltot ? ltot : 1), local);
  for (int i = 0, o = 0; i < n; o += (int)lsize[i], ++i)
    GL_GOTO(err, glt_env_record_save(t, i, lrec + o), local);
local:
  GL_GOTO(err, gl_agree(t->comm, err), done);
  err = gather_blocks(t, blocks);
  /* per-env sizes to rank 0 (in global order, since blocks are contiguous and ordered) */
  int total_bytes = 0;
  if (!err) {
    for (int r = 0; r < t->size; ++r) {
      counts[r] = (int)blocks[2 * r + 1];
      displs[r] = (int)blocks[2 * r];
    }
    err = gl_mpi_check(MPI_Gatherv(lsize, n, MPI_INT64_T, off + 1, counts, displs, MPI_INT64_T, 0,
                                   t->comm), "MPI_Gatherv");
  }
  if (!err && t->rank == 0) {
    off[0] = 0;
    for (int e = 0; e < N; ++e) off[e + 1] += off[e];
    total_bytes = (int)off[N];
    for (int r = 0; r < t->size; ++r) {
      int64_t b0 = blocks[2 * r], b1 = blocks[2 * r] + blocks[2 * r + 1];
      counts[r] = (int)(off[b1] - off[b0]);
      displs[r] = (int)off[b0];
    }
    err = GL_ALLOC(rec, (size_t)total_bytes + 1);
  }
  GL_GOTO(err, gl_agree(t->comm, err), done);
  GL_MPI_GOTO(err, MPI_Gatherv(lrec, (int)ltot, MPI_UNSIGNED_CHAR, rec, counts, displs,
                               MPI_UNSIGNED_CHAR, 0, t->comm), done);
  if (!err && t->rank == 0) err = write_file(t, path, extra_text, rec, off);
  err = gl_agree(t->comm, err);
done:
  free(blocks);
  free(lsize);
  free(off);
  free(lrec);
  free(rec);
  free(counts);
  free(displs);
  return err;
}

static gl_err ckpt_get(hid_t f, const char *name, hid_t type, hsize_t n, void *data) {
  return glh5_read(f, name, type, 1, &n, data, H5P_DEFAULT);
}

/* A dataset whose entries must be finite (and >= lo when positive is set): the first bad
 * entry named, so a damaged or hand-edited checkpoint is refused, not trained on. */
static gl_err ckpt_check_values_(const char *path, const char *name, const double *d,
                                 const float *f, size_t n, int positive) {
  for (size_t i = 0; i < n; ++i) {
    double v = d ? d[i] : (double)f[i];
    if (isfinite(v) && (!positive || v >= 0)) continue;
    size_t bad = 0;
    for (size_t j = i; j < n; ++j) {
      double w = d ? d[j] : (double)f[j];
      bad += !(isfinite(w) && (!positive || w >= 0));
    }
    return gl_error(GL_ERR_INPUT, "checkpoint '%s': HDF5 object /%s [%zu] has %zu %s %s (the first at index %zu: %g); allowed: %s",
                    path, name, n, bad, bad == 1 ? "entry that is" : "entries that are",
                    positive ? "negative or not finite" : "not finite", i, v,
                    positive ? "finite values >= 0" : "finite values");
  }
  return GL_OK;
}

/* The scalars a resumed run continues from: counters >= 0, variances and the learning rate
 * > 0, everything finite. */
static gl_err ckpt_check_scalars_(const char *path, const double *sc) {
  static const struct { int s, integer, open; const char *allowed; } rule[] = {
      {S_ADAM_STEP, 1, 0, "an integer >= 0"},  {S_LR, 0, 1, "a finite value > 0"},
      {S_VN_COUNT, 0, 1, "a finite value > 0"}, {S_VN_VAR, 0, 1, "a finite value > 0"},
      {S_ITER, 1, 0, "an integer >= 0"},       {S_STEPS, 0, 0, "a finite value >= 0"},
      {S_NORM_COUNT, 0, 1, "a finite value > 0"}, {S_WALL, 0, 0, "a finite value >= 0"}};
  if (!isfinite(sc[S_VN_MEAN]))
    return gl_error(GL_ERR_INPUT, "checkpoint '%s': attribute value_norm_mean = %g; allowed: a finite value",
                    path, sc[S_VN_MEAN]);
  for (size_t k = 0; k < sizeof rule / sizeof *rule; ++k) {
    double v = sc[rule[k].s];
    int ok = isfinite(v) && (rule[k].open ? v > 0 : v >= 0) && (!rule[k].integer || v == floor(v));
    if (!ok)
      return gl_error(GL_ERR_INPUT, "checkpoint '%s': attribute %s = %g; allowed: %s", path,
                      scalar_names[rule[k].s], v, rule[k].allowed);
  }
  return GL_OK;
}

/* Everything read is checked before any of it is used (offsets index the records). */
static gl_err ckpt_check_(const glt_trainer *t, const char *path, const double *sc,
                          const int64_t *off) {
  const glp_policy *P = t->pol;
  const size_t np = P->nparams, nd = (size_t)P->norm.dim;
  GL_CALL(ckpt_check_scalars_(path, sc));
  GL_CALL(ckpt_check_values_(path, "params", NULL, P->params, np, 0));
  GL_CALL(ckpt_check_values_(path, "adam_m", NULL, t->adam.m, np, 0));
  GL_CALL(ckpt_check_values_(path, "adam_v", NULL, t->adam.v, np, 1));
  GL_CALL(ckpt_check_values_(path, "obs_norm_mean", P->norm.mean, NULL, nd, 0));
  GL_CALL(ckpt_check_values_(path, "obs_norm_var", P->norm.var, NULL, nd, 1));
  for (int e = 0; e < t->p.num_envs; ++e)
    if (off[e + 1] < off[e])
      return gl_error(GL_ERR_INPUT, "checkpoint '%s': HDF5 object /env_offsets decreases at env %d (%lld then %lld); allowed: non-decreasing offsets from 0",
                      path, e, (long long)off[e], (long long)off[e + 1]);
  return GL_OK;
}

static gl_err read_contents(glt_trainer *t, hid_t f, const char *path, double *sc,
                            unsigned char **rec, int64_t **off) {
  glp_policy *P = t->pol;
  for (int s = 0; s < S_NSCALARS; ++s) GL_CALL(glh5_attr_read_double(f, scalar_names[s], &sc[s]));
  if (sc[S_FORMAT] != CKPT_FORMAT || sc[S_NUM_ENVS] != t->p.num_envs ||
      sc[S_NPARAMS] != (double)P->nparams || sc[S_OBS_DIM] != t->obs_dim ||
      sc[S_SEED] != (double)t->p.seed)
    return gl_error(GL_ERR_INPUT, "checkpoint '%s' does not match this run (format %g, num_envs "
                    "%g vs %d, params %g vs %zu, obs %g vs %d, seed %g vs %llu)", path,
                    sc[S_FORMAT], sc[S_NUM_ENVS], t->p.num_envs, sc[S_NPARAMS], P->nparams,
                    sc[S_OBS_DIM], t->obs_dim, sc[S_SEED], (unsigned long long)t->p.seed);
  const hsize_t np = P->nparams, nd = (hsize_t)P->norm.dim, N = (hsize_t)t->p.num_envs;
  GL_CALL(ckpt_get(f, "params", H5T_NATIVE_FLOAT, np, P->params));
  GL_CALL(ckpt_get(f, "adam_m", H5T_NATIVE_FLOAT, np, t->adam.m));
  GL_CALL(ckpt_get(f, "adam_v", H5T_NATIVE_FLOAT, np, t->adam.v));
  GL_CALL(ckpt_get(f, "obs_norm_mean", H5T_NATIVE_DOUBLE, nd, P->norm.mean));
  GL_CALL(ckpt_get(f, "obs_norm_var", H5T_NATIVE_DOUBLE, nd, P->norm.var));
  GL_CALL(GL_ALLOC(*off, N + 1));
  GL_CALL(ckpt_get(f, "env_offsets", H5T_NATIVE_INT64, N + 1, *off));
  if ((*off)[0] != 0 || (*off)[N] < 0 || (*off)[N] > ((int64_t)1 << 31) - 1)
    return gl_error(GL_ERR_INPUT, "checkpoint '%s': HDF5 object /env_offsets runs from %lld to %lld; allowed: from 0 to at most 2^31 - 1",
                    path, (long long)(*off)[0], (long long)(*off)[N]);
  GL_CALL(ckpt_check_(t, path, sc, *off));
  GL_CALL(GL_ALLOC(*rec, (size_t)(*off)[N] + 1));
  return ckpt_get(f, "env_records", H5T_NATIVE_UCHAR, (hsize_t)(*off)[N], *rec);
}

static gl_err read_file(glt_trainer *t, const char *path, double *sc, unsigned char **rec,
                        int64_t **off) {
  hid_t f;
  GL_CALL(glh5_open(&f, path, GLH5_READ));
  gl_err err = read_contents(t, f, path, sc, rec, off);
  return glh5_release(err, &f);
}

gl_err glt_checkpoint_load(glt_trainer *t, const char *path) {
  glp_policy *P = t->pol;
  const int N = t->p.num_envs;
  double sc[S_NSCALARS] = {0};
  unsigned char *rec = NULL, *lrec = NULL;
  int64_t *off = NULL;
  long long *blocks = NULL;
  int *counts = NULL, *displs = NULL;
  gl_err err = GL_OK;
  if (t->rank == 0) err = read_file(t, path, sc, &rec, &off);
  GL_GOTO(err, gl_agree(t->comm, err), done);
  if (t->rank != 0) GL_GOTO(err, GL_ALLOC(off, (size_t)N + 1), agree);
  GL_GOTO(err, GL_ALLOC(blocks, 2 * (size_t)t->size), agree);
  GL_GOTO(err, GL_ALLOC(counts, t->size), agree);
  GL_GOTO(err, GL_ALLOC(displs, t->size), agree);
agree:
  GL_GOTO(err, gl_agree(t->comm, err), done);
  GL_GOTO(err, gather_blocks(t, blocks), done);
  GL_MPI_GOTO(err, MPI_Bcast(sc, S_NSCALARS, MPI_DOUBLE, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(P->params, (int)P->nparams, MPI_FLOAT, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(t->adam.m, (int)P->nparams, MPI_FLOAT, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(t->adam.v, (int)P->nparams, MPI_FLOAT, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(P->norm.mean, P->norm.dim, MPI_DOUBLE, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(P->norm.var, P->norm.dim, MPI_DOUBLE, 0, t->comm), done);
  GL_MPI_GOTO(err, MPI_Bcast(off, N + 1, MPI_INT64_T, 0, t->comm), done);
  P->norm.count = sc[S_NORM_COUNT];
  t->adam.step = (int64_t)sc[S_ADAM_STEP];
  t->lr = sc[S_LR];
  t->vn.count = sc[S_VN_COUNT];
  t->vn.mean = sc[S_VN_MEAN];
  t->vn.var = sc[S_VN_VAR];
  t->iteration = (int64_t)sc[S_ITER];
  t->policy_steps = sc[S_STEPS];
  t->wall_seconds = sc[S_WALL];
  for (int r = 0; r < t->size; ++r) {
    int64_t b0 = blocks[2 * r], b1 = blocks[2 * r] + blocks[2 * r + 1];
    counts[r] = (int)(off[b1] - off[b0]);
    displs[r] = (int)off[b0];
  }
  const int64_t my0 = off[t->env.first], my1 = off[t->env.first + t->n];
  err = GL_ALLOC(lrec, (size_t)(my1 - my0) + 1);
  GL_GOTO(err, gl_agree(t->comm, err), done);
  GL_MPI_GOTO(err, MPI_Scatterv(rec, counts, displs, MPI_UNSIGNED_CHAR, lrec, (int)(my1 - my0),
                                MPI_UNSIGNED_CHAR, 0, t->comm), done);
  for (int i = 0; i < t->n && !err; ++i) {
    const int64_t e = t->env.first + i;
    err = glt_env_record_load(t, i, lrec + (off[e] - my0), (size_t)(off[e + 1] - off[e]));
  }
  err = gl_agree(t->comm, err);
done:
  free(rec);
  free(lrec);
  free(off);
  free(blocks);
  free(counts);
  free(displs);
  return err;
}

gl_err glt_checkpoint_read_text(const char *path, char **text) {
  *text = NULL;
  hid_t f;
  GL_CALL(glh5_open(&f, path, GLH5_READ));
  gl_err err = glh5_attr_read_string(f, "config_yaml", text);
  if (err) err = gl_error_context(err, "checkpoint '%s'", path);
  err = glh5_release(err, &f);
  if (err) {
    free(*text);
    *text = NULL;
  }
  return err;
}
