/* `gaitlab info FILE.h5`: the summary of src/io/info.c, printed by rank 0. */
#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "gaitlab/recording.h"

gl_err glcli_info(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->npositional != 1)
    return gl_error(GL_ERR_INPUT, "expected one HDF5 file; usage: gaitlab info FILE.h5");
  return gl_agree(comm, rank == 0 ? glio_info(a->positional[0]) : GL_OK);
}
