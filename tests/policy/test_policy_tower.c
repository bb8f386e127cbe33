/* Tower kernels: forward against an independent naive implementation, finite-difference
 * gradient checks in double for every parameter block (LSTM blocks per gate), dx, dh0,
 * dc0, reset semantics, a directional check, float vs double gradients and the
 * minibatch = mean of per-sequence gradients identity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/policy.h"
#include "gaitlab/rng.h"

#define H GLP_LSTM
#define G4 (4 * GLP_LSTM)

static void fill_uniform(double *v, size_t n, double a, glr_stream *s) {
  for (size_t i = 0; i < n; i++) v[i] = glr_uniform_range(s, -a, a);
}

/* Parameters at a scale where every nonlinearity works in its curved range. */
static void random_params(const glp_layout *L, double *P, uint64_t seed) {
  glr_stream s;
  glr_init(&s, seed, 1, GLR_TEST);
  fill_uniform(P + L->W1, (size_t)GLP_H1 * L->in, 1.5 / sqrt(L->in), &s);
  fill_uniform(P + L->b1, GLP_H1, 0.3, &s);
  fill_uniform(P + L->W2, (size_t)GLP_H2 * GLP_H1, 1.5 / sqrt(GLP_H1), &s);
  fill_uniform(P + L->b2, GLP_H2, 0.3, &s);
  fill_uniform(P + L->Wih, (size_t)G4 * GLP_H2, 1.5 / sqrt(GLP_H2), &s);
  fill_uniform(P + L->bih, G4, 0.3, &s);
  fill_uniform(P + L->Whh, (size_t)G4 * H, 1.5 / sqrt(H), &s);
  fill_uniform(P + L->bhh, G4, 0.3, &s);
  fill_uniform(P + L->Wo, (size_t)L->out * H, 1.0 / sqrt(H), &s);
  fill_uniform(P + L->bo, (size_t)L->out, 0.3, &s);
}

/* ---- an independent, deliberately naive reference (plain loops, one row at a time) ---- */

static double sg(double x) { return 1 / (1 + exp(-x)); }
static double elu(double x) { return x > 0 ? x : exp(x) - 1; }

static void naive_forward(const glp_layout *L, const double *P, int T, int B, const double *x,
                          const double *h0, const double *c0, const unsigned char *reset,
                          double *out) {
  double *h = malloc(sizeof(double) * B * H), *c = malloc(sizeof(double) * B * H);
  memcpy(h, h0, sizeof(double) * B * H);
  memcpy(c, c0, sizeof(double) * B * H);
  double a1[GLP_H1], a2[GLP_H2], z[G4];
  for (int t = 0; t < T; t++)
    for (int b = 0; b < B; b++) {
      const double *xr = x + ((size_t)t * B + b) * L->in;
      double *hb = h + b * H, *cb = c + b * H;
      if (reset && reset[t * B + b])
        for (int j = 0; j < H; j++) hb[j] = cb[j] = 0;
      for (int o = 0; o < GLP_H1; o++) {
        double s = P[L->b1 + o];
        for (int k = 0; k < L->in; k++) s += P[L->W1 + (size_t)o * L->in + k] * xr[k];
        a1[o] = elu(s);
      }
      for (int o = 0; o < GLP_H2; o++) {
        double s = P[L->b2 + o];
        for (int k = 0; k < GLP_H1; k++) s += P[L->W2 + (size_t)o * GLP_H1 + k] * a1[k];
        a2[o] = elu(s);
      }
      for (int o = 0; o < G4; o++) {
        double s = P[L->bih + o] + P[L->bhh + o];
        for (int k = 0; k < GLP_H2; k++) s += P[L->Wih + (size_t)o * GLP_H2 + k] * a2[k];
        for (int k = 0; k < H; k++) s += P[L->Whh + (size_t)o * H + k] * hb[k];
        z[o] = s;
      }
      for (int j = 0; j < H; j++) {
        double i = sg(z[j]), f = sg(z[H + j]), g = tanh(z[2 * H + j]), o = sg(z[3 * H + j]);
        cb[j] = f * cb[j] + i * g;
        hb[j] = o * tanh(cb[j]);
      }
      double *orow = out + ((size_t)t * B + b) * L->out;
      for (int o = 0; o < L->out; o++) {
        double s = P[L->bo + o];
        for (int k = 0; k < H; k++) s += P[L->Wo + (size_t)o * H + k] * hb[k];
        orow[o] = s;
      }
    }
  free(h);
  free(c);
}

