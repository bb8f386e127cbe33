/* `gaitlab align FILE.h5 FILE.h5... [-o OUT.h5] [--set KEY=VALUE]...`: how similar the
 * structured activity of independently trained (or independently run) agents is, per layer:
 * canonical correlations and Procrustes disparity of their PC trajectories on a common phase
 * grid, next to two controls that break the correspondence (include/gaitlab/align.h). Read
 * only and serial, on rank 0; every file is read and checked before anything is printed, so a
 * bad input costs one error line and no partial output. The other ranks wait for the
 * agreed error code. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gaitlab/align.h"
#include "gaitlab/cli.h"
#include "gaitlab/config.h"
#include "gaitlab/core.h"

static const char glcli_align_usage_[] =
    "gaitlab align FILE.h5 FILE.h5... [-o OUT.h5] [--set layers=[lstm_c,mu]] [--set pcs=10] [--set grid=50]";

/* The --set keys: a tiny YAML document bound like every other command's options. */
typedef struct glcli_align_cfg {
  glc_strings layers;
  int pcs, grid;
} glcli_align_cfg;

static const glc_key glcli_align_schema_[] = {
    {"layers", GLC_STRINGS, offsetof(glcli_align_cfg, layers), 0, 0, 0, NULL,
     "populations under /analysis to compare (default: every analysed layer of the first file)"},
    {"pcs", GLC_INT, offsetof(glcli_align_cfg, pcs), 1, 4096, 0, NULL, "PCs per agent (10)"},
    {"grid", GLC_INT, offsetof(glcli_align_cfg, grid), 2, 100000, 0, NULL,
     "phase points per cycle of the common grid (50)"},
};
#define GLCLI_ALIGN_NKEYS (sizeof glcli_align_schema_ / sizeof *glcli_align_schema_)

static gl_err glcli_align_bind_(const glcli_args *a, glcli_align_cfg *cfg) {
  glc_doc *doc = NULL;
  gl_err err = glc_doc_load_string(&doc, "<align>", "{}", 2);
  for (int i = 0; !err && i < a->nsets; ++i) err = glc_doc_set(doc, a->sets[i]);
  if (!err) err = glc_bind(doc, "", glcli_align_schema_, GLCLI_ALIGN_NKEYS, cfg);
  glc_doc_destroy(doc);
  return err;
}

static void glcli_align_num_(char *buf, size_t n, double v) {
  if (isnan(v)) snprintf(buf, n, "n/a");
  else snprintf(buf, n, "%.4f", v);
}

static void glcli_align_table_(const gla_align_results *r, const gla_align_layer *L, FILE *o) {
  int k = r->pcs, w = 4;
  char label[512];
  for (int p = 0; p < L->npairs; ++p) {
    int n = snprintf(label, sizeof label, "%s ~ %s", r->names[L->pairs[2 * p]], r->names[L->pairs[2 * p + 1]]);
    if (n > w) w = n < 60 ? n : 60;
  }
  fprintf(o, "\nlayer %s: %d units, %d common condition%s x %d phase points, %d PCs per agent\n",
          L->name, L->d, L->ncond, L->ncond == 1 ? "" : "s", r->grid, k);
  fprintf(o, "%-*s  %-34s  |  %-22s  |  %s\n", w, "", "real", "control: cond shift",
          "control: phase shift");
  fprintf(o, "%-*s  %10s  %10s  %10s  |  %10s  %10s  |  %10s  %10s\n", w, "pair", "mean CC", "min CC",
          "disparity", "mean CC", "disparity", "mean CC", "disparity");
  for (int p = 0; p < L->npairs; ++p) {
    const double *rho = L->rho + (size_t)p * (size_t)k;
    const double *rc = L->rho_cond + (size_t)p * (size_t)k, *rp = L->rho_phase + (size_t)p * (size_t)k;
    double m = 0, mc = 0, mp = 0;
    for (int i = 0; i < k; ++i) {
      m += rho[i] / k;
      mc += rc[i] / k;
      mp += rp[i] / k;
    }
    char v[7][32];
    glcli_align_num_(v[0], sizeof v[0], m);
    glcli_align_num_(v[1], sizeof v[1], rho[k - 1]);
    glcli_align_num_(v[2], sizeof v[2], L->disp[p]);
    glcli_align_num_(v[3], sizeof v[3], mc);
    glcli_align_num_(v[4], sizeof v[4], L->disp_cond[p]);
    glcli_align_num_(v[5], sizeof v[5], mp);
    glcli_align_num_(v[6], sizeof v[6], L->disp_phase[p]);
    snprintf(label, sizeof label, "%s ~ %s", r->names[L->pairs[2 * p]], r->names[L->pairs[2 * p + 1]]);
    fprintf(o, "%-*.*s  %10s  %10s  %10s  |  %10s  %10s  |  %10s  %10s\n", w, w, label, v[0], v[1], v[2], v[3],
            v[4], v[5], v[6]);
  }
  if (L->ncond < 2) fprintf(o, "(condition-shift control: n/a, it needs at least 2 common conditions)\n");
}

