/* The experiment's HDF5 file: creation with every dataset sized up front (parallel HDF5
 * wants fixed-size datasets and identical metadata calls on all ranks), block writes of
 * agents, the tracking summary and the atomic rename at the end. */
#include "gaitlab/recording.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gaitlab/core.h"
#include "gaitlab/h5.h"

struct glio_file {
  MPI_Comm comm;
  int rank, nranks;
  hid_t file, dxpl;
  hid_t layer[GLX_NLAYERS]; /* -1 when not recorded */
  hid_t agents[10];         /* indexed by the A_* enum below */
  int nwin;
  int64_t nagents;
  int ncond;
  char *final_path, *partial_path;
};

enum { A_COND, A_COPY, A_FELL, A_FALL, A_PERT, A_DONE, A_FRIC, A_WARN, A_MVEL, A_CYC, A_N };

static const char *const glio_agent_names_[A_N] = {
    "condition", "copy", "fell", "fall_step", "perturbed", "complete", "friction", "warnings",
    "mean_velocity", "rf_cycles"};

static hid_t glio_agent_type_(int i) {
  switch (i) {
    case A_FELL: case A_PERT: case A_DONE: return H5T_NATIVE_INT8;
    case A_FRIC: case A_MVEL: return H5T_NATIVE_FLOAT;
    default: return H5T_NATIVE_INT32;
  }
}

static gl_err glio_strdup_(char **out, const char *a, const char *b) {
  size_t n = strlen(a) + (b ? strlen(b) : 0) + 1;
  GL_CALL(GL_ALLOC(*out, n));
  snprintf(*out, n, "%s%s", a, b ? b : "");
  return GL_OK;
}

static void glio_close_handles_(glio_file *f) {
  for (int i = 0; i < GLX_NLAYERS; ++i)
    if (f->layer[i] >= 0) H5Dclose(f->layer[i]);
  for (int i = 0; i < A_N; ++i)
    if (f->agents[i] >= 0) H5Dclose(f->agents[i]);
  if (f->dxpl >= 0) H5Pclose(f->dxpl);
  if (f->file >= 0) H5Fclose(f->file);
  for (int i = 0; i < GLX_NLAYERS; ++i) f->layer[i] = -1;
  for (int i = 0; i < A_N; ++i) f->agents[i] = -1;
  f->dxpl = f->file = -1;
}

static void glio_free_(glio_file *f) {
  if (!f) return;
  glio_close_handles_(f);
  free(f->final_path);
  free(f->partial_path);
  free(f);
}

static hid_t glio_fapl_(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  H5Pset_all_coll_metadata_ops(fapl, 1);
  H5Pset_coll_metadata_write(fapl, 1);
  return fapl;
}

static gl_err glio_write_root_attrs_(glio_file *f, const glx_config *cfg) {
  char libs[512];
  gl_library_versions(libs, sizeof libs);
  GL_CALL(glh5_attr_string(f->file, "config_yaml", cfg->yaml));
  GL_CALL(glh5_attr_string(f->file, "name", cfg->name));
  GL_CALL(glh5_attr_string(f->file, "git_hash", gl_git_hash()));
  GL_CALL(glh5_attr_string(f->file, "gaitlab_version", gl_version()));
  GL_CALL(glh5_attr_string(f->file, "library_versions", libs));
  GL_CALL(glh5_attr_string(f->file, "policy", cfg->policy));
  GL_CALL(glh5_attr_int(f->file, "seed", cfg->seed));
  GL_CALL(glh5_attr_int(f->file, "nranks", f->nranks));
  GL_CALL(glh5_attr_string(f->file, "status", "partial"));
  GL_CALL(glh5_attr_string(f->file, "units", "SI: m, s, m/s, rad/s, N, N m; commands also in the observation scale under /conditions/*_obs"));
  GL_CALL(glh5_attr_string(f->file, "agent_index", "agent = condition * copies + copy"));
  return GL_OK;
}

