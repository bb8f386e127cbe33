/* The double build of the tower kernels, used by gradient checks. */
#define real double
#define RS(name) name##_d
#define GEMM cblas_dgemm
#define EXP exp
#include <math.h>
#include <stddef.h>
static inline void exp_n_d_(double *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = exp(x[i]);
}
#define EXP_N exp_n_d_
#include "policy/tower_impl.h"
