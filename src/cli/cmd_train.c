/* `gaitlab train TRAIN.yaml [--set k=v]... [--resume] [-o DIR] [-q]` and `gaitlab validate`
 * of a training file: arguments, help, the configuration loaded on rank 0, checked once and
 * broadcast, then the training run of src/train. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/cli.h"
#include "gaitlab/config.h"
#include "gaitlab/core.h"
#include "gaitlab/train.h"

/* Every rank binds the same document; a problem is printed once. The caller frees cfg
 * (glt_config_free) whatever this returns. */
static gl_err glcli_train_bind(const glc_doc *doc, glt_config *cfg, gle_task *task, MPI_Comm comm) {
  int size;
  MPI_Comm_size(comm, &size);
  gl_err err = glt_config_bind(doc, cfg, task, size);
  if (err) {
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", gl_errmsg());
    err = gl_error_all(comm, err, "%s", msg);
  }
  return err;
}

gl_err glcli_train(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) {
    if (rank == 0) {
      size_t n;
      const glc_key *k = glt_config_schema(&n);
      printf("usage: gaitlab train TRAIN.yaml [--set KEY=VALUE]... [--resume | --resume-or-start] [-o DIR] [-q]\n\n"
             "--resume continues the checkpoint in the output directory (and refuses when there is\n"
             "none); --resume-or-start continues it or starts a new run there (batch requeues).\n\n"
             "keys:\n");
      glc_print_schema(k, n, stdout);
    }
    return GL_OK;
  }
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "train: expected one TRAIN.yaml argument (got %d)",
                    a->npositional);
  gl_signals_install();
  glc_doc *doc = NULL;
  glt_config cfg;
  gle_task task;
  char *yaml = NULL;
  GL_CALL(glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm));
  gl_err err = glcli_train_bind(doc, &cfg, &task, comm);
  if (!err) err = gl_agree(comm, glc_doc_emit(doc, &yaml));
  if (!err) err = glt_train_run(&cfg, &task, yaml, a->out ? a->out : cfg.output, a->resume,
                                a->quiet, comm);
  free(yaml);
  glt_config_free(&cfg);
  glc_doc_destroy(doc);
  return err;
}

/* ------------------------------------------------------------------ validate -- */

gl_err glcli_validate_train(const glcli_args *a, MPI_Comm comm) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  glc_doc *doc = NULL;
  glt_config cfg;
  gle_task task;
  GL_CALL(glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm));
  gl_err err = glcli_train_bind(doc, &cfg, &task, comm);
  if (!err && rank == 0) {
    const glt_params *p = &cfg.p;
    printf("%s: valid. Training run '%s', seed %d -> %s\n", a->positional[0], cfg.name, cfg.seed,
           cfg.output);
    printf("terrain %s; episode %d steps of %g s x %d substeps; noise %s; pushes every %d "
           "steps\n", glt_terrain_names[cfg.terrain], cfg.task.episode_steps, cfg.task.timestep,
           cfg.task.decimation, cfg.task.obs_noise ? "on" : "off", cfg.push_interval);
    printf("commands: u [%g, %g] m/s, v [%g, %g] m/s; %.0f %% of envs under the heading "
           "controller (heading [%g, %g] rad), the rest yaw rate [%g, %g] rad/s; %.0f %% of "
           "resets on the box's corners and edge centres\n",
           cfg.cmd_u.v[0], cfg.cmd_u.v[1], cfg.cmd_v.v[0], cfg.cmd_v.v[1],
           cfg.heading_command ? 100.0 * cfg.heading_fraction : 0.0, cfg.cmd_heading.v[0],
           cfg.cmd_heading.v[1], cfg.cmd_yaw_rate.v[0], cfg.cmd_yaw_rate.v[1],
           100.0 * cfg.extreme_fraction);
    printf("PPO: %d envs x %d steps = %lld samples per iteration, %d minibatches x %d epochs, "
           "BPTT %d; budget %.4g M policy steps (%.0f iterations)\n", p->num_envs, p->horizon,
           (long long)p->num_envs * p->horizon, p->minibatches, p->epochs, p->seq_len,
           cfg.total_steps / 1e6, cfg.total_steps / ((double)p->num_envs * p->horizon));
    if (size > 1) printf("%d ranks: %d-%d envs each\n", size, p->num_envs / size,
                         (p->num_envs + size - 1) / size);
    fflush(stdout);
  }
  double need = 0, allocated = 0, have = 0;
  char what[256], src[160];
  if (!err) err = gl_agree(comm, glt_memory_plan(&cfg, &task, size, &need, &allocated, what, sizeof what));
  if (!err) err = gl_memory_budget(comm, &have, src, sizeof src);
  if (!err && rank == 0) {
    printf("memory: about %.3g GB per rank for %s; available here %.3g GB per rank (%s)%s\n",
           need / 1e9, what, have / 1e9, src, need > have ? ": does NOT fit on this node" : "");
    fflush(stdout);
  }
  glt_config_free(&cfg);
  glc_doc_destroy(doc);
  return err;
}
