# Training (glt_): PPO arithmetic, the trainer on a cheap built-in recurrent task (cue_env),
# MPI averaging across rank counts, checkpoint/resume bit-exactness, and the CLI.
gaitlab_test(NAME train_math SOURCES ${GAITLAB_TEST_DIR}/test_train_math.c TIMEOUT 60)
gaitlab_test(NAME train_ppo
  SOURCES ${GAITLAB_TEST_DIR}/test_train_ppo.c ${GAITLAB_TEST_DIR}/cue_env.c TIMEOUT 240)
gaitlab_test(NAME train_mpi
  SOURCES ${GAITLAB_TEST_DIR}/test_train_mpi.c ${GAITLAB_TEST_DIR}/cue_env.c
  RANKS 1 2 4 TIMEOUT 180)

# `gaitlab train` end to end on the ANYmal task (tiny sizes), through the gaitlab binary.
add_test(NAME train_cli COMMAND bash ${GAITLAB_TEST_DIR}/test_train_cli.sh
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(train_cli PROPERTIES TIMEOUT 300
  ENVIRONMENT "${GAITLAB_TEST_ENV};MPIEXEC=${MPIEXEC_EXECUTABLE}")
gaitlab_test(NAME train_anymal SOURCES ${GAITLAB_TEST_DIR}/test_train_anymal.c TIMEOUT 60)
# Curriculum terrain through the training environment: rank-split invariance, the level
# metric and checkpoint record; and `gaitlab train` on it end to end (tiny sizes).
gaitlab_test(NAME train_curriculum SOURCES ${GAITLAB_TEST_DIR}/test_train_curriculum.c TIMEOUT 60)
add_test(NAME train_curriculum_cli COMMAND bash ${GAITLAB_TEST_DIR}/test_train_curriculum_cli.sh
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(train_curriculum_cli PROPERTIES TIMEOUT 120
  ENVIRONMENT "${GAITLAB_TEST_ENV};MPIEXEC=${MPIEXEC_EXECUTABLE}")
