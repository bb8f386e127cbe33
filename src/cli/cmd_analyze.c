/* `gaitlab analyze FILE.h5 [--set analysis.KEY=VALUE ...] [-o OUT.h5]` */
#include <stdio.h>
#include <string.h>

#include "gaitlab/analysis.h"
#include "gaitlab/cli.h"
#include "gaitlab/core.h"

static const char gla_usage_[] =
    "gaitlab analyze FILE.h5 [--set analysis.KEY=VALUE ...] [-o OUT.h5]";

gl_err glcli_analyze(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) {
    if (rank == 0) {
      size_t nk;
      const glc_key *s = gla_config_schema(&nk);
      printf("usage: %s\n\nAnalyse a recording in place (results under /analysis), or external\n"
             "[time x unit] datasets with analysis.external.datasets=[/a, /b] (results under\n"
             "/analysis/external of -o OUT.h5, default the input file). Keys:\n", gla_usage_);
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
  gl_err err = glc_doc_load_string(&doc, "<analyze>", "{}", 2);
  for (int i = 0; !err && i < a->nsets; ++i) err = glc_doc_set(doc, a->sets[i]);
  if (!err) err = gla_config_bind(doc, &cfg);
  err = gl_agree(comm, err);
  if (!err) {
    double t0 = gl_wtime();
    err = gla_analyze_file_to(a->positional[0], a->out, &cfg, comm);
    if (!err && !a->quiet) gl_log("analyze: done in %.2f s", gl_wtime() - t0);
  }
  gla_config_free(&cfg);
  glc_doc_destroy(doc);
  return err;
}
