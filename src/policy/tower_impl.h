/* One tower (MLP 512 ELU 256 ELU -> LSTM 128 -> Linear) written once over `real`.
 *
 * Included by tower_f.c (float, production) and tower_d.c (double, gradient checks) after
 * they define:
 *   real          float / double
 *   RS(name)      name##_f / name##_d (public symbol suffix)
 *   GEMM          cblas_sgemm / cblas_dgemm
 *   EXP           expf / exp
 *   EXP_N(x, n)   x[i] = EXP(x[i]) over an array, bitwise equal element by element
 *
 * All matrix products go through BLAS over as many rows as the data dependencies allow:
 * the MLP, the input half of the LSTM gates and the head over T*B rows at once, only the
 * recurrent product W_hh h over B rows per step. Biases and activations are fused into
 * one elementwise pass after each product. The exponentials of each pass are gathered into
 * one EXP_N call, so the float build computes them four at a time (glp_expf_n); every other
 * operation is the one the scalar formula performs, in the same order, so the results do not
 * change by one bit. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "gaitlab/policy.h"

#define G4 (4 * GLP_LSTM)

/* Y[M][N] = X[M][K] * W[N][K]^T (+ beta Y): a Linear layer on M rows. */
static inline void RS(gemm_nt)(int M, int N, int K, const real *X, const real *W, real beta,
                               real *Y) {
  GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, (real)1, X, K, W, K, beta, Y, N);
}
/* dX[M][K] = dY[M][N] * W[N][K] (+ beta dX): back through a Linear layer. */
static inline void RS(gemm_nn)(int M, int N, int K, const real *dY, const real *W, real beta,
                               real *dX) {
  GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, K, N, (real)1, dY, N, W, K, beta, dX, K);
}
/* dW[N][K] += dY[M][N]^T * X[M][K]: weight gradient summed over M rows. */
static inline void RS(gemm_tn_acc)(int M, int N, int K, const real *dY, const real *X,
                                   real *dW) {
  GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, N, K, M, (real)1, dY, N, X, K, (real)1, dW, K);
}

/* tanh through one exp (glibc's tanhf and expm1f cost 3-4x expf, and the cell evaluates two
 * tanh per unit). e = exp(-2|x|) lies in (0, 1], so 1 - e is exact for e >= 1/2 (Sterbenz)
 * and the absolute error stays at the rounding level of exp. */
static inline real RS(tanh_e)(real x) {
  real e = EXP(-2 * (x < 0 ? -x : x));
  real t = ((real)1 - e) / ((real)1 + e);
  return x < 0 ? -t : t;
}

/* Width of the stack scratch of the element-wise passes. */
#define ACT_CHUNK 256

/* y = ELU(y + b) in place over M rows of N, as PyTorch's vectorised ELU: v > 0 ? v : exp(v) - 1.
 * Positive entries take exp(0), so that no lane of EXP_N leaves its fast path for nothing. */
static inline void RS(bias_elu)(int M, int N, const real *b, real *y) {
  real e[ACT_CHUNK];
  for (int r = 0; r < M; r++) {
    real *yr = y + (size_t)r * N;
    for (int j0 = 0; j0 < N; j0 += ACT_CHUNK) {
      const int n = N - j0 < ACT_CHUNK ? N - j0 : ACT_CHUNK;
      real *v = yr + j0;
      for (int j = 0; j < n; j++) {
        v[j] += b[j0 + j];
        e[j] = v[j] > 0 ? 0 : v[j];
      }
      EXP_N(e, (size_t)n);
      for (int j = 0; j < n; j++) v[j] = v[j] > 0 ? v[j] : e[j] - (real)1;
    }
  }
}

/* dy *= ELU'(x) expressed through the output y: 1 for y > 0, else exp(x) = y + 1. */
static inline void RS(elu_back)(size_t n, const real *y, real *dy) {
  for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0 ? dy[i] : dy[i] * (y[i] + 1);
}

static inline void RS(bias_add)(int M, int N, const real *b, real *y) {
  for (int r = 0; r < M; r++) {
    real *yr = y + (size_t)r * N;
    for (int j = 0; j < N; j++) yr[j] += b[j];
  }
}

/* grad_b[j] += sum_r dy[r][j]; accumulated in double so float sums over 10^4 rows keep
 * their accuracy. acc has N entries of scratch. */
