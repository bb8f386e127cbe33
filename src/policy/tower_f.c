/* The float build of the tower kernels (training), plus the float-only inference step. */
#define real float
#define RS(name) name##_f
#define GEMM cblas_sgemm
#define EXP expf
#define EXP_N glp_expf_n
#include "policy/tower_impl.h"

/* Inference works on one chunk of GLP_BATCH_PAD rows at a time, always with the same BLAS
 * shapes, so that a row's result depends only on its data and its slot (see policy.h). */
struct glp_infer_ws_f {
  int in, out, bmax;
  float *x;     /* [PAD][in] */
  float *a1;    /* [PAD][512] */
  float *a2;    /* [PAD][256] */
  float *z;     /* [PAD][512] */
  float *h, *c; /* [PAD][128] state entering the step */
  float *hn, *cn; /* [PAD][128] state after the step */
  float *y;     /* [PAD][out] */
  float bsum[G4];
};

void glp_infer_ws_destroy_f(glp_infer_ws_f *w) {
  if (!w) return;
  free(w->x); free(w->a1); free(w->a2); free(w->z); free(w->h); free(w->c);
  free(w->hn); free(w->cn); free(w->y);
  free(w);
}

gl_err glp_infer_ws_create_f(glp_infer_ws_f **ws, const glp_layout *L, int bmax) {
  *ws = NULL;
  if (bmax < 1) return gl_error(GL_ERR_INTERNAL, "glp_infer_ws_create: bmax=%d", bmax);
  glp_infer_ws_f *w;
  GL_CALL(GL_ALLOC(w, 1));
  w->in = L->in; w->out = L->out; w->bmax = bmax;
  const size_t P = GLP_BATCH_PAD;
  gl_err e = GL_OK;
  GL_GOTO(e, GL_ALLOC(w->x, P * L->in), fail);
  GL_GOTO(e, GL_ALLOC(w->a1, P * GLP_H1), fail);
  GL_GOTO(e, GL_ALLOC(w->a2, P * GLP_H2), fail);
  GL_GOTO(e, GL_ALLOC(w->z, P * G4), fail);
  GL_GOTO(e, GL_ALLOC(w->h, P * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->c, P * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->hn, P * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->cn, P * GLP_LSTM), fail);
  GL_GOTO(e, GL_ALLOC(w->y, P * L->out), fail);
  *ws = w;
  return GL_OK;
fail:
  glp_infer_ws_destroy_f(w);
  return e;
}

/* Copy n rows of width `dim` into a PAD-row buffer, zeroing the unused rows so the padded
 * rows compute harmless finite values. */
static void load_rows(int n, int dim, const float *src, float *dst) {
  memcpy(dst, src, sizeof(float) * (size_t)n * dim);
  memset(dst + (size_t)n * dim, 0, sizeof(float) * (size_t)(GLP_BATCH_PAD - n) * dim);
}

static void store_rows(int n, int dim, const float *src, float *dst) {
  if (dst) memcpy(dst, src, sizeof(float) * (size_t)n * dim);
}

gl_err glp_step_f(const glp_layout *L, const float *P, glp_infer_ws_f *w, int B,
                  const float *x, float *h, float *c, glp_capture_f *cap, float *out) {
  return glp_step_edit_f(L, P, w, B, x, h, c, cap, out, NULL);
}

gl_err glp_step_edit_f(const glp_layout *L, const float *P, glp_infer_ws_f *w, int B,
                       const float *x, float *h, float *c, glp_capture_f *cap, float *out,
                       const glp_state_edit *edit) {
  if (!w || w->in != L->in || w->out != L->out)
    return gl_error(GL_ERR_INTERNAL, "glp_step_f: workspace was created for another layout");
  if (B < 0 || B > w->bmax)
    return gl_error(GL_ERR_INTERNAL, "glp_step_f: B=%d exceeds the workspace (%d)", B, w->bmax);
  const int PAD = GLP_BATCH_PAD, H = GLP_LSTM;
  for (int j = 0; j < G4; j++) w->bsum[j] = P[L->bih + j] + P[L->bhh + j];

  for (int r0 = 0; r0 < B; r0 += PAD) {
    const int n = B - r0 < PAD ? B - r0 : PAD;
    const size_t rh = (size_t)r0 * H;
    load_rows(n, L->in, x + (size_t)r0 * L->in, w->x);
    load_rows(n, H, h + rh, w->h);
    load_rows(n, H, c + rh, w->c);

    gemm_nt_f(PAD, GLP_H1, L->in, w->x, P + L->W1, 0, w->a1);
    bias_elu_f(PAD, GLP_H1, P + L->b1, w->a1);
    gemm_nt_f(PAD, GLP_H2, GLP_H1, w->a1, P + L->W2, 0, w->a2);
    bias_elu_f(PAD, GLP_H2, P + L->b2, w->a2);
    gemm_nt_f(PAD, G4, GLP_H2, w->a2, P + L->Wih, 0, w->z);
    gemm_nt_f(PAD, G4, H, w->h, P + L->Whh, 1, w->z);
    for (int b = 0; b < n; b++) {
      const size_t r = (size_t)b * H;
      lstm_cell_f(w->z + (size_t)b * G4, w->bsum, w->c + r, w->cn + r, NULL, w->hn + r);
      if (edit && edit->fn(edit->ctx, r0 + b, w->hn + r, w->cn + r, w->z + (size_t)b * G4)) {
        const float *o = w->z + (size_t)b * G4 + 3 * H;
        for (int j = 0; j < H; j++) w->hn[r + j] = o[j] * tanh_e_f(w->cn[r + j]);
      }
    }
    memset(w->hn + (size_t)n * H, 0, sizeof(float) * (size_t)(PAD - n) * H);
    gemm_nt_f(PAD, L->out, H, w->hn, P + L->Wo, 0, w->y);
    bias_add_f(n, L->out, P + L->bo, w->y);

    if (cap) {
      store_rows(n, GLP_H2, w->a2, cap->mlp ? cap->mlp + (size_t)r0 * GLP_H2 : NULL);
      for (int b = 0; b < n; b++) {
        const float *g = w->z + (size_t)b * G4; /* activated i, f, g, o */
        const size_t r = (size_t)b * H, ro = rh + r;
        for (int j = 0; j < H; j++) {
          if (cap->gate_fc) cap->gate_fc[ro + j] = g[H + j] * w->c[r + j];
          if (cap->gate_ig) cap->gate_ig[ro + j] = g[j] * g[2 * H + j];
        }
      }
      store_rows(n, H, w->hn, cap->h ? cap->h + rh : NULL);
      store_rows(n, H, w->cn, cap->c ? cap->c + rh : NULL);
    }
    store_rows(n, H, w->hn, h + rh);
    store_rows(n, H, w->cn, c + rh);
    store_rows(n, L->out, w->y, out + (size_t)r0 * L->out);
  }
  return GL_OK;
}
