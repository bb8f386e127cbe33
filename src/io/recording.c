/* The experiment's HDF5 file: creation with every dataset sized up front (parallel HDF5
 * wants fixed-size datasets and identical metadata calls on all ranks), block writes of
 * agents, the tracking summary and the atomic rename at the end. */
#include "gaitlab/recording.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"

struct glio_file {
  glh5_file h;                 /* the shared file and its collective transfer list */
  hid_t layer[GLIO_NLAYERS];   /* -1 when not recorded */
  hid_t agents[15];            /* indexed by the A_* enum below (-1: not in this file) */
  int force;                   /* the force-disturbance columns exist */
  int neural_width;            /* > 0: the neural columns exist */
  int nwin;
  int64_t nagents;
  int ncond;
  char *final_path, *partial_path;
  gl_lock lock;                /* rank 0: held on the output while it is written */
};

/* A_FMAG .. A_FON exist only in experiments with force disturbances (glio_spec.force),
 * A_NCNT and A_NUNIT only with a neural: block (glio_spec.neural_width). */
enum { A_COND, A_COPY, A_FELL, A_FALL, A_PERT, A_DONE, A_FRIC, A_WARN, A_MVEL, A_CYC,
       A_FMAG, A_FDUR, A_FON, A_NCNT, A_NUNIT, A_N };
_Static_assert(A_N == 15, "glio_file.agents has one slot per column");

static int glio_agent_column_on_(const glio_file *f, int i) {
  if (i >= A_NCNT) return f->neural_width > 0;
  return i < A_FMAG || f->force;
}

/* Values per agent of column i (its second dimension; 1 = a 1-D column). */
static int glio_agent_width_(const glio_file *f, int i) {
  return i == A_MVEL ? 3 : i == A_NUNIT ? f->neural_width : 1;
}

static const char *const glio_agent_names_[A_N] = {
    "condition", "copy", "fell", "fall_step", "perturbed", "complete", "friction", "warnings",
    "mean_velocity", "rf_cycles", "force_magnitude", "force_duration", "force_onset_step",
    "neural_count", "neural_units"};

static hid_t glio_agent_type_(int i) {
  switch (i) {
    case A_FELL: case A_PERT: case A_DONE: return H5T_NATIVE_INT8;
    case A_FRIC: case A_MVEL: case A_FMAG: case A_FDUR: return H5T_NATIVE_FLOAT;
    case A_NUNIT: return H5T_NATIVE_INT16;
    default: return H5T_NATIVE_INT32;
  }
}

/* Closing in an error path: the first message is the one that matters. */
static void glio_close_handles_(glio_file *f) {
  char keep[2048];
  snprintf(keep, sizeof keep, "%s", gl_errmsg());
  const unsigned long serial = gl_error_serial();
  for (int i = 0; i < GLIO_NLAYERS; ++i) glh5_close(&f->layer[i]);
  for (int i = 0; i < A_N; ++i) glh5_close(&f->agents[i]);
  glh5_close_mpi(&f->h);
  if (gl_error_serial() != serial && keep[0]) gl_error(GL_ERR_IO, "%s", keep);
}

static void glio_free_(glio_file *f) {
  if (!f) return;
  glio_close_handles_(f);
  gl_lock_release(&f->lock);
  free(f->final_path);
  free(f->partial_path);
  free(f);
}

/* ---- the output path, checked before anything is simulated or created */

/* Rank 0. A directory, a device or an unwritable place as output would only fail at the final
 * rename, after the whole simulation (or, as root, replace /dev/null with a file). */
static gl_err glio_check_output_(const char *out) {
  size_t n = strlen(out);
  if (n == 0 || out[n - 1] == '/')
    return gl_error(GL_ERR_INPUT, "output '%s' names a directory; give a file path such as out/run.h5", out);
  struct stat st;
  if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
    return gl_error(GL_ERR_INPUT, "output '%s' exists and is not a regular file (%s); choose a file path",
                    out, S_ISDIR(st.st_mode) ? "a directory" : "a device or special file");
  char *dir = NULL;
  GL_CALL(gl_dirname(out, &dir));
  gl_err err = GL_OK;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    err = gl_error(GL_ERR_INPUT, "output '%s': directory '%s' does not exist (create it first)", out, dir);
  else if (access(dir, W_OK | X_OK) != 0)
    err = gl_error(GL_ERR_IO, "output '%s': directory '%s' is not writable: %s", out, dir, strerror(errno));
  free(dir);
  return err;
}

