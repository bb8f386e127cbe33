/* Minimal HDF5 helpers for the analysis tests (serial, plain HDF5 API). */
#ifndef GAITLAB_TESTS_ANA_H5_TEST_H
#define GAITLAB_TESTS_ANA_H5_TEST_H

#include <hdf5.h>

static inline void tput(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                        const void *data) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(d);
  H5Sclose(sp);
}

static inline void tattr_double(hid_t loc, const char *obj, const char *name, double v) {
  hid_t o = H5Oopen(loc, obj, H5P_DEFAULT);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(o, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(sp);
  H5Oclose(o);
}

static inline double tget_attr_double(const char *path, const char *obj, const char *name) {
  double v = NAN;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
  hid_t a = H5Aopen(o, name, H5P_DEFAULT);
  if (a >= 0) {
    H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
  }
  H5Oclose(o);
  H5Fclose(f);
  return v;
}

#endif
