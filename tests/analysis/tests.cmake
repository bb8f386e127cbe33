# Analysis stage tests (see tests/CMakeLists.txt for gaitlab_test).
gaitlab_test(NAME test_analysis_kernels SOURCES ${GAITLAB_TEST_DIR}/test_kernels.c TIMEOUT 60)
gaitlab_test(NAME test_analysis_tangling SOURCES ${GAITLAB_TEST_DIR}/test_tangling.c RANKS 1 2 4 TIMEOUT 120)
gaitlab_test(NAME test_analysis_tangling_screen SOURCES ${GAITLAB_TEST_DIR}/test_tangling_screen.c RANKS 1 2 4 TIMEOUT 180)
gaitlab_test(NAME test_analysis_pca SOURCES ${GAITLAB_TEST_DIR}/test_pca.c RANKS 1 2 4 TIMEOUT 120)
gaitlab_test(NAME test_analysis_file SOURCES ${GAITLAB_TEST_DIR}/test_analyze.c RANKS 1 2 4 TIMEOUT 180)

# Real-data test: the EMG sample data of Russo et al. 2018 (aarusso/trajectory-tangling,
# converted to HDF5) are not part of the repository. CI keeps them at ../shared/data next to
# the checkout; -DGAITLAB_RUSSO_DATA=FILE points elsewhere. Without the file the test is left
# out, so a fresh clone still configures and passes, and configure says so.
get_filename_component(_russo_default "${CMAKE_SOURCE_DIR}/../shared/data/russo_emg_cycling.h5" ABSOLUTE)
set(GAITLAB_RUSSO_DATA "${_russo_default}" CACHE FILEPATH
    "HDF5 file of the Russo et al. 2018 EMG sample data, read by test_analysis_russo")
if(EXISTS "${GAITLAB_RUSSO_DATA}")
  gaitlab_test(NAME test_analysis_russo SOURCES ${GAITLAB_TEST_DIR}/test_russo.c RANKS 1 2 TIMEOUT 180
               ARGS "${GAITLAB_RUSSO_DATA}")
  message(STATUS "gaitlab: real-data test test_analysis_russo uses ${GAITLAB_RUSSO_DATA}")
else()
  message(STATUS "gaitlab: real-data test test_analysis_russo left out: ${GAITLAB_RUSSO_DATA} "
                 "not found (set -DGAITLAB_RUSSO_DATA=/path/to/russo_emg_cycling.h5 to run it)")
endif()

# The tangling benchmark is built here but is not a test: bench/bench_tangling.sh runs it.
add_executable(bench_tangling ${CMAKE_SOURCE_DIR}/bench/bench_tangling.c)
target_compile_options(bench_tangling PRIVATE ${GAITLAB_WARN})
target_link_libraries(bench_tangling PRIVATE gaitlab_core)

# Cross-agent alignment (gaitlab align): the math against independent answers, synthetic
# analysed files, and the command on two short real runs.
gaitlab_test(NAME test_align SOURCES ${GAITLAB_TEST_DIR}/test_align.c TIMEOUT 60)
gaitlab_script_test(NAME align_cli SCRIPT ${GAITLAB_TEST_DIR}/align_cli.sh TIMEOUT 300)
gaitlab_script_test(NAME analysis_crafted SCRIPT ${GAITLAB_TEST_DIR}/crafted.sh TIMEOUT 300)
# The raw-sample PCA benchmark, likewise: bench/bench_pca.sh runs it.
add_executable(bench_pca ${CMAKE_SOURCE_DIR}/bench/bench_pca.c)
target_compile_options(bench_pca PRIVATE ${GAITLAB_WARN})
target_link_libraries(bench_pca PRIVATE gaitlab_core)
# gaitlab analyze FILE starts from the file's own analysis: block (1 and 2 ranks).
gaitlab_script_test(NAME analysis_reanalyze SCRIPT ${GAITLAB_TEST_DIR}/reanalyze.sh TIMEOUT 300)