static inline void RS(colsum_acc)(int M, int N, const real *dy, double *acc, real *grad_b) {
  for (int j = 0; j < N; j++) acc[j] = 0;
  for (int r = 0; r < M; r++) {
    const real *d = dy + (size_t)r * N;
    for (int j = 0; j < N; j++) acc[j] += d[j];
  }
  for (int j = 0; j < N; j++) grad_b[j] += (real)acc[j];
}

/* The LSTM cell for one row. z holds W_ih x + W_hh h (without biases, PyTorch blocks
 * i, f, g, o) and is overwritten with the activated gates; bsum = b_ih + b_hh.
 * i, f, o = 1 / (1 + exp(-a)); g = tanh_e(a); c = f c' + i g; h = o tanh_e(c), with the
 * exponentials of the 512 gates taken by one EXP_N and those of the 128 cells by another. */
static inline void RS(lstm_cell)(real *z, const real *bsum, const real *cprev, real *cnew,
                                 real *tanh_c, real *hnew) {
  enum { H = GLP_LSTM };
  real a[G4], e[G4];
  for (int j = 0; j < G4; j++) a[j] = z[j] + bsum[j];
  for (int j = 0; j < G4; j++) e[j] = -a[j];
  for (int j = 2 * H; j < 3 * H; j++) e[j] = -2 * (a[j] < 0 ? -a[j] : a[j]);
  EXP_N(e, G4);
  for (int j = 0; j < 2 * H; j++) z[j] = (real)1 / ((real)1 + e[j]);
  for (int j = 3 * H; j < G4; j++) z[j] = (real)1 / ((real)1 + e[j]);
  for (int j = 2 * H; j < 3 * H; j++) {
    real t = ((real)1 - e[j]) / ((real)1 + e[j]);
    z[j] = a[j] < 0 ? -t : t;
  }
  real *ec = e; /* the gates' exponentials are spent */
  for (int j = 0; j < H; j++) {
    real c = z[H + j] * cprev[j] + z[j] * z[2 * H + j];
    cnew[j] = c;
    ec[j] = -2 * (c < 0 ? -c : c);
  }
  EXP_N(ec, H);
  for (int j = 0; j < H; j++) {
    real t = ((real)1 - ec[j]) / ((real)1 + ec[j]);
    real tc = cnew[j] < 0 ? -t : t;
    if (tanh_c) tanh_c[j] = tc;
    hnew[j] = z[3 * H + j] * tc;
  }
}

/* ---- sequences (BPTT) ---- */

struct RS(glp_seq_ws) {
  int T, B, in, out;
  int have_forward;
  real *x;      /* [TB][in]   copy of the input */
  real *a1;     /* [TB][512]  after ELU */
  real *a2;     /* [TB][256]  after ELU */
  real *gates;  /* [TB][512]  activated i, f, g, o */
  real *hprev;  /* [TB][128]  h entering step t (after the reset mask) */
  real *cprev;  /* [TB][128]  c entering step t (after the reset mask) */
  real *tanh_c; /* [TB][128]  tanh(c_t) */
  real *h;      /* [TB][128]  h_t */
  real *cstep;  /* [B][128]   c_t of the current step */
  unsigned char *reset; /* [TB] */
  real bsum[G4];
  /* backward scratch */
  real *dh_all; /* [TB][128]  dL/dh_t from the head */
  real *dz;     /* [TB][512]  dL/d(gate pre-activations); reused for dL/da1 */
  real *da2;    /* [TB][256] */
  real *dh, *dc; /* [B][128] carried backwards through time */
  double acc[G4];
};

static void RS(seq_ws_free)(struct RS(glp_seq_ws) *w) {
  free(w->x); free(w->a1); free(w->a2); free(w->gates); free(w->hprev); free(w->cprev);
  free(w->tanh_c); free(w->h); free(w->cstep); free(w->reset); free(w->dh_all); free(w->dz);
  free(w->da2); free(w->dh); free(w->dc);
  free(w);
}

/* What glp_seq_ws_create below allocates (keep the two in step: memory planning uses it). */
size_t RS(glp_seq_ws_bytes)(const glp_layout *L, int T, int B) {
  size_t tb = (size_t)T * (size_t)B;
  size_t reals = tb * ((size_t)L->in + GLP_H1 + 2 * GLP_H2 + 2 * G4 + 5 * GLP_LSTM) +
                 (size_t)B * 3 * GLP_LSTM;
  return reals * sizeof(real) + tb + sizeof(struct RS(glp_seq_ws));
}