static gl_err glio_write_conditions_(glio_file *f, const glx_config *cfg) {
  hid_t g = H5Gcreate2(f->file, "conditions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create /conditions");
  gl_err err = GL_OK;
  double *col = NULL;
  const char *names[3] = {"u", "v", "r"}, *obs_names[3] = {"u_obs", "v_obs", "r_obs"};
  const char *units[3] = {"m/s", "m/s", "rad/s"};
  const double obs_scale[3] = {2.0, 2.0, 0.25};
  hsize_t n = (hsize_t)cfg->nconditions;
  GL_GOTO(err, GL_ALLOC(col, cfg->nconditions), done);
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < cfg->nconditions; ++c) col[c] = cfg->cond[3 * c + k];
    GL_GOTO(err, glh5_put(g, names[k], H5T_NATIVE_DOUBLE, 1, &n, col, f->rank == 0, f->dxpl), done);
    hid_t d = H5Dopen2(g, names[k], H5P_DEFAULT);
    err = glh5_attr_string(d, "units", units[k]);
    H5Dclose(d);
    if (err) goto done;
    for (int c = 0; c < cfg->nconditions; ++c) col[c] = cfg->cond[3 * c + k] * obs_scale[k];
    GL_GOTO(err, glh5_put(g, obs_names[k], H5T_NATIVE_DOUBLE, 1, &n, col, f->rank == 0, f->dxpl), done);
    d = H5Dopen2(g, obs_names[k], H5P_DEFAULT);
    err = glh5_attr_string(d, "units", "observation scale: u, v x2; r x0.25 (the authors' analysis labels)");
    H5Dclose(d);
    if (err) goto done;
  }
  GL_GOTO(err, glh5_attr_int(g, "copies", cfg->copies), done);
  GL_GOTO(err, glh5_attr_string(g, "layout", cfg->zip ? "zip: u, v, r paired element-wise" : "grid: u slowest, r fastest"), done);
done:
  free(col);
  H5Gclose(g);
  return err;
}

static gl_err glio_create_layers_(glio_file *f, const glx_config *cfg) {
  hid_t g = H5Gcreate2(f->file, "recording", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create /recording");
  gl_err err = GL_OK;
  int32_t *steps = NULL;
  hsize_t nw = (hsize_t)f->nwin;
  GL_GOTO(err, GL_ALLOC(steps, f->nwin), done);
  for (int t = 0; t < f->nwin; ++t) steps[t] = cfg->record_start + t;
  GL_GOTO(err, glh5_put(g, "step", H5T_NATIVE_INT32, 1, &nw, steps, f->rank == 0, f->dxpl), done);
  {
    hid_t d = H5Dopen2(g, "step", H5P_DEFAULT);
    err = glh5_attr_double(d, "dt", cfg->task.timestep * cfg->task.decimation);
    if (!err) err = glh5_attr_string(d, "units", "policy steps since reset; time = step * dt (s)");
    H5Dclose(d);
    if (err) goto done;
  }
  GL_GOTO(err, glh5_attr_string(g, "alignment", "row t holds the observation at step t and the activity and action computed from it (the authors' files stored obs_{t+1} in row t; quirk Q9)"), done);
  GL_GOTO(err, glh5_attr_string(g, "invalid_samples", "NaN from /agents/fall_step on"), done);
  const glx_layer_info *info = glx_layer_table();
  for (int i = 0; i < GLX_NLAYERS; ++i) {
    if (!cfg->layer_on[i]) continue;
    hsize_t dims[3] = {(hsize_t)f->nagents, nw, (hsize_t)info[i].dim};
    hsize_t chunk[3] = {1, nw, (hsize_t)info[i].dim};
    GL_GOTO(err, glh5_create(g, info[i].name, H5T_NATIVE_FLOAT, 3, dims, chunk, &f->layer[i]), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "dims", "agent, step, unit"), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "units", info[i].units), done);
    GL_GOTO(err, glh5_attr_string(f->layer[i], "description", info[i].description), done);
  }
