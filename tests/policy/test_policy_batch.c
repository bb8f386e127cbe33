/* Batch invariance of inference (the rule in policy.h), the BLAS facts it rests on, and
 * glp_step_f against the training forward. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <cmocka.h>

#include "gaitlab/env.h"
#include "gaitlab/policy.h"
#include "gaitlab/rng.h"

#define H GLP_LSTM
#define PAD GLP_BATCH_PAD

/* The investigation behind the rule. (1) Report whether a row of cblas_sgemm depends on the
 * number of rows M (it does with OpenBLAS 0.3.21's Haswell kernels). (2) Assert what the
 * rule needs: for the fixed shape glp_step_f uses, a row's result depends only on its own
 * data and slot, not on the contents of the other rows. */
static void test_sgemm_row_facts(void **state) {
  (void)state;
  const int in = 176, out = 512, MAXM = 64;
  float *W = malloc(sizeof(float) * in * out), *X = malloc(sizeof(float) * in * MAXM);
  float *Y = malloc(sizeof(float) * out * MAXM), *R = malloc(sizeof(float) * out * MAXM);
  glr_stream s;
  glr_init(&s, 1, 0, GLR_TEST);
  for (int i = 0; i < in * out; i++) W[i] = (float)glr_uniform_range(&s, -0.1, 0.1);
  for (int i = 0; i < in * MAXM; i++) X[i] = (float)glr_uniform_range(&s, -1, 1);
  for (int b = 0; b < MAXM; b++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, out, in, 1.f, X + b * in, in, W, in,
                0.f, R + b * out, out);
  int differ = 0, total = 0;
  for (int M = 1; M <= MAXM; M++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, out, in, 1.f, X, in, W, in, 0.f, Y,
                out);
    for (int r = 0; r < M; r++, total++) differ += memcmp(Y + r * out, R + r * out, 4 * out) != 0;
  }
  printf("sgemm rows differing from the M=1 result, M = 1..%d: %d of %d (%s)\n", MAXM, differ,
         total, openblas_get_config());

  /* fixed shape PAD x out x in: scramble the other rows, each row must stay bitwise equal */
  float *X2 = malloc(sizeof(float) * in * PAD), *Y2 = malloc(sizeof(float) * out * PAD);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, PAD, out, in, 1.f, X, in, W, in, 0.f, Y,
              out);
  for (int r = 0; r < PAD; r++) {
    for (int i = 0; i < in * PAD; i++) X2[i] = (float)glr_uniform_range(&s, -3, 3);
    memcpy(X2 + r * in, X + r * in, sizeof(float) * in);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, PAD, out, in, 1.f, X2, in, W, in, 0.f, Y2,
                out);
    assert_memory_equal(Y2 + r * out, Y + r * out, sizeof(float) * out);
  }
  free(W); free(X); free(Y); free(R); free(X2); free(Y2);
}

typedef struct agents {
  int n, in;
  float *x, *h, *c; /* per agent (global index) */
} agents;

static void agents_init(agents *a, int n, int in, uint64_t seed) {
  a->n = n;
  a->in = in;
  a->x = malloc(sizeof(float) * n * in);
  a->h = malloc(sizeof(float) * n * H);
  a->c = malloc(sizeof(float) * n * H);
  glr_stream s;
  glr_init(&s, seed, 0, GLR_TEST);
  for (int i = 0; i < n * in; i++) a->x[i] = (float)glr_uniform_range(&s, -2, 2);
  for (int i = 0; i < n * H; i++) a->h[i] = (float)glr_uniform_range(&s, -0.5, 0.5);
  for (int i = 0; i < n * H; i++) a->c[i] = (float)glr_uniform_range(&s, -1, 1);
}

static void agents_free(agents *a) { free(a->x); free(a->h); free(a->c); }

#define NSTEP 2
/* Everything glp_step_f produces for one agent over NSTEP steps. */
typedef struct result {
  float out[NSTEP][GLP_NACT], h[NSTEP][H], c[NSTEP][H], mlp[NSTEP][GLP_H2], fc[NSTEP][H],
      ig[NSTEP][H];
} result;

/* Run the agents listed in rows[] (global index per row, -1 = padding) for NSTEP steps
 * (the input of step k is the agent's x scaled by 1 - 0.3 k) and collect per-agent results. */
static void run_batch(const glp_policy *p, glp_infer_ws_f *ws, const agents *a, int B,
                      const int *rows, result *res) {
  const glp_layout *L = &p->actor;
  float *x = calloc((size_t)B * a->in, sizeof(float)), *h = calloc((size_t)B * H, 4);
  float *c = calloc((size_t)B * H, 4), *out = calloc((size_t)B * GLP_NACT, 4);
  float *mlp = calloc((size_t)B * GLP_H2, 4), *hc = calloc((size_t)B * H, 4);
  float *cc = calloc((size_t)B * H, 4), *fc = calloc((size_t)B * H, 4);
  float *ig = calloc((size_t)B * H, 4);
  for (int r = 0; r < B; r++) {
    if (rows[r] < 0) continue;
    memcpy(h + r * H, a->h + rows[r] * H, sizeof(float) * H);
    memcpy(c + r * H, a->c + rows[r] * H, sizeof(float) * H);
  }
  glp_capture_f cap = {mlp, hc, cc, fc, ig};
  for (int k = 0; k < NSTEP; k++) {
    for (int r = 0; r < B; r++)
      if (rows[r] >= 0)
        for (int j = 0; j < a->in; j++)
          x[r * a->in + j] = a->x[rows[r] * a->in + j] * (1.0f - 0.3f * (float)k);
    assert_int_equal(glp_step_f(L, p->params + p->off_actor, ws, B, x, h, c, &cap, out), GL_OK);
    for (int r = 0; r < B; r++) {
      if (rows[r] < 0) continue;
      result *q = res + rows[r];
      memcpy(q->out[k], out + r * GLP_NACT, sizeof q->out[k]);
      memcpy(q->h[k], h + r * H, sizeof q->h[k]);
      memcpy(q->c[k], c + r * H, sizeof q->c[k]);
      memcpy(q->mlp[k], mlp + r * GLP_H2, sizeof q->mlp[k]);
      memcpy(q->fc[k], fc + r * H, sizeof q->fc[k]);
      memcpy(q->ig[k], ig + r * H, sizeof q->ig[k]);
      assert_memory_equal(q->h[k], hc + r * H, sizeof q->h[k]);
      assert_memory_equal(q->c[k], cc + r * H, sizeof q->c[k]);
    }
  }
  free(x); free(h); free(c); free(out); free(mlp); free(hc); free(cc); free(fc); free(ig);
}