/* Bytes the finished file will hold: the recorded layers, the agent table and (generously)
 * HDF5's metadata and the small tables. */
static double glio_size_estimate_(const glio_spec *sp) {
  const glio_layer_info *info = glio_layer_table();
  double per_agent = 64.0; /* the /agents row */
  for (int i = 0; i < GLIO_NLAYERS; ++i)
    if (sp->layer_on[i]) per_agent += 4.0 * (sp->record_stop - sp->record_start) * info[i].dim;
  return (double)sp->nagents * per_agent + 1.0e6 + 100.0 * sp->nconditions;
}

/* Rank 0, before anything is simulated: the output must fit (a run that would fill the disk
 * is refused with both numbers, instead of failing at the end). An existing .partial of a
 * resumed run already holds its share. */
static gl_err glio_check_space_(const glio_spec *sp, const char *partial) {
  double need = glio_size_estimate_(sp), have = gl_free_bytes(sp->output);
  struct stat st;
  if (stat(partial, &st) == 0) need -= (double)st.st_size;
  if (have >= 0 && need > have)
    return gl_error(GL_ERR_IO, "output '%s' needs about %.3g MB (%lld agents x %d steps of the recorded layers) but its file system has %.3g MB free",
                    sp->output, need / 1e6, (long long)sp->nagents, sp->record_stop - sp->record_start, have / 1e6);
  return GL_OK;
}

/* ---- creating a new file */

static gl_err glio_write_root_attrs_(glio_file *f, const glio_spec *sp) {
  char libs[512];
  hid_t r = f->h.id;
  gl_library_versions(libs, sizeof libs);
  GL_CALL(glh5_attr_string(r, "config_yaml", sp->config_yaml));
  GL_CALL(glh5_attr_string(r, "name", sp->name));
  GL_CALL(glh5_attr_string(r, "git_hash", gl_git_hash()));
  GL_CALL(glh5_attr_string(r, "gaitlab_version", gl_version()));
  GL_CALL(glh5_attr_string(r, "library_versions", libs));
  GL_CALL(glh5_attr_string(r, "policy", sp->policy));
  GL_CALL(glh5_attr_int(r, "policy_seed", sp->policy_seed));
  GL_CALL(glh5_attr_int(r, "policy_steps", sp->policy_steps));
  GL_CALL(glh5_attr_int(r, "policy_iterations", sp->policy_iterations));
  GL_CALL(glh5_attr_string(r, "policy_git_hash", sp->policy_git_hash ? sp->policy_git_hash : "unknown"));
  GL_CALL(glh5_attr_int(r, "seed", sp->seed));
  GL_CALL(glh5_attr_int(r, "nranks", f->h.size));
  GL_CALL(glh5_attr_string(r, "status", "partial"));
  GL_CALL(glh5_attr_string(r, "units", "SI: m, s, m/s, rad/s, N, N m; commands also in the observation scale under /conditions/*_obs"));
  GL_CALL(glh5_attr_string(r, "agent_index", "agent = condition * copies + copy"));
  return GL_OK;
}

/* A small dataset every rank holds alike, written by rank 0, with a `units` attribute. */
static gl_err glio_put_with_units_(glio_file *f, hid_t g, const char *name, hid_t type,
                                   hsize_t n, const void *data, const char *units) {
  hid_t d;
  GL_CALL(glh5_put_mpi(&f->h, g, name, type, 1, &n, data));
  GL_CALL(glh5_object_open(g, name, &d));
  return glh5_release(glh5_attr_string(d, "units", units), &d);
}

static gl_err glio_write_conditions_(glio_file *f, const glio_spec *sp) {
  static const char *const names[3] = {"u", "v", "r"}, *const obs_names[3] = {"u_obs", "v_obs", "r_obs"};
  static const char *const units[3] = {"m/s", "m/s", "rad/s"};
  static const double obs_scale[3] = {2.0, 2.0, 0.25};
  hid_t g;
  double *col = NULL;
  const hsize_t n = (hsize_t)sp->nconditions;
  GL_CALL(glh5_group_create(f->h.id, "conditions", &g));
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(col, sp->nconditions), done);
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < sp->nconditions; ++c) col[c] = sp->cond[3 * c + k];
    GL_GOTO(err, glio_put_with_units_(f, g, names[k], H5T_NATIVE_DOUBLE, n, col, units[k]), done);
    for (int c = 0; c < sp->nconditions; ++c) col[c] = sp->cond[3 * c + k] * obs_scale[k];
    GL_GOTO(err, glio_put_with_units_(f, g, obs_names[k], H5T_NATIVE_DOUBLE, n, col,
                                      "observation scale: u, v x2; r x0.25 (the authors' analysis labels)"), done);
  }
  GL_GOTO(err, glh5_attr_int(g, "copies", sp->copies), done);
  GL_GOTO(err, glh5_attr_string(g, "layout", sp->zip ? "zip: u, v, r paired element-wise" : "grid: u slowest, r fastest"), done);
