/* `gaitlab run` and `gaitlab validate`. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "gaitlab/analysis.h"
#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/experiment.h"
#include "gaitlab/train.h"

static gl_err glcli_need_one_file(const glcli_args *a, const char *usage) {
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "expected exactly one experiment file; usage: %s", usage);
  return GL_OK;
}

/* The analysis block is validated with the experiment, before anything is simulated, so a
 * typo in it cannot cost a whole run. Rank 0 binds first for a single message. */
static gl_err glcli_bind_analysis(const glc_doc *doc, MPI_Comm comm, gla_config *acfg) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  gl_err err = gl_agree(comm, rank == 0 ? gla_config_bind(doc, acfg) : GL_OK);
  if (!err && rank != 0) err = gla_config_bind(doc, acfg);
  return gl_agree(comm, err);
}

static gl_err glcli_print_keys(MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) {
    size_t n;
    const glc_key *k = glx_config_schema(&n);
    printf("experiment keys:\n");
    glc_print_schema(k, n, stdout);
    printf("\nThe analysis: block takes the keys of gaitlab analyze --help.\n");
    fflush(stdout);
  }
  return GL_OK;
}

/* Every analysed population must be recorded: found here, the mistake costs nothing; found
 * by the analysis, it costs the whole simulation. */
static gl_err glcli_check_populations(const glc_doc *doc, const glx_config *cfg, const gla_config *acfg) {
  if (acfg->ext_datasets.n > 0) return GL_OK;
  for (int i = 0; i < acfg->populations.n; ++i) {
    const char *p = acfg->populations.v[i];
    int on = 0;
    for (int l = 0; l < GLIO_NLAYERS && !on; ++l) on = cfg->layer_on[l] && strcmp(glio_layer_names[l], p) == 0;
    if (on) continue;
    char mark[512], rec[512] = "";
    for (int l = 0, o = 0; l < GLIO_NLAYERS && o < (int)sizeof rec; ++l)
      if (cfg->layer_on[l]) o += snprintf(rec + o, sizeof rec - (size_t)o, "%s%s", o ? ", " : "", glio_layer_names[l]);
    return gl_error(GL_ERR_INPUT, "%s: analysis.populations: '%s' is not recorded; recorded layers: %s (add it to record: or remove it here)",
                    glc_doc_mark(doc, "analysis.populations", mark, sizeof mark), p, rec);
  }
  return GL_OK;
}

/* Everything `run` and `validate` share: the experiment (validated and broadcast) and, when
 * present, its analysis block. On success the caller owns cfg and acfg (free both). */
static gl_err glcli_load_experiment(const glcli_args *a, MPI_Comm comm, glx_config *cfg,
                                    gla_config *acfg) {
  glc_doc *doc = NULL;
  gla_config_defaults(acfg);
  GL_CALL(glx_config_load(a->positional[0], a->sets, a->nsets, comm, cfg, &doc));
  gl_err err = cfg->has_analysis ? glcli_bind_analysis(doc, comm, acfg) : GL_OK;
  if (!err && cfg->has_analysis) err = glcli_check_populations(doc, cfg, acfg);
  glc_doc_destroy(doc);
  if (err) {
    gla_config_free(acfg);
    glx_config_free(cfg);
  }
  return err;
}

gl_err glcli_run(const glcli_args *a, MPI_Comm comm) {
  const char *usage = "gaitlab run EXP.yaml [--set KEY=VALUE]... [--resume] [--quiet]";
  if (a->help) return glcli_print_keys(comm);
  GL_CALL(glcli_need_one_file(a, usage));
  glx_config cfg;
  gla_config acfg;
  GL_CALL(glcli_load_experiment(a, comm, &cfg, &acfg));
  gl_err err = glx_run(&cfg, a->resume, a->quiet, comm);
  if (!err && cfg.has_analysis) {
    if (!a->quiet) gl_log("gaitlab run: analysing %s", cfg.output);
    err = gla_analyze_file(cfg.output, &acfg, comm);
  }
  gla_config_free(&acfg);
  glx_config_free(&cfg);
  return err;
}

