/* `gaitlab report FILE.h5... [-o DIR]`: text report of each analysed recording, a
 * comparison table across files, and with -o the figures, per-file reports and
 * summary.csv. Read only, serial, on rank 0; every file is loaded (and checked) before
 * anything is printed, so a bad input costs one error line and no partial output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gaitlab/cli.h"
#include "gaitlab/core.h"
#include "report_internal.h"

static const char glrep_usage_[] = "gaitlab report FILE.h5... [-o DIR]";

static gl_err glrep_path_(char *buf, size_t n, const char *dir, const char *stem, const char *pop,
                          const char *suffix) {
  int w = pop ? snprintf(buf, n, "%s/%s_%s%s", dir, stem, pop, suffix)
              : snprintf(buf, n, "%s/%s%s", dir, stem, suffix);
  if (w < 0 || (size_t)w >= n) return gl_error(GL_ERR_INPUT, "output path under '%s' is too long", dir);
  return GL_OK;
}

/* Output stem of file i: its own stem, made unique with the file's position when two inputs
 * share a name (seed studies often write run1/out.h5, run2/out.h5). */
static void glrep_out_stem_(glrep_file *const *f, int i, char *buf, size_t n) {
  int dup = 0;
  for (int j = 0; j < i; ++j) dup |= strcmp(f[j]->stem, f[i]->stem) == 0;
  if (dup) snprintf(buf, n, "%s_%d", f[i]->stem, i + 1);
  else snprintf(buf, n, "%s", f[i]->stem);
}

static gl_err glrep_outputs_(glrep_file *const *f, int n, const char *dir, int quiet) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return gl_error(GL_ERR_IO, "cannot create output directory '%s': %s", dir, strerror(errno));
  char path[4096], stem[1024];
  for (int i = 0; i < n; ++i) {
    glrep_out_stem_(f, i, stem, sizeof stem);
    GL_CALL(glrep_path_(path, sizeof path, dir, stem, NULL, "_report.txt"));
    FILE *o = fopen(path, "w");
    if (!o) return gl_error(GL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    gl_err err = glrep_write_text(f[i], o);
    if (fclose(o) != 0 && !err) err = gl_error(GL_ERR_IO, "cannot write '%s'", path);
    GL_CALL(err);
    for (int p = 0; p < f[i]->npop; ++p) {
      GL_CALL(glrep_path_(path, sizeof path, dir, stem, f[i]->pop[p].name, "_pc.svg"));
      GL_CALL(glrep_write_pc_svg(f[i], p, path));
    }
    if (f[i]->npop > 0) {
      GL_CALL(glrep_path_(path, sizeof path, dir, stem, NULL, "_tangling.svg"));
      GL_CALL(glrep_write_tangling_svg(f[i], path));
    }
    if (!quiet) gl_log("report: %s -> %s/%s_* (%d populations)", f[i]->path, dir, stem, f[i]->npop);
  }
  GL_CALL(glrep_path_(path, sizeof path, dir, "summary.csv", NULL, ""));
  FILE *o = fopen(path, "w");
  if (!o) return gl_error(GL_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
  gl_err err = glrep_write_csv((const glrep_file *const *)f, n, o);
  if (fclose(o) != 0 && !err) err = gl_error(GL_ERR_IO, "cannot write '%s'", path);
  return err;
}

static gl_err glrep_main_(const glcli_args *a) {
  int n = a->npositional;
  glrep_file **f = NULL;
  gl_err err = GL_OK;
  GL_CALL(GL_ALLOC(f, n));
  for (int i = 0; i < n; ++i) GL_GOTO(err, glrep_load(a->positional[i], &f[i]), done);
  for (int i = 0; i < n; ++i) GL_GOTO(err, glrep_write_text(f[i], stdout), done);
  if (n > 1) {
    GL_GOTO(err, glrep_write_text_across((const glrep_file *const *)f, n, stdout), done);
    GL_GOTO(err, glrep_write_comparison((const glrep_file *const *)f, n, stdout), done);
  }
  fflush(stdout);
  if (a->out) GL_GOTO(err, glrep_outputs_(f, n, a->out, a->quiet), done);
done:
  for (int i = 0; i < n; ++i) glrep_destroy(f[i]);
  free(f);
  fflush(stdout);
  return err;
}

gl_err glcli_report(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) {
    if (rank == 0)
      printf("usage: %s\n\n"
             "Report of recordings written by `gaitlab run` and analysed by `gaitlab analyze`:\n"
             "provenance, tracking table, gait frequency and mode period per condition, and per\n"
             "population explained variance, tangling and the speed axis. With several files (e.g.\n"
             "seeds of one experiment), that report again with every number as mean ± sd across\n"
             "the files, and a comparison table with one row per file. With -o DIR, also\n"
             "DIR/<stem>_<population>_pc.svg (PC1 vs PC2 per condition), DIR/<stem>_tangling.svg\n"
             "(tangling over the gait cycle), DIR/<stem>_report.txt and DIR/summary.csv.\n",
             glrep_usage_);
    return GL_OK;
  }
  gl_err err = GL_OK;
  if (rank == 0) {
    if (a->npositional < 1)
      err = gl_error(GL_ERR_INPUT, "report needs at least one recording; usage: %s", glrep_usage_);
    else if (a->nsets > 0)
      err = gl_error(GL_ERR_INPUT, "report takes no --set options; usage: %s", glrep_usage_);
    else if (a->resume)
      err = gl_error(GL_ERR_INPUT, "report takes no --resume; usage: %s", glrep_usage_);
    else
      err = glrep_main_(a);
  }
  return gl_agree(comm, err);
}