done:
  free(col);
  return glh5_release(err, &g);
}

static gl_err glio_write_steps_(glio_file *f, hid_t g, const glio_spec *sp) {
  int32_t *steps = NULL;
  hsize_t nw = (hsize_t)f->nwin;
  hid_t d = -1;
  GL_CALL(GL_ALLOC(steps, f->nwin));
  for (int t = 0; t < f->nwin; ++t) steps[t] = sp->record_start + t;
  gl_err err = glh5_put_mpi(&f->h, g, "step", H5T_NATIVE_INT32, 1, &nw, steps);
  free(steps);
  if (!err) err = glh5_object_open(g, "step", &d);
  if (!err) err = glh5_attr_double(d, "dt", sp->dt);
  if (!err) err = glh5_attr_string(d, "units", "policy steps since reset; time = step * dt (s)");
  return glh5_release(err, &d);
}

static gl_err glio_create_layers_(glio_file *f, const glio_spec *sp) {
  hid_t g;
  GL_CALL(glh5_group_create(f->h.id, "recording", &g));
  gl_err err = GL_OK;
  const hsize_t nw = (hsize_t)f->nwin;
  GL_GOTO(err, glio_write_steps_(f, g, sp), done);
  GL_GOTO(err, glh5_attr_string(g, "alignment", "row t holds the observation at step t and the activity and action computed from it (the authors' files stored obs_{t+1} in row t; quirk Q9)"), done);
  GL_GOTO(err, glh5_attr_string(g, "invalid_samples", "NaN from /agents/fall_step on"), done);
  const glio_layer_info *info = glio_layer_table();
  for (int i = 0; i < GLIO_NLAYERS; ++i) {
    if (!sp->layer_on[i]) continue;
    hsize_t dims[3] = {(hsize_t)f->nagents, nw, (hsize_t)info[i].dim};
    hsize_t chunk[3] = {1, nw, (hsize_t)info[i].dim};
    GL_GOTO(err, glh5_create(g, info[i].name, H5T_NATIVE_FLOAT, 3, dims, chunk, &f->layer[i]), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "dims", "agent, step, unit"), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "units", info[i].units), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "description", info[i].description), done);
  }
done:
  return glh5_release(err, &g);
}

static gl_err glio_create_agents_(glio_file *f, const glio_spec *sp) {
  hid_t g;
  GL_CALL(glh5_group_create(f->h.id, "agents", &g));
  gl_err err = GL_OK;
  for (int i = 0; i < A_N; ++i) {
    if (!glio_agent_column_on_(f, i)) continue;
    const int w = glio_agent_width_(f, i);
    hsize_t dims[2] = {(hsize_t)f->nagents, (hsize_t)w};
    /* zero until written: a resume reads the flags of agents no block has reached yet */
    GL_GOTO(err, glh5_create_zeroed(g, glio_agent_names_[i], glio_agent_type_(i), i == A_MVEL || i == A_NUNIT ? 2 : 1,
                                    dims, &f->agents[i]), done);
  }
  GL_GOTO(err, glh5_attr_string(f->agents[A_FALL], "description", "policy step of the fall (base contact) or of non-finite state; -1 = none"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_DONE], "description", "1 once the agent's data is fully written (resume trusts only these)"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_MVEL], "units", "m/s, m/s, rad/s (body-frame u, v, yaw rate; mean over valid window samples)"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_CYC], "description", "complete RF-foot cycles (lift-off to lift-off; contact = world-z force > 1 N) inside the valid recording window"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_WARN], "description", "MuJoCo warnings raised during the agent's episode"), done);
  if (f->force) {
    GL_GOTO(err, glh5_attr_string(f->agents[A_FMAG], "units", "body weights (total mass x |g|); 0 = not disturbed"), done);
    GL_GOTO(err, glh5_attr_string(f->agents[A_FDUR], "units", "s"), done);
    GL_GOTO(err, glh5_attr_string(f->agents[A_FON], "description", "policy step whose physics the force starts in (the foot's touchdown + delay); -1 = never applied (no touchdown after perturbation.step, or fell before)"), done);
  }
  if (f->neural_width > 0) {
    GL_GOTO(err, glh5_attr_string(f->agents[A_NCNT], "description", sp->neural_what), done);
    GL_GOTO(err, glh5_attr_string(f->agents[A_NCNT], "kind", sp->neural_kind), done);
    GL_GOTO(err, glh5_attr_int(f->agents[A_NCNT], "step", sp->neural_step), done);
    GL_GOTO(err, glh5_attr_string(f->agents[A_NUNIT], "description", "the units (or PCs) neural_count names, ascending; -1 pads the row"), done);
  }
