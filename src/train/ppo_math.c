/* PPO arithmetic: pure functions shared by the trainer and checked one by one in
 * tests/train/test_train_math.c. Formulas follow rl_games @ 5c46adc (the paper's learner),
 * see docs/task_and_training.md §12. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/train.h"

void glt_params_defaults(glt_params *p) {
  memset(p, 0, sizeof *p);
  p->num_envs = 512;
  p->horizon = 24;
  p->seq_len = 4;
  p->minibatches = 4;
  p->epochs = 4;
  p->gamma = 0.99;
  p->lam = 0.95;
  p->lr = 3e-4;
  p->adaptive_lr = 1;
  p->kl_threshold = 0.008;
  p->lr_min = 1e-6;
  p->lr_max = 1e-2;
  p->clip = 0.2;
  p->critic_coef = 2.0;
  p->bounds_coef = 0.001;
  p->bound = 1.1;
  p->entropy_coef = 0.0;
  p->grad_norm = 1.0;
  p->adam_beta1 = 0.9;
  p->adam_beta2 = 0.999;
  p->adam_eps = 1e-8;
  p->normalize_input = 1;
  p->normalize_value = 1;
  p->normalize_advantage = 1;
  p->bootstrap_timeouts = 1;
  p->seed = 1;
}

gl_err glt_params_check(const glt_params *p) {
  if (p->num_envs < 1) return gl_error(GL_ERR_INPUT, "train: num_envs %d must be >= 1", p->num_envs);
  if (p->horizon < 1 || p->seq_len < 1)
    return gl_error(GL_ERR_INPUT, "train: horizon and seq_len must be >= 1");
  if (p->horizon % p->seq_len != 0)
    return gl_error(GL_ERR_INPUT, "train: seq_len %d must divide horizon %d (BPTT sequences are "
                    "whole chunks of the rollout)", p->seq_len, p->horizon);
  if (p->minibatches < 1 || p->minibatches > p->num_envs)
    return gl_error(GL_ERR_INPUT, "train: minibatches %d must be in [1, num_envs=%d] (a minibatch "
                    "is the set of envs with index %% minibatches == m)", p->minibatches,
                    p->num_envs);
  if (p->epochs < 1) return gl_error(GL_ERR_INPUT, "train: epochs must be >= 1");
  if (!(p->gamma >= 0 && p->gamma <= 1) || !(p->lam >= 0 && p->lam <= 1))
    return gl_error(GL_ERR_INPUT, "train: gamma and lam must be in [0, 1]");
  if (!(p->lr > 0) || !(p->lr_min > 0) || !(p->lr_max >= p->lr_min))
    return gl_error(GL_ERR_INPUT, "train: need lr > 0 and 0 < lr_min <= lr_max");
  if (!(p->adam_beta1 >= 0 && p->adam_beta1 < 1) || !(p->adam_beta2 >= 0 && p->adam_beta2 < 1) ||
      !(p->adam_eps > 0))
    return gl_error(GL_ERR_INPUT, "train: Adam betas must be in [0, 1) and eps > 0");
  if (!(p->clip > 0)) return gl_error(GL_ERR_INPUT, "train: clip must be > 0");
  return GL_OK;
}

void glt_gae(int n, int T, const float *reward, const float *value, const unsigned char *end,
             const float *boot, const float *last, double gamma, double lam, float *adv,
             float *ret) {
  for (int e = 0; e < n; ++e) {
    double a_next = 0.0, v_next = last[e];
    for (int t = T - 1; t >= 0; --t) {
      size_t k = (size_t)t * (size_t)n + (size_t)e;
      double nonterminal = end[k] ? 0.0 : 1.0;
      double r = reward[k] + (boot ? gamma * boot[k] : 0.0);
      double delta = r + gamma * v_next * nonterminal - value[k];
      double a = delta + gamma * lam * nonterminal * a_next;
      adv[k] = (float)a;
      ret[k] = (float)(a + value[k]);
      a_next = a;
      v_next = value[k];
    }
  }
}

/* ---- value normaliser ---- */

void glt_vnorm_init(glt_vnorm *v) {
  v->count = 1.0;
  v->mean = 0.0;
  v->var = 1.0;
}