/* ---- a test problem: params, inputs, states, reset mask and a linear read-out ---- */

typedef struct prob {
  glp_layout L;
  int T, B;
  double *P, *x, *h0, *c0, *w; /* w: loss = sum w . out */
  unsigned char *reset;
  glp_seq_ws_d *ws;
  double *out;
} prob;

static void prob_init(prob *p, int in, int out, int T, int B, uint64_t seed) {
  glp_layout_init(&p->L, in, out);
  p->T = T;
  p->B = B;
  size_t tb = (size_t)T * B;
  p->P = calloc(p->L.n, sizeof(double));
  p->x = malloc(sizeof(double) * tb * in);
  p->h0 = malloc(sizeof(double) * B * H);
  p->c0 = malloc(sizeof(double) * B * H);
  p->w = malloc(sizeof(double) * tb * out);
  p->out = malloc(sizeof(double) * tb * out);
  p->reset = calloc(tb, 1);
  random_params(&p->L, p->P, seed);
  glr_stream s;
  glr_init(&s, seed, 2, GLR_TEST);
  fill_uniform(p->x, tb * in, 1.0, &s);
  fill_uniform(p->h0, (size_t)B * H, 0.8, &s);
  fill_uniform(p->c0, (size_t)B * H, 1.5, &s);
  fill_uniform(p->w, tb * out, 1.0, &s);
  assert_int_equal(glp_seq_ws_create_d(&p->ws, &p->L, T, B), GL_OK);
}

static void prob_free(prob *p) {
  glp_seq_ws_destroy_d(p->ws);
  free(p->P); free(p->x); free(p->h0); free(p->c0); free(p->w); free(p->out); free(p->reset);
}

static double prob_loss(prob *p) {
  assert_int_equal(glp_seq_forward_d(&p->L, p->P, p->ws, p->x, p->h0, p->c0, p->reset, p->out),
                   GL_OK);
  double s = 0;
  for (size_t i = 0; i < (size_t)p->T * p->B * p->L.out; i++) s += p->w[i] * p->out[i];
  return s;
}

/* Analytic gradients of prob_loss into fresh arrays (zeroed grad, accumulated once). */
static void prob_grad(prob *p, double *grad, double *dx, double *dh0, double *dc0) {
  memset(grad, 0, sizeof(double) * p->L.n);
  prob_loss(p);
  assert_int_equal(glp_seq_backward_d(&p->L, p->P, p->ws, p->w, grad, dx, dh0, dc0), GL_OK);
}

static double rel_err(double a, double n) {
  double d = fabs(a) + fabs(n);
  return d == 0 ? 0 : fabs(a - n) / d;
}

/* Centred difference of prob_loss with respect to v[i]. */
static double fd(prob *p, double *v, size_t i, double h) {
  double keep = v[i];
  v[i] = keep + h;
  double lp = prob_loss(p);
  v[i] = keep - h;
  double lm = prob_loss(p);
  v[i] = keep;
  return (lp - lm) / (2 * h);
}

static void test_layout_sizes(void **state) {
  (void)state;
  glp_layout a, c;
  glp_layout_init(&a, 188, 12);
  glp_layout_init(&c, 188, 1);
  /* docs/task_and_training.md §10: actor 427,288 with log-std, critic 425,857 */
  assert_int_equal(a.n + 12, 427288);
  assert_int_equal(c.n, 425857);
  assert_int_equal(a.Wih, a.b2 + 256);
  assert_int_equal(a.bo + 12, a.n);
}