done:
  return glh5_release(err, &g);
}

/* Collective: a new <output>.partial with every dataset sized, flushed at once so that a
 * job killed during its first block leaves a file --resume can open. */
static gl_err glio_create_(glio_file *f, const glio_spec *sp) {
  GL_CALL(gl_agree(f->h.comm, glh5_open_mpi(&f->h, f->partial_path, GLH5_CREATE, f->h.comm)));
  GL_CALL(gl_agree(f->h.comm, glio_write_root_attrs_(f, sp)));
  GL_CALL(gl_agree(f->h.comm, glio_write_conditions_(f, sp)));
  GL_CALL(gl_agree(f->h.comm, glio_create_layers_(f, sp)));
  GL_CALL(gl_agree(f->h.comm, glio_create_agents_(f, sp)));
  return gl_agree(f->h.comm, glh5_flush(f->h.id));
}

/* ---- reopening a .partial on --resume */

/* Every dataset this configuration writes, shape-checked: a .partial of the same YAML
 * has them, so anything else is damage, reported with the object and its shape. */
static gl_err glio_reopen_datasets_(glio_file *f, const glio_spec *sp) {
  const glio_layer_info *info = glio_layer_table();
  for (int i = 0; i < GLIO_NLAYERS; ++i) {
    if (!sp->layer_on[i]) continue;
    char *path = NULL;
    const hsize_t want[3] = {(hsize_t)f->nagents, (hsize_t)f->nwin, (hsize_t)info[i].dim};
    GL_CALL(glh5_path_with("/recording/", info[i].name, &path));
    gl_err err = glh5_check(f->h.id, path, H5T_NATIVE_FLOAT, 3, want, NULL);
    if (!err) err = glh5_object_open(f->h.id, path, &f->layer[i]);
    free(path);
    GL_CALL(err);
  }
  for (int i = 0; i < A_N; ++i) {
    if (!glio_agent_column_on_(f, i)) continue;
    char *path = NULL;
    const hsize_t want[2] = {(hsize_t)f->nagents, (hsize_t)glio_agent_width_(f, i)};
    GL_CALL(glh5_path_with("/agents/", glio_agent_names_[i], &path));
    gl_err err = glh5_check(f->h.id, path, glio_agent_type_(i), i == A_MVEL || i == A_NUNIT ? 2 : 1, want, NULL);
    if (!err) err = glh5_object_open(f->h.id, path, &f->agents[i]);
    free(path);
    GL_CALL(err);
  }
  return GL_OK;
}

/* Collective: the data of every completed agent read back once, so that a damaged chunk
 * (its Fletcher-32 checksum fails) stops the resume instead of being renamed complete with
 * the rest. Each rank reads a contiguous share of the agents, in runs of consecutive
 * completed ones of up to ~4 MB through the datasets the reopen holds, with independent
 * reads since the shares differ. */
