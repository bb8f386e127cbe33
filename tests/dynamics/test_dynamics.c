/* The dynamics stage against independent answers: analytic Jacobians against central
 * differences, a contraction with one fixed point, the unstable fixed point x = 0 of a
 * zero-bias high-gain LSTM whose spectrum is known in closed form, and rank invariance
 * (the distributed search equals a serial one bitwise). Runs on 1, 2 and 4 ranks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "gaitlab/dynamics.h"
#include "gaitlab/env.h"
#include "gaitlab/rng.h"

#define N GLD_NX
#define NH GLP_LSTM

static void random_vec(uint64_t idx, double s, double *v, int n) {
  glr_stream r;
  glr_init(&r, 99, idx, GLR_TEST);
  for (int k = 0; k < n; ++k) v[k] = glr_uniform_range(&r, -s, s);
}

static void make_net(gld_net *net, uint64_t seed) {
  glp_policy *p = NULL;
  assert_int_equal(glp_policy_create(&p, gle_policy_inputs(), GLE_OBS, GLE_OBS_FULL, seed, 0.01, 0.0), GL_OK);
  /* a normaliser with non-trivial statistics, so the chain rule through it is exercised */
  for (int j = 0; j < p->norm.dim; ++j) {
    p->norm.mean[j] = 0.1 * sin(j);
    p->norm.var[j] = 0.5 + 0.25 * cos(j);
  }
  assert_int_equal(gld_net_from_policy(net, p), GL_OK);
  glp_policy_destroy(p);
}

/* relative Frobenius error of A against central differences of F along each input */
static double fd_error(const gld_net *net, double *x, double *u, int wrt_u, const double *A) {
  const double eps = 1e-6;
  double fp[N], fm[N], num = 0, den = 0;
  double *v = wrt_u ? u : x;
  const int nin = wrt_u ? GLD_NU : N;
  for (int k = 0; k < nin; ++k) {
    double s = v[k];
    v[k] = s + eps;
    gld_step(net, x, u, fp, NULL, NULL);
    v[k] = s - eps;
    gld_step(net, x, u, fm, NULL, NULL);
    v[k] = s;
    for (int i = 0; i < N; ++i) {
      double d = (fp[i] - fm[i]) / (2 * eps), a = A[(size_t)i * nin + k];
      num += (a - d) * (a - d);
      den += a * a;
    }
  }
  return sqrt(num / den);
}

static void test_jacobian_fd(void **st) {
  (void)st;
  gld_net net;
  make_net(&net, 11);
  double x[N], u[GLD_NU], fx[N], obs[GLE_OBS], du[GLD_NU * GLE_OBS];
  double *Jx = malloc(sizeof(double) * N * N), *Ju = malloc(sizeof(double) * N * GLD_NU);
  random_vec(1, 1.0, x, N);
  random_vec(2, 0.5, obs, GLE_OBS);
  assert_int_equal(gld_feature(&net, obs, u, du), GL_OK);
  gld_step(&net, x, u, fx, Jx, Ju);
  double ex = fd_error(&net, x, u, 0, Jx), eu = fd_error(&net, x, u, 1, Ju);
  /* du/dobs by central differences of the feature */
  double up[GLD_NU], um[GLD_NU], num = 0, den = 0;
  for (int j = 0; j < GLE_OBS; ++j) {
    double s = obs[j];
    obs[j] = s + 1e-6;
    assert_int_equal(gld_feature(&net, obs, up, NULL), GL_OK);
    obs[j] = s - 1e-6;
    assert_int_equal(gld_feature(&net, obs, um, NULL), GL_OK);
    obs[j] = s;
    for (int i = 0; i < GLD_NU; ++i) {
      double d = (up[i] - um[i]) / 2e-6, a = du[(size_t)i * GLE_OBS + j];
      num += (a - d) * (a - d);
      den += a * a;
    }
  }
  double eo = sqrt(num / den);
  printf("# FD relative error: dF/dx %.3e, dF/du %.3e, du/dobs %.3e\n", ex, eu, eo);
  assert_true(ex < 1e-6);
  assert_true(eu < 1e-6);
  assert_true(eo < 1e-6);
  free(Jx);
  free(Ju);
  gld_net_free(&net);
}