void glt_vnorm_merge(glt_vnorm *v, double count, double mean, double var) {
  if (!(count > 0)) return;
  double delta = mean - v->mean, tot = v->count + count;
  double m2 = v->var * v->count + var * count + delta * delta * v->count * count / tot;
  v->mean += delta * count / tot;
  v->var = m2 / tot;
  v->count = tot;
}

static double clamp5(double x) { return x < -5.0 ? -5.0 : (x > 5.0 ? 5.0 : x); }

double glt_vnorm_normalize(const glt_vnorm *v, double x) {
  return clamp5((x - v->mean) / sqrt(v->var + 1e-5));
}

double glt_vnorm_denormalize(const glt_vnorm *v, double y) {
  return clamp5(y) * sqrt(v->var + 1e-5) + v->mean;
}

gl_err glt_moments(MPI_Comm comm, int n, int dim, const float *x, int stride, double *count,
                   double *mean, double *var) {
  double *buf = NULL;
  GL_CALL(GL_ALLOC(buf, (size_t)dim + 1));
  gl_err err = GL_OK;
  for (int j = 0; j < dim; ++j) buf[j] = 0.0;
  buf[dim] = (double)n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) buf[j] += x[(size_t)i * (size_t)stride + (size_t)j];
  if (MPI_Allreduce(MPI_IN_PLACE, buf, dim + 1, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS) {
    err = gl_error(GL_ERR_MPI, "MPI_Allreduce failed (batch moments)");
    goto done;
  }
  double N = buf[dim];
  *count = N;
  for (int j = 0; j < dim; ++j) mean[j] = N > 0 ? buf[j] / N : 0.0;
  for (int j = 0; j < dim; ++j) buf[j] = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) {
      double d = x[(size_t)i * (size_t)stride + (size_t)j] - mean[j];
      buf[j] += d * d;
    }
  if (MPI_Allreduce(MPI_IN_PLACE, buf, dim, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS) {
    err = gl_error(GL_ERR_MPI, "MPI_Allreduce failed (batch moments)");
    goto done;
  }
  /* unbiased, like torch.var (rl_games' RunningMeanStd) */
  for (int j = 0; j < dim; ++j) var[j] = N > 1 ? buf[j] / (N - 1) : 0.0;
done:
  free(buf);
  return err;
}

/* ---- Gaussian policy ---- */

#define GLT_LOG_2PI 1.8378770664093453

double glt_neglogp(int k, const double *a, const double *mu, const double *logstd) {
  double s = 0.0;
  for (int j = 0; j < k; ++j) {
    double z = (a[j] - mu[j]) * exp(-logstd[j]);
    s += 0.5 * z * z + logstd[j];
  }
  return s + 0.5 * GLT_LOG_2PI * k;
}

double glt_gauss_kl(int k, const double *mu0, const double *sigma0, const double *mu1,
                    const double *sigma1) {
  double kl = 0.0;
  for (int j = 0; j < k; ++j) {
    double dm = mu1[j] - mu0[j];
    kl += log(sigma1[j] / sigma0[j] + 1e-5) +
          (sigma0[j] * sigma0[j] + dm * dm) / (2.0 * (sigma1[j] * sigma1[j] + 1e-5)) - 0.5;
  }
  return kl;
}

double glt_gauss_kl_exact(int k, const double *mu0, const double *sigma0, const double *mu1,
                          const double *sigma1) {
  double kl = 0.0;
  for (int j = 0; j < k; ++j) {
    double dm = mu1[j] - mu0[j];
    kl += log(sigma1[j] / sigma0[j]) +
          (sigma0[j] * sigma0[j] + dm * dm) / (2.0 * sigma1[j] * sigma1[j]) - 0.5;
  }
  return kl;
}

double glt_lr_update(double lr, double kl, double threshold, double lr_min, double lr_max) {
  if (kl > 2.0 * threshold) lr = fmax(lr / 1.5, lr_min);
  if (kl < 0.5 * threshold) lr = fmin(lr * 1.5, lr_max);
  return lr;
}

