# The HDF5 layer (src/h5): shape-checked reads, create-then-rename, long paths, attributes,
# collective open/put/rows.
gaitlab_test(NAME test_h5 SOURCES ${GAITLAB_TEST_DIR}/test_h5.c RANKS 1 2 TIMEOUT 60)
