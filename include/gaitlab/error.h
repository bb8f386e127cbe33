/* gaitlab error idiom (prefix gl_).
 *
 * Every fallible function returns gl_err. The function that detects a problem records one
 * human-readable line with gl_error() and returns its code; every caller propagates it with
 * GL_CALL (or GL_GOTO when it owns resources to release). The message is printed once, by
 * the CLI, so library code never prints errors itself.
 *
 * Codes double as process exit codes, documented in README.md. */
#ifndef GAITLAB_ERROR_H
#define GAITLAB_ERROR_H

#include <stddef.h>

typedef enum gl_err {
  GL_OK = 0,
  GL_ERR_INTERNAL = 1,    /* a bug in gaitlab */
  GL_ERR_INPUT = 2,       /* bad user input: YAML, --set, CLI, input files */
  GL_ERR_IO = 3,          /* cannot read/write a file */
  GL_ERR_NUMERIC = 4,     /* numerical failure (LAPACK info != 0, non-finite data) */
  GL_ERR_NOMEM = 5,       /* allocation failed */
  GL_ERR_MPI = 6,         /* MPI failure, or an error on another rank */
  GL_ERR_LIB = 7,         /* a third-party library (HDF5, MuJoCo, ScaLAPACK) failed */
  GL_ERR_INTERRUPTED = 75 /* stopped by SIGTERM/SIGINT after a clean checkpoint (EX_TEMPFAIL):
                             re-run the same command to resume */
} gl_err;

/* Record the current error (printf-style, one line, no trailing newline) and return code.
 * A later gl_error() replaces the message, so the innermost detector should be the only one
 * that calls it; callers that want to add context use gl_error_context(). */
gl_err gl_error(gl_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Counts gl_error calls: a message is the same one (perhaps with context added) as long as
 * the count has not moved. */
unsigned long gl_error_serial(void);
/* Prefix the current message with context ("while reading X: <old message>"). Returns code. */
gl_err gl_error_context(gl_err code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *gl_errmsg(void);
void gl_error_clear(void);
const char *gl_errname(gl_err code);

#define GL_CALL(expr)                 \
  do {                                \
    gl_err gl_e_ = (expr);            \
    if (gl_e_ != GL_OK) return gl_e_; \
  } while (0)

/* For functions that own resources: `GL_GOTO(err, f(x), done);` then release at done:. */
#define GL_GOTO(err, expr, label)    \
  do {                               \
    (err) = (expr);                  \
    if ((err) != GL_OK) goto label;  \
  } while (0)

/* Allocation with ownership made explicit: *out is NULL on failure and the error is set.
 * Zero-initialised. Pair with free(). */
gl_err gl_calloc(void *out_ptr, size_t count, size_t size);
#define GL_ALLOC(ptr, count) gl_calloc(&(ptr), (size_t)(count), sizeof *(ptr))

#endif
