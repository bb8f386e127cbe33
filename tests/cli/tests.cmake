# The commands (src/cli): argument parsing as a unit, and the CLI contract of the real
# binary (help, exit codes, one-line errors with file:line:col, no half-written outputs).
gaitlab_test(NAME cli_args SOURCES ${GAITLAB_TEST_DIR}/test_args.c TIMEOUT 30)
gaitlab_script_test(NAME cli_contract SCRIPT ${GAITLAB_TEST_DIR}/cli.sh TIMEOUT 300)
set_property(TEST cli_contract APPEND PROPERTY ENVIRONMENT "H5CHECK=$<TARGET_FILE:h5check>")