gl_err RS(glp_seq_ws_create)(struct RS(glp_seq_ws) **ws, const glp_layout *L, int T, int B) {
  *ws = NULL;
  if (T < 1 || B < 1) return gl_error(GL_ERR_INTERNAL, "glp_seq_ws_create: T=%d B=%d", T, B);
  struct RS(glp_seq_ws) *w;
  GL_CALL(GL_ALLOC(w, 1));
  w->T = T; w->B = B; w->in = L->in; w->out = L->out;
  size_t tb = (size_t)T * B;
  gl_err e = GL_OK;
  GL_GOTO(e, GL_ALLOC(w->x, tb * L->in), fail);
  GL_GOTO(e, GL_ALLOC(w->a1, tb * GLP_H1), fail);
  GL_GOTO(e, GL_ALLOC(w->a2, tb * GLP_H2), fail);
  GL_GOTO(e, GL_ALLOC(w->gates, tb * G4), fail);
  GL_GOTO(e, GL_ALLOC(w->hprev, tb * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->cprev, tb * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->tanh_c, tb * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->h, tb * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->cstep, (size_t)B * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->reset, tb), fail);
  GL_GOTO(e, GL_ALLOC(w->dh_all, tb * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->dz, tb * G4), fail);
  GL_GOTO(e, GL_ALLOC(w->da2, tb * GLP_H2), fail);
  GL_GOTO(e, GL_ALLOC(w->dh, (size_t)B * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->dc, (size_t)B * GLP_LSTM), fail);
  *ws = w;
  return GL_OK;
fail:
  RS(seq_ws_free)(w);
  return e;
}

void RS(glp_seq_ws_destroy)(struct RS(glp_seq_ws) *ws) {
  if (ws) RS(seq_ws_free)(ws);
}

static gl_err RS(seq_check)(const glp_layout *L, const struct RS(glp_seq_ws) *w) {
  if (!w || w->in != L->in || w->out != L->out)
    return gl_error(GL_ERR_INTERNAL, "glp_seq: workspace was created for another layout");
  return GL_OK;
}

/* Copy the state rows entering a step, zeroing the rows whose episode starts here. */
static void RS(masked_copy)(int B, const unsigned char *reset, const real *src, real *dst) {
  for (int b = 0; b < B; b++) {
    real *d = dst + (size_t)b * GLP_LSTM;
    if (reset[b]) memset(d, 0, sizeof(real) * GLP_LSTM);
    else memcpy(d, src + (size_t)b * GLP_LSTM, sizeof(real) * GLP_LSTM);
  }
}

gl_err RS(glp_seq_forward)(const glp_layout *L, const real *P, struct RS(glp_seq_ws) *w,
                           const real *x, const real *h0, const real *c0,
                           const unsigned char *reset, real *out) {
  GL_CALL(RS(seq_check)(L, w));
  const int T = w->T, B = w->B, TB = T * B;
  memcpy(w->x, x, sizeof(real) * (size_t)TB * L->in);
  if (reset) memcpy(w->reset, reset, (size_t)TB);
  else memset(w->reset, 0, (size_t)TB);
  for (int j = 0; j < G4; j++) w->bsum[j] = P[L->bih + j] + P[L->bhh + j];

  RS(gemm_nt)(TB, GLP_H1, L->in, w->x, P + L->W1, 0, w->a1);
  RS(bias_elu)(TB, GLP_H1, P + L->b1, w->a1);
  RS(gemm_nt)(TB, GLP_H2, GLP_H1, w->a1, P + L->W2, 0, w->a2);
  RS(bias_elu)(TB, GLP_H2, P + L->b2, w->a2);
  RS(gemm_nt)(TB, G4, GLP_H2, w->a2, P + L->Wih, 0, w->gates);

  for (int t = 0; t < T; t++) {
    const size_t o = (size_t)t * B;
    real *hp = w->hprev + o * GLP_LSTM, *cp = w->cprev + o * GLP_LSTM;
    RS(masked_copy)(B, w->reset + o, t == 0 ? h0 : w->h + (o - B) * GLP_LSTM, hp);
    RS(masked_copy)(B, w->reset + o, t == 0 ? c0 : w->cstep, cp);
    real *z = w->gates + o * G4;
    RS(gemm_nt)(B, G4, GLP_LSTM, hp, P + L->Whh, 1, z);
    for (int b = 0; b < B; b++) {
      const size_t r = (size_t)b * GLP_LSTM;
      RS(lstm_cell)(z + (size_t)b * G4, w->bsum, cp + r, w->cstep + r,
                    w->tanh_c + o * GLP_LSTM + r, w->h + o * GLP_LSTM + r);
    }
  }

  RS(gemm_nt)(TB, L->out, GLP_LSTM, w->h, P + L->Wo, 0, out);
  RS(bias_add)(TB, L->out, P + L->bo, out);
  w->have_forward = 1;
  return GL_OK;
}

