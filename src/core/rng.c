/* Philox-4x64-10 from Random123: the counter is (purpose, block, 0, 0) and the key is
 * (seed, index), so the stream of any agent can be produced on any rank at any position. */
#include "gaitlab/rng.h"

#include <math.h>

#include <Random123/philox.h>

static void glr_refill(glr_stream *s) {
  philox4x64_ctr_t ctr = {{s->purpose, s->block, 0, 0}};
  philox4x64_key_t key = {{s->key[0], s->key[1]}};
  philox4x64_ctr_t out = philox4x64(ctr, key);
  for (int i = 0; i < 4; ++i) s->buf[i] = out.v[i];
  s->block++;
  s->used = 0;
}

void glr_init(glr_stream *s, uint64_t seed, uint64_t index, glr_purpose purpose) {
  s->key[0] = seed;
  s->key[1] = index;
  s->purpose = (uint64_t)purpose;
  s->block = 0;
  s->used = 4;
}

uint64_t glr_position(const glr_stream *s) { return s->block * 4 - (uint64_t)(4 - s->used); }

void glr_seek(glr_stream *s, uint64_t position) {
  s->block = position / 4;
  s->used = 4;
  int skip = (int)(position % 4);
  if (skip) {
    glr_refill(s);
    s->used = skip;
  }
}

uint64_t glr_u64(glr_stream *s) {
  if (s->used >= 4) glr_refill(s);
  return s->buf[s->used++];
}

double glr_uniform(glr_stream *s) { return (double)(glr_u64(s) >> 11) * 0x1.0p-53; }

double glr_uniform_range(glr_stream *s, double lo, double hi) {
  return lo + (hi - lo) * glr_uniform(s);
}

double glr_normal(glr_stream *s) {
  /* 1 - u keeps the log argument in (0, 1]. */
  double u1 = 1.0 - glr_uniform(s), u2 = glr_uniform(s);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
