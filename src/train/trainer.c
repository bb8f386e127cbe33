/* Rollout and PPO update over a rank's block of environments (docs/task_and_training.md
 * §12, §14, §16). The heavy lifting is the glp float path: batched GEMM forward in
 * the rollout, glp_seq_forward_f/backward_f over BPTT sequences in the update. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/core.h"
#include "train/trainer_internal.h"

#define NH GLP_LSTM

static size_t sz(int a) { return (size_t)a; }

/* ------------------------------------------------------------------ lifecycle -- */

/* Minibatch m holds the envs with global index % M == m, so a rank's share differs by at
 * most one env between minibatches; the update pads to the largest share (sequences). */
static int glt_bmax_(const glt_params *p, int n, int64_t first) {
  int maxlocal = 0;
  for (int m = 0; m < p->minibatches; ++m) {
    int c = 0;
    for (int i = 0; i < n; ++i) c += ((first + i) % p->minibatches) == m;
    if (c > maxlocal) maxlocal = c;
  }
  return maxlocal * (p->horizon / p->seq_len);
}

double glt_trainer_bytes(const glt_params *p, int n, int64_t first, int obs_dim,
                         const glp_policy *pol) {
  const double T = p->horizon, S = p->seq_len, C = p->horizon / p->seq_len, k = GLP_NACT;
  const double ain = pol->actor_in, cin = pol->critic_in, B = glt_bmax_(p, n, first);
  /* per env: state, rollout [T], chunk-start states [C], step inputs and outputs */
  double per_env = 4.0 * obs_dim + 1 + 16.0 * NH + sizeof(glr_stream) + 16 +
                   T * (4.0 * obs_dim + 2 + 8.0 * k + 8 + 4.0 * 7) + 4.0 * k + 4 +
                   16.0 * C * NH + 4.0 * (ain + cin + k + 1 + 2 * NH) + 4;
  double update = S * B * (4.0 * (ain + cin + 2 * k + 2) + 1) + 16.0 * B * NH + 8.0 * B;
  if (B > 0)
    update += (double)glp_seq_ws_bytes_f(&pol->actor, p->seq_len, (int)B) +
              (double)glp_seq_ws_bytes_f(&pol->critic, p->seq_len, (int)B);
  /* the gradient, Adam's two moments and the normaliser's buffer */
  double model = 4.0 * pol->nparams + 8.0 * 2 * pol->nparams + 8.0 * obs_dim;
  return (double)n * per_env + update + model;
}

/* Keep in step with glt_trainer_bytes. */
static gl_err alloc_buffers(glt_trainer *t) {
  const size_t n = sz(t->n), T = sz(t->T), C = sz(t->C), od = sz(t->obs_dim), k = sz(t->nact);
  const size_t n1 = n ? n : 1; /* keep pointers valid on ranks without envs */
  GL_CALL(GL_ALLOC(t->obs, n1 * od));
  GL_CALL(GL_ALLOC(t->start, n1));
  GL_CALL(GL_ALLOC(t->ha, n1 * NH));
  GL_CALL(GL_ALLOC(t->ca, n1 * NH));
  GL_CALL(GL_ALLOC(t->hc, n1 * NH));
  GL_CALL(GL_ALLOC(t->cc, n1 * NH));
  GL_CALL(GL_ALLOC(t->rng, n1));
  GL_CALL(GL_ALLOC(t->ep_ret, n1));
  GL_CALL(GL_ALLOC(t->ep_len, n1));
  GL_CALL(GL_ALLOC(t->b_obs, T * n1 * od));
  GL_CALL(GL_ALLOC(t->b_start, T * n1));
  GL_CALL(GL_ALLOC(t->b_end, T * n1));
  GL_CALL(GL_ALLOC(t->b_act, T * n1 * k));
  GL_CALL(GL_ALLOC(t->b_mu, T * n1 * k));
  GL_CALL(GL_ALLOC(t->b_sigma, n1 * k));
  GL_CALL(GL_ALLOC(t->b_nlp, T * n1));
  GL_CALL(GL_ALLOC(t->b_val, T * n1));
  GL_CALL(GL_ALLOC(t->b_rew, T * n1));
  GL_CALL(GL_ALLOC(t->b_boot, T * n1));
  GL_CALL(GL_ALLOC(t->b_adv, T * n1));
  GL_CALL(GL_ALLOC(t->b_ret, T * n1));
  GL_CALL(GL_ALLOC(t->b_retn, T * n1));
  GL_CALL(GL_ALLOC(t->b_last, n1));
  GL_CALL(GL_ALLOC(t->s_ha, C * n1 * NH));
  GL_CALL(GL_ALLOC(t->s_ca, C * n1 * NH));
  GL_CALL(GL_ALLOC(t->s_hc, C * n1 * NH));
  GL_CALL(GL_ALLOC(t->s_cc, C * n1 * NH));
  GL_CALL(GL_ALLOC(t->x_a, n1 * sz(t->ain)));
  GL_CALL(GL_ALLOC(t->x_c, n1 * sz(t->cin)));
  GL_CALL(GL_ALLOC(t->mu_out, n1 * k));
  GL_CALL(GL_ALLOC(t->v_out, n1));
  GL_CALL(GL_ALLOC(t->h_tmp, n1 * NH));
  GL_CALL(GL_ALLOC(t->c_tmp, n1 * NH));
  GL_CALL(GL_ALLOC(t->idx, n1));
  GL_CALL(GL_ALLOC(t->grad, t->pol->nparams));
  GL_CALL(GL_ALLOC(t->normbuf, od));

  t->Bmax = glt_bmax_(&t->p, t->n, t->env.first);
  const size_t B = sz(t->Bmax ? t->Bmax : 1), S = sz(t->S);
  GL_CALL(GL_ALLOC(t->m_xa, S * B * sz(t->ain)));
  GL_CALL(GL_ALLOC(t->m_xc, S * B * sz(t->cin)));
  GL_CALL(GL_ALLOC(t->m_h0a, B * NH));
  GL_CALL(GL_ALLOC(t->m_c0a, B * NH));
  GL_CALL(GL_ALLOC(t->m_h0c, B * NH));
  GL_CALL(GL_ALLOC(t->m_c0c, B * NH));
  GL_CALL(GL_ALLOC(t->m_reset, S * B));
  GL_CALL(GL_ALLOC(t->m_outa, S * B * k));
  GL_CALL(GL_ALLOC(t->m_outc, S * B));
  GL_CALL(GL_ALLOC(t->m_douta, S * B * k));
  GL_CALL(GL_ALLOC(t->m_doutc, S * B));
  GL_CALL(GL_ALLOC(t->m_env, B));
  GL_CALL(GL_ALLOC(t->m_chunk, B));
  if (t->n > 0) {
    GL_CALL(glp_infer_ws_create_f(&t->iws_a, &t->pol->actor, t->n));
    GL_CALL(glp_infer_ws_create_f(&t->iws_c, &t->pol->critic, t->n));
  }
  if (t->Bmax > 0) {
    GL_CALL(glp_seq_ws_create_f(&t->sws_a, &t->pol->actor, t->S, t->Bmax));
    GL_CALL(glp_seq_ws_create_f(&t->sws_c, &t->pol->critic, t->S, t->Bmax));
  }
  return GL_OK;
}

