/* Internal layout of a loaded report (src/report only). Every array is owned by its struct
 * and released by glrep_destroy. */
#ifndef GAITLAB_REPORT_INTERNAL_H
#define GAITLAB_REPORT_INTERNAL_H

#include "gaitlab/report.h"

enum { GLREP_Q_MEAN, GLREP_Q_MEDIAN, GLREP_Q_P90_LINEAR, GLREP_Q_P90_HAZEN, GLREP_Q_MAX, GLREP_NQ };
extern const char *const glrep_q_names[GLREP_NQ];

/* Points of one figure curve per condition: x/y[off[c] .. off[c+1]). */
typedef struct glrep_curves {
  double *x, *y;
  int *off; /* [ncond + 1] */
} glrep_curves;

typedef struct glrep_pop {
  char *name;
  long long rows, dim;
  int k;                      /* PCs stored */
  double *evr;                /* [k] explained variance ratio */
  int has_q;
  double q[GLREP_NQ];         /* tangling summary of the cycle averages */
  double eps;
  long long qdims;
  char *space, *eps_rule;     /* conventions (may be NULL) */
  int has_raw;
  double qraw[GLREP_NQ];      /* tangling of every raw sample (analysis.tangling.raw) */
  int npcm;
  double *pcm;                /* [npcm x 2] per-condition mean, max */
  int has_speed;
  double speed_fraction;
  char *speed_family;
  int nspeed;
  double *speed_value, *speed_proj; /* [nspeed]: commanded speed, condition-mean projection */
  int nseg;                   /* conditions (rows of condition_offset - 1) */
  int spline;                 /* curves come from /spline (else from scores / q) */
  glrep_curves pc, tq;        /* PC1 vs PC2; tangling vs phase in [0, 1] */
} glrep_pop;

struct glrep_file {
  char *path, *stem;
  char *name, *git_hash, *policy, *status, *version;
  long long seed, nranks;     /* -1 when absent */
  int ncond;
  double *u, *v, *r;          /* [ncond] */
  int ncol, nrow;
  char **colname;             /* [ncol] */
  double *tracking;           /* [nrow x ncol] */
  int has_analysis;
  char *warning;              /* /analysis attribute, or NULL */
  char *analysis_git;
  long long analysis_nranks;
  double analysis_seconds;
  int has_cycles;
  int *mode;                  /* [ncond] samples; 0 = no cycles */
  double *freq;               /* [ncond] Hz */
  long long *nused;           /* [ncond] */
  double dt;                  /* cycles sampling period, s (0 if unknown) */
  int npop;
  glrep_pop *pop;
};

/* Column of the tracking table by name, or -1. */
int glrep_column(const glrep_file *f, const char *name);
/* Fall rate over all agents (agent-weighted when the table has `agents`), NaN if unknown. */
double glrep_fall_rate(const glrep_file *f);
/* Sum of the first n explained-variance ratios (n clipped to k), NaN without PCs. */
double glrep_cum_evr(const glrep_pop *p, int n);
/* The commanded-speed family that varies across conditions (0 u, 1 v, 2 r; u if none). */
int glrep_speed_family(const glrep_file *f, const double **values);
/* Index of population `name` in f, or -1. */
int glrep_find_pop(const glrep_file *f, const char *name);

#endif
