/* Files: serial and collective (MPI-IO) opening, checked closing, and replacing a file
 * whole through PATH.tmp + fsync + rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gaitlab/core.h"
#include "h5/h5_internal.h"

void glh5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* An existing file to read (or update) must be a regular HDF5 file: a FIFO would block
 * H5Fis_hdf5 forever, and a directory or device deserves its own message. */
static gl_err glh5_check_input_(const char *path, glh5_mode mode) {
  struct stat st;
  if (stat(path, &st) != 0) return gl_error(GL_ERR_INPUT, "'%s': %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return gl_error(GL_ERR_INPUT, "'%s' is not a regular file (%s); an HDF5 file is expected", path,
                    S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device or special file");
  if (access(path, mode == GLH5_RDWR ? R_OK | W_OK : R_OK) != 0)
    return gl_error(mode == GLH5_RDWR ? GL_ERR_IO : GL_ERR_INPUT, "'%s': %s%s", path, strerror(errno),
                    mode == GLH5_RDWR ? " (it is written in place)" : "");
  if (H5Fis_hdf5(path) <= 0) return gl_error(GL_ERR_INPUT, "'%s' is not an HDF5 file", path);
  return GL_OK;
}

/* Files gaitlab creates use the HDF5 1.8 object formats (readable by HDF5 >= 1.8, h5py,
 * MATLAB): their superblock, object headers and indices carry checksums, so damaged
 * metadata (a flipped byte in a header) is detected when read instead of passing as a
 * readable file. Chunked data has its own Fletcher-32 checksums (glh5_create). */
static herr_t glh5_checksummed_(hid_t fapl) {
  return H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110);
}

gl_err glh5_open(hid_t *file, const char *path, glh5_mode mode) {
  glh5_quiet();
  *file = -1;
  if (mode == GLH5_CREATE) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || glh5_checksummed_(fapl) < 0) {
      if (fapl >= 0) H5Pclose(fapl);
      return gl_error(GL_ERR_LIB, "HDF5: cannot set up the file format of '%s'", path);
    }
    *file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (H5Pclose(fapl) < 0 && *file >= 0) {
      H5Fclose(*file);
      *file = -1;
    }
    if (*file < 0) return gl_error(GL_ERR_IO, "cannot create HDF5 file '%s'", path);
    return GL_OK;
  }
  GL_CALL(glh5_check_input_(path, mode));
  if (mode == GLH5_RDWR) {
    *file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (*file < 0) return gl_error(GL_ERR_IO, "cannot open HDF5 file '%s' for writing", path);
    return GL_OK;
  }
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (*file < 0) return gl_error(GL_ERR_INPUT, "'%s': cannot open as HDF5 (truncated or corrupt?)", path);
  return GL_OK;
}

gl_err glh5_open_mpi(glh5_file *f, const char *path, glh5_mode mode, MPI_Comm comm) {
  glh5_quiet();
  f->id = f->dxpl = -1;
  f->comm = comm;
  GL_MPI(MPI_Comm_rank(comm, &f->rank));
  GL_MPI(MPI_Comm_size(comm, &f->size));
  if (mode != GLH5_CREATE) GL_CALL(glh5_check_input_(path, mode));
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0 ||
      H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0 ||
      (mode == GLH5_CREATE && glh5_checksummed_(fapl) < 0)) {
    if (fapl >= 0) H5Pclose(fapl);
    return gl_error(GL_ERR_LIB, "HDF5: cannot set up MPI-IO access for '%s'", path);
  }
  if (mode == GLH5_CREATE)
    f->id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  else
    f->id = H5Fopen(path, mode == GLH5_READ ? H5F_ACC_RDONLY : H5F_ACC_RDWR, fapl);
  gl_err err = GL_OK;
  if (H5Pclose(fapl) < 0) err = gl_error(GL_ERR_LIB, "HDF5: cannot release the access list of '%s'", path);
  if (f->id < 0)
    return gl_error(GL_ERR_IO, "cannot %s HDF5 file '%s'%s", mode == GLH5_CREATE ? "create" : "open",
                    path, mode == GLH5_RDWR ? " for writing" : "");
  f->dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (!err && (f->dxpl < 0 || H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE) < 0))
    err = gl_error(GL_ERR_LIB, "HDF5: cannot set up collective transfers for '%s'", path);
  if (err) glh5_close_mpi(f);
  return err;
}

gl_err glh5_close_mpi(glh5_file *f) {
  gl_err err = glh5_close(&f->dxpl);
  return glh5_release(err, &f->id);
}

