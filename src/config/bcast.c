/* Collective loading: rank 0 reads the file, then the original text and the override list
 * travel to every rank, which parses them itself. Re-parsing the original text (instead of
 * shipping emitted YAML) is what keeps every mark naming the user's file, line and column
 * on every rank, and parsing is deterministic, so all ranks build the same tree. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "gaitlab/core.h"

/* rank 0 packs "path\0set1\0set2\0..." so that every rank uses rank 0's exact arguments */
static gl_err pack_args(const char *path, const char *const *sets, int nsets, char **buf,
                        size_t *len) {
  size_t n = strlen(path) + 1;
  for (int i = 0; i < nsets; ++i) n += strlen(sets[i]) + 1;
  if (n > GLC_MAX_TEXT) return gl_error(GL_ERR_INPUT, "the --set overrides are too long");
  GL_CALL(GL_ALLOC(*buf, n));
  size_t o = 0;
  memcpy(*buf, path, strlen(path) + 1);
  o += strlen(path) + 1;
  for (int i = 0; i < nsets; ++i) {
    memcpy(*buf + o, sets[i], strlen(sets[i]) + 1);
    o += strlen(sets[i]) + 1;
  }
  *len = n;
  return GL_OK;
}

static gl_err bcast_bytes(char *buf, size_t len, MPI_Comm comm) {
  if (len && MPI_Bcast(buf, (int)len, MPI_CHAR, 0, comm) != MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Bcast of the configuration failed");
  return GL_OK;
}

/* Parse the broadcast text and apply the overrides: identical work on every rank. */
static gl_err build(glc_doc **doc, const char *args, int nsets, const char *text, size_t len) {
  const char *path = args;
  GL_CALL(glc_doc_load_string(doc, path, text, len));
  const char *s = path + strlen(path) + 1;
  for (int i = 0; i < nsets; ++i, s += strlen(s) + 1) {
    gl_err err = glc_doc_set(*doc, s);
    if (err) {
      glc_doc_destroy(*doc);
      *doc = NULL;
      return err;
    }
  }
  return GL_OK;
}

gl_err glc_doc_load_bcast(glc_doc **doc, const char *path, const char *const *sets, int nsets,
                          void *mpi_comm) {
  MPI_Comm comm = *(MPI_Comm *)mpi_comm;
  *doc = NULL;
  int rank;
  MPI_Comm_rank(comm, &rank);

  char *text = NULL, *args = NULL;
  size_t tlen = 0, alen = 0;
  gl_err err = GL_OK;
  if (rank == 0) {
    err = glc__read_file(path, &text, &tlen);
    if (!err) err = pack_args(path, sets, nsets < 0 ? 0 : nsets, &args, &alen);
  }
  /* header: status, text length, argument bytes, number of overrides */
  long long hdr[4] = {(long long)err, (long long)tlen, (long long)alen, nsets < 0 ? 0 : nsets};
  if (MPI_Bcast(hdr, 4, MPI_LONG_LONG, 0, comm) != MPI_SUCCESS) {
    free(text);
    free(args);
    return gl_error(GL_ERR_MPI, "MPI_Bcast of the configuration header failed");
  }
  if (hdr[0] != GL_OK) {
    /* rank 0 could not read the file: every rank reports rank 0's message */
    const char *msg = gl_errmsg();
    int mlen = rank == 0 ? (int)strlen(msg) : 0;
    char buf[2048];
    if (mlen > (int)sizeof buf - 1) mlen = (int)sizeof buf - 1;
    if (rank == 0) memcpy(buf, msg, (size_t)mlen);
    free(text);
    free(args);
    GL_MPI(MPI_Bcast(&mlen, 1, MPI_INT, 0, comm));
    GL_MPI(MPI_Bcast(buf, mlen, MPI_CHAR, 0, comm));
    buf[mlen] = '\0';
    return rank == 0 ? (gl_err)hdr[0] : gl_error((gl_err)hdr[0], "%s", buf);
  }
  tlen = (size_t)hdr[1];
  alen = (size_t)hdr[2];
  if (rank != 0) {
    err = gl_calloc(&text, tlen + 1, 1);
    if (!err) err = gl_calloc(&args, alen, 1);
  }
  err = gl_agree(comm, err);
  if (!err) err = bcast_bytes(text, tlen, comm);
  if (!err) err = bcast_bytes(args, alen, comm);
  if (!err) err = build(doc, args, (int)hdr[3], text, tlen);
  free(text);
  free(args);
  /* Parsing is deterministic, so every rank normally fails alike (and keeps its own full
   * message); the agreement covers local failures such as memory exhaustion. */
  gl_err agreed = gl_agree(comm, err);
  if (agreed && *doc) {
    glc_doc_destroy(*doc);
    *doc = NULL;
  }
  return agreed;
}
