# Report stage: synthetic recordings with the real layout, checked numbers, SVG structure and
# the one-line errors for bad inputs.
gaitlab_test(NAME test_report SOURCES ${GAITLAB_TEST_DIR}/test_report.c TIMEOUT 30)
# The claims table: each claim's rule on synthetic analysed files whose answer is known both
# ways (the verdict flips), the exact push-recovery count, mean ± sd across files, options.
gaitlab_test(NAME test_claims SOURCES ${GAITLAB_TEST_DIR}/test_claims.c TIMEOUT 60)