static void test_forward_naive(void **state) {
  (void)state;
  prob p;
  prob_init(&p, 5, 3, 4, 3, 11);
  p.reset[2 * 3 + 1] = 1; /* sequence 1 starts an episode at t = 2 */
  p.reset[0 * 3 + 2] = 1; /* sequence 2 ignores its stored state */
  size_t n = (size_t)p.T * p.B * p.L.out;
  double *ref = malloc(sizeof(double) * n);
  naive_forward(&p.L, p.P, p.T, p.B, p.x, p.h0, p.c0, p.reset, ref);
  prob_loss(&p);
  double worst = 0, scale = 0;
  for (size_t i = 0; i < n; i++) {
    worst = fmax(worst, fabs(p.out[i] - ref[i]));
    scale = fmax(scale, fabs(ref[i]));
  }
  printf("forward vs naive (double): max |diff| %.3g (outputs up to %.3g)\n", worst, scale);
  assert_true(scale > 0.1);
  assert_true(worst < 1e-12 * scale * 100);

  /* the float build of the same code */
  float *Pf = malloc(sizeof(float) * p.L.n), *xf = malloc(sizeof(float) * p.T * p.B * 5);
  float *h0f = malloc(sizeof(float) * p.B * H), *c0f = malloc(sizeof(float) * p.B * H);
  float *of = malloc(sizeof(float) * n);
  for (size_t i = 0; i < p.L.n; i++) Pf[i] = (float)p.P[i];
  for (int i = 0; i < p.T * p.B * 5; i++) xf[i] = (float)p.x[i];
  for (int i = 0; i < p.B * H; i++) h0f[i] = (float)p.h0[i], c0f[i] = (float)p.c0[i];
  glp_seq_ws_f *wf;
  assert_int_equal(glp_seq_ws_create_f(&wf, &p.L, p.T, p.B), GL_OK);
  assert_int_equal(glp_seq_forward_f(&p.L, Pf, wf, xf, h0f, c0f, p.reset, of), GL_OK);
  double worstf = 0;
  for (size_t i = 0; i < n; i++) worstf = fmax(worstf, fabs(of[i] - ref[i]));
  printf("forward vs naive (float):  max |diff| %.3g\n", worstf);
  assert_true(worstf < 2e-5 * scale);
  glp_seq_ws_destroy_f(wf);
  free(Pf); free(xf); free(h0f); free(c0f); free(of); free(ref);
  prob_free(&p);
}

/* Sampled entries of one block [off, off+len). */
static double check_block(prob *p, const double *grad, size_t off, size_t len, int samples,
                          uint64_t key) {
  glr_stream s;
  glr_init(&s, 99, key, GLR_TEST);
  double worst = 0;
  for (int k = 0; k < samples; k++) {
    size_t i = off + (size_t)(glr_uniform(&s) * (double)len);
    double n = fd(p, p->P, i, 1e-5), a = grad[i];
    double e = rel_err(a, n);
    /* entries whose gradient vanishes to rounding level are compared absolutely */
    if (fabs(a) + fabs(n) < 1e-8) e = fabs(a - n) < 1e-10 ? 0 : 1;
    worst = fmax(worst, e);
  }
  return worst;
}