/* A training file is validated by the training schema; a file that does not load is left to
 * the experiment validator, whose error names it. */
static int glcli_is_train_file(const glcli_args *a, MPI_Comm comm) {
  glc_doc *doc = NULL;
  if (glc_doc_load_bcast(&doc, a->positional[0], a->sets, a->nsets, &comm) != GL_OK) {
    gl_error_clear();
    return 0;
  }
  int is = glt_config_is_train(doc);
  glc_doc_destroy(doc);
  return is;
}

/* The plan of `validate`: the bytes per rank on this many ranks against this node's budget
 * (a login node may differ from the compute nodes, so not fitting here is said, not an
 * error). */
static gl_err glcli_print_memory(const glx_config *cfg, MPI_Comm comm) {
  double need = 0, allocated = 0, have = 0;
  char what[256], src[160];
  int rank;
  MPI_Comm_rank(comm, &rank);
  GL_CALL(gl_agree(comm, glx_memory_plan(cfg, &need, &allocated, what, sizeof what)));
  GL_CALL(gl_memory_budget(comm, &have, src, sizeof src));
  if (rank == 0) {
    printf("memory: about %.3g GB per rank for %s; available here %.3g GB per rank (%s)%s\n",
           need / 1e9, what, have / 1e9, src, need > have ? ": does NOT fit on this node" : "");
    fflush(stdout);
  }
  return GL_OK;
}

gl_err glcli_validate(const glcli_args *a, MPI_Comm comm) {
  const char *usage = "gaitlab validate EXP.yaml [--set KEY=VALUE]...";
  if (a->help) return glcli_print_keys(comm);
  GL_CALL(glcli_need_one_file(a, usage));
  if (glcli_is_train_file(a, comm)) return glcli_validate_train(a, comm);
  glx_config cfg;
  gla_config acfg;
  GL_CALL(glcli_load_experiment(a, comm, &cfg, &acfg));
  gla_config_free(&acfg);
  int rank, nranks;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &nranks);
  if (rank == 0) {
    printf("%s: valid. Experiment '%s', seed %d, policy %s -> %s\n", a->positional[0], cfg.name,
           cfg.seed, cfg.policy, cfg.output);
    printf("episode %d steps of %g s x %d substeps; recording steps [%d, %d); noise %s\n",
           cfg.task.episode_steps, cfg.task.timestep, cfg.task.decimation, cfg.record_start,
           cfg.record_stop, cfg.task.obs_noise ? "on" : "off");
    printf("%d conditions x %d copies = %lld agents\n\n", cfg.nconditions, cfg.copies,
           (long long)cfg.nagents);
    printf("%5s  %8s %8s %8s  |  %8s %8s %8s  %s\n", "cond", "u m/s", "v m/s", "r rad/s",
           "u obs", "v obs", "r obs", "agents");
    for (int c = 0; c < cfg.nconditions; ++c) {
      const double *k = &cfg.cond[3 * c];
      printf("%5d  %8.4g %8.4g %8.4g  |  %8.4g %8.4g %8.4g  %lld-%lld\n", c, k[0], k[1], k[2],
             2 * k[0], 2 * k[1], 0.25 * k[2], (long long)c * cfg.copies,
             (long long)(c + 1) * cfg.copies - 1);
    }
    if (cfg.has_analysis) printf("\nanalysis block: valid (runs after the simulation)\n");
    printf("\n(obs = the observation scale the authors' analysis labels speeds with: u, v x2; r x0.25)\n");
    if (nranks > 1) {
      printf("sharding over %d ranks:", nranks);
      for (int r = 0; r < nranks; ++r) {
        int64_t b, e;
        gl_shard_range(cfg.nagents, nranks, r, &b, &e);
        printf(" [%lld,%lld)", (long long)b, (long long)e);
      }
      printf("\n");
    }
  }
  gl_err err = glcli_print_memory(&cfg, comm);
  glx_config_free(&cfg);
  return err;
}
