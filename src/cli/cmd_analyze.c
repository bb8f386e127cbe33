/* `gaitlab analyze FILE.h5 [--set analysis.KEY=VALUE ...] [-o OUT.h5]` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/analysis.h"
#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/recording.h"

static const char gla_usage_[] =
    "gaitlab analyze FILE.h5 [--set analysis.KEY=VALUE ...] [-o OUT.h5]";

/* Rank 0: the effective YAML of the run that wrote `path` (its root attribute config_yaml),
 * or NULL for a file without one (external data) or one analyze refuses later with its own
 * message (missing, not HDF5). */
static char *glcli_recorded_yaml_(const char *path) {
  char *yaml = NULL;
  if (glio_read_config(path, &yaml) != GL_OK) {
    free(yaml);
    yaml = NULL;
    gl_error_clear();
  }
  return yaml;
}

/* Collective: the settings start from the analysis: block the recording was made with, so
 * that `analyze FILE --set analysis.tangling.raw=true` adds raw tangling to the run's own
 * analysis (its preset, its populations) instead of silently switching every other setting
 * to the defaults; --set overrides apply on top. *from_file = 1 when the file had a block. */
static gl_err glcli_analysis_doc_(const glcli_args *a, MPI_Comm comm, glc_doc **doc, int *from_file) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  char *yaml = rank == 0 ? glcli_recorded_yaml_(a->positional[0]) : NULL;
  long long len = yaml ? (long long)strlen(yaml) : -1;
  GL_MPI(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, comm));
  gl_err err = GL_OK;
  if (rank != 0 && len >= 0) err = gl_calloc((void **)&yaml, (size_t)len + 1, 1);
  err = gl_agree(comm, err);
  if (!err && len > 0) err = gl_mpi_check(MPI_Bcast(yaml, (int)len, MPI_CHAR, 0, comm), "MPI_Bcast of config_yaml");
  if (!err) {
    char name[1100];
    snprintf(name, sizeof name, "%s (root attribute config_yaml)", a->positional[0]);
    err = len >= 0 ? glc_doc_load_string(doc, name, yaml, (size_t)len) : glc_doc_load_string(doc, "<analyze>", "{}", 2);
  }
  free(yaml);
  if (!err) *from_file = len >= 0 && glc_doc_has(*doc, "analysis");
  for (int i = 0; !err && i < a->nsets; ++i) err = glc_doc_set(*doc, a->sets[i]);
  return err;
}

gl_err glcli_analyze(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) {
    if (rank == 0) {
      size_t nk;
      const glc_key *s = gla_config_schema(&nk);
      printf("usage: %s\n\nAnalyse a recording in place (results under /analysis), or external\n"
             "[time x unit] datasets with analysis.external.datasets=[/a, /b] (results under\n"
             "/analysis/external of -o OUT.h5, default the input file). The settings start from\n"
             "the analysis: block the recording was made with (its config_yaml; the defaults\n"
             "below for a file without one), and each --set changes one key. Keys:\n", gla_usage_);
      glc_print_schema(s, nk, stdout);
      printf("\nExample (Russo et al. tangleAnalysis.m on EMG):\n  gaitlab analyze emg.h5 -o out.h5 "
             "--set analysis.preset=russo --set analysis.range_constant=0 \\\n    --set "
             "'analysis.external.datasets=[/condition_0/A, /condition_1/A]'\n");
    }
    return GL_OK;
  }
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "analyze takes exactly one file; usage: %s", gla_usage_);
  for (int i = 0; i < a->nsets; ++i)
    if (strncmp(a->sets[i], "analysis.", 9) != 0)
      return gl_error(GL_ERR_INPUT, "--set %s: analyze only accepts analysis.* keys", a->sets[i]);
  glc_doc *doc = NULL;
  gla_config cfg;
  gla_config_defaults(&cfg);
  int from_file = 0;
  gl_err err = glcli_analysis_doc_(a, comm, &doc, &from_file);
  if (!err) err = gla_config_bind(doc, &cfg);
  err = gl_agree(comm, err);
  if (!err && !a->quiet)
    gl_log("analyze: settings: %s%s", from_file ? "the analysis: block the file was recorded with" : "the defaults",
           a->nsets ? ", then the --set overrides" : "");
  if (!err) {
    double t0 = gl_wtime();
    err = gla_analyze_file_to(a->positional[0], a->out, &cfg, comm);
    if (!err && !a->quiet) gl_log("analyze: done in %.2f s", gl_wtime() - t0);
  }
  gla_config_free(&cfg);
  glc_doc_destroy(doc);
  return err;
}