done:
  free(steps);
  H5Gclose(g);
  return err;
}

static gl_err glio_create_agents_(glio_file *f) {
  hid_t g = H5Gcreate2(f->file, "agents", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return gl_error(GL_ERR_LIB, "HDF5: cannot create /agents");
  gl_err err = GL_OK;
  for (int i = 0; i < A_N; ++i) {
    hsize_t dims[2] = {(hsize_t)f->nagents, 3};
    GL_GOTO(err, glh5_create(g, glio_agent_names_[i], glio_agent_type_(i), i == A_MVEL ? 2 : 1,
                             dims, NULL, &f->agents[i]), done);
  }
  GL_GOTO(err, glh5_attr_string(f->agents[A_FALL], "description", "policy step of the fall (base contact) or of non-finite state; -1 = none"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_DONE], "description", "1 once the agent's data is fully written (resume trusts only these)"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_MVEL], "units", "m/s, m/s, rad/s (body-frame u, v, yaw rate; mean over valid window samples)"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_CYC], "description", "complete RF-foot cycles (lift-off to lift-off; contact = world-z force > 1 N) inside the valid recording window"), done);
  GL_GOTO(err, glh5_attr_string(f->agents[A_WARN], "description", "MuJoCo warnings raised during the agent's episode"), done);
done:
  H5Gclose(g);
  return err;
}

/* Try to reopen a .partial of the same configuration; returns 1 in *ok when usable. */
static gl_err glio_try_reopen_(glio_file *f, const glx_config *cfg, int *ok, int8_t *done) {
  *ok = 0;
  int exists = access(f->partial_path, F_OK) == 0;
  MPI_Bcast(&exists, 1, MPI_INT, 0, f->comm);
  if (!exists) return GL_OK;
  hid_t fapl = glio_fapl_(f->comm);
  f->file = H5Fopen(f->partial_path, H5F_ACC_RDWR, fapl);
  H5Pclose(fapl);
  if (f->file < 0) {
    /* A writer killed before its first flush (or inside a metadata update) leaves a file
     * HDF5 cannot open; nothing in it can be trusted, so start over. */
    gl_log("gaitlab: '%s' is not a readable HDF5 file (killed before a flush?); starting over", f->partial_path);
    return GL_OK;
  }
  char *yaml = NULL;
  gl_err err = glh5_attr_read_string(f->file, "config_yaml", &yaml);
  if (err || strcmp(yaml, cfg->yaml) != 0) {
    free(yaml);
    return gl_error(GL_ERR_INPUT, "cannot resume: '%s' was written by a different configuration; delete it or run without --resume", f->partial_path);
  }
  free(yaml);
  const glx_layer_info *info = glx_layer_table();
  for (int i = 0; i < GLX_NLAYERS; ++i) {
    if (!cfg->layer_on[i]) continue;
    char path[128];
    snprintf(path, sizeof path, "/recording/%s", info[i].name);
    f->layer[i] = H5Dopen2(f->file, path, H5P_DEFAULT);
    if (f->layer[i] < 0) return gl_error(GL_ERR_INPUT, "cannot resume: '%s' lacks %s", f->partial_path, path);
  }
  for (int i = 0; i < A_N; ++i) {
    char path[128];
    snprintf(path, sizeof path, "/agents/%s", glio_agent_names_[i]);
    f->agents[i] = H5Dopen2(f->file, path, H5P_DEFAULT);
    if (f->agents[i] < 0) return gl_error(GL_ERR_INPUT, "cannot resume: '%s' lacks %s", f->partial_path, path);
  }
  /* Every rank reads the whole flag vector: it is nagents bytes. */
  if (H5Dread(f->agents[A_DONE], H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, f->dxpl, done) < 0)
    return gl_error(GL_ERR_INPUT, "cannot resume: cannot read /agents/complete of '%s'", f->partial_path);
  GL_CALL(glh5_attr_int(f->file, "nranks", f->nranks));
  *ok = 1;
  return GL_OK;
}

