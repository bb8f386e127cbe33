/* `gaitlab dynamics FILE.h5 [--policy NAME|PATH] [--set dynamics.KEY=VALUE]... [-o OUT.h5]`:
 * fixed and slow points of the actor LSTM for constant inputs (include/gaitlab/dynamics.h).
 * The policy is the one the recording names in its root attribute `policy` unless --policy
 * is given ("random" is rebuilt from the recording's seed, as gaitlab run built it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/dynamics.h"
#include "gaitlab/env.h"
#include "gaitlab/experiment.h"
#include "gaitlab/h5.h"

static const char glcli_dyn_usage_[] =
    "gaitlab dynamics FILE.h5 [--policy NAME|PATH] [--set dynamics.KEY=VALUE]... [-o OUT.h5]";

const char *const glcli_dynamics_opts[] = {"--policy=", NULL};

/* Rank 0: the recording's `policy` and `seed` attributes (policy NULL when absent). */
static gl_err glcli_dyn_recorded_(const char *path, char **policy, long long *seed) {
  hid_t f = -1;
  int ex = 0;
  gl_err err = glh5_open(&f, path, GLH5_READ);
  if (!err) err = glh5_attr_exists(f, "policy", &ex);
  if (!err && ex) err = glh5_attr_read_string(f, "policy", policy);
  if (!err) err = glh5_attr_exists(f, "seed", &ex);
  if (!err && ex) err = glh5_attr_read_int(f, "seed", seed);
  return glh5_release(err, &f);
}

static gl_err glcli_dyn_policy_(const char *file, const char *given, glp_policy **p, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  char *rec = NULL, path[4096];
  long long seed = 0;
  int is_random = 0;
  gl_err err = GL_OK;
  if (rank == 0) {
    err = glcli_dyn_recorded_(file, &rec, &seed);
    const char *name = given ? given : rec;
    if (!err && !name)
      err = gl_error(GL_ERR_INPUT, "'%s' does not name its policy (no root attribute 'policy'); give --policy NAME|PATH", file);
    if (!err) is_random = strcmp(name, "random") == 0;
    if (!err && !is_random) err = glx_policy_path(name, path, sizeof path);
    if (!err && !is_random) err = glp_policy_load(p, path, gle_policy_inputs());
  }
  free(rec);
  GL_CALL(gl_agree(comm, err));
  GL_MPI(MPI_Bcast(&is_random, 1, MPI_INT, 0, comm));
  GL_MPI(MPI_Bcast(&seed, 1, MPI_LONG_LONG, 0, comm));
  if (is_random) /* as gaitlab run's untrained stand-in: weights from the recording's seed */
    return gl_agree(comm, glp_policy_create(p, gle_policy_inputs(), GLE_OBS, GLE_OBS_FULL, (uint64_t)seed, 0.01, 0.0));
  return gl_agree(comm, glp_policy_bcast(p, gle_policy_inputs(), 0, &comm));
}

gl_err glcli_dynamics(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  size_t nk;
  const glc_key *schema = gld_config_schema(&nk);
  if (a->help) {
    if (rank == 0) {
      printf("Keys (docs/dynamics.md):\n");
      glc_print_schema(schema, nk, stdout);
      printf("\nExample: gaitlab dynamics out/x.h5 --set dynamics.inits=32 --set dynamics.input=condition_mean\n");
    }
    return GL_OK;
  }
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "dynamics takes exactly one recording; usage: %s", glcli_dyn_usage_);
  for (int i = 0; i < a->nsets; ++i)
    if (strncmp(a->sets[i], "dynamics.", 9) != 0)
      return gl_error(GL_ERR_INPUT, "--set %s: dynamics only accepts dynamics.* keys", a->sets[i]);
  const char *given = NULL;
  for (int i = 0; i < a->nextra; ++i)
    if (strcmp(a->extra[i].name, "--policy=") == 0) given = a->extra[i].value;
  glc_doc *doc = NULL;
  gld_config cfg;
  glp_policy *pol = NULL;
  gl_err err = glc_doc_load_string(&doc, "<dynamics>", "{}", 2);
  for (int i = 0; !err && i < a->nsets; ++i) err = glc_doc_set(doc, a->sets[i]);
  if (!err) err = gld_config_bind(doc, &cfg);
  glc_doc_destroy(doc);
  err = gl_agree(comm, err);
  if (!err) err = glcli_dyn_policy_(a->positional[0], given, &pol, comm);
  if (!err) {
    double t0 = gl_wtime();
    err = gld_run_file(a->positional[0], a->out, pol, &cfg, comm);
    if (!err && !a->quiet) gl_log("dynamics: done in %.2f s -> %s", gl_wtime() - t0, a->out ? a->out : a->positional[0]);
  }
  glp_policy_destroy(pol);
  return err;
}
