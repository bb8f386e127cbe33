/* The HDF5 layer (prefix glh5_, src/h5): the one place where gaitlab talks to HDF5.
 * Recordings, analysis results, policies, checkpoints, training logs and reports open, walk,
 * read and write their files through it, so every HDF5 return value is checked once, here,
 * and becomes a gl_err with a one-line message naming the file, the object and, for a
 * dataset, the shape found next to the shape expected. HDF5's own error stack is silenced
 * (glh5_quiet): users read one line, not a library traceback.
 *
 *  - Messages name the file by the path it was opened with and the object by the path the
 *    caller gave (prefixed by its group's path when relative to a group).
 *  - Reads check rank, extents and type class before anything is read, so a dataset of
 *    another shape never reaches the caller's buffer (GL_ERR_INPUT, like every defect of an
 *    input file).
 *  - Paths are walked one component at a time, with no fixed-size buffer: H5Lexists fails
 *    (rather than answering 0) when an intermediate link is missing.
 *  - Attribute writers replace an attribute of the same name; strings are written as
 *    variable-length UTF-8 and read in whatever character set the file stores them (fixed-
 *    or variable-length), so files written by other tools stay readable.
 *  - "_mpi" functions and glh5_create/glh5_write_all/glh5_put are collective over the file's
 *    communicator: every rank calls them with the same arguments. */
#ifndef GAITLAB_H5_H
#define GAITLAB_H5_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "gaitlab/error.h"

enum { GLH5_MAXRANK = 8 };
/* In an expected shape: any extent along this dimension. */
#define GLH5_ANY ((hsize_t)-1)

/* Silence HDF5's automatic error printing for this process (idempotent). */
void glh5_quiet(void);
/* A file close has failed: HDF5's own termination would crash (see src/h5/file.c), so the
 * process must end without it (main: _exit after flushing). */
int glh5_library_unsafe(void);

/* ---- files */

typedef enum glh5_mode {
  GLH5_READ = 0,   /* read only; the file must exist and be HDF5 */
  GLH5_RDWR = 1,   /* read and write an existing file */
  GLH5_CREATE = 2  /* create, truncating an existing file */
} glh5_mode;

/* Serial open. For GLH5_READ the file is checked first, with GL_ERR_INPUT and one of
 * "'PATH': <strerror>", "'PATH' is not an HDF5 file", "'PATH': cannot open as HDF5
 * (truncated or corrupt?)"; GLH5_RDWR / GLH5_CREATE failures are GL_ERR_IO. */
gl_err glh5_open(hid_t *file, const char *path, glh5_mode mode);

/* A file shared by the ranks of a communicator through MPI-IO, with collective metadata
 * operations and writes, and a collective transfer property list for raw data. */
typedef struct glh5_file {
  hid_t id;      /* -1 when closed */
  hid_t dxpl;    /* collective transfer (H5FD_MPIO_COLLECTIVE) */
  MPI_Comm comm;
  int rank, size;
} glh5_file;

/* Collective open (GL_ERR_IO naming the file on failure; f->id = -1 then). */
gl_err glh5_open_mpi(glh5_file *f, const char *path, glh5_mode mode, MPI_Comm comm);
/* Collective close (idempotent). */
gl_err glh5_close_mpi(glh5_file *f);

/* Close any HDF5 id (file, group, dataset, attribute, dataspace, type, property list) and
 * set *id = -1; nothing to do when *id < 0. */
gl_err glh5_close(hid_t *id);
/* Close in a cleanup path: when err is already set it is returned (the close stays quiet
 * so the first message survives), else the close's own result. */
gl_err glh5_release(gl_err err, hid_t *id);
/* Flush a file (H5F_SCOPE_GLOBAL); collective under MPI-IO. */
gl_err glh5_flush(hid_t file);

/* ---- create-then-rename: a file is replaced whole or not at all */

typedef gl_err (*glh5_fill_fn)(hid_t file, void *ctx);
/* Serial: create PATH.tmp, fill it, close it, fsync it and rename it over PATH. On any
 * failure PATH.tmp is removed and PATH is left as it was. */
