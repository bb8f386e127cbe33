# The recording file on its own (glio_): collective block writes read back, tracking, resume.
gaitlab_test(NAME io_recording SOURCES ${GAITLAB_TEST_DIR}/test_recording.c RANKS 1 2 4 TIMEOUT 60)
