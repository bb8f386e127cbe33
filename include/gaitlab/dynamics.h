/* Fixed points and Jacobians of the actor LSTM (prefix gld_, src/dynamics; docs/dynamics.md).
 *
 * The actor's recurrent map for a constant input: the state x = (h, c) in R^256 (h first,
 * then c, 128 each) and u in R^256 the MLP feature of a constant observation,
 *   F(x; u) = one LSTM step (h', c') of glp's actor tower,
 * evaluated in double precision from the policy's float parameters. Fixed and slow points
 * minimise q(x) = 1/2 |F(x) - x|^2 (Sussillo & Barak 2013) by Levenberg-Marquardt on the
 * analytic Jacobian; each is classified by the eigenvalues of dF/dx (a discrete-time map:
 * stable iff max |lambda| < 1).
 *
 * Determinism: initial state g (global index) is chosen and drawn only from a stream keyed
 * by (seed, g); the states are sharded over ranks by gl_shard_range and gathered in global
 * order, so every output is bitwise identical for any rank count. */
#ifndef GAITLAB_DYNAMICS_H
#define GAITLAB_DYNAMICS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "gaitlab/config.h"
#include "gaitlab/error.h"
#include "gaitlab/policy.h"

#define GLD_NX (2 * GLP_LSTM) /* state dimension: h then c */
#define GLD_NU GLP_H2         /* LSTM input (MLP feature) dimension */

/* The actor's normaliser, MLP and LSTM in double (a copy; the policy may be freed). */
typedef struct gld_net {
  int in;                   /* observation width the actor reads */
  double *nmean, *nscale;   /* [in] normaliser: (obs - mean) * scale, clamped to +-5 */
  double *W1, *b1;          /* [512][in], [512] */
  double *W2, *b2;          /* [256][512], [256] */
  double *Wih, *Whh, *b;    /* [512][256], [512][128], [512] = b_ih + b_hh; gates i, f, g, o */
} gld_net;

gl_err gld_net_from_policy(gld_net *n, const glp_policy *p);
void gld_net_free(gld_net *n);

/* u = MLP(normalise(obs)) for one raw observation obs [in]; du_dobs [256][in] (may be NULL)
 * receives the chain rule through ELUs and the normaliser (0 where the clamp is active). */
gl_err gld_feature(const gld_net *n, const double *obs, double *u, double *du_dobs);

/* One LSTM step fx = F(x; u) (x, fx [256], h then c). Jx [256][256] = dF/dx and
 * Ju [256][256] = dF/du, row-major [output][input], each optional (NULL). */
void gld_step(const gld_net *n, const double *x, const double *u, double *fx, double *Jx,
              double *Ju);

/* ---- the search ---- */

/* zero: the LSTM's input u = 0 (the authors' nn.LSTM with zero input); zero_obs: the raw
 * observation 0 through normaliser and MLP; condition_mean: each condition's mean recorded
 * observation through normaliser and MLP. */
typedef enum gld_input_kind {
  GLD_INPUT_ZERO = 0,
  GLD_INPUT_CONDITION_MEAN = 1,
  GLD_INPUT_ZERO_OBS = 2
} gld_input_kind;
typedef enum gld_init_kind { GLD_INIT_RECORDING = 0, GLD_INIT_RANDOM = 1 } gld_init_kind;

typedef struct gld_config {
  int inits;          /* initial states per input */
  int input;          /* gld_input_kind */
  int init;           /* gld_init_kind */
  double init_scale;  /* random inits: h, c ~ U(-s, s) */
  double tol;         /* stop when q < tol */
  int max_iter;       /* LM iterations (accepted or rejected steps) per initial state */
  double q_fixed;     /* q < q_fixed: "fixed", else "slow" */
  double merge_tol;   /* points closer than this (Euclidean, state space) are one */
  double lambda0;     /* initial LM damping */
  int seed;          /* keys the initial-state streams */
} gld_config;

void gld_config_defaults(gld_config *c);
const glc_key *gld_config_schema(size_t *nkeys);
/* Bind the dynamics.* keys of doc into cfg (defaults first). */
gl_err gld_config_bind(const glc_doc *doc, gld_config *cfg);

/* LM from one initial state x (overwritten with the result). q and iterations out. */
gl_err gld_minimize(const gld_net *n, const double *u, const gld_config *c, double *x,
                    double *q, int *iterations);

/* The results of one constant input. */
typedef struct gld_points {
  int ninit;
  double *x_end;     /* [ninit][256] end state of each initial state */
  double *q_end;     /* [ninit] */
  int *iter_end;     /* [ninit] */
  int n;             /* unique points after the merge */
  double *x;         /* [n][256] */
  double *q;         /* [n] */
  int64_t *init;     /* [n] lowest initial index that reached the point */
  int *iterations;   /* [n] */
  int *members;      /* [n] initial states merged into the point */
  int *is_fixed;     /* [n] q < q_fixed */
  double *eig_re, *eig_im; /* [n][256], sorted by |lambda| descending (ties: re, im) */
  double *radius;    /* [n] max |lambda| */
  int *unstable;     /* [n] eigenvalues with |lambda| > 1 */
  double *jac_x;     /* [n][256][256] dF/dx */
  double *jac_u;     /* [n][256][256] dF/du */
  double *jac_obs;   /* [n][256][in] dF/dobs (chain rule), NULL when not computed */
  int in;
  int npcs;          /* projection: PCs per population, 0 when skipped */
  double *proj_h, *proj_c; /* [n][npcs] */
} gld_points;

void gld_points_free(gld_points *p);

/* Collective: minimise from x0 [ninit][256] (every rank holds all of them; rank r works on
 * gl_shard_range(ninit)), gather in global order, merge (rank 0) and compute the
 * eigenvalues and Jacobians of every unique point. Results are complete on rank 0 only;
 * the others receive the end states too (for tests). du_dobs [256][in] may be NULL. */
gl_err gld_search(const gld_net *n, const double *u, const double *du_dobs,
                  const double *x0, int ninit, const gld_config *c, MPI_Comm comm,
                  gld_points *out);

/* Merge end states: in index order, a state joins the first kept point within merge_tol,
 * else becomes a new point (so each point keeps its lowest index). Serial. */
gl_err gld_merge(gld_points *p, double merge_tol, double q_fixed);

/* Eigenvalues of a [n x n] row-major matrix by dgeev, sorted by |lambda| descending (ties:
 * real part, then imaginary part descending), spectral radius and count of |lambda| > 1. */
gl_err gld_eigen(const double *A, int n, double *re, double *im, double *radius,
                 int *unstable);

/* ---- the file stage ---- */

/* Collective: the whole command on a recording. in_path: the recording; out_path: where the
 * results go (NULL = into in_path); policy: the actor to analyse (on every rank). Writes
 * /dynamics/fixed_points/<input>/ atomically (rank 0). */
gl_err gld_run_file(const char *in_path, const char *out_path, const glp_policy *policy,
                    const gld_config *c, MPI_Comm comm);

#endif
