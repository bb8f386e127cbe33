# Config module: YAML documents, --set overrides, emission, schema binding, MPI loading,
# and the fuzz corpus replayed with the ordinary compiler.
gaitlab_test(NAME test_config SOURCES ${GAITLAB_TEST_DIR}/test_config.c TIMEOUT 60)
target_compile_definitions(test_config PRIVATE CONFIG_DATA_DIR="${GAITLAB_TEST_DIR}/data")

gaitlab_test(NAME test_config_bcast SOURCES ${GAITLAB_TEST_DIR}/test_config_bcast.c
             RANKS 1 2 4 TIMEOUT 60)
target_compile_definitions(test_config_bcast PRIVATE CONFIG_DATA_DIR="${GAITLAB_TEST_DIR}/data")

gaitlab_test(NAME test_config_fuzz_replay
             SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_config.c
                     ${CMAKE_SOURCE_DIR}/tests/fuzz/harness_config.c
             ARGS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/config
             TIMEOUT 120)