static gl_err start_env(glt_trainer *t, int i) {
  const glt_env_ops *ops = t->env.ops;
  GL_CALL(ops->reset(t->env.ctx, i));
  GL_CALL(ops->observe(t->env.ctx, i, t->obs + sz(i) * sz(t->obs_dim)));
  memset(t->ha + sz(i) * NH, 0, NH * sizeof(float));
  memset(t->ca + sz(i) * NH, 0, NH * sizeof(float));
  memset(t->hc + sz(i) * NH, 0, NH * sizeof(float));
  memset(t->cc + sz(i) * NH, 0, NH * sizeof(float));
  t->start[i] = 1;
  t->ep_ret[i] = 0.0;
  t->ep_len[i] = 0;
  return GL_OK;
}

gl_err glt_trainer_create(glt_trainer **out, const glt_params *p, glp_policy *policy,
                          const glt_env *env, MPI_Comm comm) {
  *out = NULL;
  GL_CALL(glt_params_check(p));
  if (env->ops->act_dim != GLP_NACT)
    return gl_error(GL_ERR_INTERNAL, "train: env act_dim %d != policy's %d", env->ops->act_dim,
                    GLP_NACT);
  if (env->ops->obs_dim != policy->norm.dim || policy->actor_in > env->ops->obs_dim ||
      policy->critic_in > env->ops->obs_dim)
    return gl_error(GL_ERR_INPUT, "train: env observation has %d floats but the policy "
                    "normaliser has %d (actor_in %d, critic_in %d)", env->ops->obs_dim,
                    policy->norm.dim, policy->actor_in, policy->critic_in);
  glt_trainer *t = NULL;
  GL_CALL(GL_ALLOC(t, 1));
  gl_err err = GL_OK;
  t->p = *p;
  t->comm = comm;
  MPI_Comm_rank(comm, &t->rank);
  MPI_Comm_size(comm, &t->size);
  t->pol = policy;
  t->env = *env;
  t->n = env->n;
  t->obs_dim = env->ops->obs_dim;
  t->ain = policy->actor_in;
  t->cin = policy->critic_in;
  t->nact = GLP_NACT;
  t->T = p->horizon;
  t->S = p->seq_len;
  t->C = p->horizon / p->seq_len;
  t->lr = p->lr;
  glt_vnorm_init(&t->vn);
  GL_GOTO(err, alloc_buffers(t), fail);
  GL_GOTO(err, glt_adam_init(&t->adam, policy->nparams, p->adam_beta1, p->adam_beta2, p->adam_eps),
          fail);
  for (int i = 0; i < t->n; ++i) {
    glr_init(&t->rng[i], p->seed, (uint64_t)(env->first + i), GLR_ACTION);
    GL_GOTO(err, start_env(t, i), fail);
  }
fail:
  /* every rank must learn about a failure before anyone enters a collective */
  err = gl_agree(comm, err);
  if (err) {
    glt_trainer_destroy(t);
    return err;
  }
  *out = t;
  return GL_OK;
}

