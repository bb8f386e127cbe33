/* The -o DIR outputs of a report: per file its text report, PC and tangling figures, and
 * one summary.csv over all files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gaitlab/core.h"
#include "report_internal.h"

static gl_err glrep_path_(char *buf, size_t n, const char *dir, const char *stem, const char *pop,
                          const char *suffix) {
  int w = pop ? snprintf(buf, n, "%s/%s_%s%s", dir, stem, pop, suffix)
              : snprintf(buf, n, "%s/%s%s", dir, stem, suffix);
  if (w < 0 || (size_t)w >= n) return gl_error(GL_ERR_INPUT, "output path under '%s' is too long", dir);
  return GL_OK;
}

/* Output stem of file i: its own stem, made unique with the file's position when two inputs
 * share a name (seed studies often write run1/out.h5, run2/out.h5). */
static void glrep_out_stem_(const glrep_file *const *f, int i, char *buf, size_t n) {
  int dup = 0;
  for (int j = 0; j < i; ++j) dup |= strcmp(f[j]->stem, f[i]->stem) == 0;
  if (dup) snprintf(buf, n, "%s_%d", f[i]->stem, i + 1);
  else snprintf(buf, n, "%s", f[i]->stem);
}

gl_err glrep_write_outputs(const glrep_file *const *f, int n, const char *dir, int quiet) {
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
  gl_err err = glrep_write_csv(f, n, o);
  if (fclose(o) != 0 && !err) err = gl_error(GL_ERR_IO, "cannot write '%s'", path);
  return err;
}

