/* Where each parameter block of a tower lives in the flat parameter vector. */
#include "gaitlab/policy.h"

void glp_layout_init(glp_layout *L, int in, int out) {
  size_t o = 0;
  L->in = in;
  L->out = out;
  L->W1 = o; o += (size_t)GLP_H1 * in;
  L->b1 = o; o += GLP_H1;
  L->W2 = o; o += (size_t)GLP_H2 * GLP_H1;
  L->b2 = o; o += GLP_H2;
  L->Wih = o; o += (size_t)4 * GLP_LSTM * GLP_H2;
  L->bih = o; o += 4 * GLP_LSTM;
  L->Whh = o; o += (size_t)4 * GLP_LSTM * GLP_LSTM;
  L->bhh = o; o += 4 * GLP_LSTM;
  L->Wo = o; o += (size_t)out * GLP_LSTM;
  L->bo = o; o += (size_t)out;
  L->n = o;
}

size_t glp_seq_ws_bytes(const glp_layout *L, int T, int B, size_t real_size) {
  const size_t tb = (size_t)T * B, H = GLP_LSTM;
  /* x, a1, a2, gates, hprev, cprev, tanh_c, h, dh_all, dz, da2 per row; cstep, dh, dc per
   * sequence; the reset mask */
  size_t reals = tb * ((size_t)L->in + GLP_H1 + GLP_H2 + 4 * H + 5 * H + 4 * H + GLP_H2) +
                 (size_t)B * 3 * H;
  return reals * real_size + tb;
}

double glp_tower_flops(const glp_layout *L) {
  return 2.0 * ((double)L->in * GLP_H1 + (double)GLP_H1 * GLP_H2 +
                4.0 * GLP_LSTM * (GLP_H2 + GLP_LSTM) + (double)GLP_LSTM * L->out);
}
