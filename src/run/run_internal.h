/* Inside the experiment module: the neural: block (neural.c) as the run driver uses it. */
#ifndef GAITLAB_RUN_INTERNAL_H
#define GAITLAB_RUN_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "gaitlab/experiment.h"
#include "gaitlab/policy.h"

/* What every rank needs to apply the neural: block, identical on all of them. A change moves
 * the state x [dim] of the layer as
 *   units: x_j := x_j + alpha (x_j - m_j) + beta          for each chosen unit j
 *   PCs:   x := x + e_k (alpha e_k.(x - m) + beta)        for each chosen PC e_k
 * with (alpha, beta) = set (-1, v), offset (0, v), scale (v - 1, 0), zero and ablate (-1, 0),
 * m = 0 for units (the reference's mean when ablating), the PCA mean for PCs. */
typedef struct glx_neural {
  int kind, layer, dim;
  double alpha, beta;
  int ndir;          /* PCs mode: directions; 0 in units mode */
  double *dir;       /* [ndir][dim] unit vectors (the reference's PCs) */
  double *center;    /* [dim] m */
  int *order;        /* [dim] units by descending gradient score (select: gradient) */
  double *score;     /* [dim] the scores */
  int width;         /* most units (or PCs) one agent changes: /agents/neural_units' width */
} glx_neural;

/* Collective: rank 0 reads the reference (means, PCs, gradient samples) and every rank gets
 * the result. Nothing to do (n zeroed) without a neural: block. */
gl_err glx_neural_prepare(const glx_config *cfg, const glp_policy *pol, MPI_Comm comm,
                          glx_neural *n);
void glx_neural_free(glx_neural *n);

/* The units (or 1-based PCs) agent a changes, ascending, into units[width] (-1 padded);
 * returns how many (0 for an unchanged copy or an ablation cell of 0). */
int glx_neural_units(const glx_config *cfg, const glx_neural *n, int64_t a, int copy,
                     int16_t *units);

/* 1 when the change acts at policy step t. */
int glx_neural_active(const glx_config *cfg, int t);

/* Apply the change to one state x [dim] (units from glx_neural_units). */
void glx_neural_apply(const glx_neural *n, const int16_t *units, int count, float *x);

#endif
