/* The config fuzz harness: parse, override, bind against a representative schema, emit,
 * re-parse and re-bind, checking invariants at every step (see harness_config.h). */
#include "harness_config.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaitlab/config.h"

typedef struct fz_cfg {
  double timestep;
  int decimation;
  int terrain;
  int render;
  int seed;
  double lr;
  char *name;
  glc_reals speeds;
  glc_strings conditions;
  glc_strings tags;
  glc_reals gains;
  int hidden;
} fz_cfg;

static const char *const fz_terrains[] = {"flat", "rough", "stairs", NULL};
static const char *const fz_gaits[] = {"walk", "trot", "pace", NULL};

static const glc_key fz_schema[] = {
    {"sim", GLC_SECTION, 0, 0, 0, 0, NULL, "simulation"},
    {"sim.timestep", GLC_REAL, offsetof(fz_cfg, timestep), 0, 0.05, GLC_OPEN_MIN, NULL, "step"},
    {"sim.decimation", GLC_INT, offsetof(fz_cfg, decimation), 1, 100, 0, NULL, "decimation"},
    {"sim.terrain", GLC_ENUM, offsetof(fz_cfg, terrain), 0, 0, 0, fz_terrains, "terrain"},
    {"sim.render", GLC_BOOL, offsetof(fz_cfg, render), 0, 0, 0, NULL, "render"},
    {"train.seed", GLC_INT, offsetof(fz_cfg, seed), 0, INT_MAX, 0, NULL, "seed"},
    {"train.lr", GLC_REAL, offsetof(fz_cfg, lr), 0, 1, GLC_OPEN_MIN | GLC_OPEN_MAX, NULL, "lr"},
    {"train.name", GLC_STRING, offsetof(fz_cfg, name), 0, 0, 0, NULL, "name"},
    {"train.speeds", GLC_REALS, offsetof(fz_cfg, speeds), -10, 10, 0, NULL, "speeds"},
    {"train.conditions", GLC_STRINGS, offsetof(fz_cfg, conditions), 0, 0, 0, fz_gaits, "gaits"},
    {"train.tags", GLC_STRINGS, offsetof(fz_cfg, tags), 0, 0, 0, NULL, "tags"},
    {"train.policy.gains", GLC_REALS, offsetof(fz_cfg, gains), 0, 0, 0, NULL, "gains"},
    {"train.policy.hidden", GLC_INT, offsetof(fz_cfg, hidden), 1, 4096, GLC_REQUIRED, NULL, "h"},
    {"extra", GLC_ANY, 0, 0, 0, 0, NULL, "free-form"},
};
#define FZ_NKEYS (sizeof fz_schema / sizeof fz_schema[0])

static void fz_fail(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_config invariant broken: %s\n%s\n", what, detail ? detail : "");
  abort();
}

/* Errors from user input must be GL_ERR_INPUT, one line, and start with the given mark. */
static void fz_check_error(gl_err e, const char *mark) {
  if (e == GL_OK) return;
  const char *m = gl_errmsg();
  if (e != GL_ERR_INPUT) fz_fail("error code is not GL_ERR_INPUT", m);
  if (strchr(m, '\n') || strchr(m, '\r')) fz_fail("multi-line error message", m);
  if (strncmp(m, mark, strlen(mark)) != 0) fz_fail("error message lacks its mark", m);
}

static int fz_reals_same(glc_reals a, glc_reals b) {
  return a.n == b.n && (a.n == 0 || memcmp(a.v, b.v, (size_t)a.n * sizeof *a.v) == 0);
}

static int fz_strings_same(glc_strings a, glc_strings b) {
  if (a.n != b.n) return 0;
  for (int i = 0; i < a.n; ++i)
    if (strcmp(a.v[i], b.v[i]) != 0) return 0;
  return 1;
}

static int fz_same(const fz_cfg *a, const fz_cfg *b) {
  return memcmp(&a->timestep, &b->timestep, sizeof a->timestep) == 0 &&
         a->decimation == b->decimation && a->terrain == b->terrain && a->render == b->render &&
         a->seed == b->seed && memcmp(&a->lr, &b->lr, sizeof a->lr) == 0 &&
         ((!a->name && !b->name) || (a->name && b->name && strcmp(a->name, b->name) == 0)) &&
         fz_reals_same(a->speeds, b->speeds) && fz_strings_same(a->conditions, b->conditions) &&
         fz_strings_same(a->tags, b->tags) && fz_reals_same(a->gains, b->gains) &&
         a->hidden == b->hidden;
}

