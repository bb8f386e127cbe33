/* Process-wide services (prefix gl_): MPI agreement on errors, rank-0 logging, versions,
 * paths of shipped files. */
#ifndef GAITLAB_CORE_H
#define GAITLAB_CORE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "gaitlab/error.h"

/* Collective: every rank passes its local status; returns the first failing rank's code
 * on all ranks (GL_OK if none failed). Ranks that did not fail get a message naming the
 * failing rank, so only that rank needs to print its own message. Put one agreement point
 * before each collective operation that a local error could otherwise leave hanging. */
gl_err gl_agree(MPI_Comm comm, gl_err local);
/* An error every rank detected identically: rank 0 keeps the message, the others are marked
 * remote, so the user sees it once. */
gl_err gl_error_all(MPI_Comm comm, gl_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 1 when the current error message only says another rank failed (that rank prints). */
int gl_error_is_remote(void);
/* Which rank (lowest) failed in the last gl_agree that returned an error, or -1. */
int gl_agree_failed_rank(void);

/* MPI returns in the error idiom. Communicators get MPI_ERRORS_RETURN (main), so a failed
 * call returns instead of aborting the job; gl_mpi_check turns the code into GL_ERR_MPI
 * with the call and MPI's own description. GL_MPI returns it, GL_MPI_GOTO jumps. */
gl_err gl_mpi_check(int rc, const char *what);
#define GL_MPI(call) GL_CALL(gl_mpi_check((call), #call))
#define GL_MPI_GOTO(err, call, label) GL_GOTO(err, gl_mpi_check((call), #call), label)

/* Rank-0 progress output to stderr (other ranks stay quiet); --quiet silences it. */
void gl_log_set_rank(int rank);
void gl_log_set_quiet(int quiet);
void gl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

double gl_wtime(void);

/* Graceful stop: SIGTERM, SIGINT and SIGUSR1 only set a flag (installed by main). Long
 * loops poll it at chunk boundaries, agree across ranks, checkpoint and return
 * GL_ERR_INTERRUPTED (exit 75), which SLURM scripts turn into a requeue. */
void gl_signals_install(void);
int gl_stop_requested(void);
/* Collective: *stop = 1 on every rank if any rank was asked to stop. */
gl_err gl_stop_agree(MPI_Comm comm, int *stop);

/* Version strings for --version and file provenance. */
const char *gl_git_hash(void);
const char *gl_version(void);
void gl_library_versions(char *buf, size_t len); /* "mujoco 2.2.2; hdf5 1.10.8; ..." */

/* Resolve a shipped resource (e.g. "models/anymal_c.xml", "policies/default.h5"): the
 * source tree when run from a build, else the install prefix. Returns GL_ERR_IO with the
 * paths tried when absent. */
gl_err gl_resource_path(const char *relative, char *out, size_t outlen);

/* An exclusive lock on <target>.lock for as long as one process writes target (a run's
 * output, a file being analysed): a second writer gets GL_ERR_IO naming both files instead
 * of corrupting the first one's work. flock locks die with their process, so a killed job
 * leaves at most an unlocked file that the next one takes over; a release removes it. */
typedef struct gl_lock {
  int fd;     /* -1 when not held */
  char *path; /* <target>.lock */
} gl_lock;
#define GL_LOCK_NONE {-1, NULL}
gl_err gl_lock_take(gl_lock *l, const char *target);
void gl_lock_release(gl_lock *l);

/* The directory part of path, malloc'd: "a/b.h5" -> "a", "b.h5" -> ".", "/b.h5" -> "/". */
gl_err gl_dirname(const char *path, char **dir);
/* Free bytes for an unprivileged writer on the file system holding path (a file that may not
 * exist yet: its directory is asked); < 0 when it cannot be told. */
double gl_free_bytes(const char *path);
/* An I/O error while writing path, named "No space left on device" when its file system is
 * (nearly) full: HDF5 and MPI-IO only say that a write failed. Returns err. */
gl_err gl_name_enospc(gl_err err, const char *path);

/* Memory planned up front (src/core/memory.c). A job estimates, from its configuration, the
 * bytes each rank will allocate and the part of them it will touch (resident), and calls
 * gl_memory_check before allocating. Resident bytes are checked against the smallest of
 * MemAvailable, the cgroup's memory.max - memory.current, SLURM_MEM_PER_NODE and
 * --max-memory (each shared by the job's ranks on the node) and SLURM_MEM_PER_CPU x
 * SLURM_CPUS_PER_TASK; allocated bytes against the address space ulimit -v leaves.
 * Collective; GL_ERR_NOMEM (exit 5) naming `what`, both sizes and the limit that binds.
 * gl_memory_budget is the resident budget of this rank and the limit that sets it. */
void gl_memory_set_max(double node_bytes); /* --max-memory; 0 = none */
/* A size of this process from /proc/self/status ("VmRSS", "VmSize"), bytes; < 0 if unknown. */
double gl_proc_self_bytes(const char *key);
gl_err gl_memory_parse(const char *s, double *bytes); /* "4G", "512M", "1e9" */
gl_err gl_memory_budget(MPI_Comm comm, double *bytes, char *source, size_t len);
gl_err gl_memory_check(MPI_Comm comm, double resident, double allocated, const char *what);
/* Collective: log the largest growth of any rank's peak resident memory since its
 * gl_memory_check next to the plan, so the plan can be judged against what happened. */
gl_err gl_memory_log(MPI_Comm comm, double planned, const char *who);

/* mkdir -p: create `dir` and its missing parents; GL_ERR_IO naming the part that cannot be
 * created, or `dir` when it exists but is not a directory. */
gl_err gl_mkdir_p(const char *dir);

/* Contiguous block [begin, end) of n items for `rank` of `nranks`: the first n % nranks
 * ranks get one extra. Works for nranks > n (trailing ranks get empty ranges). Agents and
 * training environments are sharded by it, so an item's rank never changes its numbers. */
void gl_shard_range(int64_t n, int nranks, int rank, int64_t *begin, int64_t *end);

#endif
