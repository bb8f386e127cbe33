/* The per-iteration training log: one extendible 1-D float64 dataset per column in an HDF5
 * file, written by one rank and flushed every row so a killed run leaves a readable log. */
#ifndef GAITLAB_TRAIN_TRAIN_LOG_H
#define GAITLAB_TRAIN_TRAIN_LOG_H

#include <stdint.h>

#include "gaitlab/error.h"

typedef struct glt_log_column {
  const char *name;
  const char *units;
  const char *description;
} glt_log_column;

typedef struct glt_log glt_log;

/* keep_rows < 0: create a fresh file (truncating). keep_rows >= 0: open the existing log of a
 * resumed run and cut every column to its first keep_rows rows (iterations after the
 * checkpoint were lost with the interrupted run and will be redone). */
gl_err glt_log_open(glt_log **log, const char *path, const glt_log_column *cols, int ncols,
                    int64_t keep_rows);
gl_err glt_log_append(glt_log *log, const double *row);
void glt_log_close(glt_log *log);

#endif