static gl_err fz_bind(const glc_doc *d, const char *prefix, const glc_key *keys, size_t n,
                      fz_cfg *c) {
  static const double default_speeds[2] = {0.5, 1.0};
  memset(c, 0, sizeof *c);
  c->timestep = 0.005;
  c->name = "default"; /* literal default: exercises the binder's ownership copy */
  c->speeds.v = (double *)default_speeds;
  c->speeds.n = 2;
  return glc_bind(d, prefix, keys, n, c);
}

static void fz_apply_sets(glc_doc *d, const char *text, size_t size) {
  static const char tag[] = "#--set ";
  int applied = 0;
  for (size_t i = 0; i < size && applied < 16;) {
    size_t end = i;
    while (end < size && text[end] != '\n') ++end;
    size_t len = end - i;
    if (len >= sizeof tag - 1 && memcmp(text + i, tag, sizeof tag - 1) == 0) {
      size_t alen = len - (sizeof tag - 1);
      char *a = malloc(alen + 1);
      if (!a) abort();
      memcpy(a, text + i + sizeof tag - 1, alen);
      a[alen] = '\0';
      if (strlen(a) == alen) { /* an assignment is a C string: skip ones holding NULs */
        gl_err e = glc_doc_set(d, a);
        fz_check_error(e, "--set ");
        ++applied;
      }
      free(a);
    }
    i = end + 1;
  }
}

void glc_fuzz_one(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  glc_doc *d = NULL;
  gl_err e = glc_doc_load_string(&d, "fuzz.yaml", text, size);
  fz_check_error(e, "fuzz.yaml");
  if (e) {
    if (d) fz_fail("document returned with an error", NULL);
    return;
  }
  fz_apply_sets(d, text, size);

  /* queries never fail and never crash */
  char mark[256];
  (void)glc_doc_has(d, "sim.timestep");
  (void)glc_doc_mark(d, "train.speeds", mark, sizeof mark);

  char *out = NULL;
  e = glc_doc_emit(d, &out);
  if (e) fz_fail("glc_doc_emit failed", gl_errmsg());
  glc_doc *back = NULL;
  e = glc_doc_load_string(&back, "emitted.yaml", out, strlen(out));
  if (e) {
    fprintf(stderr, "%s\n--- emitted:\n%s\n", gl_errmsg(), out);
    fz_fail("emitted YAML does not parse", NULL);
  }
  if (!glc_doc_equal(d, back)) fz_fail("emit -> parse changed the document", out);

  /* bind the whole tree and one block, before and after the round trip */
  struct {
    const char *prefix;
    const glc_key *keys;
    size_t n;
  } binds[] = {{"", fz_schema, FZ_NKEYS}, {"sim", fz_schema + 1, 4},
               {"train.speeds", fz_schema + 8, 1}};
  for (size_t b = 0; b < sizeof binds / sizeof binds[0]; ++b) {
    fz_cfg c1, c2;
    gl_err e1 = fz_bind(d, binds[b].prefix, binds[b].keys, binds[b].n, &c1);
    if (e1 && e1 != GL_ERR_INPUT) fz_fail("bind: unexpected error code", gl_errmsg());
    if (e1 && (strchr(gl_errmsg(), '\n') || !*gl_errmsg())) fz_fail("bind: bad message", gl_errmsg());
    gl_err e2 = fz_bind(back, binds[b].prefix, binds[b].keys, binds[b].n, &c2);
    if (e1 != e2) fz_fail("bind result differs after the round trip", out);
    if (!e1 && !fz_same(&c1, &c2)) fz_fail("bound values differ after the round trip", out);
    glc_free(binds[b].keys, binds[b].n, &c1);
    glc_free(binds[b].keys, binds[b].n, &c2);
  }
  free(out);
  glc_doc_destroy(back);
  glc_doc_destroy(d);
}
