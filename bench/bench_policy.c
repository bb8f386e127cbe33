/* Policy tower throughput: training forward+backward (T x B sequences) and inference
 * (glp_step_f), in GFLOP/s, against the single-core sgemm rate measured in the same run.
 * Usage: bench_policy [out.json]   (default bench/results/policy.json in the source tree).
 * Run with OPENBLAS_NUM_THREADS=1 for single-core numbers; takes about 20 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cblas.h>

#include "gaitlab/core.h"
#include "gaitlab/env.h"
#include "gaitlab/policy.h"

#define H GLP_LSTM

/* Exact multiply-add x2 counts of one row through forward and backward (no dx). */
static double fwd_flops(const glp_layout *L) { return glp_tower_flops(L); }
static double bwd_flops(const glp_layout *L) {
  return 2.0 * (2.0 * H * L->out + 2.0 * 4 * H * GLP_H2 + 2.0 * 4 * H * H +
                2.0 * GLP_H2 * GLP_H1 + (double)L->in * GLP_H1);
}

static double sgemm_rate(void) {
  const int m = 512, n = 2048, k = 256;
  float *A = calloc((size_t)m * k, 4), *B = calloc((size_t)k * n, 4), *C = calloc((size_t)m * n, 4);
  for (int i = 0; i < m * k; i++) A[i] = 1e-3f * (float)(i % 13);
  for (int i = 0; i < k * n; i++) B[i] = 1e-3f * (float)(i % 7);
  double t0 = gl_wtime(), flops = 0;
  while (gl_wtime() - t0 < 2.0) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1.f, B, k, A, k, 0.f, C, m);
    flops += 2.0 * m * n * k;
  }
  double r = flops / (gl_wtime() - t0) * 1e-9;
  free(A); free(B); free(C);
  return r;
}

typedef struct train_res {
  int T, B;
  double fwd_s, bwd_s, gflops, us_per_sample;
} train_res;

static int bench_train(const glp_policy *p, int T, int B, train_res *r) {
  const glp_layout *L = &p->actor;
  const float *P = p->params + p->off_actor;
  size_t tb = (size_t)T * B;
  float *x = malloc(sizeof(float) * tb * L->in), *out = malloc(sizeof(float) * tb * L->out);
  float *dout = malloc(sizeof(float) * tb * L->out), *grad = calloc(L->n, sizeof(float));
  float *h0 = calloc((size_t)B * H, 4), *c0 = calloc((size_t)B * H, 4);
  unsigned char *reset = calloc(tb, 1);
  for (size_t i = 0; i < tb * L->in; i++) x[i] = (float)((i * 2654435761u) % 2001) * 1e-3f - 1;
  for (size_t i = 0; i < tb * L->out; i++) dout[i] = 1e-3f * (float)(i % 11);
  for (int b = 0; b < B; b += 24) reset[(size_t)(b % T) * B + b] = 1;
  glp_seq_ws_f *ws;
  if (glp_seq_ws_create_f(&ws, L, T, B) != GL_OK) return 1;
  int reps = 0;
  double tf = 0, tbw = 0, t0 = gl_wtime();
  while (gl_wtime() - t0 < 4.0 || reps < 2) {
    double a = gl_wtime();
    if (glp_seq_forward_f(L, P, ws, x, h0, c0, reset, out) != GL_OK) return 1;
    double b = gl_wtime();
    if (glp_seq_backward_f(L, P, ws, dout, grad, NULL, NULL, NULL) != GL_OK) return 1;
    double c = gl_wtime();
    if (reps > 0) tf += b - a, tbw += c - b; /* first round warms caches and pages */
    reps++;
  }
  reps--;
  r->T = T;
  r->B = B;
  r->fwd_s = tf / reps;
  r->bwd_s = tbw / reps;
  r->gflops = (double)tb * (fwd_flops(L) + bwd_flops(L)) / (r->fwd_s + r->bwd_s) * 1e-9;
  r->us_per_sample = (r->fwd_s + r->bwd_s) / (double)tb * 1e6;
  glp_seq_ws_destroy_f(ws);
  free(x); free(out); free(dout); free(grad); free(h0); free(c0); free(reset);
  return 0;
}

