/* One error slot per process. gaitlab is single-threaded within a rank (one BLAS thread
 * per rank, see docs/building.md §4), so a thread-local slot is not needed; it is declared
 * _Thread_local anyway so that a future threaded stage cannot corrupt another's message. */
#include "gaitlab/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char gl_msg_[2048];
static _Thread_local unsigned long gl_serial_ = 0;

unsigned long gl_error_serial(void) { return gl_serial_; }

gl_err gl_error(gl_err code, const char *fmt, ...) {
  ++gl_serial_;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(gl_msg_, sizeof gl_msg_, fmt, ap);
  va_end(ap);
  return code;
}

gl_err gl_error_context(gl_err code, const char *fmt, ...) {
  char prefix[1024], old[sizeof gl_msg_];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, gl_msg_, sizeof old);
  /* Truncation is acceptable: a clipped context line is still a useful message. */
  size_t np = strlen(prefix);
  if (np > sizeof gl_msg_ - 3) np = sizeof gl_msg_ - 3;
  memcpy(gl_msg_, prefix, np);
  memcpy(gl_msg_ + np, ": ", 2);
  size_t room = sizeof gl_msg_ - np - 3, no = strlen(old);
  if (no > room) no = room;
  memcpy(gl_msg_ + np + 2, old, no);
  gl_msg_[np + 2 + no] = '\0';
  return code;
}

const char *gl_errmsg(void) { return gl_msg_[0] ? gl_msg_ : "unknown error"; }

void gl_error_clear(void) { gl_msg_[0] = '\0'; }

const char *gl_errname(gl_err code) {
  switch (code) {
    case GL_OK: return "ok";
    case GL_ERR_INTERNAL: return "internal error";
    case GL_ERR_INPUT: return "invalid input";
    case GL_ERR_IO: return "I/O error";
    case GL_ERR_NUMERIC: return "numerical error";
    case GL_ERR_NOMEM: return "out of memory";
    case GL_ERR_MPI: return "MPI error";
    case GL_ERR_LIB: return "library error";
    case GL_ERR_INTERRUPTED: return "interrupted";
  }
  return "error";
}

gl_err gl_calloc(void *out_ptr, size_t count, size_t size) {
  void **out = (void **)out_ptr;
  *out = NULL;
  if (count == 0 || size == 0) count = size = 1; /* a valid, freeable pointer */
  if (size && count > (size_t)-1 / size)
    return gl_error(GL_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
  *out = calloc(count, size);
  if (!*out) return gl_error(GL_ERR_NOMEM, "out of memory allocating %zu bytes", count * size);
  return GL_OK;
}
