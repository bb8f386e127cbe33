/* The trainer's state, shared by trainer.c (rollout + update) and checkpoint.c. */
#ifndef GAITLAB_TRAIN_TRAINER_INTERNAL_H
#define GAITLAB_TRAIN_TRAINER_INTERNAL_H

#include "gaitlab/rng.h"
#include "gaitlab/train.h"

struct glt_trainer {
  glt_params p;
  MPI_Comm comm;
  int rank, size;
  glp_policy *pol; /* borrowed */
  glt_env env;     /* borrowed descriptor */
  int n;           /* local envs */
  int obs_dim, ain, cin, nact;
  int T, S, C;     /* horizon, sequence length, chunks per rollout */

  /* ---- persistent state (checkpointed) ---- */
  float *obs;            /* [n][obs_dim] observation the next step starts from */
  unsigned char *start;  /* [n] an episode starts at the next step (LSTM reset mask) */
  float *ha, *ca, *hc, *cc; /* [n][128] rollout LSTM states, actor and critic */
  glr_stream *rng;       /* [n] GLR_ACTION streams */
  double *ep_ret;        /* [n] running episode return */
  int64_t *ep_len;       /* [n] running episode length */
  glt_adam adam;
  double lr;
  glt_vnorm vn;
  int64_t iteration;
  double policy_steps;
  double wall_seconds;

  /* ---- rollout buffers, time-major [T][n]... ---- */
  float *b_obs;          /* [T][n][obs_dim] */
  unsigned char *b_start;/* [T][n] */
  unsigned char *b_end;  /* [T][n] */
  float *b_act, *b_mu;   /* [T][n][nact] */
  float *b_sigma;        /* [n][nact] stored sigma (state independent; overwritten per mb) */
  double *b_nlp;         /* [T][n] */
  float *b_val, *b_rew, *b_boot, *b_adv, *b_ret, *b_retn; /* [T][n] */
  float *b_last;         /* [n] V(s_T) */
  float *s_ha, *s_ca, *s_hc, *s_cc; /* [C][n][128] states at chunk starts */

  /* ---- rollout workspaces ---- */
  glp_infer_ws_f *iws_a, *iws_c;
  float *x_a, *x_c;      /* [n][ain], [n][cin] */
  float *mu_out, *v_out; /* [n][nact], [n] */
  float *h_tmp, *c_tmp;  /* [n][128] critic state copies for bootstraps */
  int *idx;              /* [n] */

  /* ---- update workspaces (B = Bmax sequences of S steps) ---- */
  int Bmax;
  glp_seq_ws_f *sws_a, *sws_c;
  float *m_xa, *m_xc;    /* [S][B][ain], [S][B][cin] */
  float *m_h0a, *m_c0a, *m_h0c, *m_c0c; /* [B][128] */
  unsigned char *m_reset;/* [S][B] */
  float *m_outa, *m_outc, *m_douta, *m_doutc; /* [S][B][nact], [S][B] */
  int *m_env, *m_chunk;  /* [B] local env and chunk of each sequence (-1 = padding) */
  float *grad;           /* [nparams] */
  float *normbuf;        /* [obs_dim] scratch */
};

/* The per-env checkpoint record: everything of env i's trajectory state. */
size_t glt_env_record_size(glt_trainer *t, int i);
gl_err glt_env_record_save(glt_trainer *t, int i, unsigned char *buf);
gl_err glt_env_record_load(glt_trainer *t, int i, const unsigned char *buf, size_t len);

#endif
