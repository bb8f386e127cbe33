# Experiments (glx_): configuration binding, grid expansion, checks and policy names.
gaitlab_test(NAME run_experiment_config SOURCES ${GAITLAB_TEST_DIR}/test_experiment.c TIMEOUT 30)
# Force disturbances end to end (grid, onset rule, zero force, ranks, report, refusals).
gaitlab_script_test(NAME run_force SCRIPT ${GAITLAB_TEST_DIR}/force.sh TIMEOUT 300)
set_property(TEST run_force APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
# Neural perturbation and ablation end to end (means, PC offsets, obs set, gradient ranking,
# ranks 1/2/4, the report's rows, refusals).
gaitlab_script_test(NAME run_neural SCRIPT ${GAITLAB_TEST_DIR}/neural.sh TIMEOUT 300)
set_property(TEST run_neural APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