static void gradcheck_T(int T) {
  prob p;
  const int B = 2;
  prob_init(&p, 7, 3, T, B, 100 + T);
  if (T > 2) p.reset[2 * B + 0] = 1; /* sequence 0 starts an episode at t = 2 */
  double *grad = malloc(sizeof(double) * p.L.n);
  double *dx = malloc(sizeof(double) * T * B * 7);
  double dh0[B * H], dc0[B * H];
  prob_grad(&p, grad, dx, dh0, dc0);

  const glp_layout *L = &p.L;
  struct {
    const char *name;
    size_t off, len;
  } blocks[26];
  int nb = 0;
#define BLK(n, o, l) blocks[nb].name = n, blocks[nb].off = o, blocks[nb].len = l, nb++
  BLK("W1", L->W1, (size_t)GLP_H1 * L->in);
  BLK("b1", L->b1, GLP_H1);
  BLK("W2", L->W2, (size_t)GLP_H2 * GLP_H1);
  BLK("b2", L->b2, GLP_H2);
  static const char *gn[4] = {"i", "f", "g", "o"};
  static char names[16][24];
  for (int g = 0; g < 4; g++) {
    snprintf(names[g], 24, "Wih[%s]", gn[g]);
    BLK(names[g], L->Wih + (size_t)g * H * GLP_H2, (size_t)H * GLP_H2);
    snprintf(names[4 + g], 24, "bih[%s]", gn[g]);
    BLK(names[4 + g], L->bih + (size_t)g * H, H);
    snprintf(names[8 + g], 24, "Whh[%s]", gn[g]);
    BLK(names[8 + g], L->Whh + (size_t)g * H * H, (size_t)H * H);
    snprintf(names[12 + g], 24, "bhh[%s]", gn[g]);
    BLK(names[12 + g], L->bhh + (size_t)g * H, H);
  }
  BLK("Wo", L->Wo, (size_t)L->out * H);
  BLK("bo", L->bo, (size_t)L->out);
#undef BLK
  double worst_all = 0;
  const char *worst_name = "";
  for (int k = 0; k < nb; k++) {
    double e = check_block(&p, grad, blocks[k].off, blocks[k].len, 5, (uint64_t)(T * 100 + k));
    if (e > worst_all) worst_all = e, worst_name = blocks[k].name;
    if (e >= 1e-6) printf("T=%d block %s: rel err %.3g\n", T, blocks[k].name, e);
    assert_true(e < 1e-6);
  }
  /* inputs and initial states (the latter only for sequences not reset at t = 0) */
  glr_stream s;
  glr_init(&s, 7, (uint64_t)T, GLR_TEST);
  double wx = 0, wh = 0;
  for (int k = 0; k < 12; k++) {
    size_t i = (size_t)(glr_uniform(&s) * T * B * 7);
    double n = fd(&p, p.x, i, 1e-5);
    if (fabs(n) + fabs(dx[i]) > 1e-8) wx = fmax(wx, rel_err(dx[i], n));
    else assert_true(fabs(n - dx[i]) < 1e-10);
    size_t j = (size_t)(glr_uniform(&s) * B * H);
    wh = fmax(wh, rel_err(dh0[j], fd(&p, p.h0, j, 1e-5)));
    wh = fmax(wh, rel_err(dc0[j], fd(&p, p.c0, j, 1e-5)));
  }
  printf("T=%d: worst rel err params %.3g (%s), dx %.3g, dh0/dc0 %.3g\n", T, worst_all,
         worst_name, wx, wh);
  assert_true(wx < 1e-6);
  assert_true(wh < 1e-6);
  free(grad);
  free(dx);
  prob_free(&p);
}

static void test_gradcheck_T1(void **state) { (void)state; gradcheck_T(1); }
static void test_gradcheck_T2(void **state) { (void)state; gradcheck_T(2); }
static void test_gradcheck_T4(void **state) { (void)state; gradcheck_T(4); }

/* Losses at t >= 2 of a sequence reset at t = 2 send exactly nothing to t < 2. */
static void test_reset_blocks_gradient(void **state) {
  (void)state;
  prob p;
  const int T = 4, B = 2, in = 6;
  prob_init(&p, in, 2, T, B, 5);
  p.reset[2 * B + 0] = 1;
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < B * 2; i++) p.w[(size_t)t * B * 2 + i] = 0;
  double *grad = malloc(sizeof(double) * p.L.n), *dx = malloc(sizeof(double) * T * B * in);
  double dh0[B * H], dc0[B * H];
  prob_grad(&p, grad, dx, dh0, dc0);
  double other = 0;
  for (int j = 0; j < H; j++) {
    assert_true(dh0[j] == 0.0 && dc0[j] == 0.0); /* sequence 0 */
    other += fabs(dh0[H + j]) + fabs(dc0[H + j]);  /* sequence 1 keeps its dependence */
  }
  for (int t = 0; t < 2; t++)
    for (int k = 0; k < in; k++) assert_true(dx[((size_t)t * B + 0) * in + k] == 0.0);
  double later = 0;
  for (int k = 0; k < in; k++) later += fabs(dx[((size_t)2 * B + 0) * in + k]);
  assert_true(other > 1e-6);
  assert_true(later > 1e-6);
  free(grad);
  free(dx);
  prob_free(&p);
}