static gl_err glio_verify_done_(glio_file *f, const glio_spec *sp, const int8_t *done) {
  const glio_layer_info *info = glio_layer_table();
  int dmax = 1;
  for (int i = 0; i < GLIO_NLAYERS; ++i)
    if (sp->layer_on[i] && info[i].dim > dmax) dmax = info[i].dim;
  const size_t per_agent = (size_t)f->nwin * (size_t)dmax;
  const size_t run_bytes = (size_t)4 << 20, agent_bytes = per_agent * sizeof(float);
  const int64_t kmax = agent_bytes >= run_bytes ? 1 : (int64_t)(run_bytes / agent_bytes);
  int64_t a0, a1;
  gl_shard_range(f->nagents, f->h.size, f->h.rank, &a0, &a1);
  float *rows = NULL;
  hid_t dx = H5Pcreate(H5P_DATASET_XFER);
  gl_err err = dx < 0 || H5Pset_dxpl_mpio(dx, H5FD_MPIO_INDEPENDENT) < 0
                   ? gl_error(GL_ERR_LIB, "HDF5: cannot set up independent reads of '%s'", f->partial_path)
                   : GL_ALLOC(rows, per_agent * (size_t)kmax);
  for (int i = 0; !err && i < GLIO_NLAYERS; ++i) {
    if (!sp->layer_on[i]) continue;
    for (int64_t a = a0; !err && a < a1;) {
      if (!done[a]) {
        ++a;
        continue;
      }
      int64_t n = 1;
      while (a + n < a1 && n < kmax && done[a + n]) ++n;
      err = glh5_read_rows_open(f->layer[i], H5T_NATIVE_FLOAT, (hsize_t)a, (hsize_t)n, rows, dx);
      if (err && n > 1) { /* read the run again row by row, so that the message names the agent */
        gl_err row = GL_OK;
        for (int64_t k = 0; !row && k < n; ++k) {
          gl_error_clear();
          row = glh5_read_rows_open(f->layer[i], H5T_NATIVE_FLOAT, (hsize_t)(a + k), 1, rows, dx);
        }
        err = row ? row : gl_error(GL_ERR_INPUT, "HDF5 dataset '/recording/%s' rows [%lld, %lld) cannot be read together",
                                   info[i].name, (long long)a, (long long)(a + n));
      }
      a += n;
    }
  }
  free(rows);
  if (dx >= 0 && H5Pclose(dx) < 0 && !err) err = gl_error(GL_ERR_LIB, "HDF5: cannot release a transfer list");
  return gl_agree(f->h.comm, err);
}

/* Collective. *ok = 1 when an existing .partial of the same configuration was reopened,
 * with its completion flags in done. */
static gl_err glio_try_reopen_(glio_file *f, const glio_spec *sp, int *ok, int8_t *done) {
  *ok = 0;
  int exists = f->h.rank == 0 && access(f->partial_path, F_OK) == 0;
  GL_MPI(MPI_Bcast(&exists, 1, MPI_INT, 0, f->h.comm));
  if (!exists) return GL_OK;
  if (gl_agree(f->h.comm, glh5_open_mpi(&f->h, f->partial_path, GLH5_RDWR, f->h.comm)) != GL_OK) {
    /* A writer killed before its first flush (or inside a metadata update) leaves a file
     * HDF5 cannot open; nothing in it can be trusted, so start over. */
    gl_log("gaitlab: '%s' is not a readable HDF5 file (killed before a flush?); starting over", f->partial_path);
    return GL_OK;
  }
  char *yaml = NULL;
  gl_err err = glh5_attr_read_string(f->h.id, "config_yaml", &yaml);
  int same = !err && strcmp(yaml, sp->config_yaml) == 0;
  free(yaml);
  if (!same)
    return gl_error(GL_ERR_INPUT, "cannot resume: '%s' was written by a different configuration; delete it or run without --resume", f->partial_path);
  err = glio_reopen_datasets_(f, sp);
  /* Every rank reads the whole flag vector: it is nagents bytes. */
  const hsize_t n = (hsize_t)f->nagents;
  if (!err) err = glh5_read(f->h.id, "/agents/complete", H5T_NATIVE_INT8, 1, &n, done, f->h.dxpl);
  err = gl_agree(f->h.comm, err);
  if (!err) err = glio_verify_done_(f, sp, done);
  if (!err) err = glh5_attr_int(f->h.id, "nranks", f->h.size);
  if (err) return gl_error_context(err, "cannot resume from '%s'", f->partial_path);
  *ok = 1;
  return GL_OK;
}

