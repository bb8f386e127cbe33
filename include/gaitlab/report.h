/* Reports and figures of analysed recordings (prefix glrep_): the last stage of the data
 * flow. Everything is read serially from files written by `gaitlab run` and analysed by
 * `gaitlab analyze`; nothing is recomputed, so a report shows exactly what the file holds.
 *
 *   glrep_file *f;
 *   glrep_load("out/a.h5", &f);          // reads provenance, tracking, /analysis
 *   glrep_write_text(f, stdout);         // readable report
 *   glrep_write_pc_svg(f, 0, "a_lstm_c_pc.svg");
 *   glrep_destroy(f);
 *
 * Errors are GL_ERR_INPUT naming the file and the missing HDF5 object (GL_ERR_IO for
 * outputs that cannot be written). A recording without /analysis, or whose analysis was
 * skipped (attribute `warning` on /analysis), loads fine and reports that instead. */
#ifndef GAITLAB_REPORT_H
#define GAITLAB_REPORT_H

#include <stdio.h>

#include "gaitlab/error.h"

typedef struct glrep_file glrep_file;

/* Read one recording (serial HDF5, the caller's rank only). *out is NULL on failure. */
gl_err glrep_load(const char *path, glrep_file **out);
void glrep_destroy(glrep_file *f);

/* Number of analysed populations and the name of population i (file order). */
int glrep_npopulations(const glrep_file *f);
const char *glrep_population_name(const glrep_file *f, int i);

/* The per-file text report. */
gl_err glrep_write_text(const glrep_file *f, FILE *out);
/* The per-file report's every number as mean ± sd (ddof 1) across n files (seeds of one
 * experiment): per-condition rows when all files command the same conditions, populations
 * matched by name, each number over the files that have it. */
gl_err glrep_write_text_across(const glrep_file *const *f, int n, FILE *out);
/* One row per file: fall rate and, per population (union over files), PC1-3 variance and
 * tangling mean; mean and sd over files below (multi-seed studies). */
gl_err glrep_write_comparison(const glrep_file *const *f, int n, FILE *out);
/* The same numbers (and more) as CSV with a header row; empty cells where absent. */
gl_err glrep_write_csv(const glrep_file *const *f, int n, FILE *out);

/* The paper's claims C1-C6 as a Markdown table (claim | experiment | measure | numbers |
 * verdict) over analysed recordings, each experiment recognised by the file's root attribute
 * `name` (the YAMLs of experiments/paper: paper_exp1_forward, paper_exp1_push,
 * paper_exp2_opposing, paper_exp3_speed_{u,v,r}, paper_grid). Files of one experiment (seeds)
 * give mean ± sd; files whose `policy` names action_feedback form their own group (C6). A
 * claim whose file, layer or agent is missing is "not measured". The rules: README, Claims. */
gl_err glrep_write_claims(const glrep_file *const *f, int n, const char *recurrent,
                          const char *actuation, FILE *out);

/* Figures (hand-written SVG). PC1 vs PC2 of population `pop`'s cycle averages, one
 * polyline per condition with cycles, coloured by commanded speed (the 1000-point periodic
 * splines when the file has them). Tangling vs cycle phase: one panel per population, one
 * polyline per condition. */
gl_err glrep_write_pc_svg(const glrep_file *f, int pop, const char *path);
gl_err glrep_write_tangling_svg(const glrep_file *f, const char *path);

/* Into directory `dir` (created if needed): per file <stem>_report.txt, <stem>_<pop>_pc.svg,
 * <stem>_tangling.svg (stems made unique by position when two files share one), and
 * summary.csv over all files. */
gl_err glrep_write_outputs(const glrep_file *const *f, int n, const char *dir, int quiet);

#endif