gl_err RS(glp_seq_backward)(const glp_layout *L, const real *P, struct RS(glp_seq_ws) *w,
                            const real *dout, real *grad, real *dx, real *dh0, real *dc0) {
  GL_CALL(RS(seq_check)(L, w));
  if (!w->have_forward)
    return gl_error(GL_ERR_INTERNAL, "glp_seq_backward called before glp_seq_forward");
  const int T = w->T, B = w->B, TB = T * B;
  const int H = GLP_LSTM;

  /* head */
  RS(gemm_nn)(TB, L->out, H, dout, P + L->Wo, 0, w->dh_all);
  RS(gemm_tn_acc)(TB, L->out, H, dout, w->h, grad + L->Wo);
  RS(colsum_acc)(TB, L->out, dout, w->acc, grad + L->bo);

  /* LSTM through time */
  memset(w->dh, 0, sizeof(real) * (size_t)B * H);
  memset(w->dc, 0, sizeof(real) * (size_t)B * H);
  for (int t = T - 1; t >= 0; t--) {
    const size_t o = (size_t)t * B;
    for (int b = 0; b < B; b++) {
      const size_t r = (o + b) * H;
      const real *gt = w->gates + (o + b) * G4;
      real *dz = w->dz + (o + b) * G4;
      const real *dha = w->dh_all + r, *tc = w->tanh_c + r, *cp = w->cprev + r;
      real *dhn = w->dh + (size_t)b * H, *dcn = w->dc + (size_t)b * H;
      for (int j = 0; j < H; j++) {
        real ig = gt[j], fg = gt[H + j], gg = gt[2 * H + j], og = gt[3 * H + j];
        real dh = dha[j] + dhn[j];
        real dc = dcn[j] + dh * og * ((real)1 - tc[j] * tc[j]);
        dz[j] = dc * gg * ig * ((real)1 - ig);
        dz[H + j] = dc * cp[j] * fg * ((real)1 - fg);
        dz[2 * H + j] = dc * ig * ((real)1 - gg * gg);
        dz[3 * H + j] = dh * tc[j] * og * ((real)1 - og);
        dcn[j] = dc * fg;
      }
    }
    /* dL/dh_{t-1} through W_hh; nothing flows into a state that was reset before step t */
    RS(gemm_nn)(B, G4, H, w->dz + o * G4, P + L->Whh, 0, w->dh);
    for (int b = 0; b < B; b++) {
      if (!w->reset[o + b]) continue;
      memset(w->dh + (size_t)b * H, 0, sizeof(real) * H);
      memset(w->dc + (size_t)b * H, 0, sizeof(real) * H);
    }
  }
  if (dh0) memcpy(dh0, w->dh, sizeof(real) * (size_t)B * H);
  if (dc0) memcpy(dc0, w->dc, sizeof(real) * (size_t)B * H);

  RS(gemm_tn_acc)(TB, G4, GLP_H2, w->dz, w->a2, grad + L->Wih);
  RS(gemm_tn_acc)(TB, G4, H, w->dz, w->hprev, grad + L->Whh);
  RS(colsum_acc)(TB, G4, w->dz, w->acc, grad + L->bih);
  for (int j = 0; j < G4; j++) grad[L->bhh + j] += (real)w->acc[j];

  /* MLP */
  RS(gemm_nn)(TB, G4, GLP_H2, w->dz, P + L->Wih, 0, w->da2);
  RS(elu_back)((size_t)TB * GLP_H2, w->a2, w->da2);
  RS(gemm_tn_acc)(TB, GLP_H2, GLP_H1, w->da2, w->a1, grad + L->W2);
  RS(colsum_acc)(TB, GLP_H2, w->da2, w->acc, grad + L->b2);
  real *da1 = w->dz; /* dz is no longer needed */
  RS(gemm_nn)(TB, GLP_H2, GLP_H1, w->da2, P + L->W2, 0, da1);
  RS(elu_back)((size_t)TB * GLP_H1, w->a1, da1);
  RS(gemm_tn_acc)(TB, GLP_H1, L->in, da1, w->x, grad + L->W1);
  RS(colsum_acc)(TB, GLP_H1, da1, w->acc, grad + L->b1);
  if (dx) RS(gemm_nn)(TB, GLP_H1, L->in, da1, P + L->W1, 0, dx);
  return GL_OK;
}
