/* `gaitlab report FILE.h5... [-o DIR]`: text report of each analysed recording, the same
 * numbers as mean ± sd and a comparison table across files, and with -o the figures,
 * per-file reports and summary.csv. `gaitlab report --claims FILE.h5... [--recurrent LAYER]
 * [--actuation LAYER]`: the paper's claims as one Markdown table instead. Read only, serial,
 * on rank 0; every file is loaded (and checked) before anything is printed, so a bad input
 * costs one error line and no partial output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/report.h"

static const char glrep_usage_[] =
    "gaitlab report FILE.h5... [-o DIR] | --claims FILE.h5... [--recurrent LAYER] [--actuation LAYER]";

const char *const glcli_report_opts[] = {"--claims", "--recurrent=", "--actuation=", NULL};

/* The report's own options, from a->extra (the last of a repeated option wins). */
typedef struct glrep_opts {
  int claims;
  const char *recurrent, *actuation;
} glrep_opts;

static gl_err glrep_opts_(const glcli_args *a, glrep_opts *o) {
  *o = (glrep_opts){0, "lstm_c", "mu"};
  int layer_given = 0;
  for (int i = 0; i < a->nextra; ++i) {
    const char *n = a->extra[i].name;
    if (strcmp(n, "--claims") == 0) o->claims = 1;
    else if (strcmp(n, "--recurrent=") == 0) o->recurrent = a->extra[i].value, layer_given = 1;
    else if (strcmp(n, "--actuation=") == 0) o->actuation = a->extra[i].value, layer_given = 1;
  }
  if (layer_given && !o->claims)
    return gl_error(GL_ERR_INPUT, "--recurrent and --actuation need --claims; usage: %s", glrep_usage_);
  if (o->claims && a->out)
    return gl_error(GL_ERR_INPUT, "--claims prints to stdout and takes no -o; usage: %s", glrep_usage_);
  return GL_OK;
}

static gl_err glrep_main_(const glcli_args *a, const glrep_opts *o) {
  int n = a->npositional;
  glrep_file **f = NULL;
  gl_err err = GL_OK;
  GL_CALL(GL_ALLOC(f, n));
  for (int i = 0; i < n; ++i) GL_GOTO(err, glrep_load(a->positional[i], &f[i]), done);
  if (o->claims) {
    GL_GOTO(err, glrep_write_claims((const glrep_file *const *)f, n, o->recurrent, o->actuation, stdout), done);
    goto done;
  }
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
             "(tangling over the gait cycle), DIR/<stem>_report.txt and DIR/summary.csv.\n\n"
             "With --claims: one Markdown table of the paper's claims C1-C6 (claim | experiment |\n"
             "measure | numbers | verdict), each verdict `holds`, `does not hold` or `not measured`\n"
             "by the rules of the README's \"Claims\" section. Each file's experiment is its root\n"
             "attribute `name` (experiments/paper/: paper_exp1_forward, paper_exp1_push,\n"
             "paper_exp2_opposing, paper_exp3_speed_u/v/r, paper_grid); several files of one\n"
             "experiment give mean ± sd; files whose `policy` names action_feedback are compared\n"
             "with the others (C6). --recurrent LAYER (lstm_c; lstm_h is added when present) and\n"
             "--actuation LAYER (mu) choose the layers compared.\n",
             glrep_usage_);
    return GL_OK;
  }
  gl_err err = GL_OK;
  glrep_opts o;
  if (rank == 0) err = glrep_opts_(a, &o);
  if (rank == 0 && !err) {
    if (a->npositional < 1)
      err = gl_error(GL_ERR_INPUT, "report needs at least one recording; usage: %s", glrep_usage_);
    else if (a->nsets > 0)
      err = gl_error(GL_ERR_INPUT, "report takes no --set options; usage: %s", glrep_usage_);
    else if (a->resume)
      err = gl_error(GL_ERR_INPUT, "report takes no --resume; usage: %s", glrep_usage_);
    else
      err = glrep_main_(a, &o);
  }
  return gl_agree(comm, err);
}
