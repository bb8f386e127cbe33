/* The actor's recurrent map F(x; u) and its analytic Jacobians, in double precision from
 * the policy's float parameters (docs/dynamics.md §1). Everything here is one row at a time
 * with fixed-size loops or dgemv of fixed shapes, so a result depends only on its inputs
 * (never on a batch or a rank), which the rank-invariance of the search relies on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "gaitlab/dynamics.h"

#define NH GLP_LSTM
#define G4 (4 * GLP_LSTM)

void gld_net_free(gld_net *n) {
  free(n->nmean); free(n->nscale); free(n->W1); free(n->b1); free(n->W2); free(n->b2);
  free(n->Wih); free(n->Whh); free(n->b);
  memset(n, 0, sizeof *n);
}

static gl_err gld_copy_(double **dst, const float *src, size_t count) {
  GL_CALL(GL_ALLOC(*dst, count));
  for (size_t i = 0; i < count; ++i) (*dst)[i] = (double)src[i];
  return GL_OK;
}

gl_err gld_net_from_policy(gld_net *n, const glp_policy *p) {
  memset(n, 0, sizeof *n);
  const glp_layout *L = &p->actor;
  const float *t = p->params + p->off_actor;
  const int in = L->in;
  gl_err err = GL_OK;
  if (in < 1 || in > p->norm.dim)
    return gl_error(GL_ERR_INPUT, "policy: actor reads %d inputs, normaliser has %d", in, p->norm.dim);
  n->in = in;
  GL_GOTO(err, gld_copy_(&n->W1, t + L->W1, (size_t)GLP_H1 * (size_t)in), fail);
  GL_GOTO(err, gld_copy_(&n->b1, t + L->b1, GLP_H1), fail);
  GL_GOTO(err, gld_copy_(&n->W2, t + L->W2, (size_t)GLP_H2 * GLP_H1), fail);
  GL_GOTO(err, gld_copy_(&n->b2, t + L->b2, GLP_H2), fail);
  GL_GOTO(err, gld_copy_(&n->Wih, t + L->Wih, (size_t)G4 * GLP_H2), fail);
  GL_GOTO(err, gld_copy_(&n->Whh, t + L->Whh, (size_t)G4 * NH), fail);
  GL_GOTO(err, GL_ALLOC(n->b, G4), fail);
  for (int j = 0; j < G4; ++j) n->b[j] = (double)t[L->bih + (size_t)j] + (double)t[L->bhh + (size_t)j];
  GL_GOTO(err, GL_ALLOC(n->nmean, in), fail);
  GL_GOTO(err, GL_ALLOC(n->nscale, in), fail);
  for (int j = 0; j < in; ++j) {
    n->nmean[j] = p->norm.mean[j];
    n->nscale[j] = 1.0 / sqrt(p->norm.var[j] + 1e-5); /* as glp_norm_apply */
  }
  return GL_OK;
fail:
  gld_net_free(n);
  return err;
}

/* y = ELU(W x + b) for one row; d (may be NULL) = ELU'(pre-activation). */
static void gld_dense_elu_(int out, int in, const double *W, const double *b, const double *x,
                           double *y, double *d) {
  memcpy(y, b, (size_t)out * sizeof *y);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0, W, in, x, 1, 1.0, y, 1);
  for (int j = 0; j < out; ++j) {
    double v = y[j];
    y[j] = v > 0 ? v : expm1(v);
    if (d) d[j] = v > 0 ? 1.0 : exp(v);
  }
}

gl_err gld_feature(const gld_net *n, const double *obs, double *u, double *du_dobs) {
  const int in = n->in;
  double *z = NULL, *a1 = NULL, *d1 = NULL, *d2 = NULL, *dz = NULL, *M = NULL;
  gl_err err = GL_OK;
  GL_GOTO(err, GL_ALLOC(z, in), done);
  GL_GOTO(err, GL_ALLOC(dz, in), done);
  GL_GOTO(err, GL_ALLOC(a1, GLP_H1), done);
  GL_GOTO(err, GL_ALLOC(d1, GLP_H1), done);
  GL_GOTO(err, GL_ALLOC(d2, GLP_H2), done);
  for (int j = 0; j < in; ++j) {
    double v = (obs[j] - n->nmean[j]) * n->nscale[j];
    dz[j] = v > 5 || v < -5 ? 0.0 : n->nscale[j]; /* the clamp has zero slope */
    z[j] = v > 5 ? 5 : v < -5 ? -5 : v;
  }
  gld_dense_elu_(GLP_H1, in, n->W1, n->b1, z, a1, d1);
  gld_dense_elu_(GLP_H2, GLP_H1, n->W2, n->b2, a1, u, d2);
  if (du_dobs) {
    /* du/dobs = diag(d2) W2 diag(d1) W1 diag(dz): M = W2 diag(d1), then M W1. */
    GL_GOTO(err, GL_ALLOC(M, (size_t)GLP_H2 * GLP_H1), done);
    for (int r = 0; r < GLP_H2; ++r)
      for (int k = 0; k < GLP_H1; ++k) M[(size_t)r * GLP_H1 + k] = n->W2[(size_t)r * GLP_H1 + k] * d1[k];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, GLP_H2, in, GLP_H1, 1.0, M, GLP_H1,
                n->W1, in, 0.0, du_dobs, in);
    for (int r = 0; r < GLP_H2; ++r)
      for (int j = 0; j < in; ++j) du_dobs[(size_t)r * in + j] *= d2[r] * dz[j];
  }