/* Directional derivative over the whole parameter vector. */
static void test_directional(void **state) {
  (void)state;
  prob p;
  prob_init(&p, 9, 2, 3, 2, 17);
  p.reset[1 * 2 + 1] = 1;
  double *grad = malloc(sizeof(double) * p.L.n), *P0 = malloc(sizeof(double) * p.L.n);
  double *v = malloc(sizeof(double) * p.L.n);
  prob_grad(&p, grad, NULL, NULL, NULL);
  memcpy(P0, p.P, sizeof(double) * p.L.n);
  double worst = 0;
  for (int r = 0; r < 3; r++) {
    glr_stream s;
    glr_init(&s, 3, (uint64_t)r, GLR_TEST);
    double nn = 0, gv = 0;
    for (size_t i = 0; i < p.L.n; i++) v[i] = glr_normal(&s), nn += v[i] * v[i];
    nn = sqrt(nn);
    for (size_t i = 0; i < p.L.n; i++) v[i] /= nn, gv += grad[i] * v[i];
    const double h = 1e-5;
    for (size_t i = 0; i < p.L.n; i++) p.P[i] = P0[i] + h * v[i];
    double lp = prob_loss(&p);
    for (size_t i = 0; i < p.L.n; i++) p.P[i] = P0[i] - h * v[i];
    double lm = prob_loss(&p);
    memcpy(p.P, P0, sizeof(double) * p.L.n);
    worst = fmax(worst, rel_err(gv, (lp - lm) / (2 * h)));
  }
  printf("directional check: worst rel err %.3g\n", worst);
  assert_true(worst < 1e-6);
  free(grad); free(P0); free(v);
  prob_free(&p);
}

/* Float analytic gradient (production) against the double analytic gradient. */
static void test_float_vs_double(void **state) {
  (void)state;
  const int T = 4, B = 64, in = 176;
  prob p;
  prob_init(&p, in, 12, T, B, 23);
  for (int b = 0; b < B; b += 5) p.reset[(size_t)(b % T) * B + b] = 1;
  double *gd = malloc(sizeof(double) * p.L.n);
  prob_grad(&p, gd, NULL, NULL, NULL);
  size_t tb = (size_t)T * B;
  float *Pf = malloc(sizeof(float) * p.L.n), *gf = calloc(p.L.n, sizeof(float));
  float *xf = malloc(sizeof(float) * tb * in), *wf = malloc(sizeof(float) * tb * 12);
  float *of = malloc(sizeof(float) * tb * 12);
  float *h0 = malloc(sizeof(float) * B * H), *c0 = malloc(sizeof(float) * B * H);
  for (size_t i = 0; i < p.L.n; i++) Pf[i] = (float)p.P[i];
  for (size_t i = 0; i < tb * in; i++) xf[i] = (float)p.x[i];
  for (size_t i = 0; i < tb * 12; i++) wf[i] = (float)p.w[i];
  for (int i = 0; i < B * H; i++) h0[i] = (float)p.h0[i], c0[i] = (float)p.c0[i];
  glp_seq_ws_f *ws;
  assert_int_equal(glp_seq_ws_create_f(&ws, &p.L, T, B), GL_OK);
  assert_int_equal(glp_seq_forward_f(&p.L, Pf, ws, xf, h0, c0, p.reset, of), GL_OK);
  assert_int_equal(glp_seq_backward_f(&p.L, Pf, ws, wf, gf, NULL, NULL, NULL), GL_OK);
  /* per block: ||gf - gd|| / ||gd|| */
  const glp_layout *L = &p.L;
  size_t offs[11] = {L->W1, L->b1, L->W2, L->b2, L->Wih, L->bih, L->Whh, L->bhh, L->Wo, L->bo,
                     L->n};
  double worst = 0;
  for (int k = 0; k < 10; k++) {
    double num = 0, den = 0;
    for (size_t i = offs[k]; i < offs[k + 1]; i++) {
      num += (gf[i] - gd[i]) * (gf[i] - gd[i]);
      den += gd[i] * gd[i];
    }
    worst = fmax(worst, sqrt(num / den));
  }
  printf("float vs double analytic gradient: worst block rel err %.3g\n", worst);
  assert_true(worst < 1e-3);
  glp_seq_ws_destroy_f(ws);
  free(gd); free(Pf); free(gf); free(xf); free(wf); free(of); free(h0); free(c0);
  prob_free(&p);
}

