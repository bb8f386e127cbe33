/* The double build of the tower kernels, used by gradient checks. */
#define real double
#define RS(name) name##_d
#define GEMM cblas_dgemm
#define EXP exp
#include "policy/tower_impl.h"