void glt_trainer_destroy(glt_trainer *t) {
  if (!t) return;
  glp_infer_ws_destroy_f(t->iws_a);
  glp_infer_ws_destroy_f(t->iws_c);
  glp_seq_ws_destroy_f(t->sws_a);
  glp_seq_ws_destroy_f(t->sws_c);
  glt_adam_free(&t->adam);
  void *bufs[] = {t->obs, t->start, t->ha, t->ca, t->hc, t->cc, t->rng, t->ep_ret, t->ep_len,
                  t->b_obs, t->b_start, t->b_end, t->b_act, t->b_mu, t->b_sigma, t->b_nlp,
                  t->b_val, t->b_rew, t->b_boot, t->b_adv, t->b_ret, t->b_retn, t->b_last,
                  t->s_ha, t->s_ca, t->s_hc, t->s_cc, t->x_a, t->x_c, t->mu_out, t->v_out,
                  t->h_tmp, t->c_tmp, t->idx, t->grad, t->normbuf, t->m_xa, t->m_xc, t->m_h0a,
                  t->m_c0a, t->m_h0c, t->m_c0c, t->m_reset, t->m_outa, t->m_outc, t->m_douta,
                  t->m_doutc, t->m_env, t->m_chunk};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  free(t);
}

int64_t glt_trainer_iteration(const glt_trainer *t) { return t->iteration; }
double glt_trainer_policy_steps(const glt_trainer *t) { return t->policy_steps; }
double glt_trainer_lr(const glt_trainer *t) { return t->lr; }
double glt_trainer_wall_seconds(const glt_trainer *t) { return t->wall_seconds; }
const glt_adam *glt_trainer_adam(const glt_trainer *t) { return &t->adam; }
const glt_vnorm *glt_trainer_vnorm(const glt_trainer *t) { return &t->vn; }

/* ------------------------------------------------------------------- rollout -- */

typedef struct rollout_acc {
  double reward, ep_ret, ep_len, episodes, falls, invalid;
  double metric[GLT_MAX_METRICS];
} rollout_acc;

/* Critic values of rows idx[0..B) of src obs, from copies of their critic states (the
 * bootstrap must not advance the state the next step continues from). */
static gl_err critic_values(glt_trainer *t, int B, const int *idx, const float *obs_rows,
                            float *vals) {
  if (B == 0) return GL_OK;
  glp_policy *P = t->pol;
  for (int b = 0; b < B; ++b) {
    int i = idx[b];
    memcpy(t->h_tmp + sz(b) * NH, t->hc + sz(i) * NH, NH * sizeof(float));
    memcpy(t->c_tmp + sz(b) * NH, t->cc + sz(i) * NH, NH * sizeof(float));
  }
  glp_norm_apply(&P->norm, B, obs_rows, t->obs_dim, t->x_c, t->cin);
  GL_CALL(glp_step_f(&P->critic, P->params + P->off_critic, t->iws_c, B, t->x_c, t->h_tmp,
                     t->c_tmp, NULL, t->v_out));
  for (int b = 0; b < B; ++b) vals[b] = (float)glt_vnorm_denormalize(&t->vn, t->v_out[b]);
  return GL_OK;
}

/* Step t_ of the rollout, network side: store the inputs (and, at sequence starts, the LSTM
 * states training replays from), run actor and critic, sample the actions. */
static gl_err rollout_act(glt_trainer *t, int t_, const float *sigma, const double *logstd) {
  glp_policy *P = t->pol;
  const int n = t->n, od = t->obs_dim, k = t->nact;
  const size_t tn = sz(t_) * sz(n);
  memcpy(t->b_obs + tn * sz(od), t->obs, sz(n) * sz(od) * sizeof(float));
  memcpy(t->b_start + tn, t->start, sz(n));
  if (t_ % t->S == 0) {
    const size_t c = sz(t_ / t->S) * sz(n) * NH, bytes = sz(n) * NH * sizeof(float);
    memcpy(t->s_ha + c, t->ha, bytes);
    memcpy(t->s_ca + c, t->ca, bytes);
    memcpy(t->s_hc + c, t->hc, bytes);
    memcpy(t->s_cc + c, t->cc, bytes);
  }
  glp_norm_apply(&P->norm, n, t->obs, od, t->x_a, t->ain);
  glp_norm_apply(&P->norm, n, t->obs, od, t->x_c, t->cin);
  GL_CALL(glp_step_f(&P->actor, P->params + P->off_actor, t->iws_a, n, t->x_a, t->ha, t->ca, NULL,
                     t->mu_out));
  GL_CALL(glp_step_f(&P->critic, P->params + P->off_critic, t->iws_c, n, t->x_c, t->hc, t->cc, NULL,
                     t->v_out));
  for (int i = 0; i < n; ++i) {
    float *a = t->b_act + (tn + sz(i)) * sz(k), *mu = t->b_mu + (tn + sz(i)) * sz(k);
    double ad[GLP_NACT], mud[GLP_NACT];
    for (int j = 0; j < k; ++j) {
      mu[j] = t->mu_out[sz(i) * sz(k) + sz(j)];
      a[j] = mu[j] + sigma[j] * (float)glr_normal(&t->rng[i]);
      ad[j] = a[j];
      mud[j] = mu[j];
    }
    t->b_nlp[tn + sz(i)] = glt_neglogp(k, ad, mud, logstd);
    t->b_val[tn + sz(i)] = (float)glt_vnorm_denormalize(&t->vn, t->v_out[i]);
  }
  return GL_OK;
}

