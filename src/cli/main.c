/* The gaitlab binary: MPI and BLAS set-up, subcommand dispatch, one error message, exit code. */
#include <cblas.h>
#include <mpi.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/h5.h"

/* How a command answers --help: main prints usage and help text first (GLCLI_HELP_TEXT),
 * then the command itself lists its YAML keys (GLCLI_HELP_KEYS); a command with neither flag
 * prints everything itself. */
enum { GLCLI_HELP_TEXT = 1, GLCLI_HELP_KEYS = 2 };

typedef struct glcli_command {
  const char *name;
  gl_err (*fn)(const glcli_args *, MPI_Comm);
  int help_flags;
  const char *usage;
  const char *help;
  const char *const *opts; /* the command's own options (glcli_parse_opts), or NULL */
} glcli_command;

static const glcli_command glcli_commands_[] = {
    {"run", glcli_run, GLCLI_HELP_TEXT | GLCLI_HELP_KEYS, "gaitlab run EXP.yaml [--set KEY=VALUE]... [--resume] [--max-memory SIZE] [--quiet]",
     "Simulate the experiment's agents over all ranks and record them into one HDF5 file\n"
     "(written to OUTPUT.partial, renamed when complete). --resume continues a killed run.\n"
     "The memory each rank needs is checked first (exit 5 when it cannot fit) against the\n"
     "node's free memory, the job's cgroup, SLURM's --mem, ulimit -v and --max-memory SIZE\n"
     "(per node, e.g. 8G).", NULL},
    {"validate", glcli_validate, GLCLI_HELP_TEXT | GLCLI_HELP_KEYS, "gaitlab validate EXP.yaml|TRAIN.yaml [--set KEY=VALUE]... [--max-memory SIZE]",
     "Check an experiment file (print its condition table) or a training file, and the\n"
     "memory per rank it will need on this many ranks against what is available here.", NULL},
    {"train", glcli_train, GLCLI_HELP_KEYS, "gaitlab train TRAIN.yaml [--set KEY=VALUE]... [--resume | --resume-or-start] [--max-memory SIZE] [--quiet]",
     "Train the MLP+LSTM actor-critic with PPO over all ranks (data-parallel); checkpoints\n"
     "every few minutes and on SIGTERM (exit 75); --resume continues bit-for-bit.", NULL},
    {"analyze", glcli_analyze, GLCLI_HELP_KEYS, "gaitlab analyze FILE.h5 [--set analysis.KEY=VALUE]...",
     "Cycle-aligned averages, PCA (ScaLAPACK), tangling and speed axes of a recording (or of\n"
     "external [time x unit] datasets), written into /analysis of the same file.", NULL},
    {"report", glcli_report, GLCLI_HELP_TEXT,
     "gaitlab report FILE.h5... [-o DIR] | --claims FILE.h5... [--recurrent LAYER] [--actuation LAYER]",
     "Text report of recordings and their analyses (tracking, gait frequency, PCA, tangling,\n"
     "speed axis), a comparison table across files (seeds), and with -o: SVG figures,\n"
     "per-file reports and summary.csv. With --claims: the paper's claims as a Markdown table\n"
     "(claim | experiment | measure | numbers | verdict), experiments recognised by the\n"
     "files' root attribute `name` (experiments/paper/*.yaml); layers default to lstm_c, mu.",
     glcli_report_opts},
    {"align", glcli_align, GLCLI_HELP_TEXT | GLCLI_HELP_KEYS,
     "gaitlab align FILE.h5 FILE.h5... [-o OUT.h5] [--set layers=[lstm_c,mu]] [--set pcs=10] [--set grid=50]",
     "How similar the structured activity of agents is (one analysed recording each): per layer,\n"
     "cycle averages resampled onto a common phase grid, top PCs per agent, and for every pair\n"
     "of files canonical correlations and Procrustes disparity next to two controls. With -o,\n"
     "OUT.h5 gets /align/<layer>/... and every convention as attributes.", NULL},
    {"dynamics", glcli_dynamics, GLCLI_HELP_TEXT | GLCLI_HELP_KEYS,
     "gaitlab dynamics FILE.h5 [--policy NAME|PATH] [--set dynamics.KEY=VALUE]... [-o OUT.h5]",
     "Fixed and slow points of the actor LSTM for a constant input (the zero observation or\n"
     "each condition's mean observation): Levenberg-Marquardt on q = |F(x) - x|^2 / 2 from\n"
     "recorded or random states, merged, classified by the eigenvalues of dF/dx; results\n"
     "under /dynamics/fixed_points/<input>/ of FILE.h5 (or OUT.h5), swapped in whole.",
     glcli_dynamics_opts},
    {"info", glcli_info, GLCLI_HELP_TEXT, "gaitlab info FILE.h5",
     "Summarise a recording or policy file: provenance, conditions, datasets, tracking table.", NULL},
};
#define GLCLI_NCOMMANDS (sizeof glcli_commands_ / sizeof *glcli_commands_)

