# Policy network: tower kernels, normaliser, policy file, broadcast; and its benchmark.
gaitlab_test(NAME test_policy_tower SOURCES ${GAITLAB_TEST_DIR}/test_policy_tower.c TIMEOUT 120)
gaitlab_test(NAME test_policy_batch SOURCES ${GAITLAB_TEST_DIR}/test_policy_batch.c TIMEOUT 60)
gaitlab_test(NAME test_policy_norm SOURCES ${GAITLAB_TEST_DIR}/test_policy_norm.c TIMEOUT 60)
gaitlab_test(NAME test_policy_io SOURCES ${GAITLAB_TEST_DIR}/test_policy_io.c TIMEOUT 60)
gaitlab_test(NAME test_policy_bcast SOURCES ${GAITLAB_TEST_DIR}/test_policy_bcast.c
             RANKS 1 2 4 TIMEOUT 60)

# Not a test: `bench_policy [out.json]` (about 20 s), results in bench/results/policy.json.
add_executable(bench_policy ${CMAKE_SOURCE_DIR}/bench/bench_policy.c)
target_compile_options(bench_policy PRIVATE ${GAITLAB_WARN})
target_link_libraries(bench_policy PRIVATE gaitlab_core)
gaitlab_test(NAME test_policy_expf SOURCES ${GAITLAB_TEST_DIR}/test_policy_expf.c TIMEOUT 60)

# Not a test: `bench_expf [out.json]` (about 30 s): every one of the 2^32 inputs against
# expf, and the time per element of both, in bench/results/expf.json.
add_executable(bench_expf ${CMAKE_SOURCE_DIR}/bench/bench_expf.c)
target_compile_options(bench_expf PRIVATE ${GAITLAB_WARN})
target_link_libraries(bench_expf PRIVATE gaitlab_core)