/* Step t_ of the rollout, environment side: apply the sampled actions, book rewards and
 * episode ends, observe; the pre-reset observations of timed-out envs that are bootstrapped
 * go to pre_obs, their env indices to t->idx[0 .. *nboot). */
static gl_err rollout_env(glt_trainer *t, rollout_acc *acc, int t_, float *pre_obs, int *nboot) {
  const glt_env_ops *ops = t->env.ops;
  void *ctx = t->env.ctx;
  const int n = t->n, od = t->obs_dim, k = t->nact;
  const size_t tn = sz(t_) * sz(n);
  *nboot = 0;
  for (int i = 0; i < n; ++i) {
    glt_step_result r;
    memset(&r, 0, sizeof r);
    GL_CALL(ops->step(ctx, i, t->b_act + (tn + sz(i)) * sz(k), &r));
    if (r.invalid || !isfinite(r.reward)) {
      r.invalid = 1;
      r.terminated = 1;
      r.reward = 0.0f;
    }
    t->b_rew[tn + sz(i)] = r.reward;
    t->b_boot[tn + sz(i)] = 0.0f;
    t->ep_ret[i] += r.reward;
    t->ep_len[i] += 1;
    acc->reward += r.reward;
    acc->invalid += r.invalid;
    for (int q = 0; q < ops->nmetrics && q < GLT_MAX_METRICS; ++q) acc->metric[q] += r.metric[q];
    int ended = r.terminated || r.timed_out;
    t->b_end[tn + sz(i)] = (unsigned char)ended;
    t->start[i] = 0;
    GL_CALL(ops->observe(ctx, i, t->obs + sz(i) * sz(od)));
    if (ended) {
      acc->episodes += 1;
      acc->falls += r.terminated;
      acc->ep_ret += t->ep_ret[i];
      acc->ep_len += (double)t->ep_len[i];
      if (r.timed_out && !r.terminated && t->p.bootstrap_timeouts) {
        memcpy(pre_obs + sz(*nboot) * sz(od), t->obs + sz(i) * sz(od), sz(od) * sizeof(float));
        t->idx[(*nboot)++] = i;
      }
    }
  }
  return GL_OK;
}

static gl_err rollout(glt_trainer *t, rollout_acc *acc, double *t_phys, double *t_net) {
  glp_policy *P = t->pol;
  const int n = t->n, od = t->obs_dim, k = t->nact;
  double logstd[GLP_NACT];
  float sigma[GLP_NACT];
  for (int j = 0; j < k; ++j) {
    logstd[j] = P->params[P->off_logstd + sz(j)];
    sigma[j] = (float)exp(logstd[j]);
  }
  for (int i = 0; i < n; ++i) memcpy(t->b_sigma + sz(i) * sz(k), sigma, sizeof sigma);
  float *pre_obs = NULL; /* pre-reset observations of timed-out envs */
  GL_CALL(GL_ALLOC(pre_obs, sz(n ? n : 1) * sz(od)));
  gl_err err = GL_OK;

  for (int t_ = 0; t_ < t->T && n > 0; ++t_) {
    const size_t tn = sz(t_) * sz(n);
    double w0 = gl_wtime();
    GL_GOTO(err, rollout_act(t, t_, sigma, logstd), done);
    double w1 = gl_wtime();
    *t_net += w1 - w0;
    int nboot = 0;
    GL_GOTO(err, rollout_env(t, acc, t_, pre_obs, &nboot), done);
    double w2 = gl_wtime();
    *t_phys += w2 - w1;

    /* Q2 fix: bootstrap time-outs from the true pre-reset observation with the critic state
     * continued (before the reset zeroes it). */
    if (nboot > 0) {
      float *vals = t->b_last; /* scratch; b_last is filled after the rollout */
      GL_GOTO(err, critic_values(t, nboot, t->idx, pre_obs, vals), done);
      for (int b = 0; b < nboot; ++b) t->b_boot[tn + sz(t->idx[b])] = vals[b];
    }
    double w3 = gl_wtime();
    *t_net += w3 - w2;
    for (int i = 0; i < n; ++i)
      if (t->b_end[tn + sz(i)]) GL_GOTO(err, start_env(t, i), done);
    *t_phys += gl_wtime() - w3;
  }
  /* V(s_T) for the GAE tail, again without advancing the critic state */
  {
    double w0 = gl_wtime();
    for (int i = 0; i < n; ++i) t->idx[i] = i;
    GL_GOTO(err, critic_values(t, n, t->idx, t->obs, t->b_last), done);
    *t_net += gl_wtime() - w0;
  }
done:
  free(pre_obs);
  return err;
}