gl_err glio_open(glio_file **out, const glio_spec *sp, int resume, MPI_Comm comm, int8_t **done) {
  glio_file *f = NULL;
  gl_err err = GL_OK;
  *out = NULL;
  if (done) *done = NULL;
  glh5_quiet();
  GL_CALL(GL_ALLOC(f, 1));
  f->h.id = f->h.dxpl = -1;
  f->h.comm = comm;
  f->lock.fd = -1;
  for (int i = 0; i < GLIO_NLAYERS; ++i) f->layer[i] = -1;
  for (int i = 0; i < A_N; ++i) f->agents[i] = -1;
  GL_MPI_GOTO(err, MPI_Comm_rank(comm, &f->h.rank), fail);
  GL_MPI_GOTO(err, MPI_Comm_size(comm, &f->h.size), fail);
  f->nwin = sp->record_stop - sp->record_start;
  f->nagents = sp->nagents;
  f->force = sp->force;
  f->neural_width = sp->neural_width;
  f->ncond = sp->nconditions;
  int8_t *flags = NULL;
  GL_GOTO(err, glh5_path_with(sp->output, "", &f->final_path), fail);
  GL_GOTO(err, glh5_path_with(sp->output, ".partial", &f->partial_path), fail);
  GL_GOTO(err, GL_ALLOC(flags, f->nagents), fail);
  GL_GOTO(err, gl_agree(comm, f->h.rank == 0 ? glio_check_output_(sp->output) : GL_OK), fail);
  GL_GOTO(err, gl_agree(comm, f->h.rank == 0 ? glio_check_space_(sp, f->partial_path) : GL_OK), fail);
  GL_GOTO(err, gl_agree(comm, f->h.rank == 0 ? gl_lock_take(&f->lock, f->final_path) : GL_OK), fail);
  int reopened = 0;
  if (resume) GL_GOTO(err, gl_agree(comm, glio_try_reopen_(f, sp, &reopened, flags)), fail);
  if (!reopened) GL_GOTO(err, glio_create_(f, sp), fail);
  *out = f;
  if (done)
    *done = flags;
  else
    free(flags);
  return GL_OK;
fail:
  free(flags);
  glio_free_(f);
  return err;
}

/* The agent table's column i of rows [0, n), in the column's file type. */
static void glio_agent_column_(const glio_file *f, int i, const glio_agent_row *rows, int64_t n,
                               void *col) {
  const int w = f->neural_width;
  for (int64_t k = 0; k < n; ++k) {
    const glio_agent_row *r = &rows[k];
    switch (i) {
      case A_COND: ((int32_t *)col)[k] = r->condition; break;
      case A_COPY: ((int32_t *)col)[k] = r->copy; break;
      case A_FELL: ((int8_t *)col)[k] = r->fell; break;
      case A_FALL: ((int32_t *)col)[k] = r->fall_step; break;
      case A_PERT: ((int8_t *)col)[k] = r->perturbed; break;
      case A_DONE: ((int8_t *)col)[k] = r->complete; break;
      case A_FRIC: ((float *)col)[k] = r->friction; break;
      case A_WARN: ((int32_t *)col)[k] = r->warnings; break;
      case A_MVEL: memcpy((float *)col + 3 * k, r->mean_vel, 3 * sizeof(float)); break;
      case A_CYC: ((int32_t *)col)[k] = r->rf_cycles; break;
      case A_FMAG: ((float *)col)[k] = r->force_magnitude; break;
      case A_FDUR: ((float *)col)[k] = r->force_duration; break;
      case A_FON: ((int32_t *)col)[k] = r->force_onset_step; break;
      case A_NCNT: ((int32_t *)col)[k] = r->neural_count; break;
      case A_NUNIT: memcpy((int16_t *)col + (size_t)w * k, r->neural_units, sizeof(int16_t) * (size_t)w); break;
    }
  }
}

gl_err glio_write_block(glio_file *f, int64_t agent0, int64_t n, float *const *layer,
                        const glio_agent_row *rows) {
  const glio_layer_info *info = glio_layer_table();
  const hsize_t a0 = (hsize_t)agent0, na = (hsize_t)n;
  for (int i = 0; i < GLIO_NLAYERS; ++i) {
    if (f->layer[i] < 0) continue;
    gl_err err = gl_agree(f->h.comm, glh5_write_rows(f->layer[i], H5T_NATIVE_FLOAT, a0, na, n ? layer[i] : NULL, f->h.dxpl));
    if (err) return gl_name_enospc(gl_error_context(err, "writing /recording/%s", info[i].name), f->partial_path);
  }
  void *col = NULL;
  const size_t width = f->neural_width > 6 ? (size_t)f->neural_width * sizeof(int16_t) : 3 * sizeof(float);
  GL_CALL(gl_calloc(&col, (size_t)(n ? n : 1), width));
  gl_err err = GL_OK;
  for (int i = 0; i < A_N && !err; ++i) {
    /* The completion flags go last, after a flush of the data they vouch for. */
    if (i == A_DONE || f->agents[i] < 0) continue;
    glio_agent_column_(f, i, rows, n, col);
    err = gl_agree(f->h.comm, glh5_write_rows(f->agents[i], glio_agent_type_(i), a0, na, col, f->h.dxpl));
  }
  if (!err) err = gl_agree(f->h.comm, glh5_flush(f->h.id));
  if (!err) {
    glio_agent_column_(f, A_DONE, rows, n, col);
    err = gl_agree(f->h.comm, glh5_write_rows(f->agents[A_DONE], H5T_NATIVE_INT8, a0, na, col, f->h.dxpl));
  }
  if (!err) err = gl_agree(f->h.comm, glh5_flush(f->h.id));
  free(col);
  return err ? gl_name_enospc(err, f->partial_path) : GL_OK;
}

