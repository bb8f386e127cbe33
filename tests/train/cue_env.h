/* "Remember the cue": a cheap recurrent test task for the PPO trainer.
 *
 * Each episode draws a cue c in {-1, +1} (from the env's (seed, index, GLR_TEST) stream).
 * Observation (CUE_OBS floats): step 0 shows [c, 1, 0, ...]; later steps show
 * [0, 0, t/L, 0, ...], so the cue must be remembered. Reward per step is
 * 1 - mean_j (a_j - 0.5 c)^2 over the 12 action dims. An episode times out after L steps
 * and terminates early when the squared error exceeds 2 (rare under the initial std 1).
 * A memoryless policy can at best output 0 after step 0 (error 0.25 + sigma^2); a policy
 * with memory reaches sigma^2. */
#ifndef GAITLAB_TESTS_CUE_ENV_H
#define GAITLAB_TESTS_CUE_ENV_H

#include "gaitlab/train.h"

#define CUE_OBS 8

typedef struct cue_env cue_env;

gl_err cue_env_create(glt_env *env, uint64_t seed, int64_t first, int n, int episode_len);
void cue_env_destroy(glt_env *env);

/* A small policy object for CUE_OBS inputs (the trainer only needs the struct fields);
 * weights from the glr PARAM_INIT streams like glp_policy_create. */
gl_err cue_policy_create(glp_policy **p, uint64_t seed);

/* Share of later-step actions whose deterministic mean has the sign of the cue, over `eps`
 * fresh episodes of env indices [first, first+eps) (evaluation, single rank). */
double cue_memory_score(glp_policy *p, uint64_t seed, int eps, int episode_len);

#endif