/* ------------------------------------------------------------------- update -- */

/* Standardise x over the global batch: (x - mean) / (std + 1e-8), std unbiased. */
static gl_err normalize_global(MPI_Comm comm, int n, float *x) {
  double cnt, mean, var;
  GL_CALL(glt_moments(comm, n, 1, x, 1, &cnt, &mean, &var));
  double is = 1.0 / (sqrt(var) + 1e-8);
  for (int i = 0; i < n; ++i) x[i] = (float)((x[i] - mean) * is);
  return GL_OK;
}

/* Global count of minibatch m's samples: envs with index % M == m, times the horizon. */
static double minibatch_samples(const glt_params *p, int m) {
  int M = p->minibatches, N = p->num_envs;
  return (double)(N / M + (m < N % M ? 1 : 0)) * (double)p->horizon;
}

typedef struct update_acc {
  double actor, critic, bounds, entropy, clipped, kl, grad_norm;
  double first_ratio_dev, first_kl;
} update_acc;

/* Fill the sequence batch of minibatch m; returns the number of real sequences. */
static int gather_minibatch(glt_trainer *t, int m) {
  const int S = t->S, B = t->Bmax, od = t->obs_dim;
  glp_policy *P = t->pol;
  int b = 0;
  for (int i = 0; i < t->n; ++i) {
    if ((t->env.first + i) % t->p.minibatches != m) continue;
    for (int c = 0; c < t->C; ++c, ++b) {
      t->m_env[b] = i;
      t->m_chunk[b] = c;
      const size_t src = (sz(c) * sz(t->n) + sz(i)) * NH, dst = sz(b) * NH;
      memcpy(t->m_h0a + dst, t->s_ha + src, NH * sizeof(float));
      memcpy(t->m_c0a + dst, t->s_ca + src, NH * sizeof(float));
      memcpy(t->m_h0c + dst, t->s_hc + src, NH * sizeof(float));
      memcpy(t->m_c0c + dst, t->s_cc + src, NH * sizeof(float));
      for (int s = 0; s < S; ++s) {
        const size_t tn = sz(c * S + s) * sz(t->n) + sz(i);
        const float *o = t->b_obs + tn * sz(od);
        glp_norm_apply(&P->norm, 1, o, od, t->m_xa + (sz(s) * sz(B) + sz(b)) * sz(t->ain), t->ain);
        glp_norm_apply(&P->norm, 1, o, od, t->m_xc + (sz(s) * sz(B) + sz(b)) * sz(t->cin), t->cin);
        t->m_reset[sz(s) * sz(B) + sz(b)] = t->b_start[tn];
      }
    }
  }
  const int nreal = b;
  for (; b < B; ++b) { /* padding rows: zero input and state, zero loss gradient */
    t->m_env[b] = -1;
    t->m_chunk[b] = -1;
    const size_t dst = sz(b) * NH;
    memset(t->m_h0a + dst, 0, NH * sizeof(float));
    memset(t->m_c0a + dst, 0, NH * sizeof(float));
    memset(t->m_h0c + dst, 0, NH * sizeof(float));
    memset(t->m_c0c + dst, 0, NH * sizeof(float));
    for (int s = 0; s < S; ++s) {
      memset(t->m_xa + (sz(s) * sz(B) + sz(b)) * sz(t->ain), 0, sz(t->ain) * sizeof(float));
      memset(t->m_xc + (sz(s) * sz(B) + sz(b)) * sz(t->cin), 0, sz(t->cin) * sizeof(float));
      t->m_reset[sz(s) * sz(B) + sz(b)] = 1;
    }
  }
  return nreal;
}

/* One PPO gradient step: forward of both towers, per-sample losses, backward, Allreduce and
 * Adam. One function (~90 lines) because the order of every sum in it decides the bitwise
 * resume and rank invariance, and that order should be readable in one place. */
