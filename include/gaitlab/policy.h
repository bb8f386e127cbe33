/* The actor-critic network (prefix glp_): observation normaliser, two independent towers
 * MLP(in->512 ELU ->256 ELU) -> LSTM(256->128) -> Linear(128->out), and a learned
 * state-independent log-std (docs/task_and_training.md §10).
 *
 * Parameters live in one flat float array (actor tower, critic tower, log-std) so that
 * Adam, MPI_Allreduce and checkpoints treat them as one vector. The tower kernels are
 * written once over a `real` type and compiled twice: *_f (float, production) and *_d
 * (double, gradient checks). Forward passes use BLAS; results for one batch row never
 * depend on the other rows or the batch size provided callers place rows by the slot rule
 * (GLP_BATCH_PAD below), which is what makes recordings identical for any rank count.
 * Policy file format: see glp_policy_save (src/policy/policy.c). */
#ifndef GAITLAB_POLICY_H
#define GAITLAB_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "gaitlab/error.h"

#define GLP_H1 512
#define GLP_H2 256
#define GLP_LSTM 128
#define GLP_NACT 12

/* Offsets (in elements) of each parameter block of one tower within a flat array.
 * Matrices are row-major [out][in] like PyTorch's weight; LSTM gates stacked i, f, g, o. */
typedef struct glp_layout {
  int in, out;
  size_t W1, b1, W2, b2, Wih, bih, Whh, bhh, Wo, bo; /* offsets relative to the tower start */
  size_t n;                                          /* tower parameter count */
} glp_layout;

void glp_layout_init(glp_layout *L, int in, int out);

/* What the recording stores of each step (all optional; [B][dim]). */
typedef struct glp_capture_f {
  float *mlp;     /* [B][256] MLP output (after the 2nd ELU) */
  float *h;       /* [B][128] LSTM h after the step */
  float *c;       /* [B][128] LSTM c after the step */
  float *gate_fc; /* [B][128] f (.) c_prev */
  float *gate_ig; /* [B][128] i (.) g */
} glp_capture_f;

/* ---- batch invariance (how recordings stay identical for any rank count) ----
 * BLAS gemm is NOT row-invariant: with OpenBLAS 0.3.21 (Haswell kernels) the float result
 * of one row of X*W^T changes with the number of rows M and with the row's position in the
 * kernel's 12-wide tile (measured: tests/policy/test_policy_batch.c). glp_step_f therefore
 * always multiplies fixed-width chunks of GLP_BATCH_PAD rows (a partial last chunk is
 * zero-padded), so the result for row r depends only on that row's inputs and on its slot
 * r % GLP_BATCH_PAD. THE RULE for callers: put the agent with global index g at a row r with
 * r % GLP_BATCH_PAD == g % GLP_BATCH_PAD (glp_batch_slot). A rank owning agents [g0, g1)
 * passes B = glp_batch_slot(g0) + (g1 - g0) rows with agent g at row glp_batch_slot(g0) +
 * (g - g0); the leading rows are padding (computed and written like any row, but their
 * contents never affect other rows: zero them). Then h, c, out and captures are bitwise
 * identical for any sharding and batch size. (32 balances the cost of re-packing the
 * weights per BLAS call, ~15% per row at 16, against padding waste for small batches.)
 * glp_step_f and glp_seq_forward_f agree only to float rounding, not bitwise.
 * glp_seq_* (training) are deterministic functions of (params, inputs, T, B): call them with
 * a fixed B and fixed sequence-to-chunk assignment, and reduce chunk gradients in a fixed
 * order, to get rank-count-independent training. */
#define GLP_BATCH_PAD 32
static inline int glp_batch_slot(uint64_t global_index) {
  return (int)(global_index % GLP_BATCH_PAD);
}

/* Inference workspace for batches of up to `bmax` rows. */
typedef struct glp_infer_ws_f glp_infer_ws_f;
gl_err glp_infer_ws_create_f(glp_infer_ws_f **ws, const glp_layout *L, int bmax);
void glp_infer_ws_destroy_f(glp_infer_ws_f *ws);

