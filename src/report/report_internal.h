/* Internal layout of a loaded report (src/report only). Every array is owned by its struct
 * and released by glrep_destroy. */
#ifndef GAITLAB_REPORT_INTERNAL_H
#define GAITLAB_REPORT_INTERNAL_H

#include <hdf5.h>

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
  /* The analysed rows themselves, for the claims (src/report/claims.c). */
  double *off;                /* [nseg + 1] condition offsets of the rows */
  double *scores;             /* [rows x sk] PC scores */
  int sk;
  double *qv, *qrow;          /* [nq] tangling and the row it belongs to */
  size_t nq;
  double *sproj;              /* [rows] speed-axis projection, or NULL */
} glrep_pop;

struct glrep_file {
  char *path, *stem;
  char *name, *git_hash, *policy, *status, *version;
  long long seed, nranks;     /* -1 when absent */
  long long policy_seed;      /* the agent's training seed; -1 when absent (older files) */
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
  /* force disturbances (/agents/force_*): one cell per (condition, magnitude, duration) of
   * the disturbed agents, sorted; NULL when the file has none */
  int nforce;
  double *force; /* [nforce][GLREP_FORCE_NCOL] */
  /* the neural: block (/agents/neural_*): one cell per (condition, units changed), sorted;
   * NULL when the file has none */
  int nneural;
  double *neural; /* [nneural][GLREP_NEURAL_NCOL] */
  char *neural_kind; /* the block's kind (attribute of /agents/neural_count) */
  long long neural_step;
  /* gaitlab dynamics (/dynamics/fixed_points/<input>/): one entry per input, in reading
   * order (fixed_points.c); NULL when the file has none */
  int nfp;
  struct glrep_fp *fp;
};
/* What the fixed-point search found for one constant input. */
typedef struct glrep_fp {
  char *input;               /* zero, zero_obs, condition_<k> */
  int points, fixed, slow;   /* unique points; fixed (q < q_fixed) and slow ones */
  int fixed_stable;          /* fixed points with every |lambda| < 1 */
  long long inits, members;  /* initial states merged into any point, into a fixed one */
  double rho_min, rho_max;   /* spectral radius over the fixed points (NaN without) */
  double cmax;               /* largest |c| of a fixed point */
} glrep_fp;
gl_err glrep_fixed_points_load(hid_t f, const char *path, glrep_file *g);
void glrep_fixed_points_free(glrep_file *g);
/* Per cell: agents, falls, the standing agents and their summed |measured - commanded|
 * (u, v, r) and RF cycles; of the standing agents of a transient change, how many C4's
 * recovery measure could judge, how many returned, and their summed cycles. */
enum { GLREP_NC_COND, GLREP_NC_COUNT, GLREP_NC_AGENTS, GLREP_NC_FELL, GLREP_NC_STANDING,
       GLREP_NC_EU, GLREP_NC_EV, GLREP_NC_ER, GLREP_NC_RF, GLREP_NC_MEASURED, GLREP_NC_RECOVERED,
       GLREP_NC_CYCLES, GLREP_NEURAL_NCOL };
/* Per cell: trials, trials whose force was applied, falls among those; of the applied trials
 * that did not fall, how many C4's recovery measure could judge (a complete cycle after the
 * onset, the layer analysed), how many returned within tolerance, and their summed cycles. */
enum { GLREP_FC_COND, GLREP_FC_MAG, GLREP_FC_DUR, GLREP_FC_TRIALS, GLREP_FC_APPLIED, GLREP_FC_FELL,
       GLREP_FC_MEASURED, GLREP_FC_RECOVERED, GLREP_FC_CYCLES, GLREP_FORCE_NCOL };
/* The layer whose return to its limit cycle the force report measures. */
#define GLREP_RECOVERY_LAYER "lstm_c"

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

/* ---- claims (claims.c): one measure and one rule per claim, README "Claims" */

typedef enum glrep_verdict { GLREP_NOT_MEASURED = 0, GLREP_HOLDS = 1, GLREP_FAILS = 2 } glrep_verdict;
extern const char *const glrep_verdict_names[3];

