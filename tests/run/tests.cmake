# Experiments (glx_): configuration binding, grid expansion, checks and policy names.
gaitlab_test(NAME run_experiment_config SOURCES ${GAITLAB_TEST_DIR}/test_experiment.c TIMEOUT 30)
