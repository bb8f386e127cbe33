/* The recording file (prefix glio_): one HDF5 file per experiment, written collectively by
 * all ranks through MPI-IO, readable by h5py without custom code.
 *
 *   /                      attrs: config_yaml, git_hash, gaitlab_version, library_versions,
 *                                 seed, nranks, name, status ("complete" once renamed);
 *                                 policy, and the policy file's own provenance: policy_seed,
 *                                 policy_steps, policy_iterations, policy_git_hash
 *   /conditions/{u,v,r}    [condition] float64, SI (m/s, m/s, rad/s)
 *   /conditions/{u,v,r}_obs [condition] float64, observation scale (x2, x2, x0.25; the
 *                          authors' analysis labels)
 *   /agents/{condition,copy,fell,fall_step,perturbed,complete,friction,warnings}  [agent]
 *   /agents/mean_velocity  [agent x 3] mean measured (u, v, r) over valid window samples
 *   /agents/rf_cycles      [agent] complete RF-foot cycles in the valid window
 *   /agents/force_*        force disturbances only (glio_spec.force)
 *   /agents/neural_count, neural_units [agent], [agent x width]: the neural: block only
 *   /recording/step        [step] int32 absolute policy step of each recorded row
 *   /recording/<layer>     [agent x step x dim] float32, chunked one agent per chunk;
 *                          samples at steps >= fall_step are NaN (invalid)
 *   /summary/tracking      [condition x GLIO_TRACK_NCOL] per-condition table, columns
 *                          named by glio_track_col (attribute `columns`)
 *
 * Data is written to <output>.partial and renamed only when complete; per-agent
 * /agents/complete flags are flushed after each block so a resumed run knows which agents
 * are safe to trust. */
#ifndef GAITLAB_RECORDING_H
#define GAITLAB_RECORDING_H

#include <mpi.h>
#include <stdint.h>

#include "gaitlab/error.h"

/* The recordable layers, in file order (layers.c holds their names, widths and units). */
typedef enum glio_layer {
  GLIO_OBS = 0, GLIO_MLP, GLIO_LSTM_H, GLIO_LSTM_C, GLIO_GATE_FC, GLIO_GATE_IG, GLIO_MU,
  GLIO_TORQUE, GLIO_FOOT_FORCE, GLIO_BASE_LIN_VEL, GLIO_BASE_ANG_VEL, GLIO_COMMAND,
  GLIO_BASE_POS, GLIO_BASE_QUAT, GLIO_NLAYERS
} glio_layer;

typedef struct glio_layer_info {
  const char *name;  /* dataset name under /recording */
  int dim;
  const char *units;
  const char *description;
} glio_layer_info;

const glio_layer_info *glio_layer_table(void); /* GLIO_NLAYERS entries */
extern const char *const glio_layer_names[];   /* NULL-terminated, for schema choices */

/* The columns of /summary/tracking, in file order. */
typedef enum glio_track_col {
  GLIO_TRACK_U_CMD = 0, GLIO_TRACK_V_CMD, GLIO_TRACK_R_CMD,       /* commanded, SI */
  GLIO_TRACK_U_MEAS, GLIO_TRACK_V_MEAS, GLIO_TRACK_R_MEAS,        /* mean over standing agents */
  GLIO_TRACK_FALL_RATE, GLIO_TRACK_STANDING, GLIO_TRACK_AGENTS,
  GLIO_TRACK_RF_CYCLES,                                           /* per standing agent */
  GLIO_TRACK_NCOL
} glio_track_col;

/* What a recording file is made for: everything glio_open needs, so that the file format
 * knows nothing of experiments (run fills this from its configuration). */
typedef struct glio_spec {
  const char *output;          /* final path; written as <output>.partial until complete */
  const char *config_yaml;     /* provenance; a resume must match it exactly */
  const char *name, *policy;
  int seed;
  /* The agent's provenance from its policy file, so that a recording names the very agent
   * even after policies/<name>.h5 is replaced: training seed, steps, iterations, git hash
   * (NULL: "unknown"). */
  long long policy_seed, policy_steps, policy_iterations;
  const char *policy_git_hash;
  int nconditions;
  const double *cond;          /* [nconditions x 3] commanded u, v, r (SI) */
  int copies;
  int zip;                     /* conditions paired element-wise rather than a grid */
  int64_t nagents;
  int record_start, record_stop; /* window [start, stop) in policy steps */
  double dt;                   /* s per policy step */
  const int *layer_on;         /* [GLIO_NLAYERS] */
  int force;                   /* force disturbances: /agents/force_* are written */
  int neural_width;            /* > 0: /agents/neural_count and neural_units [agent x width] */
  char neural_what[256];       /* what those columns hold (their description) */
  const char *neural_kind;     /* attributes of /agents/neural_count: kind and first step */
  int neural_step;
} glio_spec;

typedef struct glio_file glio_file;

/* Per-agent row of /agents. */
typedef struct glio_agent_row {
  int32_t condition, copy;
  int8_t fell, perturbed, complete;
  int32_t fall_step;  /* -1 = did not fall */
  float friction;
  int32_t warnings;   /* MuJoCo warnings counted over the episode */
  float mean_vel[3];  /* mean measured (u, v, r) over the valid window samples */
  int32_t rf_cycles;  /* complete RF-foot cycles (lift-off to lift-off, contact = F_z > 1 N)
                         in the valid window: the quick check that an agent walks */
  float force_magnitude, force_duration; /* force disturbance: body weights, s (0 = none) */
  int32_t force_onset_step;              /* -1 = not applied */
  int32_t neural_count;                  /* units (or PCs) the neural: block changes; 0 none */
  const int16_t *neural_units;           /* [neural_width], -1 padded (not owned) */
} glio_agent_row;

/* Collective. Create <spec->output>.partial with every dataset sized for the experiment. With
 * resume != 0 and an existing .partial whose config_yaml matches, reopen it instead and
 * return in *done (allocated, [nagents] int8, owned by caller) which agents are complete. */
gl_err glio_open(glio_file **f, const glio_spec *spec, int resume, MPI_Comm comm,
                 int8_t **done);

/* Collective: write agents [agent0, agent0 + n) of this rank (n may be 0). layer[i] points to
 * [n][nwin][dim_i] floats for each enabled layer (NULL for disabled ones); rows[n]. Flushes
 * the file so the completion flags are durable. */
gl_err glio_write_block(glio_file *f, int64_t agent0, int64_t n, float *const *layer,
                        const glio_agent_row *rows);

/* Collective: compute /summary/tracking from /agents as stored in the file (so agents
 * completed before a resume count too), summing in agent order on rank 0 so the table is
 * bitwise identical for any rank count. Columns: glio_track_col. */
gl_err glio_write_tracking(glio_file *f);

/* Serial (any one rank): read the config_yaml attribute of a finished file; caller frees. */
gl_err glio_read_config(const char *path, char **yaml);

/* Collective: mark complete, close and rename .partial -> output. */
gl_err glio_finish(glio_file *f);
/* Close without renaming (error path); the .partial file stays for --resume. */
void glio_abort(glio_file *f);

/* Print a readable summary of any gaitlab file (recording or policy) to stdout: root
 * attributes, provenance, every object with its shape, the agents and tracking tables.
 * Serial. GL_ERR_INPUT when the file is missing or not HDF5. */
gl_err glio_info(const char *path);

#endif
