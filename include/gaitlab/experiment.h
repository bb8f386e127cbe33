/* Experiments (prefix glx_): the YAML of `gaitlab run`, its expansion into conditions and
 * agents, the fixed sharding of agents over ranks, and the run driver that simulates a
 * rank's shard and records it into the shared HDF5 file (recording.h, which knows nothing
 * of experiments: run hands it a glio_spec).
 *
 * Agent numbering is global and rank-free: agent = condition * copies + copy. Ranks own
 * contiguous blocks (gl_shard_range) and every random number of an agent is keyed by its
 * global index, so the file is bitwise identical for any rank count. */
#ifndef GAITLAB_EXPERIMENT_H
#define GAITLAB_EXPERIMENT_H

#include <mpi.h>
#include <stdint.h>

#include "gaitlab/config.h"
#include "gaitlab/env.h"
#include "gaitlab/error.h"
#include "gaitlab/recording.h"

typedef enum glx_perturb_kind {
  GLX_PERTURB_NONE = 0,
  GLX_PERTURB_VELOCITY = 1, /* set the base velocity once (the paper's push) */
  GLX_PERTURB_FORCE = 2     /* a force on the base, synchronised to a foot's touchdown */
} glx_perturb_kind;

/* neural: block (src/run/neural.c): a change of units or PC directions of one layer */
typedef enum glx_neural_kind {
  GLX_NEURAL_NONE = 0,
  GLX_NEURAL_SET,    /* x := value, for neural.steps steps from neural.step */
  GLX_NEURAL_OFFSET, /* x := x + value */
  GLX_NEURAL_SCALE,  /* x := value * x (PCs: the projection about the PCA mean) */
  GLX_NEURAL_ZERO,   /* x := 0 (PCs: the projection set to the PCA mean's) */
  GLX_NEURAL_ABLATE  /* x := the reference's mean, every step from neural.step on */
} glx_neural_kind;
typedef enum glx_neural_layer { GLX_NL_LSTM_H = 0, GLX_NL_LSTM_C, GLX_NL_OBS } glx_neural_layer;
typedef enum glx_neural_select { GLX_SELECT_RANDOM = 0, GLX_SELECT_GRADIENT } glx_neural_select;

typedef struct glx_config {
  char *name;
  int seed;
  char *policy;          /* path, "default" (shipped) or "random" (untrained, from seed) */
  char *output;          /* HDF5 path */
  gle_task_keys task;    /* env: the task keys shared with training (env.h) */
  /* sim */
  int record_start, record_stop; /* window [start, stop) in policy steps */
  int batch;             /* agents per inference batch (fixed width; see policy.h) */
  /* documented aliases of task keys (older files): sim.timestep, sim.decimation,
   * sim.episode_steps, sim.noise, sim.friction_min/max; folded into `task` by the binder */
  double alias_timestep, alias_friction_lo, alias_friction_hi;
  int alias_decimation, alias_episode_steps, alias_noise;
  /* conditions */
  glc_reals u, v, r;     /* m/s, m/s, rad/s */
  int zip;               /* 0: grid u x v x r; 1: element-wise lists (scalars broadcast) */
  int copies;
  /* perturbation */
  int perturb_kind;
  int perturb_step;      /* policy step at which to apply */
  double perturb_vx, perturb_vy; /* world-frame velocity set by the push (m/s) */
  double perturb_random; /* > 0: add U(-x, x) per agent from its GLR_PUSH stream */
  double perturb_fraction; /* fraction of copies (lowest copy indices) perturbed */
  /* force disturbances: the perturbed copies of a condition cycle through the grid
   * magnitude x duration (cell = copy % (n_mag x n_dur), magnitude-major) */
  glc_reals force_magnitude; /* body weights */
  glc_reals force_duration;  /* s */
  glc_reals force_direction; /* body frame (x forward, y left, z up); normalised */
  int force_foot;            /* GLE_FOOT_*: onset at its first touchdown at or after perturb_step */
  double force_delay;        /* s after that touchdown (rounded to policy steps) */
  /* neural perturbation and ablation (neural.*) */
  int neural_kind;           /* glx_neural_kind */
  int neural_layer;          /* glx_neural_layer */
  int neural_step;           /* first policy step changed */
  int neural_steps;          /* set/offset/scale/zero: steps the change holds */
  glc_reals neural_units;    /* unit indices (whole numbers) */
  glc_reals neural_pcs;      /* 1-based PCs of the reference's /analysis/<layer>/pca */
  double neural_value;
  glc_reals neural_count;    /* ablate: numbers of units, a grid axis over the copies */
  int neural_select;         /* glx_neural_select */
  char *neural_reference;    /* a recording of the same policy: means, PCs, gradients */
  double neural_fraction;    /* fraction of copies changed (lowest copy indices) */
  /* recording */
  glc_strings record;    /* layer names; empty = all */
  int layer_on[GLIO_NLAYERS];
  /* derived */
  int nconditions;
  double *cond;          /* [nconditions][3] u, v, r */
  int64_t nagents;
  char *yaml;            /* effective config text (provenance) */
  int has_analysis;      /* the document has an analysis: block */
} glx_config;

/* The force-disturbance cell of a perturbed copy: magnitude (body weights) and duration (s). */
void glx_force_cell(const glx_config *cfg, int copy, double *magnitude, double *duration);

/* The ablation cell of a changed copy: how many units it ablates (neural.count). With force
 * disturbances too, the two grids are crossed (force cells vary fastest). */
int glx_neural_cell(const glx_config *cfg, int copy);
/* 1 when copy is changed by the neural: block. */
int glx_neural_on(const glx_config *cfg, int copy);

/* The experiment keys (for --help). */
const glc_key *glx_config_schema(size_t *n);

/* Bind and validate a document (all checks, incl. cross-field ones, with marks). */
gl_err glx_config_bind(const glc_doc *doc, glx_config *cfg);
void glx_config_free(glx_config *cfg);
/* Collective: load + overrides on rank 0, validate, broadcast; identical cfg everywhere. */
gl_err glx_config_load(const char *path, const char *const *sets, int nsets, MPI_Comm comm,
                       glx_config *cfg, glc_doc **doc_out);

/* The policy file for the YAML's `policy:` value: a bare name (no '/', no ".h5") is a
 * shipped agent policies/NAME.h5 (GL_ERR_INPUT naming it when there is none), else a path. */
gl_err glx_policy_path(const char *policy, char *path, size_t len);

/* Bytes glx_run touches (resident) and allocates on each rank for this experiment (memory
 * planning: glx_run checks them with gl_memory_check before allocating), and what they are,
 * in words, into what. */
gl_err glx_memory_plan(const glx_config *cfg, double *resident, double *allocated, char *what,
                       size_t len);

/* Run the experiment: simulate the shard, record collectively, write summaries, rename
 * <output>.partial -> <output>. With resume, agents already marked complete in an existing
 * <output>.partial of the same configuration are skipped. */
gl_err glx_run(const glx_config *cfg, int resume, int quiet, MPI_Comm comm);

#endif
