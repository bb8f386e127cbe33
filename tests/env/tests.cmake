# env module: model facts, observation/reward/PD maths, dynamics and determinism.
foreach(_t model obs reward dynamics terrain curriculum)
  if(EXISTS ${GAITLAB_TEST_DIR}/test_env_${_t}.c)
    gaitlab_test(NAME env_${_t} SOURCES ${GAITLAB_TEST_DIR}/test_env_${_t}.c TIMEOUT 120)
  endif()
endforeach()

# Benchmark (not a test): bench/bench_env.sh runs it.
if(EXISTS ${CMAKE_SOURCE_DIR}/bench/bench_env.c)
  add_executable(bench_env ${CMAKE_SOURCE_DIR}/bench/bench_env.c)
  target_include_directories(bench_env PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(bench_env PRIVATE ${GAITLAB_WARN})
  target_link_libraries(bench_env PRIVATE gaitlab_core)
endif()
