/* Memory planned before a job allocates: the bytes a rank may still take, from every limit
 * that can end the job (the kernel's free memory, the cgroup a batch system put the job in,
 * SLURM's --mem, ulimit -v, --max-memory), so that a configuration that cannot fit is
 * refused with both numbers (exit 5) instead of ending in the OOM killer hours later.
 *
 * Why per rank: every rank of a run allocates its own shard's buffers, and the ranks of one
 * node share its memory, so a node-wide budget is divided by the ranks on that node. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "gaitlab/core.h"

static double gl_max_memory_ = 0; /* --max-memory, bytes per node; 0 = none */
static double gl_rss_base_ = -1;  /* resident bytes when the plan was checked */

void gl_memory_set_max(double node_bytes) { gl_max_memory_ = node_bytes; }

gl_err gl_memory_parse(const char *s, double *bytes) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  double mult = 1;
  if (end && *end) {
    switch (*end) {
      case 'k': case 'K': mult = 1024.0; break;
      case 'm': case 'M': mult = 1024.0 * 1024; break;
      case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
      case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
      default: mult = -1;
    }
    if (mult > 0 && end[1] != '\0' && strcmp(end + 1, "B") != 0 && strcmp(end + 1, "iB") != 0) mult = -1;
  }
  if (end == s || errno || mult < 0 || !isfinite(v) || v <= 0)
    return gl_error(GL_ERR_INPUT, "--max-memory '%s': expected a positive size, e.g. 4G, 512M or 1e9 (bytes; K, M, G, T are powers of 1024)", s);
  *bytes = v * mult;
  return GL_OK;
}

/* The first number after `key` in a /proc or /sys file (kB when the file says so); < 0 when
 * the file or the key is missing, +inf for the cgroup v2 word "max". */
static double gl_read_number_(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[512];
  double v = -1;
  size_t kl = key ? strlen(key) : 0;
  while (fgets(line, sizeof line, f)) {
    if (key && strncmp(line, key, kl) != 0) continue;
    const char *p = line + kl;
    while (*p == ' ' || *p == '\t' || *p == ':') ++p;
    if (strncmp(p, "max", 3) == 0) v = INFINITY;
    else {
      char *end;
      v = strtod(p, &end);
      if (end == p) v = -1;
      else if (strstr(end, "kB")) v *= 1024.0;
    }
    break;
  }
  fclose(f);
  return v;
}

double gl_proc_self_bytes(const char *key) { return gl_read_number_("/proc/self/status", key); }

/* The cgroup v2 directory of this process ("0::/path" in /proc/self/cgroup); 0 if none. */
static int gl_cgroup_dir_(char *dir, size_t n) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (!f) return 0;
  char line[1024];
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "0::", 3) == 0) {
      line[strcspn(line, "\n")] = '\0';
      found = snprintf(dir, n, "/sys/fs/cgroup%s", strcmp(line + 3, "/") ? line + 3 : "") < (int)n;
      break;
    }
  fclose(f);
  return found;
}

typedef struct gl_budget {
  double bytes;      /* per rank */
  char source[160];  /* the limit that binds, in words */
} gl_budget;

/* Keep the smaller budget; `what` names the limit (whole = its total, shared by nlocal ranks
 * when nlocal > 0, a per-rank limit when nlocal == 0). */
static void gl_budget_take_(gl_budget *b, double whole, int nlocal, const char *what) {
  if (isnan(whole)) return;
  if (whole < 0) whole = 0; /* already over the limit */
  double per_rank = nlocal > 0 ? whole / nlocal : whole;
  if (per_rank >= b->bytes) return;
  b->bytes = per_rank;
  if (nlocal > 0)
    snprintf(b->source, sizeof b->source, "%.3g GB %s, shared by %d rank%s on this node",
             whole / 1e9, what, nlocal, nlocal == 1 ? "" : "s");
  else
    snprintf(b->source, sizeof b->source, "%.3g GB %s", whole / 1e9, what);
}

