/* glp_expf_n against the C library's expf: every one of the 2^32 float inputs compared bit
 * for bit, then the time per element of both on the tower's typical arguments (gate
 * pre-activations in [-12, 12]), measured in the same run.
 * Usage: bench_expf [out.json]   (default bench/results/expf.json in the source tree).
 * About 30 s on one core. Exit 1 if any input differs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gaitlab/core.h"
#include "gaitlab/policy.h"

enum { CH = 1 << 20 };

/* All 2^32 patterns in chunks; NaN inputs must give expf's very bits (payload kept). */
static uint64_t exhaustive(float *x, float *y, double *seconds) {
  uint64_t bad = 0;
  double t0 = gl_wtime();
  for (uint64_t b0 = 0; b0 < (1ull << 32); b0 += CH) {
    for (uint32_t i = 0; i < CH; i++) {
      uint32_t b = (uint32_t)(b0 + i);
      memcpy(&x[i], &b, 4);
    }
    memcpy(y, x, sizeof(float) * CH);
    glp_expf_n(x, CH);
    for (uint32_t i = 0; i < CH; i++) y[i] = expf(y[i]);
    if (memcmp(x, y, sizeof(float) * CH) != 0)
      for (uint32_t i = 0; i < CH; i++)
        if (memcmp(&x[i], &y[i], 4) != 0) {
          if (!bad) fprintf(stderr, "first mismatch at input bits 0x%08x\n", (uint32_t)(b0 + i));
          bad++;
        }
  }
  *seconds = gl_wtime() - t0;
  return bad;
}

/* Fastest of 5 passes over n gate-like arguments, in ns per element. */
static double time_per_element(int vector, const float *src, float *x, size_t n) {
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    memcpy(x, src, sizeof(float) * n);
    double t0 = gl_wtime();
    if (vector) glp_expf_n(x, n);
    else
      for (size_t i = 0; i < n; i++) x[i] = expf(x[i]);
    double dt = gl_wtime() - t0;
    if (dt < best) best = dt;
  }
  return best / (double)n * 1e9;
}

int main(int argc, char **argv) {
  char path[1024];
  if (argc > 1) snprintf(path, sizeof path, "%s", argv[1]);
  else {
    snprintf(path, sizeof path, "%s/bench/results", GAITLAB_SOURCE_DIR);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/bench/results/expf.json", GAITLAB_SOURCE_DIR);
  }
  float *x = malloc(sizeof(float) * CH), *y = malloc(sizeof(float) * CH);
  float *src = malloc(sizeof(float) * CH);
  if (!x || !y || !src) {
    fprintf(stderr, "bench_expf: out of memory\n");
    return 1;
  }
  const int vec = glp_expf_vectorised();
  printf("glp_expf_n: %s\n", vec ? "AVX2+FMA kernel" : "libm expf (no AVX2+FMA, or it differed)");
  double t_all;
  uint64_t bad = exhaustive(x, y, &t_all);
  printf("all 2^32 inputs: %llu differ from expf (%.1f s)\n", (unsigned long long)bad, t_all);
  for (size_t i = 0; i < CH; i++) src[i] = -12.0f + 24.0f * (float)((i * 2654435761u) % 100003) / 100003.0f;
  double ns_libm = time_per_element(0, src, x, CH), ns_vec = time_per_element(1, src, x, CH);
  printf("per element: expf %.2f ns, glp_expf_n %.2f ns: %.2fx\n", ns_libm, ns_vec,
         ns_libm / ns_vec);
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "bench_expf: cannot write %s\n", path);
    return 1;
  }
  fprintf(f, "{\n  \"benchmark\": \"expf\",\n  \"git_hash\": \"%s\",\n  \"kernel\": \"%s\",\n",
          gl_git_hash(), vec ? "avx2-fma" : "libm");
  fprintf(f, "  \"inputs_compared\": 4294967296,\n  \"inputs_differing\": %llu,\n",
          (unsigned long long)bad);
  fprintf(f, "  \"ns_per_element_libm\": %.3f,\n  \"ns_per_element_glp\": %.3f,\n"
             "  \"speedup_vs_libm\": %.3f\n}\n",
          ns_libm, ns_vec, ns_libm / ns_vec);
  fclose(f);
  printf("wrote %s\n", path);
  free(x); free(y); free(src);
  return bad ? 1 : 0;
}