gl_err glh5_write_replace(const char *path, glh5_fill_fn fill, void *ctx);
/* The last step of the above, for files written some other way (closed already): fsync tmp,
 * rename it to path (GL_ERR_IO naming both), fsync the directory. */
gl_err glh5_commit(const char *tmp, const char *path);
/* "PATH" + suffix, malloc'd (caller frees). */
gl_err glh5_path_with(const char *path, const char *suffix, char **out);

/* ---- links and groups */

/* *exists = 1 when every component of path (absolute, or relative to loc) exists. */
gl_err glh5_exists(hid_t loc, const char *path, int *exists);
/* GL_ERR_INPUT "'FILE': HDF5 object 'PATH' is missing" unless it exists. */
gl_err glh5_require(hid_t loc, const char *path);
gl_err glh5_group_create(hid_t loc, const char *name, hid_t *group);
/* Open an existing group, or any object (H5Oopen); GL_ERR_INPUT when missing. */
gl_err glh5_group_open(hid_t loc, const char *name, hid_t *group);
gl_err glh5_object_open(hid_t loc, const char *name, hid_t *obj);
/* Remove the link `name` of loc when it exists (an earlier run's leftover). */
gl_err glh5_delete(hid_t loc, const char *name);
/* Rename the link `from` of loc to `to` (which must not exist). */
gl_err glh5_move(hid_t loc, const char *from, const char *to);
/* Names of the groups directly under `group`, in name order; *names malloc'd, every entry
 * too (glh5_free_names). */
gl_err glh5_list_groups(hid_t group, char ***names, int *n);
void glh5_free_names(char **names, int n);

/* Every object of a file, in the order of H5Ovisit (name order, depth first). */
typedef struct glh5_object {
  char *name;                  /* relative to the root, "." for the root itself */
  int is_group;                /* else a dataset (other objects are not listed) */
  int rank;                    /* datasets: dimensions (0 = scalar) */
  hsize_t dims[GLH5_MAXRANK];
  H5T_class_t cls;             /* datasets: type class */
  size_t type_size;            /* datasets: bytes per element */
} glh5_object;
gl_err glh5_list_objects(hid_t file, glh5_object **objs, int *n);
void glh5_free_objects(glh5_object *objs, int n);

/* ---- attributes */

gl_err glh5_attr_string(hid_t obj, const char *name, const char *value);
/* A 1-D attribute of n variable-length UTF-8 strings (h5py reads an array of str). */
gl_err glh5_attr_strings(hid_t obj, const char *name, const char *const *values, int n);
gl_err glh5_attr_int(hid_t obj, const char *name, long long value);
gl_err glh5_attr_double(hid_t obj, const char *name, double value);
/* An attribute of n elements, stored as ftype, from memory of mtype. */
gl_err glh5_attr_array(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                       const void *value);
gl_err glh5_attr_exists(hid_t obj, const char *name, int *exists);
/* Type class of an existing attribute. */
gl_err glh5_attr_class(hid_t obj, const char *name, H5T_class_t *cls);
/* Names of obj's attributes in name order (glh5_free_names). */
gl_err glh5_attr_names(hid_t obj, char ***names, int *n);
/* Read a string attribute (variable or fixed length); *value malloc'd, caller frees. */
gl_err glh5_attr_read_string(hid_t obj, const char *name, char **value);
/* Numeric readers accept an integer or floating-point attribute of one element. */
gl_err glh5_attr_read_int(hid_t obj, const char *name, long long *value);
gl_err glh5_attr_read_double(hid_t obj, const char *name, double *value);
/* A numeric attribute of any number of elements: *n receives the count, and the values are
 * read (converted to double) only when they fit in max. */
gl_err glh5_attr_read_doubles(hid_t obj, const char *name, double *values, hsize_t max, hsize_t *n);

/* ---- datasets: shape-checked reads */

/* Shape and type class of a dataset (rank 0 = scalar); GL_ERR_INPUT when missing. */
gl_err glh5_shape(hid_t loc, const char *obj, int *rank, hsize_t dims[GLH5_MAXRANK],
                  H5T_class_t *cls);
