#include "gaitlab/core.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <mujoco/mujoco.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "gaitlab_git.h" /* generated at build time: cmake/git_hash.cmake */

static int gl_log_rank_ = 0;
static int gl_failed_rank_ = -1;
static int gl_remote_ = 0;
static unsigned long gl_remote_serial_ = 0; /* gl_error_serial() of the last remote notice */

int gl_error_is_remote(void) { return gl_remote_; }

gl_err gl_mpi_check(int rc, const char *what) {
  if (rc == MPI_SUCCESS) return GL_OK;
  char msg[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error code %d", rc);
  /* the call's text up to its argument list is enough to name it */
  const char *paren = strchr(what, '(');
  int n = paren ? (int)(paren - what) : (int)strlen(what);
  return gl_error(GL_ERR_MPI, "%.*s failed: %s", n, what, msg);
}

gl_err gl_agree(MPI_Comm comm, gl_err local) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  /* MINLOC over (failed ? rank : size) finds the lowest failing rank and, in the same
   * reduction, carries its code along via a second MIN on an encoded pair. */
  /* An error that is only the notice of an earlier agreement (another rank failed, perhaps
   * with context added since) is not a failure of this rank: the rank that failed stays the
   * one that reports, however many agreement points the error passes on its way out. */
  const int notice = local != GL_OK && gl_remote_ && gl_error_serial() == gl_remote_serial_;
  const int failed = local != GL_OK && !notice;
  if (failed) gl_remote_ = 0;
  int mine[2] = {failed ? rank : size, (int)local};
  int first[2];
  struct { int v, r; } in = {mine[0], rank}, out;
  GL_MPI(MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, comm));
  if (out.v == size) { /* nobody failed anew; notices (if any) keep their reporter */
    int code = (int)local, worst;
    GL_MPI(MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, comm));
    if (worst == GL_OK) {
      gl_failed_rank_ = -1;
      return GL_OK;
    }
    if (local == GL_OK) { /* every rank must leave with an error, or some would hang */
      gl_error((gl_err)worst, "(another rank failed; see its message)");
      gl_remote_serial_ = gl_error_serial();
      gl_remote_ = 1;
    }
    return local != GL_OK ? local : (gl_err)worst;
  }
  first[0] = out.v;
  first[1] = mine[1];
  GL_MPI(MPI_Bcast(&first[1], 1, MPI_INT, first[0], comm));
  gl_failed_rank_ = first[0];
  /* Only the lowest failing rank reports: when several ranks fail alike (a collective file
   * create, say) the user still reads one message. */
  if (!failed) {
    gl_error((gl_err)first[1], "(rank %d failed; see its message)", first[0]);
    gl_remote_serial_ = gl_error_serial();
  }
  gl_remote_ = rank != first[0];
  return local != GL_OK ? local : (gl_err)first[1];
}

gl_err gl_error_all(MPI_Comm comm, gl_err code, const char *fmt, ...) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  gl_error(code, "%s", msg);
  gl_remote_ = rank != 0;
  gl_remote_serial_ = gl_error_serial();
  return code;
}

int gl_agree_failed_rank(void) { return gl_failed_rank_; }

static int gl_log_quiet_ = 0;

void gl_log_set_rank(int rank) { gl_log_rank_ = rank; }
void gl_log_set_quiet(int quiet) { gl_log_quiet_ = quiet; }

void gl_log(const char *fmt, ...) {
  if (gl_log_rank_ != 0 || gl_log_quiet_) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
}

double gl_wtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile sig_atomic_t gl_stop_ = 0;

static void gl_on_signal_(int sig) {
  (void)sig;
  gl_stop_ = 1;
}

void gl_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = gl_on_signal_;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

int gl_stop_requested(void) { return gl_stop_ != 0; }

gl_err gl_stop_agree(MPI_Comm comm, int *stop) {
  int mine = gl_stop_ != 0;
  *stop = 0;
  GL_MPI(MPI_Allreduce(&mine, stop, 1, MPI_INT, MPI_MAX, comm));
  return GL_OK;
}

const char *gl_git_hash(void) { return GAITLAB_GIT_HASH; }
const char *gl_version(void) { return GAITLAB_VERSION; }