/* C1/C2: Q of layer a (recurrent) and b (actuation) on the rows both have. */
typedef struct glrep_tcmp {
  int measured;
  size_t n;                          /* matched rows */
  double mean[2], median[2], p90[2]; /* p90 linear (numpy's default) */
  double share;                      /* fraction of rows with Q_a < Q_b */
} glrep_tcmp;
gl_err glrep_tangling_compare(const glrep_file *f, const char *a, const char *b, glrep_tcmp *m);
glrep_verdict glrep_rule_c1(const glrep_tcmp *m);

/* C2: signed area (shoelace) of condition c's closed loop of cycle-average rows in PC1-PC2:
 * > 0 counter-clockwise. NaN with fewer than 3 rows or 2 PCs. */
double glrep_signed_area(const glrep_pop *p, int c);
/* Holds when every one of n (area of +u, area of -u) pairs has opposite signs. */
glrep_verdict glrep_rule_c2_rotation(const double *pos, const double *neg, int n);

/* C3: the conditions with rows, sorted by the commanded speed of `family` (0 u, 1 v, 2 r). */
typedef struct glrep_speedm {
  int measured, ns;
  double *speed, *size; /* [ns] command; RMS radius of the rows about their centroid, PC1-3 */
  double d3;            /* min over adjacent speeds of the min row distance in PC1-PC3 */
  double ds;            /* the same in PC1, PC2, speed axis */
  double min_gap;       /* min over adjacent speeds of min(proj_{i+1}) - max(proj_i) */
  int separated;        /* adjacent pairs with a positive gap, of ns - 1 */
  double rho;           /* Spearman correlation of size with speed */
} glrep_speedm;
gl_err glrep_speed_measure(const glrep_file *f, const char *layer, int family, glrep_speedm *m);
void glrep_speedm_free(glrep_speedm *m);
glrep_verdict glrep_rule_c3_separation(double min_gap);
glrep_verdict glrep_rule_c3_axis(double ds, double d3);
glrep_verdict glrep_rule_c3_size(double rho);

/* C4: recovery of the pushed agent's raw trajectory, projected on the file's PCs 1-3. */
enum { GLREP_PUSH_PCS = 3 };
#define GLREP_PUSH_TOL_FRAC 0.1
typedef struct glrep_pushm {
  int measured;
  const char *why;     /* when not measured */
  int agent, push_sample;
  int cycles;          /* complete cycles from the push's one until the first within tolerance */
  int recovered;       /* a cycle within tolerance exists in the window */
  int cycles_after;    /* complete cycles from the push's one to the window's end */
  double radius;       /* R: RMS distance of the reference rows from their centroid */
  double d_pre;        /* max distance in the complete cycles before the push */
  double delta;        /* tolerance max(GLREP_PUSH_TOL_FRAC R, d_pre) */
  double peak;         /* max distance after the push */
} glrep_pushm;
gl_err glrep_push_measure(const glrep_file *f, const char *layer, glrep_pushm *m);
/* The same measure for any agent disturbed at policy step `step` (force and neural
 * experiments): open reads what every trial of the file shares once (the cycles, the layer's
 * normalisation and PCA), each trial reads its agent's rows; close returns err, or the
 * close's own error if err was GL_OK. */
typedef struct glrep_recovery glrep_recovery;
gl_err glrep_recovery_open(const glrep_file *f, const char *layer, glrep_recovery **r);
gl_err glrep_recovery_trial(glrep_recovery *r, int agent, int cond, int step, glrep_pushm *m);
gl_err glrep_recovery_close(glrep_recovery *r, gl_err err);
glrep_verdict glrep_rule_c4(const glrep_pushm *rec, const glrep_pushm *act);

/* C5: frequencies in order of increasing speed. */
glrep_verdict glrep_rule_c5(const double *freq, int n);
/* C6: mean Q of the action-feedback files vs the baseline files. */
glrep_verdict glrep_rule_c6(const double *af, int naf, const double *base, int nbase);

#endif