/* The gradient of a minibatch mean loss equals the mean of per-sequence gradients, and
 * backward accumulates into grad. */
static void test_minibatch_mean(void **state) {
  (void)state;
  const int T = 2, B = 4, in = 8, out = 2;
  prob p;
  prob_init(&p, in, out, T, B, 31);
  p.reset[1 * B + 2] = 1;
  for (size_t i = 0; i < (size_t)T * B * out; i++) p.w[i] /= B;
  double *gb = malloc(sizeof(double) * p.L.n), *gs = calloc(p.L.n, sizeof(double));
  prob_grad(&p, gb, NULL, NULL, NULL);

  glp_seq_ws_d *w1;
  assert_int_equal(glp_seq_ws_create_d(&w1, &p.L, T, 1), GL_OK);
  double x1[2 * 8], o1[2 * 2], d1[2 * 2];
  unsigned char r1[2];
  for (int b = 0; b < B; b++) {
    for (int t = 0; t < T; t++) {
      memcpy(x1 + t * in, p.x + ((size_t)t * B + b) * in, sizeof(double) * in);
      for (int k = 0; k < out; k++) d1[t * out + k] = p.w[((size_t)t * B + b) * out + k] * B;
      r1[t] = p.reset[t * B + b];
    }
    assert_int_equal(glp_seq_forward_d(&p.L, p.P, w1, x1, p.h0 + b * H, p.c0 + b * H, r1, o1),
                     GL_OK);
    assert_int_equal(glp_seq_backward_d(&p.L, p.P, w1, d1, gs, NULL, NULL, NULL), GL_OK);
  }
  double worst = 0, mx = 0;
  for (size_t i = 0; i < p.L.n; i++) {
    worst = fmax(worst, fabs(gs[i] / B - gb[i]));
    mx = fmax(mx, fabs(gb[i]));
  }
  printf("minibatch vs mean of per-sequence gradients: max |diff| %.3g (max |g| %.3g)\n", worst, mx);
  assert_true(worst < 1e-12 * mx * 100);

  /* accumulation: a second backward adds the same gradient again */
  double *g2 = malloc(sizeof(double) * p.L.n);
  memcpy(g2, gb, sizeof(double) * p.L.n);
  assert_int_equal(glp_seq_backward_d(&p.L, p.P, p.ws, p.w, g2, NULL, NULL, NULL), GL_OK);
  for (size_t i = 0; i < p.L.n; i += 97) assert_true(fabs(g2[i] - 2 * gb[i]) <= 1e-12 * mx);
  glp_seq_ws_destroy_d(w1);
  free(gb); free(gs); free(g2);
  prob_free(&p);
}

static void test_misuse(void **state) {
  (void)state;
  glp_layout L, L2;
  glp_layout_init(&L, 4, 2);
  glp_layout_init(&L2, 5, 2);
  glp_seq_ws_d *w;
  assert_int_equal(glp_seq_ws_create_d(&w, &L, 1, 1), GL_OK);
  double *P = calloc(L.n, sizeof(double)), d[2] = {1, 1};
  assert_int_equal(glp_seq_backward_d(&L, P, w, d, P, NULL, NULL, NULL), GL_ERR_INTERNAL);
  double x[5] = {0}, h[H] = {0}, c[H] = {0}, o[2];
  assert_int_equal(glp_seq_forward_d(&L2, P, w, x, h, c, NULL, o), GL_ERR_INTERNAL);
  glp_seq_ws_d *bad = (glp_seq_ws_d *)1;
  assert_int_equal(glp_seq_ws_create_d(&bad, &L, 0, 3), GL_ERR_INTERNAL);
  assert_null(bad);
  glp_seq_ws_destroy_d(w);
  free(P);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout_sizes),     cmocka_unit_test(test_forward_naive),
      cmocka_unit_test(test_gradcheck_T1),     cmocka_unit_test(test_gradcheck_T2),
      cmocka_unit_test(test_gradcheck_T4),     cmocka_unit_test(test_reset_blocks_gradient),
      cmocka_unit_test(test_directional),      cmocka_unit_test(test_float_vs_double),
      cmocka_unit_test(test_minibatch_mean),   cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
