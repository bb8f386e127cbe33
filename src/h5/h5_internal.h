/* Internals of the HDF5 layer shared between its files (src/h5 only). */
#ifndef GAITLAB_H5_INTERNAL_H
#define GAITLAB_H5_INTERNAL_H

#include <stdarg.h>

#include "gaitlab/h5.h"

/* One-line error about an object: "'FILE': HDF5 <kind> 'OBJ' <tail>", where FILE is the
 * name the file of loc was opened with, OBJ the object's path (obj, prefixed by loc's path
 * when relative to a group; loc's own path when obj is NULL) and tail is formatted from fmt.
 * Returns code. */
gl_err glh5_fail_(gl_err code, hid_t loc, const char *kind, const char *obj, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* The same for an attribute: "'FILE': HDF5 attribute 'NAME' of OBJ <tail>". */
gl_err glh5_attr_fail_(gl_err code, hid_t obj, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* malloc'd copy (NULL when out of memory). */
char *glh5_strdup_(const char *s);

/* "[a][b]" for a shape ("scalar" for rank 0); GLH5_ANY prints as "*". buf holds
 * GLH5_SHAPE_LEN bytes, enough for GLH5_MAXRANK dimensions of any extent. */
enum { GLH5_SHAPE_LEN = GLH5_MAXRANK * 24 + 8 };
const char *glh5_shape_str_(int rank, const hsize_t *dims, char *buf);

/* Open a dataset for reading after checking it exists, is a dataset, has a numeric class
 * when memtype is numeric and the expected shape: rank < 0 accepts any rank (then *found
 * receives it), want may be NULL (any extents) or hold GLH5_ANY. dims receives the
 * extents (GLH5_MAXRANK entries). */
gl_err glh5_open_checked_(hid_t loc, const char *obj, hid_t memtype, int rank,
                          const hsize_t *want, hid_t *dset, int *found, hsize_t *dims);

#endif
