gaitlab_test(NAME spine_core SOURCES ${GAITLAB_TEST_DIR}/test_core.c)

add_executable(h5check ${GAITLAB_TEST_DIR}/h5check.c)
target_link_libraries(h5check PRIVATE hdf5::hdf5 MPI::MPI_C m)
target_compile_options(h5check PRIVATE ${GAITLAB_WARN})

gaitlab_script_test(NAME spine_determinism SCRIPT ${GAITLAB_TEST_DIR}/determinism.sh TIMEOUT 600)
gaitlab_script_test(NAME spine_cli SCRIPT ${GAITLAB_TEST_DIR}/cli.sh TIMEOUT 300)
set_property(TEST spine_determinism spine_cli APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
gaitlab_script_test(NAME spine_walking SCRIPT ${GAITLAB_TEST_DIR}/walking.sh TIMEOUT 300)
set_property(TEST spine_walking APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
gaitlab_script_test(NAME spine_acceptance SCRIPT ${GAITLAB_TEST_DIR}/acceptance.sh TIMEOUT 600)
set_property(TEST spine_acceptance APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