/* Check a dataset against an expected shape (rank, and extents with GLH5_ANY for any), and
 * a numeric type class when memtype is numeric. The one-line error reads "'FILE': HDF5
 * dataset 'OBJ' has shape [a][b], expected [c][*]" (GL_ERR_INPUT). dims (may be NULL)
 * receives the extents found. */
gl_err glh5_check(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                  hsize_t *dims);
/* Read a whole dataset whose shape must be exactly want[rank] (rank 0 = scalar). */
gl_err glh5_read(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                 void *buf, hid_t dxpl);
/* Read a whole dataset of the given rank (want may hold GLH5_ANY, or be NULL for any
 * extents) into a new zeroed buffer of at least one element: *out_ptr (caller frees),
 * extents in dims. */
gl_err glh5_read_alloc(hid_t loc, const char *obj, hid_t memtype, int rank,
                       const hsize_t *want, hsize_t *dims, void *out_ptr);
/* Same for a dataset of any rank: *rank and dims[GLH5_MAXRANK] receive its shape. */
gl_err glh5_read_any(hid_t loc, const char *obj, hid_t memtype, int *rank,
                     hsize_t dims[GLH5_MAXRANK], void *out_ptr);
/* Rows [row0, row0 + nrows) along the first dimension of a dataset of shape want (checked
 * first; want[0] may be GLH5_ANY), all of the other dimensions. nrows = 0 selects nothing,
 * so a rank without rows still takes part in a collective read. */
gl_err glh5_read_rows(hid_t loc, const char *obj, hid_t memtype, int rank, const hsize_t *want,
                      hsize_t row0, hsize_t nrows, void *buf, hid_t dxpl, hsize_t *dims);
/* The same on a dataset already open (and checked): no open per call. */
gl_err glh5_read_rows_open(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows, void *buf,
                           hid_t dxpl);
/* Fixed-length string dataset (scalar), malloc'd and NUL-terminated. */
gl_err glh5_read_string(hid_t loc, const char *obj, char **out);

/* ---- datasets: serial writes (contiguous, HDF5's default creation properties) */

/* Create `name` (with missing intermediate groups) of ftype and write it from mtype; rank 0
 * writes a scalar. */
gl_err glh5_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                  const hsize_t *dims, const void *data);
/* A scalar fixed-length (strlen + 1) ASCII string dataset. */
gl_err glh5_write_string(hid_t loc, const char *name, const char *value);
/* n fixed-length strings of len bytes each (NUL-padded), as one [n] dataset. */
gl_err glh5_write_strings(hid_t loc, const char *name, const char *strings, hsize_t n,
                          size_t len);

/* ---- datasets: collective writes under MPI-IO */

/* Create a dataset of `rank` dims with optional chunk dims (NULL = contiguous) and no fill
 * (every element is written by gaitlab). Collective. */
gl_err glh5_create(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                   const hsize_t *chunk, hid_t *dset);
/* The same, contiguous and filled with zeros when its storage is allocated, for datasets
 * whose unwritten elements are read: a .partial's completion flags. Without the fill an
 * element no rank has written yet holds whatever the disk held, or what a collective write's
 * read-modify-write of a neighbouring block left there. Collective. */
gl_err glh5_create_zeroed(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                          hid_t *dset);
/* Collective write of a whole small dataset whose data only `writer` holds: the writer
 * selects everything, everyone else selects nothing (HDF5 requires every rank to call). */
gl_err glh5_write_all(hid_t dset, hid_t memtype, const void *data, int i_am_writer, hid_t dxpl);
/* Create + collective write in one call. */
gl_err glh5_put(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                const void *data, int i_am_writer, hid_t dxpl);
/* glh5_put of a result every rank holds alike: rank 0 of f writes it. */
gl_err glh5_put_mpi(const glh5_file *f, hid_t loc, const char *name, hid_t type, int rank,
                    const hsize_t *dims, const void *data);
/* Collective write of rows [row0, row0 + nrows) of an open dataset (nrows may be 0). */
gl_err glh5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t nrows,
                       const void *buf, hid_t dxpl);

#endif
