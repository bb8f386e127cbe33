/* Helpers shared by the env tests. */
#ifndef GAITLAB_TESTS_ENV_UTIL_H
#define GAITLAB_TESTS_ENV_UTIL_H

#include <math.h>
#include <stdio.h>

#include "env/env_internal.h"
#include "gaitlab/env.h"
#include "gaitlab/error.h"

#define ENV_OK(expr)                                                         \
  do {                                                                       \
    gl_err e_ = (expr);                                                      \
    if (e_ != GL_OK) fail_msg("%s failed: %s", #expr, gl_errmsg());          \
  } while (0)

#define ASSERT_NEAR(a, b, tol)                                                        \
  do {                                                                                \
    double a_ = (a), b_ = (b);                                                        \
    if (!(fabs(a_ - b_) <= (tol)))                                                    \
      fail_msg("%s = %.12g, expected %.12g (tol %g)", #a, a_, b_, (double)(tol));     \
  } while (0)

/* A deterministic task for hand-built states: no noise, no pushes, no randomised reset. */
static inline void env_test_task(gle_task *t) {
  gle_task_defaults(t);
  t->obs_noise = 0;
  t->push_interval = 0;
  t->init_q_lo = t->init_q_hi = 1.0;
  t->init_qd = 0.0;
  t->spawn_xy = 0.0;
  t->heading_command = 0;
  t->friction_lo = t->friction_hi = 1.0;
}

#endif
