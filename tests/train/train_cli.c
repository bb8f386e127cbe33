/* Drives glcli_train exactly as the gaitlab binary does (argument parsing, signal handlers,
 * one error message, exit code), so the CLI test does not depend on the dispatch table. */
#include <mpi.h>
#include <stdio.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  gl_log_set_rank(rank);
  gl_signals_install();
  glcli_args a;
  gl_err err = glcli_parse(argc - 1, argv + 1, "train_cli TRAIN.yaml [--set K=V]... [--resume]", &a);
  if (!err) err = glcli_train(&a, MPI_COMM_WORLD);
  if (err && !gl_error_is_remote()) fprintf(stderr, "gaitlab: error: %s\n", gl_errmsg());
  MPI_Finalize();
  return (int)err;
}