/* HDF5 1.10 keeps a file whose close failed (a full disk) half torn down in its ID table,
 * and its own termination, which MPI_Finalize and exit() run, then crashes closing it
 * again. Remembered so that main can end the process without that termination. */
static int glh5_close_failed_;
int glh5_library_unsafe(void) { return glh5_close_failed_; }

gl_err glh5_close(hid_t *id) {
  if (*id < 0) return GL_OK;
  herr_t st = -1;
  H5I_type_t t = H5Iget_type(*id);
  char *fname = NULL;
  switch (t) {
    case H5I_FILE:
      /* A file's close writes its last metadata: name it in the message. */
      {
        ssize_t n = H5Fget_name(*id, NULL, 0);
        if (n >= 0 && (fname = malloc((size_t)n + 1)) && H5Fget_name(*id, fname, (size_t)n + 1) < 0) {
          free(fname);
          fname = NULL;
        }
      }
      st = H5Fclose(*id);
      break;
    case H5I_GROUP: st = H5Gclose(*id); break;
    case H5I_DATASET: st = H5Dclose(*id); break;
    case H5I_ATTR: st = H5Aclose(*id); break;
    case H5I_DATASPACE: st = H5Sclose(*id); break;
    case H5I_DATATYPE: st = H5Tclose(*id); break;
    case H5I_GENPROP_LST: st = H5Pclose(*id); break;
    default: st = -1; break;
  }
  gl_err err = GL_OK;
  if (st < 0) {
    if (t == H5I_FILE) glh5_close_failed_ = 1;
    if (t == H5I_FILE)
      err = gl_error(GL_ERR_IO, "cannot close HDF5 file '%s' (its last writes may be lost)", fname ? fname : "?");
    else
      err = glh5_fail_(GL_ERR_LIB, *id, "object", NULL, "cannot be closed");
  }
  free(fname);
  *id = -1;
  return err;
}

gl_err glh5_release(gl_err err, hid_t *id) {
  if (err == GL_OK) return glh5_close(id);
  if (*id >= 0) {
    /* Already failing: close quietly so that the first message is the one reported. */
    char keep[2048];
    snprintf(keep, sizeof keep, "%s", gl_errmsg());
    if (glh5_close(id) != GL_OK) gl_error(err, "%s", keep);
  }
  return err;
}

gl_err glh5_flush(hid_t file) {
  if (H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0) return GL_OK;
  ssize_t n = H5Fget_name(file, NULL, 0);
  char *name = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (name && H5Fget_name(file, name, (size_t)n + 1) < 0) name[0] = '\0';
  gl_err err = gl_error(GL_ERR_IO, "cannot flush '%s'", name ? name : "?");
  free(name);
  return err;
}

gl_err glh5_path_with(const char *path, const char *suffix, char **out) {
  size_t a = strlen(path), b = strlen(suffix);
  *out = malloc(a + b + 1);
  if (!*out) return gl_error(GL_ERR_NOMEM, "out of memory naming '%s%s'", path, suffix);
  memcpy(*out, path, a);
  memcpy(*out + a, suffix, b + 1);
  return GL_OK;
}

/* fsync a file or directory by path. */
static int glh5_fsync_path_(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  int saved = errno;
  if (close(fd) != 0 && rc == 0) return -1;
  errno = saved;
  return rc;
}

gl_err glh5_commit(const char *tmp, const char *path) {
  if (glh5_fsync_path_(tmp, O_RDONLY) != 0)
    return gl_error(GL_ERR_IO, "cannot sync '%s' to disk: %s", tmp, strerror(errno));
  if (rename(tmp, path) != 0)
    return gl_error(GL_ERR_IO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
  /* Make the rename itself durable. Best effort: some file systems refuse fsync on a
   * directory, and the file is complete under its final name either way. */
  char *dir = NULL;
  if (gl_dirname(path, &dir) == GL_OK) (void)glh5_fsync_path_(dir, O_RDONLY | O_DIRECTORY);
  else gl_error_clear();
  free(dir);
  return GL_OK;
}

gl_err glh5_write_replace(const char *path, glh5_fill_fn fill, void *ctx) {
  char *tmp = NULL;
  GL_CALL(glh5_path_with(path, ".tmp", &tmp));
  hid_t f = -1;
  gl_err err = glh5_open(&f, tmp, GLH5_CREATE);
  if (!err) err = fill(f, ctx);
  err = glh5_release(err, &f);
  if (!err) err = glh5_commit(tmp, path);
  if (err) remove(tmp);
  free(tmp);
  return err;
}
