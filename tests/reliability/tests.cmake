gaitlab_script_test(NAME reliability_kill_resume SCRIPT ${GAITLAB_TEST_DIR}/kill_resume.sh TIMEOUT 900)
set_property(TEST reliability_kill_resume APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
gaitlab_script_test(NAME reliability_faults SCRIPT ${GAITLAB_TEST_DIR}/faults.sh TIMEOUT 600)
set_property(TEST reliability_faults APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