/* This rank's budget for resident memory; nlocal = ranks of the job on this node. */
static gl_budget gl_budget_get_(int nlocal) {
  gl_budget b = {INFINITY, "no limit found"};
  double avail = gl_read_number_("/proc/meminfo", "MemAvailable"); /* < 0: not told */
  if (avail >= 0) gl_budget_take_(&b, avail, nlocal, "available (MemAvailable)");
  char dir[900], path[1024];
  if (gl_cgroup_dir_(dir, sizeof dir)) {
    snprintf(path, sizeof path, "%s/memory.max", dir);
    double max = gl_read_number_(path, NULL);
    snprintf(path, sizeof path, "%s/memory.current", dir);
    double cur = gl_read_number_(path, NULL);
    if (max >= 0 && isfinite(max) && cur >= 0)
      gl_budget_take_(&b, max - cur, nlocal, "left in the job's cgroup (memory.max)");
  }
  const char *s = getenv("SLURM_MEM_PER_NODE");
  if (s && atof(s) > 0) gl_budget_take_(&b, atof(s) * 1048576.0, nlocal, "per node (SLURM --mem)");
  s = getenv("SLURM_MEM_PER_CPU");
  if (s && atof(s) > 0) {
    const char *c = getenv("SLURM_CPUS_PER_TASK");
    gl_budget_take_(&b, atof(s) * 1048576.0 * (c && atoi(c) > 0 ? atoi(c) : 1), 0,
                    "per rank (SLURM --mem-per-cpu x --cpus-per-task)");
  }
  if (gl_max_memory_ > 0) { /* a whole-job limit: what this rank already holds counts */
    double rss = gl_proc_self_bytes("VmRSS");
    gl_budget_take_(&b, gl_max_memory_ - nlocal * (rss > 0 ? rss : 0), nlocal,
                    "per node (--max-memory) less what the ranks already hold");
  }
  if (b.bytes < 0) b.bytes = 0;
  return b;
}

/* The address space ulimit -v leaves this process (it counts every byte allocated, touched
 * or not). */
static gl_budget gl_budget_as_(void) {
  gl_budget b = {INFINITY, "no limit found"};
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    double used = gl_proc_self_bytes("VmSize");
    gl_budget_take_(&b, (double)rl.rlim_cur - (used > 0 ? used : 0), 0,
                    "of address space left under ulimit -v");
  }
  if (b.bytes < 0) b.bytes = 0;
  return b;
}

static int gl_node_ranks_(MPI_Comm comm, gl_err *err) {
  MPI_Comm node = MPI_COMM_NULL;
  int n = 1;
  *err = gl_mpi_check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
                      "MPI_Comm_split_type");
  if (!*err) *err = gl_mpi_check(MPI_Comm_size(node, &n), "MPI_Comm_size");
  if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
  return n;
}

gl_err gl_memory_budget(MPI_Comm comm, double *bytes, char *source, size_t len) {
  gl_err err;
  int nlocal = gl_node_ranks_(comm, &err);
  if (err) return err;
  gl_budget b = gl_budget_get_(nlocal);
  *bytes = b.bytes;
  if (source) snprintf(source, len, "%s", b.source);
  return GL_OK;
}

gl_err gl_memory_check(MPI_Comm comm, double resident, double allocated, const char *what) {
  gl_rss_base_ = gl_proc_self_bytes("VmRSS");
  double have;
  char src[160];
  gl_err err = gl_memory_budget(comm, &have, src, sizeof src);
  gl_budget as = gl_budget_as_();
  const char *hint = "use fewer agents or envs per rank, more ranks or nodes, or a smaller window";
  if (!err && resident > have)
    err = gl_error(GL_ERR_NOMEM, "%s needs about %.3g GB per rank but %.3g GB is available per rank (%s): %s",
                   what, resident / 1e9, have / 1e9, src, hint);
  /* The address space also holds what nobody plans: malloc's arenas and rounding, HDF5's
   * and MPI-IO's buffers, thread stacks; a tenth more and 256 MB cover them. */
  else if (!err && 1.1 * allocated + 256.0 * 1048576 > as.bytes)
    err = gl_error(GL_ERR_NOMEM, "%s allocates about %.3g GB per rank but only %.3g GB can be allocated (%s): %s",
                   what, allocated / 1e9, as.bytes / 1e9, as.source, hint);
  return gl_agree(comm, err);
}

gl_err gl_memory_log(MPI_Comm comm, double planned, const char *who) {
  struct rusage ru;
  double grown = -1;
  if (gl_rss_base_ >= 0 && getrusage(RUSAGE_SELF, &ru) == 0)
    grown = (double)ru.ru_maxrss * 1024.0 - gl_rss_base_;
  GL_MPI(MPI_Allreduce(MPI_IN_PLACE, &grown, 1, MPI_DOUBLE, MPI_MAX, comm));
  if (grown >= 0)
    gl_log("%s: memory: peak %.3g GB per rank above start-up (planned %.3g GB)", who, grown / 1e9,
           planned / 1e9);
  return GL_OK;
}