gl_err glio_open(glio_file **out, const glx_config *cfg, int resume, MPI_Comm comm, int8_t **done) {
  glio_file *f = NULL;
  gl_err err = GL_OK;
  *out = NULL;
  if (done) *done = NULL;
  glh5_quiet();
  GL_CALL(GL_ALLOC(f, 1));
  f->comm = comm;
  MPI_Comm_rank(comm, &f->rank);
  MPI_Comm_size(comm, &f->nranks);
  f->file = f->dxpl = -1;
  for (int i = 0; i < GLX_NLAYERS; ++i) f->layer[i] = -1;
  for (int i = 0; i < A_N; ++i) f->agents[i] = -1;
  f->nwin = cfg->record_stop - cfg->record_start;
  f->nagents = cfg->nagents;
  f->ncond = cfg->nconditions;
  int8_t *flags = NULL;
  GL_GOTO(err, glio_strdup_(&f->final_path, cfg->output, NULL), fail);
  GL_GOTO(err, glio_strdup_(&f->partial_path, cfg->output, ".partial"), fail);
  GL_GOTO(err, GL_ALLOC(flags, f->nagents), fail);
  f->dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE);

  int reopened = 0;
  if (resume) {
    err = glio_try_reopen_(f, cfg, &reopened, flags);
    err = gl_agree(comm, err);
    if (err) goto fail;
  }
  if (!reopened) {
    hid_t fapl = glio_fapl_(comm);
    f->file = H5Fcreate(f->partial_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    err = f->file < 0 ? gl_error(GL_ERR_IO, "cannot create output file '%s' (check the directory exists and is writable)", f->partial_path) : GL_OK;
    GL_GOTO(err, gl_agree(comm, err), fail);
    GL_GOTO(err, gl_agree(comm, glio_write_root_attrs_(f, cfg)), fail);
    GL_GOTO(err, gl_agree(comm, glio_write_conditions_(f, cfg)), fail);
    GL_GOTO(err, gl_agree(comm, glio_create_layers_(f, cfg)), fail);
    GL_GOTO(err, gl_agree(comm, glio_create_agents_(f)), fail);
    /* A flush right away makes the file openable (and thus resumable) even if the job is
     * killed during the first block. */
    if (H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0) err = gl_error(GL_ERR_IO, "cannot flush '%s'", f->partial_path);
    GL_GOTO(err, gl_agree(comm, err), fail);
  }
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

static gl_err glio_write_rows_(hid_t dset, hid_t memtype, int rank, const hsize_t *dims,
                               hsize_t agent0, hsize_t n, const void *buf, hid_t dxpl) {
  hid_t fs = H5Dget_space(dset);
  hsize_t start[3] = {agent0, 0, 0}, count[3] = {n, dims[1], dims[2]};
  hid_t ms;
  if (n == 0) {
    H5Sselect_none(fs);
    ms = H5Scopy(fs);
    H5Sselect_none(ms);
  } else {
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    ms = H5Screate_simple(rank, count, NULL);
  }
  /* HDF5 rejects a NULL buffer even for an empty selection. */
  static const char empty = 0;
  herr_t st = H5Dwrite(dset, memtype, ms, fs, dxpl, buf ? buf : &empty);
  H5Sclose(ms);
  H5Sclose(fs);
  return st < 0 ? gl_error(GL_ERR_IO, "HDF5: collective write failed") : GL_OK;
}

gl_err glio_write_block(glio_file *f, int64_t agent0, int64_t n, float *const *layer,
                        const glio_agent_row *rows) {
  const glx_layer_info *info = glx_layer_table();
  gl_err err = GL_OK;
  for (int i = 0; i < GLX_NLAYERS && !err; ++i) {
    if (f->layer[i] < 0) continue;
    hsize_t dims[3] = {(hsize_t)f->nagents, (hsize_t)f->nwin, (hsize_t)info[i].dim};
    err = glio_write_rows_(f->layer[i], H5T_NATIVE_FLOAT, 3, dims, (hsize_t)agent0, (hsize_t)n,
                           n ? layer[i] : NULL, f->dxpl);
    if (err) gl_error_context(err, "writing /recording/%s", info[i].name);
  }
  /* Agent table columns, transposed from the row structs. */
  void *col = NULL;
  if (!err) err = gl_calloc(&col, (size_t)(n ? n : 1), 3 * sizeof(float));
  for (int i = 0; i < A_N && !err; ++i) {
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
      }
    }
    /* The completion flags go last, after a flush of the data they vouch for. */
    if (i == A_DONE) continue;
    hsize_t dims[3] = {(hsize_t)f->nagents, i == A_MVEL ? 3 : 1, 1};
    err = glio_write_rows_(f->agents[i], glio_agent_type_(i), i == A_MVEL ? 2 : 1, dims,
                           (hsize_t)agent0, (hsize_t)n, col, f->dxpl);
  }
  if (!err && H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0) err = gl_error(GL_ERR_IO, "cannot flush '%s'", f->partial_path);
  if (!err) {
    for (int64_t k = 0; k < n; ++k) ((int8_t *)col)[k] = rows[k].complete;
    hsize_t dims[3] = {(hsize_t)f->nagents, 1, 1};
    err = glio_write_rows_(f->agents[A_DONE], H5T_NATIVE_INT8, 1, dims, (hsize_t)agent0,
                           (hsize_t)n, col, f->dxpl);
  }
  if (!err && H5Fflush(f->file, H5F_SCOPE_GLOBAL) < 0) err = gl_error(GL_ERR_IO, "cannot flush '%s'", f->partial_path);
  free(col);
  return err;
}