static void glcli_usage(FILE *out) {
  fprintf(out,
          "gaitlab %s: recurrent RL locomotion agents, recorded and analysed like motor cortex\n\n"
          "usage: gaitlab COMMAND [ARGS]   (under mpirun -np N or srun for N ranks)\n\ncommands:\n",
          gl_version());
  for (size_t i = 0; i < GLCLI_NCOMMANDS; ++i) fprintf(out, "  %s\n", glcli_commands_[i].usage);
  fprintf(out, "\n  gaitlab COMMAND --help   details of one command\n  gaitlab --version\n\n"
               "--set KEY=VALUE overrides any YAML key by its dotted path, e.g.\n"
               "  --set conditions.copies=2 --set output=out/x.h5 --set env.episode_steps=200\n"
               "Exit codes: 0 ok, 1 internal, 2 invalid input, 3 I/O, 4 numerical, 5 memory,\n"
               "6 MPI, 7 library, 75 interrupted (re-run the same command to resume).\n");
}

static void glcli_version(void) {
  char libs[512];
  gl_library_versions(libs, sizeof libs);
  printf("gaitlab %s (git %s)\n%s\n", gl_version(), gl_git_hash(), libs);
}

/* MPI up, with the settings every command relies on; returns 0 or the exit code. Signals go
 * in before MPI_Init, which can take seconds on a busy node: a SIGTERM arriving then must
 * also mean "stop cleanly". */
static int glcli_start_(int *argc, char ***argv, int *rank) {
  gl_signals_install();
  /* Open MPI 4.1's "lockedfile" shared-file-pointer component builds its lock file name with
   * an unchecked sprintf while MPI_File_open merely queries it, so any file path longer than
   * about 250 bytes aborts the job ("buffer overflow detected"). gaitlab never uses shared
   * file pointers; leaving that component out is harmless, and a user's own setting wins. */
  setenv("OMPI_MCA_sharedfp", "^lockedfile", 0);
  if (MPI_Init(argc, argv) != MPI_SUCCESS) {
    fprintf(stderr, "gaitlab: error: MPI_Init failed (is the MPI runtime installed and the "
                    "launcher's environment intact?)\n");
    return (int)GL_ERR_MPI;
  }
  /* Failed MPI calls return their code (and become one GL_ERR_MPI message, exit 6) instead of
   * aborting the job with MPI's default handler; split communicators inherit this. */
  if (MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN) != MPI_SUCCESS) {
    fprintf(stderr, "gaitlab: error: cannot set MPI_ERRORS_RETURN on MPI_COMM_WORLD\n");
    MPI_Abort(MPI_COMM_WORLD, (int)GL_ERR_MPI);
  }
  /* One BLAS thread per rank: ranks already use the cores (docs/building.md §4). */
  openblas_set_num_threads(1);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  gl_log_set_rank(*rank);
  return 0;
}

/* The command named by argv[1], its options parsed, run. *local_only stays 1 for errors
 * found before the command runs: every rank found the same one, so rank 0 alone prints it. */
static gl_err glcli_dispatch_(int argc, char **argv, MPI_Comm comm, int rank, int *local_only) {
  const glcli_command *cmd = NULL;
  for (size_t i = 0; i < GLCLI_NCOMMANDS; ++i)
    if (strcmp(argv[1], glcli_commands_[i].name) == 0) cmd = &glcli_commands_[i];
  if (!cmd) {
    char names[256] = "";
    for (size_t i = 0; i < GLCLI_NCOMMANDS; ++i)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
               glcli_commands_[i].name);
    return gl_error(GL_ERR_INPUT, "unknown command '%s'; allowed: %s (see gaitlab --help)", argv[1], names);
  }
  glcli_args args;
  gl_err err = glcli_parse_opts(argc - 2, argv + 2, cmd->usage, cmd->opts, &args);
  if (!err && args.help) {
    if (rank == 0 && (cmd->help_flags & GLCLI_HELP_TEXT)) printf("usage: %s\n\n%s\n\n", cmd->usage, cmd->help);
    fflush(stdout);
    return cmd->help_flags != GLCLI_HELP_TEXT ? cmd->fn(&args, comm) : GL_OK;
  }
  if (err) return err;
  double max_mem = 0;
  if (args.max_memory) GL_CALL(gl_memory_parse(args.max_memory, &max_mem));
  gl_memory_set_max(max_mem);
  *local_only = 0;
  gl_log_set_quiet(args.quiet);
  return cmd->fn(&args, comm);
}

/* The error printed once, and the exit. */
static int glcli_finish_(gl_err err, int rank, int local_only) {
  /* A report redirected to a full disk must not exit 0: stdout's errors are errors. */
  if (!err && (fflush(stdout) != 0 || ferror(stdout)))
    err = gl_error(GL_ERR_IO, "cannot write to standard output: %s", strerror(errno));
  if (err && !gl_error_is_remote() && (rank == 0 || !local_only)) {
    fprintf(stderr, "gaitlab: error: %s\n", gl_errmsg());
    fflush(stderr);
  }
  if (glh5_library_unsafe()) {
    /* Skips MPI_Finalize and the atexit handlers, both of which run HDF5's termination;
     * the error is already printed and every rank agreed on it. */
    fflush(stdout);
    fflush(stderr);
    _exit((int)err);
  }
  MPI_Finalize();
  return (int)err;
}

int main(int argc, char **argv) {
  int rank = 0, rc = glcli_start_(&argc, &argv, &rank);
  if (rc) return rc;
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (rank == 0) glcli_usage(stdout);
    MPI_Finalize();
    return argc < 2 ? (int)GL_ERR_INPUT : 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    if (rank == 0) glcli_version();
    MPI_Finalize();
    return 0;
  }
  int local_only = 1;
  gl_err err = glcli_dispatch_(argc, argv, MPI_COMM_WORLD, rank, &local_only);
  return glcli_finish_(err, rank, local_only);
}
