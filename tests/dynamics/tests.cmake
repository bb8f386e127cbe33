# Dynamics stage tests (fixed points of the actor LSTM; docs/dynamics.md).
gaitlab_test(NAME test_dynamics SOURCES ${GAITLAB_TEST_DIR}/test_dynamics.c RANKS 1 2 4 TIMEOUT 60)
gaitlab_script_test(NAME dynamics_cli SCRIPT ${GAITLAB_TEST_DIR}/dynamics_cli.sh TIMEOUT 60)
