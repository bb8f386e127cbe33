# Process-wide services (gl_): the MPI error idiom.
gaitlab_test(NAME core_mpi_errors SOURCES ${GAITLAB_TEST_DIR}/test_mpi_errors.c RANKS 1 2 4 TIMEOUT 60)
gaitlab_test(NAME core_shard_rng SOURCES ${GAITLAB_TEST_DIR}/test_core.c)
