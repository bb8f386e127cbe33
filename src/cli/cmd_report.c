/* `gaitlab report FILE.h5... [-o DIR]`: text report of each analysed recording, the same
 * numbers as mean ± sd and a comparison table across files, and with -o the figures,
 * per-file reports and summary.csv. Read only, serial, on rank 0; every file is loaded (and
 * checked) before anything is printed, so a bad input costs one error line and no partial
 * output. */
#include <stdio.h>
#include <stdlib.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/report.h"

static const char glrep_usage_[] = "gaitlab report FILE.h5... [-o DIR]";

static gl_err glrep_main_(const glcli_args *a) {
  int n = a->npositional;
  glrep_file **f = NULL;
  gl_err err = GL_OK;
  GL_CALL(GL_ALLOC(f, n));
  for (int i = 0; i < n; ++i) GL_GOTO(err, glrep_load(a->positional[i], &f[i]), done);
  for (int i = 0; i < n; ++i) GL_GOTO(err, glrep_write_text(f[i], stdout), done);
  if (n > 1) {
    GL_GOTO(err, glrep_write_text_across((const glrep_file *const *)f, n, stdout), done);
    GL_GOTO(err, glrep_write_comparison((const glrep_file *const *)f, n, stdout), done);
  }
  fflush(stdout);
  if (a->out) GL_GOTO(err, glrep_write_outputs((const glrep_file *const *)f, n, a->out, a->quiet), done);
done:
  for (int i = 0; i < n; ++i) glrep_destroy(f[i]);
  free(f);
  fflush(stdout);
  return err;
}

gl_err glcli_report(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) {
    if (rank == 0)
      printf("usage: %s\n\n"
             "Report of recordings written by `gaitlab run` and analysed by `gaitlab analyze`:\n"
             "provenance, tracking table, gait frequency and mode period per condition, and per\n"
             "population explained variance, tangling and the speed axis. With several files (e.g.\n"
             "seeds of one experiment), that report again with every number as mean ± sd across\n"
             "the files, and a comparison table with one row per file. With -o DIR, also\n"
             "DIR/<stem>_<population>_pc.svg (PC1 vs PC2 per condition), DIR/<stem>_tangling.svg\n"
             "(tangling over the gait cycle), DIR/<stem>_report.txt and DIR/summary.csv.\n",
             glrep_usage_);
    return GL_OK;
  }
  gl_err err = GL_OK;
  if (rank == 0) {
    if (a->npositional < 1)
      err = gl_error(GL_ERR_INPUT, "report needs at least one recording; usage: %s", glrep_usage_);
    else if (a->nsets > 0)
      err = gl_error(GL_ERR_INPUT, "report takes no --set options; usage: %s", glrep_usage_);
    else if (a->resume)
      err = gl_error(GL_ERR_INPUT, "report takes no --resume; usage: %s", glrep_usage_);
    else
      err = glrep_main_(a);
  }
  return gl_agree(comm, err);
}