static gl_err train_minibatch(glt_trainer *t, int m, int first, update_acc *ua) {
  glp_policy *P = t->pol;
  const int S = t->S, B = t->Bmax, k = t->nact;
  const double inv_n = 1.0 / minibatch_samples(&t->p, m);
  memset(t->grad, 0, P->nparams * sizeof(float));
  double logstd[GLP_NACT], sigma[GLP_NACT], dlogstd[GLP_NACT] = {0};
  for (int j = 0; j < k; ++j) {
    logstd[j] = P->params[P->off_logstd + sz(j)];
    sigma[j] = exp(logstd[j]);
  }
  /* [0..3] losses, 4 clipped, 5 kl sum, 6 exact kl sum; max: ratio deviation */
  double sums[7] = {0}, maxdev = 0.0;
  int nreal = 0;
  gl_err err = GL_OK;
  if (B > 0) nreal = gather_minibatch(t, m);
  if (nreal > 0) {
    GL_GOTO(err, glp_seq_forward_f(&P->actor, P->params + P->off_actor, t->sws_a, t->m_xa,
                                   t->m_h0a, t->m_c0a, t->m_reset, t->m_outa), local_done);
    GL_GOTO(err, glp_seq_forward_f(&P->critic, P->params + P->off_critic, t->sws_c, t->m_xc,
                                   t->m_h0c, t->m_c0c, t->m_reset, t->m_outc), local_done);
    memset(t->m_douta, 0, sz(S) * sz(B) * sz(k) * sizeof(float));
    memset(t->m_doutc, 0, sz(S) * sz(B) * sizeof(float));
    glt_loss_acc la;
    memset(&la, 0, sizeof la);
    for (int b = 0; b < nreal; ++b) {
      const int i = t->m_env[b], c = t->m_chunk[b];
      float *old_sigma = t->b_sigma + sz(i) * sz(k);
      for (int s = 0; s < S; ++s) {
        const size_t tn = sz(c * S + s) * sz(t->n) + sz(i), sb = sz(s) * sz(B) + sz(b);
        double mu[GLP_NACT], act[GLP_NACT], dmu[GLP_NACT], mu_old[GLP_NACT], sg_old[GLP_NACT];
        float *bmu = t->b_mu + tn * sz(k);
        for (int j = 0; j < k; ++j) {
          mu[j] = t->m_outa[sb * sz(k) + sz(j)];
          act[j] = t->b_act[tn * sz(k) + sz(j)];
          mu_old[j] = bmu[j];
          sg_old[j] = old_sigma[j];
        }
        glt_sample_in in = {k, mu, logstd, act, t->b_nlp[tn], t->b_adv[tn],
                            t->m_outc[sb], t->b_retn[tn]};
        double dv;
        glt_ppo_sample(&t->p, &in, inv_n, dmu, dlogstd, &dv, &la);
        for (int j = 0; j < k; ++j) t->m_douta[sb * sz(k) + sz(j)] = (float)dmu[j];
        t->m_doutc[sb] = (float)dv;
        sums[5] += glt_gauss_kl(k, mu, sigma, mu_old, sg_old);
        if (first) sums[6] += glt_gauss_kl_exact(k, mu, sigma, mu_old, sg_old);
        /* rl_games overwrites the stored mu/sigma with the new ones, so later epochs'
         * KL measures the drift since the previous epoch */
        for (int j = 0; j < k; ++j) bmu[j] = (float)mu[j];
      }
      for (int j = 0; j < k; ++j) old_sigma[j] = (float)sigma[j];
    }
    sums[0] = la.actor;
    sums[1] = la.critic;
    sums[2] = la.bounds;
    sums[3] = la.entropy;
    sums[4] = la.clipped;
    maxdev = la.ratio_dev;
    GL_GOTO(err, glp_seq_backward_f(&P->actor, P->params + P->off_actor, t->sws_a, t->m_douta,
                                    t->grad + P->off_actor, NULL, NULL, NULL), local_done);
    GL_GOTO(err, glp_seq_backward_f(&P->critic, P->params + P->off_critic, t->sws_c, t->m_doutc,
                                    t->grad + P->off_critic, NULL, NULL, NULL), local_done);
    for (int j = 0; j < k; ++j) t->grad[P->off_logstd + sz(j)] = (float)dlogstd[j];
  }
local_done:
  /* a local failure must not leave the other ranks waiting in the reductions below */
  GL_CALL(gl_agree(t->comm, err));
  GL_CALL(glt_allreduce_sum(t->comm, t->grad, P->nparams));
  if (MPI_Allreduce(MPI_IN_PLACE, sums, 7, MPI_DOUBLE, MPI_SUM, t->comm) != MPI_SUCCESS ||
      MPI_Allreduce(MPI_IN_PLACE, &maxdev, 1, MPI_DOUBLE, MPI_MAX, t->comm) != MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Allreduce of minibatch statistics failed");
  double gn = glt_clip_grad_norm(t->grad, P->nparams, t->p.grad_norm);
  glt_adam_step(&t->adam, P->params, t->grad, t->lr);
  double kl = sums[5] * inv_n;
  if (t->p.adaptive_lr)
    t->lr = glt_lr_update(t->lr, kl, t->p.kl_threshold, t->p.lr_min, t->p.lr_max);
  ua->actor += sums[0];
  ua->critic += sums[1];
  ua->bounds += sums[2];
  ua->entropy += sums[3];
  ua->clipped += sums[4] * inv_n;
  ua->kl += kl;
  ua->grad_norm += gn;
  if (first) {
    ua->first_ratio_dev = maxdev;
    ua->first_kl = sums[6] * inv_n;
  }
  return GL_OK;
}

/* Explained variance 1 - Var(R - V)/Var(R) over the global batch, raw units. */
static gl_err explained_variance(glt_trainer *t, double *ev) {
  const int nT = t->n * t->T;
  float *d = NULL;
  GL_CALL(GL_ALLOC(d, sz(nT ? nT : 1)));
  for (int q = 0; q < nT; ++q) d[q] = t->b_ret[q] - t->b_val[q];
  double c, m, vr, vd;
  gl_err err = glt_moments(t->comm, nT, 1, t->b_ret, 1, &c, &m, &vr);
  if (!err) err = glt_moments(t->comm, nT, 1, d, 1, &c, &m, &vd);
  free(d);
  *ev = vr > 0 ? 1.0 - vd / vr : NAN;
  return err;
}

/* The iteration's statistics over all ranks (every rank gets the same numbers). */
static gl_err iterate_stats(glt_trainer *t, const rollout_acc *ra, const update_acc *ua,
                            glt_iter_stats *st) {
  glp_policy *P = t->pol;
  double g[6 + GLT_MAX_METRICS] = {ra->reward, ra->ep_ret, ra->ep_len, ra->episodes, ra->falls,
                                   ra->invalid};
  for (int q = 0; q < GLT_MAX_METRICS; ++q) g[6 + q] = ra->metric[q];
  if (MPI_Allreduce(MPI_IN_PLACE, g, 6 + GLT_MAX_METRICS, MPI_DOUBLE, MPI_SUM, t->comm) !=
      MPI_SUCCESS)
    return gl_error(GL_ERR_MPI, "MPI_Allreduce of iteration statistics failed");
  const double nsteps = (double)t->p.num_envs * t->T;
  const double nmb = (double)t->p.epochs * t->p.minibatches;
  t->iteration++;
  t->policy_steps += nsteps;
  st->iteration = t->iteration;
  st->policy_steps = t->policy_steps;
  st->mean_reward = g[0] / nsteps;
  st->episodes = g[3];
  st->mean_return = g[3] > 0 ? g[1] / g[3] : NAN;
  st->mean_length = g[3] > 0 ? g[2] / g[3] : NAN;
  st->fall_rate = g[3] > 0 ? g[4] / g[3] : NAN;
  st->invalid = g[5];
  for (int q = 0; q < GLT_MAX_METRICS; ++q) st->metric[q] = g[6 + q] / nsteps;
  st->kl = ua->kl / nmb;
  st->lr = t->lr;
  st->loss_actor = ua->actor / nmb;
  st->loss_critic = ua->critic / nmb;
  st->loss_bounds = ua->bounds / nmb;
  st->entropy = ua->entropy / nmb;
  st->clip_frac = ua->clipped / nmb;
  st->grad_norm = ua->grad_norm / nmb;
  double s = 0.0;
  for (int j = 0; j < t->nact; ++j) s += exp(P->params[P->off_logstd + sz(j)]);
  st->std_mean = s / t->nact;
  st->first_ratio_dev = ua->first_ratio_dev;
  st->first_kl = ua->first_kl;
  return GL_OK;
}

gl_err glt_trainer_iterate(glt_trainer *t, glt_iter_stats *st) {
  glp_policy *P = t->pol;
  memset(st, 0, sizeof *st);
  const double w_start = gl_wtime();
  rollout_acc ra;
  memset(&ra, 0, sizeof ra);
  double t_phys = 0.0, t_net = 0.0;
  gl_err err = rollout(t, &ra, &t_phys, &t_net);
  GL_CALL(gl_agree(t->comm, err));
  const double w_update = gl_wtime();
  const int nT = t->n * t->T;

  glt_gae(t->n, t->T, t->b_rew, t->b_val, t->b_end, t->b_boot, t->b_last, t->p.gamma, t->p.lam,
          t->b_adv, t->b_ret);
  GL_CALL(explained_variance(t, &st->explained_var));

  /* value normaliser: old values first, then returns (rl_games prepare_dataset) */
  if (t->p.normalize_value) {
    double c, m, v;
    GL_CALL(glt_moments(t->comm, nT, 1, t->b_val, 1, &c, &m, &v));
    glt_vnorm_merge(&t->vn, c, m, v);
    GL_CALL(glt_moments(t->comm, nT, 1, t->b_ret, 1, &c, &m, &v));
    glt_vnorm_merge(&t->vn, c, m, v);
    for (int q = 0; q < nT; ++q) t->b_retn[q] = (float)glt_vnorm_normalize(&t->vn, t->b_ret[q]);
  } else {
    memcpy(t->b_retn, t->b_ret, sz(nT) * sizeof(float));
  }
  if (t->p.normalize_advantage) GL_CALL(normalize_global(t->comm, nT, t->b_adv));

  /* Observation statistics of this batch. rl_games merges them minibatch by minibatch during
   * the first epoch; merging the whole batch once is the same in exact arithmetic, and doing
   * it after the update keeps the statistics frozen while the update runs, so the first
   * minibatch sees exactly the rollout's inputs (ratio = 1, KL = 0). */
  const int od = t->obs_dim;
  double ocount = 0.0, *omean = NULL, *ovar = NULL;
  GL_CALL(GL_ALLOC(omean, sz(od)));
  err = GL_ALLOC(ovar, sz(od));
  if (!err && t->p.normalize_input)
    err = glt_moments(t->comm, nT, od, t->b_obs, od, &ocount, omean, ovar);

  update_acc ua;
  memset(&ua, 0, sizeof ua);
  for (int ep = 0; ep < t->p.epochs && !err; ++ep)
    for (int m = 0; m < t->p.minibatches && !err; ++m)
      err = train_minibatch(t, m, ep == 0 && m == 0, &ua);
  if (!err && t->p.normalize_input) glp_norm_merge(&P->norm, ocount, omean, ovar);
  free(omean);
  free(ovar);
  GL_CALL(err);

  GL_CALL(iterate_stats(t, &ra, &ua, st));
  const double w_end = gl_wtime();
  st->t_physics = t_phys;
  st->t_network = t_net;
  st->t_update = w_end - w_update;
  st->t_total = w_end - w_start;
  st->steps_per_s = (double)t->p.num_envs * t->T / st->t_total;
  /* rank 0's clock, so the logged value is the same everywhere */
  double w = st->t_total;
  GL_MPI(MPI_Bcast(&w, 1, MPI_DOUBLE, 0, t->comm));
  t->wall_seconds += w;
  st->wall_seconds = t->wall_seconds;
  return GL_OK;
}

/* ---------------------------------------------------------- checkpoint records -- */

/* Record layout: env state | action-stream position | obs | start | ha ca hc cc |
 * episode return | episode length. */
size_t glt_env_record_size(glt_trainer *t, int i) {
  return t->env.ops->state_size(t->env.ctx, i) + sizeof(uint64_t) +
         sz(t->obs_dim) * sizeof(float) + 1 + 4 * NH * sizeof(float) + sizeof(double) +
         sizeof(int64_t);
}

gl_err glt_env_record_save(glt_trainer *t, int i, unsigned char *buf) {
  size_t es = t->env.ops->state_size(t->env.ctx, i);
  GL_CALL(t->env.ops->state_save(t->env.ctx, i, buf));
  unsigned char *q = buf + es;
  uint64_t pos = glr_position(&t->rng[i]);
  memcpy(q, &pos, sizeof pos), q += sizeof pos;
  memcpy(q, t->obs + sz(i) * sz(t->obs_dim), sz(t->obs_dim) * sizeof(float));
  q += sz(t->obs_dim) * sizeof(float);
  *q++ = t->start[i];
  const float *st[4] = {t->ha, t->ca, t->hc, t->cc};
  for (int s = 0; s < 4; ++s) {
    memcpy(q, st[s] + sz(i) * NH, NH * sizeof(float));
    q += NH * sizeof(float);
  }
  memcpy(q, &t->ep_ret[i], sizeof(double)), q += sizeof(double);
  memcpy(q, &t->ep_len[i], sizeof(int64_t));
  return GL_OK;
}

gl_err glt_env_record_load(glt_trainer *t, int i, const unsigned char *buf, size_t len) {
  if (len != glt_env_record_size(t, i))
    return gl_error(GL_ERR_INPUT, "checkpoint: env %lld record has %zu bytes, expected %zu "
                    "(different task or build?)", (long long)(t->env.first + i), len,
                    glt_env_record_size(t, i));
  size_t es = t->env.ops->state_size(t->env.ctx, i);
  GL_CALL(t->env.ops->state_load(t->env.ctx, i, buf));
  const unsigned char *q = buf + es;
  uint64_t pos;
  memcpy(&pos, q, sizeof pos), q += sizeof pos;
  glr_init(&t->rng[i], t->p.seed, (uint64_t)(t->env.first + i), GLR_ACTION);
  glr_seek(&t->rng[i], pos);
  memcpy(t->obs + sz(i) * sz(t->obs_dim), q, sz(t->obs_dim) * sizeof(float));
  q += sz(t->obs_dim) * sizeof(float);
  t->start[i] = *q++;
  float *st[4] = {t->ha, t->ca, t->hc, t->cc};
  for (int s = 0; s < 4; ++s) {
    memcpy(st[s] + sz(i) * NH, q, NH * sizeof(float));
    q += NH * sizeof(float);
  }
  memcpy(&t->ep_ret[i], q, sizeof(double)), q += sizeof(double);
  memcpy(&t->ep_len[i], q, sizeof(int64_t));
  return GL_OK;
}