void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
            double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
            double *work, const int *lwork, int *info);

static gld_config test_cfg(int inits) {
  gld_config c;
  gld_config_defaults(&c);
  c.inits = inits;
  c.max_iter = 60;
  return c;
}

/* Recurrent weights x 0.01: F is a contraction (c' = f c + ..., f < 1; h' follows c'),
 * so every initial state reaches the one fixed point. */
static void test_contraction(void **st) {
  (void)st;
  gld_net net;
  make_net(&net, 12);
  for (size_t k = 0; k < (size_t)4 * NH * NH; ++k) net.Whh[k] *= 0.01;
  double u[GLD_NU], fx[N];
  random_vec(3, 0.5, u, GLD_NU);
  const int m = 6;
  double *x0 = malloc(sizeof(double) * m * N);
  for (int g = 0; g < m; ++g) random_vec(100 + (uint64_t)g, 3.0, x0 + (size_t)g * N, N);
  gld_config c = test_cfg(m);
  gld_points p;
  assert_int_equal(gld_search(&net, u, NULL, x0, m, &c, MPI_COMM_WORLD, &p), GL_OK);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    assert_int_equal(p.n, 1);
    assert_int_equal(p.members[0], m);
    assert_int_equal(p.init[0], 0);
    gld_step(&net, p.x, u, fx, NULL, NULL);
    double e = 0;
    for (int k = 0; k < N; ++k) e = fmax(e, fabs(fx[k] - p.x[k]));
    printf("# contraction: %d point(s), |F(x*) - x*|_inf = %.3e, rho = %.4f, q = %.3e\n", p.n, e, p.radius[0], p.q[0]);
    assert_true(e < 1e-10);
    assert_true(p.radius[0] < 1);
    assert_int_equal(p.unstable[0], 0);
    assert_true(p.is_fixed[0]);
  }
  gld_points_free(&p);
  free(x0);
  gld_net_free(&net);
}

/* Zero biases, zero input, W_g (the g-gate block of W_hh) of large gain: x = 0 is fixed
 * (z = 0: i = f = o = 1/2, g = 0, c' = 0, h' = 0), and there
 *   dc'/dh = i (1 - g^2) W_g = W_g / 2,  dc'/dc = f I = I / 2,
 *   dh'/dh = o (1 - tanh^2 c') dc'/dh = W_g / 4,  dh'/dc = I / 4,
 * so J = [1/4; 1/2] [W_g  I], whose nonzero eigenvalues are those of
 * [W_g  I][1/4; 1/2] = W_g / 4 + I / 2 (128 of them), the other 128 are 0. */
