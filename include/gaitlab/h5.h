/* HDF5 helpers (glh5_) used by every stage that reads or writes HDF5: recordings, analysis
 * results, policy files, reports. Every call checks its HDF5 return value and turns it into
 * a gl_err naming the object, because HDF5's own error stack is silenced (users should see
 * one line, not a library traceback). Attribute writers replace an existing attribute of
 * the same name; strings are written as variable-length UTF-8, and the readers accept both
 * variable- and fixed-length strings, so files written by older versions stay readable. */
#ifndef GAITLAB_H5_H
#define GAITLAB_H5_H

#include <hdf5.h>
#include <stdint.h>

#include "gaitlab/error.h"

/* Silence HDF5's automatic error printing for this process (idempotent). */
void glh5_quiet(void);

gl_err glh5_attr_string(hid_t obj, const char *name, const char *value);
gl_err glh5_attr_int(hid_t obj, const char *name, long long value);
gl_err glh5_attr_double(hid_t obj, const char *name, double value);
/* Read a string attribute (variable or fixed length); *value malloc'd, caller frees. */
gl_err glh5_attr_read_string(hid_t obj, const char *name, char **value);
/* Numeric readers accept an integer or floating-point attribute of one element. */
gl_err glh5_attr_read_int(hid_t obj, const char *name, long long *value);
gl_err glh5_attr_read_double(hid_t obj, const char *name, double *value);

/* Create a dataset of `rank` dims with optional chunk dims (NULL = contiguous). Collective
 * under MPI-IO (all ranks, same arguments). */
gl_err glh5_create(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                   const hsize_t *chunk, hid_t *dset);

/* Collective write of a whole small dataset whose data only `writer` holds: the writer
 * selects everything, everyone else selects nothing (HDF5 requires every rank to call). */
gl_err glh5_write_all(hid_t dset, hid_t memtype, const void *data, int i_am_writer, hid_t dxpl);

/* Create + collective write in one call. */
gl_err glh5_put(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *data, int i_am_writer, hid_t dxpl);

#endif