/* One recurrent step for B rows: x [B][in] (already normalised), h/c [B][128] updated in
 * place, out [B][out]. capture may be NULL. */
gl_err glp_step_f(const glp_layout *L, const float *tower_params, glp_infer_ws_f *ws, int B,
                  const float *x, float *h, float *c, glp_capture_f *capture, float *out);

/* A change of the LSTM state inside a step (neural perturbation and ablation, run's
 * neural: block). fn is called for each row after the cell update and before the action
 * head reads h, with the row's new h and c ([128] each, writable) and its activated gates
 * (i, f, g, o; [4][128]); row is the row index in the batch. When it changed c it returns
 * nonzero and the step recomputes h = o * tanh(c), so that h and c stay one state (an
 * unchanged unit gets the same bits back). What fn leaves is what the head, the capture
 * and the next step see. */
typedef struct glp_state_edit {
  int (*fn)(void *ctx, int row, float *h, float *c, const float *gates);
  void *ctx;
} glp_state_edit;

/* glp_step_f with an edit of the state (edit may be NULL: then exactly glp_step_f). */
gl_err glp_step_edit_f(const glp_layout *L, const float *tower_params, glp_infer_ws_f *ws,
                       int B, const float *x, float *h, float *c, glp_capture_f *capture,
                       float *out, const glp_state_edit *edit);

/* ---- sequences for training (BPTT), float and double builds of the same code ---- */
typedef struct glp_seq_ws_f glp_seq_ws_f;
typedef struct glp_seq_ws_d glp_seq_ws_d;

gl_err glp_seq_ws_create_f(glp_seq_ws_f **ws, const glp_layout *L, int T, int B);
size_t glp_seq_ws_bytes_f(const glp_layout *L, int T, int B); /* what create allocates */
void glp_seq_ws_destroy_f(glp_seq_ws_f *ws);
gl_err glp_seq_ws_create_d(glp_seq_ws_d **ws, const glp_layout *L, int T, int B);
size_t glp_seq_ws_bytes_d(const glp_layout *L, int T, int B);
void glp_seq_ws_destroy_d(glp_seq_ws_d *ws);

/* x[i] = expf(x[i]) for n floats, bitwise equal to the C library's expf for every input
 * (NaN, infinities and denormals included): on x86-64 with AVX2 and FMA a vector copy of
 * glibc's algorithm that the first call checks against expf, otherwise expf itself. The
 * tower's activations use it; glp_expf_vectorised() says which one runs (1 = vector). */
void glp_expf_n(float *x, size_t n);
int glp_expf_vectorised(void);

/* Bytes a sequence workspace holds (activations cached for BPTT), to size chunks. */
size_t glp_seq_ws_bytes(const glp_layout *L, int T, int B, size_t real_size);
/* Multiply-adds x2 of one forward step of one row (backward costs about twice this). */
double glp_tower_flops(const glp_layout *L);

/* Forward over T steps x B sequences, caching what backward needs.
 * x [T][B][in]; h0, c0 [B][128] (the stored initial states; treated as constants);
 * reset [T][B] (nonzero: zero h, c before step t, i.e. an episode starts at t) or NULL;
 * out [T][B][out]. */
gl_err glp_seq_forward_f(const glp_layout *L, const float *tower_params, glp_seq_ws_f *ws,
                         const float *x, const float *h0, const float *c0,
                         const unsigned char *reset, float *out);
gl_err glp_seq_forward_d(const glp_layout *L, const double *tower_params, glp_seq_ws_d *ws,
                         const double *x, const double *h0, const double *c0,
                         const unsigned char *reset, double *out);
/* Backward of the last forward: dout [T][B][out] -> grad (ACCUMULATED, tower layout).
 * dx (optional, [T][B][in]) and dh0/dc0 (optional, [B][128]) for gradient checks are
 * overwritten. May be called again for another dout; the forward caches are kept.
 * Workspace memory is glp_seq_ws_bytes(): chunk large minibatches. */
gl_err glp_seq_backward_f(const glp_layout *L, const float *tower_params, glp_seq_ws_f *ws,
                          const float *dout, float *grad, float *dx, float *dh0, float *dc0);
