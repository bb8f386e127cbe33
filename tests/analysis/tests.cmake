# Analysis stage tests (see tests/CMakeLists.txt for gaitlab_test).
gaitlab_test(NAME test_analysis_kernels SOURCES ${GAITLAB_TEST_DIR}/test_kernels.c TIMEOUT 60)
gaitlab_test(NAME test_analysis_tangling SOURCES ${GAITLAB_TEST_DIR}/test_tangling.c RANKS 1 2 4 TIMEOUT 120)
gaitlab_test(NAME test_analysis_tangling_screen SOURCES ${GAITLAB_TEST_DIR}/test_tangling_screen.c RANKS 1 2 4 TIMEOUT 180)
gaitlab_test(NAME test_analysis_pca SOURCES ${GAITLAB_TEST_DIR}/test_pca.c RANKS 1 2 4 TIMEOUT 120)
gaitlab_test(NAME test_analysis_file SOURCES ${GAITLAB_TEST_DIR}/test_analyze.c RANKS 1 2 4 TIMEOUT 180)
gaitlab_test(NAME test_analysis_russo SOURCES ${GAITLAB_TEST_DIR}/test_russo.c RANKS 1 2 TIMEOUT 180)

# The tangling benchmark is built here but is not a test: bench/bench_tangling.sh runs it.
add_executable(bench_tangling ${CMAKE_SOURCE_DIR}/bench/bench_tangling.c)
target_compile_options(bench_tangling PRIVATE ${GAITLAB_WARN})
target_link_libraries(bench_tangling PRIVATE gaitlab_core)
