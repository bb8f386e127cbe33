# Report stage: synthetic recordings with the real layout, checked numbers, SVG structure and
# the one-line errors for bad inputs.
gaitlab_test(NAME test_report SOURCES ${GAITLAB_TEST_DIR}/test_report.c TIMEOUT 30)
