# End-to-end tests: the real binary on the shipped policy and model, over 1-4 ranks
# (determinism, walking, the acceptance bar, SIGKILL/resume and injected faults). h5check
# reads the outputs independently of gaitlab's own readers.
add_executable(h5check ${GAITLAB_TEST_DIR}/h5check.c)
target_link_libraries(h5check PRIVATE hdf5::hdf5 MPI::MPI_C m)
target_compile_options(h5check PRIVATE ${GAITLAB_WARN})

gaitlab_script_test(NAME e2e_determinism SCRIPT ${GAITLAB_TEST_DIR}/determinism.sh TIMEOUT 600)
gaitlab_script_test(NAME e2e_walking SCRIPT ${GAITLAB_TEST_DIR}/walking.sh TIMEOUT 300)
gaitlab_script_test(NAME e2e_acceptance SCRIPT ${GAITLAB_TEST_DIR}/acceptance.sh TIMEOUT 600)
gaitlab_script_test(NAME e2e_kill_resume SCRIPT ${GAITLAB_TEST_DIR}/kill_resume.sh TIMEOUT 900)
# SIGTERM during `gaitlab analyze`: exit 75, the previous analysis intact, a rerun completes.
gaitlab_script_test(NAME e2e_analyze_signal SCRIPT ${GAITLAB_TEST_DIR}/analyze_signal.sh TIMEOUT 300)
gaitlab_script_test(NAME e2e_faults SCRIPT ${GAITLAB_TEST_DIR}/faults.sh TIMEOUT 600)
gaitlab_script_test(NAME e2e_output_paths SCRIPT ${GAITLAB_TEST_DIR}/output_paths.sh TIMEOUT 300)
gaitlab_script_test(NAME e2e_disk_full SCRIPT ${GAITLAB_TEST_DIR}/disk_full.sh TIMEOUT 300)
gaitlab_script_test(NAME e2e_memory SCRIPT ${GAITLAB_TEST_DIR}/memory.sh TIMEOUT 300)
gaitlab_script_test(NAME e2e_integrity SCRIPT ${GAITLAB_TEST_DIR}/integrity.sh TIMEOUT 300)
# A private single-node SLURM (munged, slurmctld, slurmd) running slurm/*.sbatch as documented.
gaitlab_script_test(NAME e2e_slurm SCRIPT ${GAITLAB_TEST_DIR}/slurm.sh TIMEOUT 900)
set_property(TEST e2e_determinism e2e_walking e2e_acceptance e2e_kill_resume e2e_analyze_signal e2e_faults e2e_output_paths e2e_disk_full e2e_memory e2e_integrity e2e_slurm
  APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
