# Paper figures (tools/paper_figures.py): matplotlib + h5py + numpy from Debian's packages.
# The interpreter is GAITLAB_PYTHON (cache or environment), else /usr/bin/python3 (Debian's,
# which the python3-* packages install into; a python3 earlier on PATH, e.g. a pyenv, usually
# lacks them). Configuring fails when it cannot import them: these tests are never skipped.
if(NOT GAITLAB_PYTHON)
  if(DEFINED ENV{GAITLAB_PYTHON})
    set(_py "$ENV{GAITLAB_PYTHON}")
  elseif(EXISTS /usr/bin/python3)
    set(_py /usr/bin/python3)
  else()
    find_program(_py NAMES python3 REQUIRED)
  endif()
  set(GAITLAB_PYTHON "${_py}" CACHE FILEPATH "python3 with matplotlib, h5py and numpy (paper figures)")
endif()
execute_process(COMMAND ${GAITLAB_PYTHON} -c
  "import matplotlib, h5py, numpy; print(matplotlib.__version__, h5py.__version__, numpy.__version__)"
  RESULT_VARIABLE _py_rc OUTPUT_VARIABLE _py_ver ERROR_VARIABLE _py_err
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
if(NOT _py_rc EQUAL 0)
  string(REGEX MATCH "[^\n]*$" _py_err "${_py_err}")  # the exception line, not the traceback
  message(FATAL_ERROR
    "GAITLAB_PYTHON=${GAITLAB_PYTHON} cannot import matplotlib, h5py and numpy, which the paper "
    "figures and their tests need (${_py_err}). On Debian 12: apt-get install python3-matplotlib "
    "python3-h5py python3-numpy (tools/install-deps.sh does), or configure with "
    "-DGAITLAB_PYTHON=/path/to/python3 that has them, or -DGAITLAB_TESTS=OFF.")
endif()
message(STATUS "Paper figures: ${GAITLAB_PYTHON} (matplotlib, h5py, numpy ${_py_ver})")

# Every figure drawn from synthetic analysed files with known content; checks the artists.
add_test(NAME figures_synthetic COMMAND ${GAITLAB_PYTHON} ${GAITLAB_TEST_DIR}/test_figures.py
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(figures_synthetic PROPERTIES
  ENVIRONMENT "GAITLAB_SOURCE_DIR=${CMAKE_SOURCE_DIR};MPLBACKEND=Agg" TIMEOUT 120 LABELS figures)

# tools/reproduce_paper.sh --copies 2 end to end: the paper's experiments on the shipped
# agent, the claims table and every figure, checked.
gaitlab_script_test(NAME e2e_reproduce_paper SCRIPT ${GAITLAB_TEST_DIR}/reproduce.sh TIMEOUT 900
  LABELS figures)
set_property(TEST e2e_reproduce_paper APPEND PROPERTY ENVIRONMENT "GAITLAB_PYTHON=${GAITLAB_PYTHON}")

# tools/dynamics_figures.py on small real runs (force sweep, ablation, fixed points).
gaitlab_script_test(NAME figures_dynamics SCRIPT ${GAITLAB_TEST_DIR}/dynamics.sh TIMEOUT 300
  LABELS figures)
set_property(TEST figures_dynamics APPEND PROPERTY ENVIRONMENT "GAITLAB_PYTHON=${GAITLAB_PYTHON}")
