/* Subcommands of the gaitlab binary (prefix glcli_). main() initialises MPI and BLAS
 * threading, dispatches to one of these, prints the failing rank's message once and exits
 * with the gl_err code. Each command lives with its stage: run/, train/, analysis/, ... */
#ifndef GAITLAB_CLI_H
#define GAITLAB_CLI_H

#include <mpi.h>

#include "gaitlab/error.h"

typedef struct glcli_args {
  const char *positional[16]; /* non-option arguments in order */
  int npositional;
  const char *sets[256];      /* --set KEY=VALUE, in order (later wins) */
  int nsets;
  int resume;                 /* --resume */
  int help;                   /* -h / --help */
  int quiet;                  /* -q / --quiet: no progress lines */
  const char *out;            /* -o / --output FILE (command-specific meaning) */
} glcli_args;

/* Parse the arguments after the subcommand name. Unknown options are a GL_ERR_INPUT with
 * the option named; `usage` is the one-line usage shown in that message. */
gl_err glcli_parse(int argc, char **argv, const char *usage, glcli_args *a);

gl_err glcli_run(const glcli_args *a, MPI_Comm comm);
gl_err glcli_validate(const glcli_args *a, MPI_Comm comm);
gl_err glcli_info(const glcli_args *a, MPI_Comm comm);
gl_err glcli_train(const glcli_args *a, MPI_Comm comm);    /* src/train/cmd_train.c */
/* `gaitlab validate` of a training YAML (src/train/cmd_train.c): the file is one when it has
 * a train: or env: section. */
int glcli_is_train_file(const glcli_args *a, MPI_Comm comm);
gl_err glcli_validate_train(const glcli_args *a, MPI_Comm comm);
gl_err glcli_analyze(const glcli_args *a, MPI_Comm comm);  /* src/analysis/cmd_analyze.c */
gl_err glcli_report(const glcli_args *a, MPI_Comm comm);   /* src/report/cmd_report.c */

#endif
