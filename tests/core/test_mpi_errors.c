/* MPI failures become GL_ERR_MPI with the call and MPI's own description, on a communicator
 * with MPI_ERRORS_RETURN (what main sets on MPI_COMM_WORLD), instead of aborting the job:
 * an invalid root and an invalid count are real failures of real calls. Runs on 1, 2, 4 ranks. */
#include <mpi.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/core.h"

static MPI_Comm g_comm;

static gl_err bad_root(void) {
  int size, v = 1;
  MPI_Comm_size(g_comm, &size);
  GL_MPI(MPI_Bcast(&v, 1, MPI_INT, size + 3, g_comm));
  return GL_OK;
}

static gl_err bad_count(void) {
  int v = 1;
  GL_MPI(MPI_Allreduce(MPI_IN_PLACE, &v, -1, MPI_INT, MPI_SUM, g_comm));
  return GL_OK;
}

static void test_failures_are_errors(void **state) {
  (void)state;
  assert_int_equal(bad_root(), GL_ERR_MPI);
  assert_non_null(strstr(gl_errmsg(), "MPI_Bcast failed: "));
  assert_non_null(strstr(gl_errmsg(), "root"));
  assert_int_equal(bad_count(), GL_ERR_MPI);
  assert_non_null(strstr(gl_errmsg(), "MPI_Allreduce failed: "));
  assert_non_null(strstr(gl_errmsg(), "count"));
  /* the communicator still works afterwards, and success is GL_OK */
  int one = 1, sum = 0, size;
  MPI_Comm_size(g_comm, &size);
  assert_int_equal(gl_mpi_check(MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, g_comm), "x"), GL_OK);
  assert_int_equal(sum, size);
  int stop = -1;
  assert_int_equal(gl_stop_agree(g_comm, &stop), GL_OK);
  assert_int_equal(stop, 0);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_dup(MPI_COMM_WORLD, &g_comm);
  MPI_Comm_set_errhandler(g_comm, MPI_ERRORS_RETURN);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_failures_are_errors)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Comm_free(&g_comm);
  MPI_Finalize();
  return rc;
}