gl_err glio_write_tracking(glio_file *f) {
  enum { NCOL = 10 };
  gl_err err = GL_OK;
  double *table = NULL;
  int32_t *cond = NULL;
  int8_t *fell = NULL;
  float *mvel = NULL;
  int32_t *cyc = NULL;
  int64_t na = f->nagents;
  GL_GOTO(err, GL_ALLOC(table, (size_t)f->ncond * NCOL), done);
  if (f->rank == 0) {
    GL_GOTO(err, GL_ALLOC(cond, na), done);
    GL_GOTO(err, GL_ALLOC(fell, na), done);
    GL_GOTO(err, GL_ALLOC(mvel, 3 * na), done);
    GL_GOTO(err, GL_ALLOC(cyc, na), done);
  }
  /* Independent reads on rank 0 only: collective semantics are not needed for reading, and
   * the sums below must run in agent order on one rank to be rank-count independent. */
  hid_t dx = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dx, H5FD_MPIO_INDEPENDENT);
  if (f->rank == 0) {
    if (H5Dread(f->agents[A_COND], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, dx, cond) < 0 ||
        H5Dread(f->agents[A_FELL], H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, dx, fell) < 0 ||
        H5Dread(f->agents[A_MVEL], H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, dx, mvel) < 0 ||
        H5Dread(f->agents[A_CYC], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, dx, cyc) < 0)
      err = gl_error(GL_ERR_IO, "cannot read /agents back for the tracking summary");
    hid_t cu = H5Dopen2(f->file, "/conditions/u", H5P_DEFAULT);
    hid_t cv = H5Dopen2(f->file, "/conditions/v", H5P_DEFAULT);
    hid_t cr = H5Dopen2(f->file, "/conditions/r", H5P_DEFAULT);
    double *cmd = NULL;
    if (!err) err = GL_ALLOC(cmd, 3 * (size_t)f->ncond);
    if (!err && (H5Dread(cu, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, dx, cmd) < 0 ||
                 H5Dread(cv, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, dx, cmd + f->ncond) < 0 ||
                 H5Dread(cr, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, dx, cmd + 2 * f->ncond) < 0))
      err = gl_error(GL_ERR_IO, "cannot read /conditions back for the tracking summary");
    H5Dclose(cu);
    H5Dclose(cv);
    H5Dclose(cr);
    if (!err) {
      for (int c = 0; c < f->ncond; ++c)
        for (int k = 0; k < 3; ++k) table[c * NCOL + k] = cmd[k * f->ncond + c];
      for (int64_t a = 0; a < na; ++a) {
        double *row = &table[cond[a] * NCOL];
        row[8] += 1.0;
        if (fell[a]) {
          row[6] += 1.0;
          continue;
        }
        row[7] += 1.0;
        for (int k = 0; k < 3; ++k) row[3 + k] += mvel[3 * a + k];
        row[9] += cyc[a];
      }
      for (int c = 0; c < f->ncond; ++c) {
        double *row = &table[c * NCOL];
        for (int k = 0; k < 3; ++k) row[3 + k] = row[7] > 0 ? row[3 + k] / row[7] : NAN;
        row[9] = row[7] > 0 ? row[9] / row[7] : NAN;
        row[6] = row[8] > 0 ? row[6] / row[8] : NAN;
      }
      /* columns: u, v, r cmd; u, v, r measured; fall rate; standing agents; agents */
    }
    free(cmd);
  }
  H5Pclose(dx);
  GL_GOTO(err, gl_agree(f->comm, err), done);
  {
    /* A run killed between writing the summary and the rename leaves one behind. */
    if (H5Lexists(f->file, "summary", H5P_DEFAULT) > 0) H5Ldelete(f->file, "summary", H5P_DEFAULT);
    hid_t g = H5Gcreate2(f->file, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {(hsize_t)f->ncond, NCOL};
    err = glh5_put(g, "tracking", H5T_NATIVE_DOUBLE, 2, dims, table, f->rank == 0, f->dxpl);
    if (!err) {
      hid_t d = H5Dopen2(g, "tracking", H5P_DEFAULT);
      err = glh5_attr_string(d, "columns", "u_cmd, v_cmd, r_cmd, u_measured, v_measured, r_measured, fall_rate, agents_standing, agents, rf_cycles");
      if (!err) err = glh5_attr_string(d, "units", "m/s, m/s, rad/s, m/s, m/s, rad/s, fraction, count, count, cycles per standing agent in the window; measured = mean over non-fallen agents of each agent's window mean of body-frame base velocity");
      H5Dclose(d);
    }
    H5Gclose(g);
  }
done:
  free(table);
  free(cond);
  free(fell);
  free(mvel);
  free(cyc);
  return err;
}

gl_err glio_finish(glio_file *f) {
  gl_err err = glh5_attr_string(f->file, "status", "complete");
  err = gl_agree(f->comm, err);
  glio_close_handles_(f);
  if (!err && f->rank == 0 && rename(f->partial_path, f->final_path) != 0)
    err = gl_error(GL_ERR_IO, "cannot rename '%s' to '%s': %s", f->partial_path, f->final_path, strerror(errno));
  err = gl_agree(f->comm, err);
  glio_free_(f);
  return err;
}

void glio_abort(glio_file *f) { glio_free_(f); }

gl_err glio_read_config(const char *path, char **yaml) {
  glh5_quiet();
  *yaml = NULL;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return gl_error(GL_ERR_INPUT, "'%s' exists but is not a readable HDF5 file", path);
  gl_err err = glh5_attr_read_string(f, "config_yaml", yaml);
  H5Fclose(f);
  if (err) return gl_error_context(err, "'%s'", path);
  return GL_OK;
}