static double bench_infer(const glp_policy *p, int B, double *us_per_row) {
  const glp_layout *L = &p->actor;
  float *x = calloc((size_t)B * L->in, 4), *h = calloc((size_t)B * H, 4);
  float *c = calloc((size_t)B * H, 4), *out = calloc((size_t)B * L->out, 4);
  for (int i = 0; i < B * L->in; i++) x[i] = 1e-3f * (float)(i % 1001) - 0.5f;
  glp_infer_ws_f *ws;
  if (glp_infer_ws_create_f(&ws, L, B) != GL_OK) return 0;
  int reps = 0;
  double t0 = gl_wtime();
  while (gl_wtime() - t0 < 2.0) {
    glp_step_f(L, p->params + p->off_actor, ws, B, x, h, c, NULL, out);
    reps++;
  }
  double dt = (gl_wtime() - t0) / reps;
  glp_infer_ws_destroy_f(ws);
  free(x); free(h); free(c); free(out);
  *us_per_row = dt / B * 1e6;
  return (double)B * fwd_flops(L) / dt * 1e-9;
}

int main(int argc, char **argv) {
  char path[1024];
  if (argc > 1) snprintf(path, sizeof path, "%s", argv[1]);
  else {
    snprintf(path, sizeof path, "%s/bench/results", GAITLAB_SOURCE_DIR);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/bench/results/policy.json", GAITLAB_SOURCE_DIR);
  }
  glp_policy *p;
  if (glp_policy_create(&p, gle_policy_inputs(), 176, 188, 1, 0.01, 0) != GL_OK) {
    fprintf(stderr, "bench_policy: %s\n", gl_errmsg());
    return 1;
  }
  double peak = sgemm_rate();
  printf("single-core sgemm (512x2048x256): %.1f GFLOP/s  [%s]\n", peak, openblas_get_config());
  printf("tower actor: in %d, %.3f MFLOP forward, %.3f MFLOP backward per sample\n",
         p->actor.in, fwd_flops(&p->actor) * 1e-6, bwd_flops(&p->actor) * 1e-6);
  const int cfg[][2] = {{4, 256}, {4, 1024}, {4, 4096}};
  train_res tr[3];
  for (int k = 0; k < 3; k++) {
    if (bench_train(p, cfg[k][0], cfg[k][1], &tr[k])) {
      fprintf(stderr, "bench_policy: %s\n", gl_errmsg());
      return 1;
    }
    printf("train T=%d B=%-5d fwd %.1f ms bwd %.1f ms: %.1f GFLOP/s (%.0f%% of sgemm), %.2f us/sample\n",
           tr[k].T, tr[k].B, tr[k].fwd_s * 1e3, tr[k].bwd_s * 1e3, tr[k].gflops,
           100 * tr[k].gflops / peak, tr[k].us_per_sample);
  }
  const int ib[3] = {GLP_BATCH_PAD, 256, 2048};
  double ig[3], iu[3];
  for (int k = 0; k < 3; k++) {
    ig[k] = bench_infer(p, ib[k], &iu[k]);
    printf("infer glp_step_f B=%-5d %.1f GFLOP/s (%.0f%% of sgemm), %.2f us/row\n", ib[k], ig[k],
           100 * ig[k] / peak, iu[k]);
  }
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bench_policy: cannot write %s\n", path);
    return 1;
  }
  fprintf(f, "{\n  \"benchmark\": \"policy\",\n  \"git_hash\": \"%s\",\n  \"blas\": \"%s\",\n",
          gl_git_hash(), openblas_get_config());
  fprintf(f, "  \"sgemm_gflops\": %.2f,\n  \"fwd_mflop_per_sample\": %.4f,\n"
             "  \"bwd_mflop_per_sample\": %.4f,\n  \"train\": [\n",
          peak, fwd_flops(&p->actor) * 1e-6, bwd_flops(&p->actor) * 1e-6);
  for (int k = 0; k < 3; k++)
    fprintf(f, "    {\"T\": %d, \"B\": %d, \"fwd_ms\": %.3f, \"bwd_ms\": %.3f, \"gflops\": %.2f, "
               "\"frac_of_sgemm\": %.3f, \"us_per_sample\": %.3f}%s\n",
            tr[k].T, tr[k].B, tr[k].fwd_s * 1e3, tr[k].bwd_s * 1e3, tr[k].gflops,
            tr[k].gflops / peak, tr[k].us_per_sample, k < 2 ? "," : "");
  fprintf(f, "  ],\n  \"infer\": [\n");
  for (int k = 0; k < 3; k++)
    fprintf(f, "    {\"B\": %d, \"gflops\": %.2f, \"frac_of_sgemm\": %.3f, \"us_per_row\": %.3f}%s\n",
            ib[k], ig[k], ig[k] / peak, iu[k], k < 2 ? "," : "");
  fprintf(f, "  ]\n}\n");
  fclose(f);
  printf("wrote %s\n", path);
  glp_policy_destroy(p);
  return 0;
}