gl_err glp_seq_backward_d(const glp_layout *L, const double *tower_params, glp_seq_ws_d *ws,
                          const double *dout, double *grad, double *dx, double *dh0,
                          double *dc0);

/* ---- observation normaliser (running mean/var, parallel-variance merge, clamp ±5) ---- */
typedef struct glp_norm {
  int dim;
  double count; /* starts at 1 (rl_games convention), mean 0, var 1 */
  double *mean, *var;
} glp_norm;

gl_err glp_norm_init(glp_norm *n, int dim);
void glp_norm_free(glp_norm *n);
/* Merge a batch (B rows of `stride` floats; first dim used) into the statistics, exactly
 * like rl_games RunningMeanStd: the batch enters with its mean and its UNBIASED variance
 * (torch.var default; 0 for B = 1), merged by the parallel-variance formula in double. */
void glp_norm_update(glp_norm *n, int B, const float *x, int stride);
/* Merge precomputed batch moments (count, mean, var = unbiased variance of that batch, as
 * glp_norm_update computes it): used after an MPI reduction of a distributed batch.
 * Merges commute up to rounding. */
void glp_norm_merge(glp_norm *n, double count, const double *mean, const double *var);
/* out[b][j] = clamp((x - mean)/sqrt(var + 1e-5), -5, 5) for j < out_dim. */
void glp_norm_apply(const glp_norm *n, int B, const float *x, int x_stride, float *out,
                    int out_dim);

/* ---- what the inputs are ---- */

/* The network knows its inputs only by width. The environment that produces them describes
 * them (env.h: gle_policy_inputs), and the description goes into every policy file
 * (obs_names, obs_layout) so that a file says what its columns mean. */
typedef struct glp_inputs {
  int base;  /* a tower reads the first `base` inputs ... */
  int full;  /* ... or all `full` of them; the normaliser covers `full` */
  void (*name)(int j, char *buf, size_t len); /* name of input j < full */
  const char *layout;                          /* the layout, as text */
} glp_inputs;

/* ---- the policy object: normaliser + actor + critic + log-std ---- */
typedef struct glp_policy {
  const glp_inputs *in; /* not owned: a static description */
  int actor_in;      /* in->base or in->full */
  int critic_in;     /* in->base or in->full */
  glp_layout actor, critic;
  size_t off_actor, off_critic, off_logstd, nparams;
  float *params;     /* owned, nparams */
  glp_norm norm;     /* over in->full inputs */
  /* provenance (owned strings, may be NULL): training YAML, git hash, ... */
  char *train_yaml;
  char *git_hash;
  uint64_t seed;
  double policy_steps;  /* environment steps trained */
  double wall_seconds;  /* training wall time */
  int iterations;
} glp_policy;

/* New policy with PyTorch-default init (kaiming-uniform weights, zero Linear biases,
 * U(±1/sqrt(128)) LSTM weights and biases), actor head scaled by head_gain (0.01 keeps
 * initial actions near the default pose), log-std = logstd0. Random numbers come from
 * glr streams keyed by (seed, tensor id). */
gl_err glp_policy_create(glp_policy **p, const glp_inputs *in, int actor_in, int critic_in,
                         uint64_t seed, double head_gain, double logstd0);
void glp_policy_destroy(glp_policy *p);

/* Self-describing HDF5 policy file (serial I/O; call on one rank and broadcast). Every
 * tensor is a named dataset with its shape; attributes: obs layout, normaliser, provenance. */
gl_err glp_policy_save(const glp_policy *p, const char *path);
gl_err glp_policy_load(glp_policy **p, const char *path, const glp_inputs *in);
/* Broadcast a policy from root (others receive a new object) over an MPI communicator.
 * Collective. On non-root ranks *p is overwritten (pass NULL); a NULL *p on root is an
 * error on every rank. */
gl_err glp_policy_bcast(glp_policy **p, const glp_inputs *in, int root,
                        void *mpi_comm /* MPI_Comm* */);

#endif
