/* Subcommands of the gaitlab binary (prefix glcli_), all in src/cli: arguments, --help, exit
 * codes. main() initialises MPI and BLAS threading, dispatches to one of these, prints the
 * failing rank's message once and exits with the gl_err code. The stages below (run, train,
 * analysis, report, io) expose plain C APIs and know no command: they are built as the
 * library gaitlab_core, which is linked on its own as a check that none calls up into cli. */
#ifndef GAITLAB_CLI_H
#define GAITLAB_CLI_H

#include <mpi.h>

#include "gaitlab/error.h"

typedef struct glcli_args {
  /* non-option arguments in order: a cross-seed report takes every experiment of every agent */
  const char *positional[4096];
  int npositional;
  const char *sets[256];      /* --set KEY=VALUE, in order (later wins) */
  int nsets;
  int resume;                 /* 1: --resume; 2: --resume-or-start */
  int help;                   /* -h / --help */
  int quiet;                  /* -q / --quiet: no progress lines */
  const char *out;            /* -o / --output FILE (command-specific meaning) */
  const char *max_memory;     /* --max-memory SIZE: memory per node the job may use */
  struct {
    const char *name, *value; /* a command's own option (glcli_parse_opts); value NULL for a flag */
  } extra[16];
  int nextra;
} glcli_args;

/* Parse the arguments after the subcommand name. Unknown options are a GL_ERR_INPUT with
 * the option named; `usage` is the one-line usage shown in that message. */
gl_err glcli_parse(int argc, char **argv, const char *usage, glcli_args *a);
/* The same, also accepting a command's own options: `opts` is a NULL-terminated list of
 * spellings, "--flag" for a flag, "--name=" for an option with a value (given as "--name V"
 * or "--name=V"); each occurrence lands in a->extra, in order, for the command to interpret. */
gl_err glcli_parse_opts(int argc, char **argv, const char *usage, const char *const *opts,
                        glcli_args *a);
/* The options of `gaitlab report` beyond the common ones (cmd_report.c). */
extern const char *const glcli_report_opts[];

gl_err glcli_run(const glcli_args *a, MPI_Comm comm);      /* cmd_run.c */
gl_err glcli_validate(const glcli_args *a, MPI_Comm comm); /* cmd_run.c: experiment or training */
gl_err glcli_info(const glcli_args *a, MPI_Comm comm);     /* cmd_info.c */
gl_err glcli_train(const glcli_args *a, MPI_Comm comm);    /* cmd_train.c */
gl_err glcli_validate_train(const glcli_args *a, MPI_Comm comm); /* cmd_train.c */
gl_err glcli_analyze(const glcli_args *a, MPI_Comm comm);  /* cmd_analyze.c */
gl_err glcli_report(const glcli_args *a, MPI_Comm comm);   /* cmd_report.c */
gl_err glcli_align(const glcli_args *a, MPI_Comm comm);    /* cmd_align.c */
gl_err glcli_dynamics(const glcli_args *a, MPI_Comm comm); /* cmd_dynamics.c */
extern const char *const glcli_dynamics_opts[];

#endif
