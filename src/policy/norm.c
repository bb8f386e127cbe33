/* Running observation statistics exactly like rl_games RunningMeanStd: count starts at 1,
 * mean 0, var 1; a batch contributes its mean and its *unbiased* variance (torch.var's
 * default) through the parallel-variance merge; apply clamps to +-5. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/policy.h"

gl_err glp_norm_init(glp_norm *n, int dim) {
  memset(n, 0, sizeof *n);
  if (dim < 1) return gl_error(GL_ERR_INTERNAL, "glp_norm_init: dim=%d", dim);
  GL_CALL(GL_ALLOC(n->mean, dim));
  if (GL_ALLOC(n->var, dim) != GL_OK) {
    free(n->mean);
    n->mean = NULL;
    return GL_ERR_NOMEM;
  }
  n->dim = dim;
  n->count = 1;
  for (int j = 0; j < dim; j++) n->var[j] = 1;
  return GL_OK;
}

void glp_norm_free(glp_norm *n) {
  if (!n) return;
  free(n->mean);
  free(n->var);
  memset(n, 0, sizeof *n);
}

void glp_norm_merge(glp_norm *n, double count, const double *mean, const double *var) {
  if (count <= 0) return;
  const double tot = n->count + count;
  for (int j = 0; j < n->dim; j++) {
    double delta = mean[j] - n->mean[j];
    double m2 = n->var[j] * n->count + var[j] * count + delta * delta * n->count * count / tot;
    n->mean[j] += delta * count / tot;
    n->var[j] = m2 / tot;
  }
  n->count = tot;
}

/* Columns are processed in blocks of 16 (one cache line of floats) so a pass over a large
 * row-major batch reads each line once per block instead of once per column. */
#define NORM_BLK 16

void glp_norm_update(glp_norm *n, int B, const float *x, int stride) {
  if (B < 1) return;
  double bmean[NORM_BLK], bm2[NORM_BLK];
  for (int j0 = 0; j0 < n->dim; j0 += NORM_BLK) {
    const int nb = n->dim - j0 < NORM_BLK ? n->dim - j0 : NORM_BLK;
    for (int k = 0; k < nb; k++) bmean[k] = bm2[k] = 0;
    for (int b = 0; b < B; b++) {
      const float *r = x + (size_t)b * stride + j0;
      for (int k = 0; k < nb; k++) bmean[k] += r[k];
    }
    for (int k = 0; k < nb; k++) bmean[k] /= B;
    for (int b = 0; b < B; b++) {
      const float *r = x + (size_t)b * stride + j0;
      for (int k = 0; k < nb; k++) {
        double d = r[k] - bmean[k];
        bm2[k] += d * d;
      }
    }
    /* torch.var of one row is NaN; a single sample carries no spread, so use 0 */
    for (int k = 0; k < nb; k++) bm2[k] = B > 1 ? bm2[k] / (B - 1) : 0;
    /* merge this column block (count is advanced once, below) */
    const double tot = n->count + B;
    for (int k = 0; k < nb; k++) {
      const int j = j0 + k;
      double delta = bmean[k] - n->mean[j];
      double m2 = n->var[j] * n->count + bm2[k] * B + delta * delta * n->count * B / tot;
      n->mean[j] += delta * B / tot;
      n->var[j] = m2 / tot;
    }
  }
  n->count += B;
}

void glp_norm_apply(const glp_norm *n, int B, const float *x, int x_stride, float *out,
                    int out_dim) {
  for (int b = 0; b < B; b++) {
    const float *r = x + (size_t)b * x_stride;
    float *o = out + (size_t)b * out_dim;
    for (int j = 0; j < out_dim; j++) {
      double v = (r[j] - n->mean[j]) / sqrt(n->var[j] + 1e-5);
      o[j] = (float)(v > 5 ? 5 : v < -5 ? -5 : v);
    }
  }
}