/* ---- /summary/tracking */

/* Rank 0's copy of what the tracking table is computed from, read back from the file (so
 * that agents completed before a resume count too). */
typedef struct glio_track_in_ {
  int32_t *cond, *cyc;
  int8_t *fell;
  float *mvel;
  double *cmd; /* [3 x ncond]: u, then v, then r */
} glio_track_in_;

static void glio_track_in_free_(glio_track_in_ *in) {
  free(in->cond);
  free(in->cyc);
  free(in->fell);
  free(in->mvel);
  free(in->cmd);
}

/* Independent reads on rank 0 only: collective semantics are not needed for reading, and
 * the sums must run in agent order on one rank to be rank-count independent. */
static gl_err glio_track_read_(const glio_file *f, glio_track_in_ *in) {
  const hsize_t na = (hsize_t)f->nagents, nc = (hsize_t)f->ncond, nv[2] = {na, 3};
  hid_t id = f->h.id, dx = H5Pcreate(H5P_DATASET_XFER);
  if (dx < 0 || H5Pset_dxpl_mpio(dx, H5FD_MPIO_INDEPENDENT) < 0) {
    if (dx >= 0) H5Pclose(dx);
    return gl_error(GL_ERR_LIB, "HDF5: cannot set up independent reads of '%s'", f->partial_path);
  }
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(in->cond, f->nagents), done);
  GL_GOTO(err, GL_ALLOC(in->fell, f->nagents), done);
  GL_GOTO(err, GL_ALLOC(in->mvel, 3 * f->nagents), done);
  GL_GOTO(err, GL_ALLOC(in->cyc, f->nagents), done);
  GL_GOTO(err, GL_ALLOC(in->cmd, 3 * (size_t)f->ncond), done);
  GL_GOTO(err, glh5_read(id, "/agents/condition", H5T_NATIVE_INT32, 1, &na, in->cond, dx), done);
  GL_GOTO(err, glh5_read(id, "/agents/fell", H5T_NATIVE_INT8, 1, &na, in->fell, dx), done);
  GL_GOTO(err, glh5_read(id, "/agents/mean_velocity", H5T_NATIVE_FLOAT, 2, nv, in->mvel, dx), done);
  GL_GOTO(err, glh5_read(id, "/agents/rf_cycles", H5T_NATIVE_INT32, 1, &na, in->cyc, dx), done);
  GL_GOTO(err, glh5_read(id, "/conditions/u", H5T_NATIVE_DOUBLE, 1, &nc, in->cmd, dx), done);
  GL_GOTO(err, glh5_read(id, "/conditions/v", H5T_NATIVE_DOUBLE, 1, &nc, in->cmd + nc, dx), done);
  GL_GOTO(err, glh5_read(id, "/conditions/r", H5T_NATIVE_DOUBLE, 1, &nc, in->cmd + 2 * nc, dx), done);
  for (int64_t a = 0; a < f->nagents && !err; ++a)
    if (in->cond[a] < 0 || in->cond[a] >= f->ncond)
      err = gl_error(GL_ERR_INPUT, "'%s': /agents/condition[%lld] = %d is not a condition index (0..%d)",
                     f->partial_path, (long long)a, (int)in->cond[a], f->ncond - 1);
done:
  return glh5_release(err, &dx);
}