done:
  free(z); free(dz); free(a1); free(d1); free(d2); free(M);
  return err;
}

static double gld_sigm_(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Rows of one Jacobian block pair (dh'/dy, dc'/dy) for an input y entering the gates
 * through W [512][ny]: for unit j,
 *   dc'_j/dy = g i(1-i) W_i + c f(1-f) W_f + i (1-g^2) W_g
 *   dh'_j/dy = tanh(c') o(1-o) W_o + o (1-tanh^2 c') dc'_j/dy
 * written at columns col0.. of rows j (h') and 128 + j (c') of J [256][ld]. */
static void gld_jac_rows_(const double *W, int ny, const double *gate, const double *cprev,
                          const double *tc, double *J, int ld, int col0) {
  for (int j = 0; j < NH; ++j) {
    const double i = gate[j], f = gate[NH + j], g = gate[2 * NH + j], o = gate[3 * NH + j];
    const double ai = g * i * (1 - i), af = cprev[j] * f * (1 - f), ag = i * (1 - g * g);
    const double ao = tc[j] * o * (1 - o), hc = o * (1 - tc[j] * tc[j]);
    const double *wi = W + (size_t)j * ny, *wf = W + (size_t)(NH + j) * ny;
    const double *wg = W + (size_t)(2 * NH + j) * ny, *wo = W + (size_t)(3 * NH + j) * ny;
    double *rh = J + (size_t)j * ld + col0, *rc = J + (size_t)(NH + j) * ld + col0;
    for (int k = 0; k < ny; ++k) {
      double dc = ai * wi[k] + af * wf[k] + ag * wg[k];
      rc[k] = dc;
      rh[k] = ao * wo[k] + hc * dc;
    }
  }
}

void gld_step(const gld_net *n, const double *x, const double *u, double *fx, double *Jx,
              double *Ju) {
  const double *h = x, *c = x + NH;
  double z[G4], tc[NH];
  memcpy(z, n->b, sizeof z);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, G4, GLD_NU, 1.0, n->Wih, GLD_NU, u, 1, 1.0, z, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, G4, NH, 1.0, n->Whh, NH, h, 1, 1.0, z, 1);
  for (int j = 0; j < NH; ++j) {
    z[j] = gld_sigm_(z[j]);
    z[NH + j] = gld_sigm_(z[NH + j]);
    z[2 * NH + j] = tanh(z[2 * NH + j]);
    z[3 * NH + j] = gld_sigm_(z[3 * NH + j]);
    double cn = z[NH + j] * c[j] + z[j] * z[2 * NH + j];
    tc[j] = tanh(cn);
    fx[NH + j] = cn;
    fx[j] = z[3 * NH + j] * tc[j];
  }
  if (Jx) {
    /* h enters through W_hh; c only through the forget gate: dc'/dc = f, dh'/dc = o(1-tc^2) f. */
    gld_jac_rows_(n->Whh, NH, z, c, tc, Jx, GLD_NX, 0);
    for (int j = 0; j < NH; ++j) {
      double *rh = Jx + (size_t)j * GLD_NX + NH, *rc = Jx + (size_t)(NH + j) * GLD_NX + NH;
      memset(rh, 0, NH * sizeof *rh);
      memset(rc, 0, NH * sizeof *rc);
      rc[j] = z[NH + j];
      rh[j] = z[3 * NH + j] * (1 - tc[j] * tc[j]) * z[NH + j];
    }
  }
  if (Ju) gld_jac_rows_(n->Wih, GLD_NU, z, c, tc, Ju, GLD_NU, 0);
}