double glt_ppo_sample(const glt_params *p, const glt_sample_in *s, double inv_n, double *dmu,
                      double *dlogstd, double *dvalue, glt_loss_acc *acc) {
  const int k = s->k;
  double nlp = glt_neglogp(k, s->action, s->mu, s->logstd);
  double ratio = exp(s->old_neglogp - nlp);
  double A = s->adv;
  double rc = fmin(fmax(ratio, 1.0 - p->clip), 1.0 + p->clip);
  double surr1 = -A * ratio, surr2 = -A * rc;
  /* max(surr1, surr2): when the clipped branch wins the ratio is outside the band and the
   * term is constant in the parameters. */
  int unclipped = surr1 >= surr2;
  double l_actor = unclipped ? surr1 : surr2;
  double dl_dnlp = unclipped ? (-A) * (-ratio) : 0.0; /* d ratio / d nlp = -ratio */

  double dv = s->value - s->ret;
  double l_critic = 0.5 * p->critic_coef * dv * dv;

  double l_bounds = 0.0, entropy = 0.0;
  for (int j = 0; j < k; ++j) {
    double hi = fmax(s->mu[j] - p->bound, 0.0), lo = fmin(s->mu[j] + p->bound, 0.0);
    l_bounds += hi * hi + lo * lo;
    entropy += s->logstd[j] + 0.5 + 0.5 * GLT_LOG_2PI;
    double isig = exp(-s->logstd[j]);
    double z = (s->action[j] - s->mu[j]) * isig;
    if (dmu) dmu[j] = inv_n * (dl_dnlp * (-z * isig) + p->bounds_coef * 2.0 * (hi + lo));
    if (dlogstd) dlogstd[j] += inv_n * (dl_dnlp * (1.0 - z * z) - p->entropy_coef);
  }
  if (dvalue) *dvalue = inv_n * p->critic_coef * dv;

  if (acc) {
    acc->actor += inv_n * l_actor;
    acc->critic += inv_n * l_critic;
    acc->bounds += inv_n * l_bounds;
    acc->entropy += inv_n * entropy;
    if (fabs(ratio - 1.0) > p->clip) acc->clipped += 1.0;
    if (fabs(ratio - 1.0) > acc->ratio_dev) acc->ratio_dev = fabs(ratio - 1.0);
  }
  return inv_n * (l_actor + l_critic + p->bounds_coef * l_bounds - p->entropy_coef * entropy);
}

/* ---- optimiser ---- */

double glt_clip_grad_norm(float *g, size_t n, double max_norm) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += (double)g[i] * (double)g[i];
  double norm = sqrt(s);
  if (max_norm > 0) {
    double f = max_norm / (norm + 1e-6);
    if (f < 1.0)
      for (size_t i = 0; i < n; ++i) g[i] = (float)(g[i] * f);
  }
  return norm;
}

gl_err glt_adam_init(glt_adam *a, size_t n, double beta1, double beta2, double eps) {
  memset(a, 0, sizeof *a);
  GL_CALL(GL_ALLOC(a->m, n));
  gl_err err = GL_ALLOC(a->v, n);
  if (err) {
    free(a->m);
    a->m = NULL;
    return err;
  }
  a->n = n;
  a->beta1 = beta1;
  a->beta2 = beta2;
  a->eps = eps;
  return GL_OK;
}

void glt_adam_free(glt_adam *a) {
  free(a->m);
  free(a->v);
  memset(a, 0, sizeof *a);
}

void glt_adam_step(glt_adam *a, float *params, const float *grad, double lr) {
  a->step++;
  const double b1 = a->beta1, b2 = a->beta2;
  const double bc1 = 1.0 - pow(b1, (double)a->step), bc2 = 1.0 - pow(b2, (double)a->step);
  const double step_size = lr / bc1, isb2 = 1.0 / sqrt(bc2);
  for (size_t i = 0; i < a->n; ++i) {
    double g = grad[i];
    double m = b1 * a->m[i] + (1.0 - b1) * g;
    double v = b2 * a->v[i] + (1.0 - b2) * g * g;
    a->m[i] = (float)m;
    a->v[i] = (float)v;
    params[i] = (float)(params[i] - step_size * m / (sqrt(v) * isb2 + a->eps));
  }
}

gl_err glt_allreduce_sum(MPI_Comm comm, float *g, size_t n) {
  /* chunks keep the count within MPI's int */
  const size_t chunk = (size_t)1 << 28;
  for (size_t off = 0; off < n; off += chunk) {
    int c = (int)(n - off < chunk ? n - off : chunk);
    if (MPI_Allreduce(MPI_IN_PLACE, g + off, c, MPI_FLOAT, MPI_SUM, comm) != MPI_SUCCESS)
      return gl_error(GL_ERR_MPI, "MPI_Allreduce of the gradient failed");
  }
  return GL_OK;
}