/* table [ncond x GLIO_TRACK_NCOL], zeroed: sums in agent order, then means. */
static void glio_track_fill_(const glio_file *f, const glio_track_in_ *in, double *table) {
  const int nc = f->ncond;
  for (int c = 0; c < nc; ++c)
    for (int k = 0; k < 3; ++k) table[c * GLIO_TRACK_NCOL + GLIO_TRACK_U_CMD + k] = in->cmd[k * nc + c];
  for (int64_t a = 0; a < f->nagents; ++a) {
    double *row = &table[in->cond[a] * GLIO_TRACK_NCOL];
    row[GLIO_TRACK_AGENTS] += 1.0;
    if (in->fell[a]) {
      row[GLIO_TRACK_FALL_RATE] += 1.0;
      continue;
    }
    row[GLIO_TRACK_STANDING] += 1.0;
    for (int k = 0; k < 3; ++k) row[GLIO_TRACK_U_MEAS + k] += in->mvel[3 * a + k];
    row[GLIO_TRACK_RF_CYCLES] += in->cyc[a];
  }
  for (int c = 0; c < nc; ++c) {
    double *row = &table[c * GLIO_TRACK_NCOL];
    const double standing = row[GLIO_TRACK_STANDING], agents = row[GLIO_TRACK_AGENTS];
    for (int k = 0; k < 3; ++k)
      row[GLIO_TRACK_U_MEAS + k] = standing > 0 ? row[GLIO_TRACK_U_MEAS + k] / standing : NAN;
    row[GLIO_TRACK_RF_CYCLES] = standing > 0 ? row[GLIO_TRACK_RF_CYCLES] / standing : NAN;
    row[GLIO_TRACK_FALL_RATE] = agents > 0 ? row[GLIO_TRACK_FALL_RATE] / agents : NAN;
  }
}

/* Collective: /summary/tracking from rank 0's table. */
static gl_err glio_track_write_(glio_file *f, const double *table) {
  hid_t g = -1, d = -1;
  const hsize_t dims[2] = {(hsize_t)f->ncond, GLIO_TRACK_NCOL};
  /* A run killed between writing the summary and the rename leaves one behind. */
  GL_CALL(glh5_delete(f->h.id, "summary"));
  GL_CALL(glh5_group_create(f->h.id, "summary", &g));
  gl_err err = glh5_put(g, "tracking", H5T_NATIVE_DOUBLE, 2, dims, table, f->h.rank == 0, f->h.dxpl);
  if (!err) err = glh5_object_open(g, "tracking", &d);
  if (!err) err = glh5_attr_string(d, "columns", "u_cmd, v_cmd, r_cmd, u_measured, v_measured, r_measured, fall_rate, agents_standing, agents, rf_cycles");
  if (!err) err = glh5_attr_string(d, "units", "m/s, m/s, rad/s, m/s, m/s, rad/s, fraction, count, count, cycles per standing agent in the window; measured = mean over non-fallen agents of each agent's window mean of body-frame base velocity");
  err = glh5_release(err, &d);
  return glh5_release(err, &g);
}

gl_err glio_write_tracking(glio_file *f) {
  double *table = NULL;
  glio_track_in_ in = {0};
  gl_err err = GL_ALLOC(table, (size_t)f->ncond * GLIO_TRACK_NCOL);
  if (!err && f->h.rank == 0) {
    err = glio_track_read_(f, &in);
    if (err)
      err = gl_error_context(err, "reading /agents back for the tracking summary");
    else
      glio_track_fill_(f, &in, table);
  }
  glio_track_in_free_(&in);
  err = gl_agree(f->h.comm, err);
  if (!err) err = glio_track_write_(f, table);
  free(table);
  return err;
}

/* ---- finishing */

gl_err glio_finish(glio_file *f) {
  gl_err err = gl_agree(f->h.comm, glh5_attr_string(f->h.id, "status", "complete"));
  /* The close writes the last metadata: a full disk shows here, before anything is renamed. */
  for (int i = 0; i < GLIO_NLAYERS; ++i) err = glh5_release(err, &f->layer[i]);
  for (int i = 0; i < A_N; ++i) err = glh5_release(err, &f->agents[i]);
  if (err) {
    /* the first failure is the one reported; the file is closed all the same */
    char keep[2048];
    snprintf(keep, sizeof keep, "%s", gl_errmsg());
    if (glh5_close_mpi(&f->h) != GL_OK) gl_error(err, "%s", keep);
  } else {
    err = glh5_close_mpi(&f->h);
  }
  err = gl_agree(f->h.comm, gl_name_enospc(err, f->partial_path));
  if (!err && f->h.rank == 0) err = glh5_commit(f->partial_path, f->final_path);
  err = gl_agree(f->h.comm, err);
  glio_free_(f);
  return err;
}

void glio_abort(glio_file *f) { glio_free_(f); }

gl_err glio_read_config(const char *path, char **yaml) {
  hid_t f;
  *yaml = NULL;
  glh5_quiet();
  if (glh5_open(&f, path, GLH5_READ) != GL_OK)
    return gl_error(GL_ERR_INPUT, "'%s' exists but is not a readable HDF5 file", path);
  gl_err err = glh5_attr_read_string(f, "config_yaml", yaml);
  err = glh5_release(err, &f);
  return err ? gl_error_context(err, "'%s'", path) : GL_OK;
}