void gl_library_versions(char *buf, size_t len) {
  unsigned maj, min, rel;
  H5get_libversion(&maj, &min, &rel);
  char mpiv[MPI_MAX_LIBRARY_VERSION_STRING];
  int mlen = 0;
  MPI_Get_library_version(mpiv, &mlen);
  char *nl = strchr(mpiv, ',');
  if (nl) *nl = '\0';
  int mjv = mj_version();
  snprintf(buf, len, "mujoco %d.%d.%d; hdf5 %u.%u.%u (parallel); %s", mjv / 100, (mjv / 10) % 10,
           mjv % 10, maj, min, rel, mpiv);
}

gl_err gl_resource_path(const char *relative, char *out, size_t outlen) {
  const char *env = getenv("GAITLAB_SOURCE_DIR");
  const char *roots[3] = {env, GAITLAB_SOURCE_DIR, GAITLAB_DATA_DIR};
  for (int i = 0; i < 3; ++i) {
    if (!roots[i] || !roots[i][0]) continue;
    snprintf(out, outlen, "%s/%s", roots[i], relative);
    if (access(out, R_OK) == 0) return GL_OK;
  }
  return gl_error(GL_ERR_IO, "cannot find shipped file '%s' (looked in $GAITLAB_SOURCE_DIR, %s, %s)",
                  relative, GAITLAB_SOURCE_DIR, GAITLAB_DATA_DIR);
}

gl_err gl_lock_take(gl_lock *l, const char *target) {
  l->fd = -1;
  size_t n = strlen(target) + sizeof ".lock";
  GL_CALL(GL_ALLOC(l->path, n));
  snprintf(l->path, n, "%s.lock", target);
  int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  gl_err err = GL_OK;
  if (fd < 0) {
    err = gl_error(GL_ERR_IO, "cannot create lock file '%s': %s", l->path, strerror(errno));
  } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(fd);
    err = e == EWOULDBLOCK
              ? gl_error(GL_ERR_IO, "another gaitlab process is writing '%s' (it holds '%s'); wait for it to finish or choose another file",
                         target, l->path)
              : gl_error(GL_ERR_IO, "cannot lock '%s': %s", l->path, strerror(e));
  } else {
    l->fd = fd;
  }
  if (err) {
    free(l->path);
    l->path = NULL;
  }
  return err;
}

void gl_lock_release(gl_lock *l) {
  if (l->fd >= 0) {
    /* Removed while still held, so no process waits on a lock file nobody will release. */
    unlink(l->path);
    close(l->fd);
  }
  free(l->path);
  l->fd = -1;
  l->path = NULL;
}

gl_err gl_dirname(const char *path, char **dir) {
  size_t n = strlen(path) + 2;
  GL_CALL(GL_ALLOC(*dir, n));
  snprintf(*dir, n, "%s", path);
  char *slash = strrchr(*dir, '/');
  if (!slash) strcpy(*dir, ".");
  else if (slash == *dir) (*dir)[1] = '\0';
  else *slash = '\0';
  return GL_OK;
}

double gl_free_bytes(const char *path) {
  char *dir = NULL;
  if (gl_dirname(path, &dir) != GL_OK) {
    gl_error_clear();
    return -1;
  }
  struct statvfs v;
  double free_bytes = statvfs(dir, &v) == 0 ? (double)v.f_bavail * (double)v.f_frsize : -1;
  free(dir);
  return free_bytes;
}

gl_err gl_name_enospc(gl_err err, const char *path) {
  if (!err || strstr(gl_errmsg(), "No space left on device")) return err; /* named once */
  double have = gl_free_bytes(path);
  if (have >= 0 && have < 4.0 * 1024 * 1024)
    return gl_error_context(GL_ERR_IO, "'%s': No space left on device (%.0f bytes free)", path, have);
  return err;
}

gl_err gl_mkdir_p(const char *dir) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
    return gl_error(GL_ERR_INPUT, "output path too long: %s", dir);
  for (char *q = buf + 1;; ++q) {
    if (*q == '/' || *q == '\0') {
      char c = *q;
      *q = '\0';
      if (mkdir(buf, 0775) != 0 && errno != EEXIST)
        return gl_error(GL_ERR_IO, "cannot create directory '%s': %s", buf, strerror(errno));
      *q = c;
      if (!c) break;
    }
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return gl_error(GL_ERR_IO, "output '%s' is not a directory", dir);
  return GL_OK;
}


void gl_shard_range(int64_t n, int nranks, int rank, int64_t *begin, int64_t *end) {
  int64_t base = n / nranks, extra = n % nranks;
  *begin = rank * base + (rank < extra ? rank : extra);
  *end = *begin + base + (rank < extra ? 1 : 0);
}
