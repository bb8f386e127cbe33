/* Counter-based random streams (prefix glr_), Random123 Philox-4x64.
 *
 * Determinism rule of gaitlab: every random number an agent (or training environment)
 * consumes comes from a stream keyed by (seed, global index) and a purpose, never from
 * the rank or from how agents are batched. A stream is a pure function of
 * (seed, index, purpose, position): two streams with any differing key part are
 * independent, and re-creating a stream at a saved position resumes it exactly. */
#ifndef GAITLAB_RNG_H
#define GAITLAB_RNG_H

#include <stdint.h>

/* Purposes keep the streams of one agent apart, so adding draws for one purpose never
 * shifts the numbers of another (e.g. noise on/off does not change the initial pose). */
typedef enum glr_purpose {
  GLR_INIT_POSE = 1,   /* reset joint positions/velocities, spawn jitter */
  GLR_FRICTION = 2,    /* friction coefficient */
  GLR_OBS_NOISE = 3,   /* observation noise */
  GLR_PUSH = 4,        /* push perturbations */
  GLR_COMMAND = 5,     /* training command sampling */
  GLR_ACTION = 6,      /* training action sampling */
  GLR_PARAM_INIT = 7,  /* network weight initialisation (index = tensor id) */
  GLR_TERRAIN = 8,     /* terrain generation */
  GLR_MINIBATCH = 9,   /* minibatch order in training */
  GLR_COMMAND_MODE = 10, /* training: heading controller or constant yaw rate, per env */
  GLR_DYNAMICS = 11,   /* dynamics: initial states of the fixed-point search (index = init) */
  GLR_NEURAL = 12,     /* run: the units an ablation picks at random (index = agent) */
  GLR_TEST = 100       /* reserved for tests */
} glr_purpose;

typedef struct glr_stream {
  uint64_t key[2];  /* seed, global index */
  uint64_t purpose;
  uint64_t block;   /* next counter block to generate */
  uint64_t buf[4];  /* current block's output */
  int used;         /* how many of buf were consumed (4 = refill) */
} glr_stream;

void glr_init(glr_stream *s, uint64_t seed, uint64_t index, glr_purpose purpose);
/* Position = number of 64-bit draws consumed; save/restore it for checkpoints. */
uint64_t glr_position(const glr_stream *s);
void glr_seek(glr_stream *s, uint64_t position);

uint64_t glr_u64(glr_stream *s);
double glr_uniform(glr_stream *s);                   /* [0, 1), 53 random bits */
double glr_uniform_range(glr_stream *s, double lo, double hi); /* [lo, hi) */
double glr_normal(glr_stream *s);                    /* N(0,1), Box-Muller, 2 draws each */

#endif
