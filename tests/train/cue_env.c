#include "train/cue_env.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/rng.h"

typedef struct cue_state {
  glr_stream rng;
  int t;
  float cue;
} cue_state;

struct cue_env {
  int n, L;
  cue_state *s;
};

static const char *const cue_metric_names[] = {"sq_error"};

static gl_err cue_reset(void *ctx, int i) {
  cue_env *c = ctx;
  c->s[i].t = 0;
  c->s[i].cue = glr_uniform(&c->s[i].rng) < 0.5 ? -1.0f : 1.0f;
  return GL_OK;
}

static gl_err cue_observe(void *ctx, int i, float *obs) {
  cue_env *c = ctx;
  memset(obs, 0, CUE_OBS * sizeof(float));
  if (c->s[i].t == 0) {
    obs[0] = c->s[i].cue;
    obs[1] = 1.0f;
  } else {
    obs[2] = (float)c->s[i].t / (float)c->L;
  }
  return GL_OK;
}

static gl_err cue_step(void *ctx, int i, const float *a, glt_step_result *r) {
  cue_env *c = ctx;
  double err = 0.0;
  for (int j = 0; j < GLP_NACT; ++j) {
    double d = a[j] - 0.5 * c->s[i].cue;
    err += d * d;
  }
  err /= GLP_NACT;
  c->s[i].t++;
  r->reward = (float)(1.0 - err);
  r->terminated = err > 2.0;
  r->timed_out = c->s[i].t >= c->L;
  r->metric[0] = (float)err;
  return GL_OK;
}

static size_t cue_state_size(void *ctx, int i) { return sizeof(cue_state); }
static gl_err cue_state_save(void *ctx, int i, void *buf) {
  memcpy(buf, &((cue_env *)ctx)->s[i], sizeof(cue_state));
  return GL_OK;
}
static gl_err cue_state_load(void *ctx, int i, const void *buf) {
  memcpy(&((cue_env *)ctx)->s[i], buf, sizeof(cue_state));
  return GL_OK;
}

static const glt_env_ops cue_ops = {CUE_OBS,        GLP_NACT,       1,
                                    cue_metric_names, cue_reset,    cue_observe,
                                    cue_step,       cue_state_size, cue_state_save,
                                    cue_state_load};

gl_err cue_env_create(glt_env *env, uint64_t seed, int64_t first, int n, int episode_len) {
  cue_env *c = NULL;
  GL_CALL(GL_ALLOC(c, 1));
  gl_err err = GL_ALLOC(c->s, n ? n : 1);
  if (err) {
    free(c);
    return err;
  }
  c->n = n;
  c->L = episode_len;
  for (int i = 0; i < n; ++i) glr_init(&c->s[i].rng, seed, (uint64_t)(first + i), GLR_TEST);
  env->ops = &cue_ops;
  env->ctx = c;
  env->n = n;
  env->first = first;
  return GL_OK;
}

void cue_env_destroy(glt_env *env) {
  cue_env *c = env->ctx;
  if (c) free(c->s);
  free(c);
  env->ctx = NULL;
}

static void fill_uniform(float *v, size_t n, double bound, uint64_t seed, uint64_t id) {
  glr_stream s;
  glr_init(&s, seed, id, GLR_PARAM_INIT);
  for (size_t i = 0; i < n; ++i) v[i] = (float)glr_uniform_range(&s, -bound, bound);
}

static void init_tower(float *P, const glp_layout *L, double head_gain, uint64_t seed,
                       uint64_t id0) {
  const double lb = 1.0 / sqrt((double)GLP_LSTM);
  fill_uniform(P + L->W1, (size_t)GLP_H1 * L->in, 1.0 / sqrt(L->in), seed, id0 + 0);
  fill_uniform(P + L->W2, (size_t)GLP_H2 * GLP_H1, 1.0 / sqrt(GLP_H1), seed, id0 + 1);
  fill_uniform(P + L->Wih, (size_t)4 * GLP_LSTM * GLP_H2, lb, seed, id0 + 2);
  fill_uniform(P + L->Whh, (size_t)4 * GLP_LSTM * GLP_LSTM, lb, seed, id0 + 3);
  fill_uniform(P + L->bih, (size_t)4 * GLP_LSTM, lb, seed, id0 + 4);
  fill_uniform(P + L->bhh, (size_t)4 * GLP_LSTM, lb, seed, id0 + 5);
  fill_uniform(P + L->Wo, (size_t)L->out * GLP_LSTM, head_gain / sqrt(GLP_LSTM), seed, id0 + 6);
}

gl_err cue_policy_create(glp_policy **out, uint64_t seed) {
  glp_policy *p = NULL;
  GL_CALL(GL_ALLOC(p, 1));
  p->actor_in = p->critic_in = CUE_OBS;
  glp_layout_init(&p->actor, CUE_OBS, GLP_NACT);
  glp_layout_init(&p->critic, CUE_OBS, 1);
  p->off_actor = 0;
  p->off_critic = p->actor.n;
  p->off_logstd = p->off_critic + p->critic.n;
  p->nparams = p->off_logstd + GLP_NACT;
  gl_err err = GL_ALLOC(p->params, p->nparams);
  if (!err) err = glp_norm_init(&p->norm, CUE_OBS);
  if (err) {
    glp_policy_destroy(p);
    return err;
  }
  init_tower(p->params + p->off_actor, &p->actor, 0.01, seed, 0);
  init_tower(p->params + p->off_critic, &p->critic, 1.0, seed, 16);
  p->seed = seed;
  *out = p;
  return GL_OK;
}

double cue_memory_score(glp_policy *p, uint64_t seed, int eps, int L) {
  glt_env env;
  glp_infer_ws_f *ws = NULL;
  float *h = NULL, *c = NULL, *x = NULL, *o = NULL, *mu = NULL;
  double right = 0.0, total = 0.0;
  if (cue_env_create(&env, seed + 1000, 0, eps, L) ||
      glp_infer_ws_create_f(&ws, &p->actor, eps) || GL_ALLOC(h, (size_t)eps * GLP_LSTM) ||
      GL_ALLOC(c, (size_t)eps * GLP_LSTM) || GL_ALLOC(x, (size_t)eps * CUE_OBS) ||
      GL_ALLOC(o, (size_t)eps * CUE_OBS) || GL_ALLOC(mu, (size_t)eps * GLP_NACT))
    return -1.0;
  cue_env *ce = env.ctx;
  for (int i = 0; i < eps; ++i) cue_reset(ce, i);
  for (int t = 0; t < L; ++t) {
    for (int i = 0; i < eps; ++i) cue_observe(ce, i, o + (size_t)i * CUE_OBS);
    glp_norm_apply(&p->norm, eps, o, CUE_OBS, x, CUE_OBS);
    glp_step_f(&p->actor, p->params + p->off_actor, ws, eps, x, h, c, NULL, mu);
    for (int i = 0; i < eps; ++i) {
      ce->s[i].t++;
      if (t == 0) continue;
      for (int j = 0; j < GLP_NACT; ++j) {
        right += (mu[(size_t)i * GLP_NACT + j] * ce->s[i].cue) > 0;
        total += 1;
      }
    }
  }
  glp_infer_ws_destroy_f(ws);
  free(h), free(c), free(x), free(o), free(mu);
  cue_env_destroy(&env);
  return total > 0 ? right / total : 0.0;
}