static void glcli_align_print_(const gla_align_results *r, FILE *o) {
  fprintf(o, "align: %d files\n", r->nfiles);
  for (int i = 0; i < r->nfiles; ++i) fprintf(o, "  [%d] %s  %s\n", i, r->names[i], r->paths[i]);
  for (int l = 0; l < r->nlayers; ++l) glcli_align_table_(r, &r->layer[l], o);
  fprintf(o, "\nCC = canonical correlation of the PC trajectories (1 = identical up to a linear map);\n"
             "disparity = Procrustes (0 = identical up to rotation, translation and scale; 1 = unrelated).\n"
             "Controls: cond-shift pairs condition c with c+1, phase-shift offsets one agent by half a cycle.\n");
}

static gl_err glcli_align_main_(const glcli_args *a) {
  glcli_align_cfg cfg = {{NULL, 0}, GLA_ALIGN_PCS, GLA_ALIGN_GRID};
  gla_align_results res = {0};
  gl_err err = glcli_align_bind_(a, &cfg);
  if (!err) {
    gla_align_opts o = {(const char *const *)cfg.layers.v, cfg.layers.n, cfg.grid, cfg.pcs};
    double t0 = gl_wtime();
    err = gla_align_files(a->positional, a->npositional, &o, &res);
    if (!err) {
      glcli_align_print_(&res, stdout);
      fflush(stdout);
    }
    if (!err && a->out) err = gla_align_write(&res, a->out);
    if (!err && !a->quiet) gl_log("align: %d files, %d layers in %.2f s%s%s", res.nfiles, res.nlayers, gl_wtime() - t0,
                                  a->out ? " -> " : "", a->out ? a->out : "");
  }
  gla_align_results_free(&res);
  glc_free(glcli_align_schema_, GLCLI_ALIGN_NKEYS, &cfg);
  return err;
}

gl_err glcli_align(const glcli_args *a, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (a->help) { /* main has printed the usage and summary */
    if (rank == 0) {
      printf("Conditions are matched across files by identical (u, v, r) and used where every file\n"
             "has cycles; file names without .h5 label the pairs. Errors (a missing layer, shapes\n"
             "that disagree, no common condition) exit 2 with one line. --set keys:\n");
      glc_print_schema(glcli_align_schema_, GLCLI_ALIGN_NKEYS, stdout);
      printf("\nExample: gaitlab align out/seed_1.h5 out/seed_2.h5 -o align.h5 --set 'layers=[lstm_c, mu]'\n");
    }
    return GL_OK;
  }
  gl_err err = GL_OK;
  if (rank == 0) {
    if (a->npositional < 2)
      err = gl_error(GL_ERR_INPUT, "align needs at least two analysed recordings; usage: %s", glcli_align_usage_);
    else if (a->resume)
      err = gl_error(GL_ERR_INPUT, "align takes no --resume; usage: %s", glcli_align_usage_);
    else
      err = glcli_align_main_(a);
  }
  return gl_agree(comm, err);
}