static void test_unstable_origin(void **st) {
  (void)st;
  gld_net net;
  make_net(&net, 13);
  memset(net.b, 0, sizeof(double) * 4 * NH);
  double *Wg = net.Whh + (size_t)2 * NH * NH;
  for (size_t k = 0; k < (size_t)NH * NH; ++k) Wg[k] *= 8.0;
  double u[GLD_NU] = {0};
  const int m = 4;
  double *x0 = malloc(sizeof(double) * m * N);
  for (int g = 0; g < m; ++g) random_vec(200 + (uint64_t)g, 1e-3, x0 + (size_t)g * N, N);
  gld_config c = test_cfg(m);
  gld_points p;
  assert_int_equal(gld_search(&net, u, NULL, x0, m, &c, MPI_COMM_WORLD, &p), GL_OK);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    int z = -1;
    for (int k = 0; k < p.n && z < 0; ++k) {
      double nx = 0;
      for (int j = 0; j < N; ++j) nx = fmax(nx, fabs(p.x[(size_t)k * N + j]));
      if (nx < 1e-8) z = k;
    }
    assert_true(z >= 0);
    /* independent spectrum: dgeev of (W_g / 4 + I / 2)^T (column-major of the row-major) */
    double *B = malloc(sizeof(double) * NH * NH), re[NH], im[NH], wre[N], wim[N], rho, work[8 * NH];
    for (int i = 0; i < NH; ++i)
      for (int j = 0; j < NH; ++j) B[(size_t)i * NH + j] = Wg[(size_t)i * NH + j] / 4 + (i == j ? 0.5 : 0);
    int n = NH, one = 1, lw = 8 * NH, info = 0, unst = 0;
    double dummy;
    dgeev_("N", "N", &n, B, &n, re, im, &dummy, &one, &dummy, &one, work, &lw, &info);
    assert_int_equal(info, 0);
    for (int k = 0; k < NH; ++k) { wre[k] = re[k]; wim[k] = im[k]; wre[NH + k] = 0; wim[NH + k] = 0; }
    double *Bs = malloc(sizeof(double) * N * N); /* sort through gld_eigen on a diagonal-free route: */
    memset(Bs, 0, sizeof(double) * N * N);
    /* compare sorted moduli and real parts (conjugate order is fixed by the sort) */
    double sre[N], sim[N];
    /* a block-diagonal real matrix with the same eigenvalues: 2x2 rotation-scaling blocks */
    for (int k = 0; k < N;) {
      if (wim[k] != 0 && k + 1 < N) {
        Bs[(size_t)k * N + k] = wre[k]; Bs[(size_t)k * N + k + 1] = wim[k];
        Bs[(size_t)(k + 1) * N + k] = -wim[k]; Bs[(size_t)(k + 1) * N + k + 1] = wre[k];
        k += 2;
      } else {
        Bs[(size_t)k * N + k] = wre[k];
        k += 1;
      }
    }
    assert_int_equal(gld_eigen(Bs, N, sre, sim, &rho, &unst), GL_OK);
    double e = 0;
    for (int k = 0; k < N; ++k)
      e = fmax(e, fabs(hypot(sre[k], sim[k]) - hypot(p.eig_re[(size_t)z * N + k], p.eig_im[(size_t)z * N + k])) +
                      fabs(sre[k] - p.eig_re[(size_t)z * N + k]));
    printf("# origin: point %d of %d, rho = %.4f (closed form %.4f), %d unstable (closed form %d), max eig diff %.3e\n",
           z, p.n, p.radius[z], rho, p.unstable[z], unst, e);
    assert_true(rho > 1);
    assert_true(e < 1e-10);
    assert_int_equal(p.unstable[z], unst);
    assert_true(fabs(p.radius[z] - rho) < 1e-10);
    free(B);
    free(Bs);
  }
  gld_points_free(&p);
  free(x0);
  gld_net_free(&net);
}

/* The distributed search equals gld_minimize run serially on every initial state, bitwise
 * (and so the results of 1, 2 and 4 ranks equal each other: ctest runs this on each). */
static void test_rank_invariance(void **st) {
  (void)st;
  gld_net net;
  make_net(&net, 14);
  for (size_t k = 0; k < (size_t)4 * NH * NH; ++k) net.Whh[k] *= 0.3;
  double u[GLD_NU];
  random_vec(4, 0.5, u, GLD_NU);
  const int m = 7;
  double *x0 = malloc(sizeof(double) * m * N), *xs = malloc(sizeof(double) * m * N);
  for (int g = 0; g < m; ++g) random_vec(300 + (uint64_t)g, 1.0, x0 + (size_t)g * N, N);
  gld_config c = test_cfg(m);
  c.max_iter = 8; /* unconverged states test the bits as well as converged ones */
  gld_points p;
  assert_int_equal(gld_search(&net, u, NULL, x0, m, &c, MPI_COMM_WORLD, &p), GL_OK);
  memcpy(xs, x0, sizeof(double) * m * N);
  for (int g = 0; g < m; ++g) {
    double q;
    int it;
    assert_int_equal(gld_minimize(&net, u, &c, xs + (size_t)g * N, &q, &it), GL_OK);
    assert_memory_equal(&q, &p.q_end[g], sizeof q);
    assert_int_equal(it, p.iter_end[g]);
  }
  assert_memory_equal(xs, p.x_end, sizeof(double) * m * N);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) printf("# rank invariance: %d states bitwise equal to serial, %d unique points\n", m, p.n);
  gld_points_free(&p);
  free(x0);
  free(xs);
  gld_net_free(&net);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jacobian_fd),
      cmocka_unit_test(test_contraction),
      cmocka_unit_test(test_unstable_origin),
      cmocka_unit_test(test_rank_invariance),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  MPI_Finalize();
  return rc;
}