static void test_step_batch_invariance(void **state) {
  (void)state;
  glp_policy *p;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 176, 188, 42, 1.0, 0.0), GL_OK);
  const int N = 4 * PAD;
  agents a;
  agents_init(&a, N, 176, 9);
  glp_infer_ws_f *ws;
  assert_int_equal(glp_infer_ws_create_f(&ws, &p->actor, 64), GL_OK);
  result *ref = calloc(N, sizeof(result)), *got = calloc(N, sizeof(result));

  /* reference: every agent alone, at its slot (g mod PAD) */
  for (int g = 0; g < N; g++) {
    int rows[PAD];
    for (int r = 0; r < PAD; r++) rows[r] = -1;
    rows[glp_batch_slot((uint64_t)g)] = g;
    run_batch(p, ws, &a, glp_batch_slot((uint64_t)g) + 1, rows, ref);
  }
  /* c = f*c_prev + i*g exactly as stored in the capture */
  for (int g = 0; g < N; g++)
    for (int j = 0; j < H; j++) assert_true(ref[g].c[1][j] == ref[g].fc[1][j] + ref[g].ig[1][j]);

  /* batches B = 1..37 of randomly chosen agents, each at a row congruent to its index */
  glr_stream s;
  glr_init(&s, 5, 0, GLR_TEST);
  int checked = 0;
  for (int B = 1; B <= 37; B++) {
    int rows[64], used[4 * PAD];
    memset(used, 0, sizeof used);
    for (int r = 0; r < B; r++) {
      rows[r] = -1;
      for (int tries = 0; tries < 8 && rows[r] < 0; tries++) {
        int g = (int)(glr_uniform(&s) * (N / PAD)) * PAD + r % PAD; /* g = r (mod PAD) */
        if (g < N && !used[g]) rows[r] = g, used[g] = 1;
      }
    }
    memset(got, 0, sizeof(result) * N);
    run_batch(p, ws, &a, B, rows, got);
    for (int r = 0; r < B; r++) {
      if (rows[r] < 0) continue;
      assert_memory_equal(&got[rows[r]], &ref[rows[r]], sizeof(result));
      checked++;
    }
  }
  printf("batch invariance: %d agent placements in B = 1..37 bitwise equal to the reference\n",
         checked);
  assert_true(checked > 300);

  /* a rank owning agents [g0, g1) with the documented leading padding */
  for (int g0 = 0; g0 < 40; g0 += 7) {
    int g1 = g0 + 21, off = glp_batch_slot((uint64_t)g0), rows[64];
    for (int r = 0; r < off; r++) rows[r] = -1;
    for (int g = g0; g < g1; g++) rows[off + g - g0] = g;
    run_batch(p, ws, &a, off + g1 - g0, rows, got);
    for (int g = g0; g < g1; g++) assert_memory_equal(&got[g], &ref[g], sizeof(result));
  }

  assert_int_equal(glp_step_f(&p->actor, p->params, ws, 65, a.x, a.h, a.c, NULL, ref[0].out[0]),
                   GL_ERR_INTERNAL);
  free(ref); free(got);
  agents_free(&a);
  glp_infer_ws_destroy_f(ws);
  glp_policy_destroy(p);
}

/* glp_step_f agrees with the training forward (T = 1) to float rounding. */
static void test_step_matches_seq(void **state) {
  (void)state;
  glp_policy *p;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), 188, 188, 3, 1.0, 0.0), GL_OK);
  const int B = 20;
  agents a;
  agents_init(&a, B, 188, 4);
  const glp_layout *L = &p->critic;
  const float *P = p->params + p->off_critic;
  glp_infer_ws_f *ws;
  glp_seq_ws_f *sw;
  assert_int_equal(glp_infer_ws_create_f(&ws, L, B), GL_OK);
  assert_int_equal(glp_seq_ws_create_f(&sw, L, 1, B), GL_OK);
  float v1[B], v2[B], h[B * H], c[B * H];
  memcpy(h, a.h, sizeof h);
  memcpy(c, a.c, sizeof c);
  assert_int_equal(glp_seq_forward_f(L, P, sw, a.x, a.h, a.c, NULL, v2), GL_OK);
  assert_int_equal(glp_step_f(L, P, ws, B, a.x, h, c, NULL, v1), GL_OK);
  for (int b = 0; b < B; b++) assert_true(fabsf(v1[b] - v2[b]) < 1e-5f * (1 + fabsf(v2[b])));
  glp_seq_ws_destroy_f(sw);
  glp_infer_ws_destroy_f(ws);
  agents_free(&a);
  glp_policy_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sgemm_row_facts),
      cmocka_unit_test(test_step_batch_invariance),
      cmocka_unit_test(test_step_matches_seq),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
