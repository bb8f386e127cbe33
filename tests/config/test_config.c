/* glc_: YAML documents with marks, --set overrides, emission and schema binding.
 * Every error test checks the exact one-line message, including line and column. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/config.h"

#ifndef CONFIG_DATA_DIR
#error "CONFIG_DATA_DIR must point at tests/config/data"
#endif

/* ---------------------------------------------------------------- a representative schema */

typedef struct cfg {
  double timestep;
  int decimation;
  int terrain;
  int render;
  int seed;
  double lr;
  char *name;
  glc_reals speeds;
  glc_strings conditions;
  glc_reals gains;
} cfg;

static const char *const terrains[] = {"flat", "rough", "stairs", NULL};
static const char *const gaits[] = {"walk", "trot", "pace", NULL};

static const glc_key schema[] = {
    {"sim", GLC_SECTION, 0, 0, 0, 0, NULL, "simulation"},
    {"sim.timestep", GLC_REAL, offsetof(cfg, timestep), 0, 0.05, GLC_OPEN_MIN | GLC_REQUIRED, NULL,
     "integration step [s]"},
    {"sim.decimation", GLC_INT, offsetof(cfg, decimation), 1, 100, 0, NULL, "physics steps per action"},
    {"sim.terrain", GLC_ENUM, offsetof(cfg, terrain), 0, 0, 0, terrains, "ground type"},
    {"sim.render", GLC_BOOL, offsetof(cfg, render), 0, 0, 0, NULL, "draw frames"},
    {"train.seed", GLC_INT, offsetof(cfg, seed), 0, INT_MAX, 0, NULL, "Philox seed"},
    {"train.lr", GLC_REAL, offsetof(cfg, lr), 0, 1, GLC_OPEN_MIN, NULL, "learning rate"},
    {"train.name", GLC_STRING, offsetof(cfg, name), 0, 0, 0, NULL, "run name"},
    {"train.speeds", GLC_REALS, offsetof(cfg, speeds), 0, 10, 0, NULL, "commanded speeds [m/s]"},
    {"train.conditions", GLC_STRINGS, offsetof(cfg, conditions), 0, 0, 0, gaits, "gaits"},
    {"train.gains", GLC_REALS, offsetof(cfg, gains), 0, 0, 0, NULL, "unbounded reals"},
    {"extra", GLC_ANY, 0, 0, 0, 0, NULL, "free-form"},
};
#define NKEYS (sizeof schema / sizeof schema[0])

static const double default_gains[2] = {7, 8};

static cfg defaults(void) {
  cfg c = {0};
  c.timestep = 0.01;
  c.decimation = 2;
  c.terrain = 0;
  c.render = 1;
  c.seed = 1;
  c.lr = 0.001;
  c.name = "default-name"; /* a literal: bind must copy it before glc_free frees it */
  c.gains.v = (double *)default_gains;
  c.gains.n = 2;
  return c;
}

static char *data_path(const char *name) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", CONFIG_DATA_DIR, name);
  return buf[k];
}

static glc_doc *parse(const char *text) {
  glc_doc *d = NULL;
  gl_err e = glc_doc_load_string(&d, "t.yaml", text, strlen(text));
  if (e) fprintf(stderr, "unexpected: %s\n", gl_errmsg());
  assert_int_equal(e, GL_OK);
  return d;
}

/* Load text, apply the sets, bind the schema: expect this exact error. */
static void expect_error(const char *text, const char *set, const char *msg) {
  glc_doc *d = NULL;
  gl_err e = glc_doc_load_string(&d, "t.yaml", text, strlen(text));
  if (!e && set) e = glc_doc_set(d, set);
  cfg c = defaults();
  if (!e) {
    e = glc_bind(d, "", schema, NKEYS, &c);
    glc_free(schema, NKEYS, &c);
  }
  if (e != GL_ERR_INPUT || strcmp(gl_errmsg(), msg) != 0)
    fprintf(stderr, "code %d\n  got:  %s\n  want: %s\n", (int)e, gl_errmsg(), msg);
  assert_int_equal(e, GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), msg);
  assert_null(strchr(gl_errmsg(), '\n'));
  glc_doc_destroy(d);
}

/* ---------------------------------------------------------------- good files */

static void test_good_file_binds(void **state) {
  (void)state;
  glc_doc *d;
  assert_int_equal(glc_doc_load(&d, data_path("good.yaml")), GL_OK);
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  assert_true(c.timestep == 0.005);
  assert_int_equal(c.decimation, 4);
  assert_int_equal(c.terrain, 1);
  assert_int_equal(c.render, 0);
  assert_int_equal(c.seed, 42);
  assert_true(c.lr == 3.0e-4);
  assert_string_equal(c.name, "anymal run");
  /* numpy.linspace(0.4, 1.0, 7): i*step + start with step = 0.6/6, the last element = stop.
   * Golden values from that algorithm (note numpy's 0.8999999999999999). */
  static const double golden[7] = {0x1.999999999999ap-2, 0x1.0000000000000p-1, 0x1.3333333333333p-1,
                                   0x1.6666666666666p-1, 0x1.999999999999ap-1, 0x1.cccccccccccccp-1,
                                   1.0};
  assert_int_equal(c.speeds.n, 7);
  for (int i = 0; i < 7; ++i) {
    assert_true(fabs(c.speeds.v[i] - (0.4 + 0.1 * i)) <= 1e-15);
    assert_memory_equal(&c.speeds.v[i], &golden[i], sizeof(double));
  }
  assert_int_equal(c.conditions.n, 2);
  assert_string_equal(c.conditions.v[0], "walk");
  assert_string_equal(c.conditions.v[1], "trot");
  assert_int_equal(c.gains.n, 3);
  assert_true(c.gains.v[0] == 1 && c.gains.v[1] == 2.5 && c.gains.v[2] == -3e-2);
  glc_free(schema, NKEYS, &c);
  assert_null(c.name);
  assert_null(c.speeds.v);
  assert_int_equal(c.speeds.n, 0);
  assert_null(c.conditions.v);

  char m[256];
  char want[1100];
  snprintf(want, sizeof want, "%s:3:13", data_path("good.yaml"));
  assert_string_equal(glc_doc_mark(d, "sim.timestep", m, sizeof m), want);
  snprintf(want, sizeof want, "%s:14:5", data_path("good.yaml"));
  assert_string_equal(glc_doc_mark(d, "train.gains", m, sizeof m), want);
  assert_true(glc_doc_has(d, "train.speeds.num"));
  assert_true(glc_doc_has(d, "extra.anything"));
  assert_false(glc_doc_has(d, "train.missing"));
  assert_false(glc_doc_has(d, "sim.timestep.deeper"));
  assert_string_equal(glc_doc_mark(d, "no.such", m, sizeof m), data_path("good.yaml"));
  assert_string_equal(glc_doc_name(d), data_path("good.yaml"));
  glc_doc_destroy(d);
}

static void test_defaults_are_copied(void **state) {
  (void)state;
  glc_doc *d = parse("sim:\n  timestep: 0.02\n");
  cfg c = defaults();
  const char *literal = c.name;
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  assert_true(c.timestep == 0.02);
  assert_int_equal(c.decimation, 2); /* absent keys keep the caller's defaults */
  assert_string_equal(c.name, "default-name");
  assert_ptr_not_equal(c.name, literal);
  assert_int_equal(c.gains.n, 2);
  assert_ptr_not_equal(c.gains.v, default_gains);
  assert_true(c.gains.v[0] == 7 && c.gains.v[1] == 8);
  assert_null(c.speeds.v);
  glc_free(schema, NKEYS, &c); /* would crash on the literal / static array */
  glc_doc_destroy(d);
}

static void test_prefix_binding(void **state) {
  (void)state;
  /* Keys outside the prefix (even unknown ones) are another module's business. */
  glc_doc *d = parse("sim:\n  timestep: 0.02\n  bogus: 1\ntrain:\n  seed: 9\n  lr: 0.5\n");
  static const glc_key tk[] = {
      {"train.seed", GLC_INT, offsetof(cfg, seed), 0, 100, GLC_REQUIRED, NULL, "seed"},
      {"train.lr", GLC_REAL, offsetof(cfg, lr), 0, 1, 0, NULL, "lr"},
  };
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "train", tk, 2, &c), GL_OK);
  assert_int_equal(c.seed, 9);
  assert_true(c.lr == 0.5);
  glc_free(tk, 2, &c);
  /* the same document bound from the root reports the stray key */
  c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(),
                      "t.yaml:3:3: unknown key 'sim.bogus'; allowed under 'sim': timestep, "
                      "decimation, terrain, render");
  glc_free(schema, NKEYS, &c);
  /* a key outside the prefix in the schema is a programming error */
  c = defaults();
  assert_int_equal(glc_bind(d, "sim", tk, 2, &c), GL_ERR_INTERNAL);
  glc_doc_destroy(d);
}

static void test_flow_and_null_section(void **state) {
  (void)state;
  glc_doc *d = parse("{sim: {timestep: 1e-3, render: true}, train: {speeds: 2, conditions: pace}, "
                     "extra: }");
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  assert_true(c.timestep == 1e-3);
  assert_int_equal(c.render, 1);
  assert_int_equal(c.speeds.n, 1); /* a single number is a one-element list */
  assert_true(c.speeds.v[0] == 2);
  assert_int_equal(c.conditions.n, 1);
  assert_string_equal(c.conditions.v[0], "pace");
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(d);
  /* "sim:" with nothing under it is an empty section; the required key is then missing */
  expect_error("sim:\n", NULL,
               "t.yaml: sim.timestep: required key is missing; allowed: a number in (0, 0.05]");
}

static void test_linspace_golden(void **state) {
  (void)state;
  struct {
    const char *set;
    int n;
    double v[5];
  } cases[] = {
      {"train.speeds={start: 0.5, stop: 0.5, num: 1}", 1, {0.5}},
      {"train.speeds={start: 2, stop: 9, num: 1}", 1, {2}}, /* num=1 gives start */
      {"train.speeds={start: 0, stop: 1, num: 2}", 2, {0, 1}},
      {"train.speeds={start: 1, stop: 0, num: 5}", 5, {1, 0.75, 0.5, 0.25, 0}},
      {"train.speeds={start: 3, stop: 3, num: 3}", 3, {3, 3, 3}},
      {"train.speeds={num: 4, stop: 1.0, start: 0.1}", 4, {0.1, 0.4, 0.7, 1.0}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    glc_doc *d = parse("sim: {timestep: 0.01}\n");
    assert_int_equal(glc_doc_set(d, cases[i].set), GL_OK);
    cfg c = defaults();
    assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
    assert_int_equal(c.speeds.n, cases[i].n);
    for (int j = 0; j < cases[i].n; ++j) assert_true(fabs(c.speeds.v[j] - cases[i].v[j]) <= 1e-15);
    assert_true(c.speeds.v[c.speeds.n - 1] == cases[i].v[cases[i].n - 1]); /* endpoint exact */
    glc_free(schema, NKEYS, &c);
    glc_doc_destroy(d);
  }
  /* numpy computes 0.1 + 2*(0.9/3) = 0.7000000000000001, and so must we */
  glc_doc *d = parse("sim: {timestep: 0.01}\ntrain: {speeds: {num: 4, stop: 1.0, start: 0.1}}\n");
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  double step = (1.0 - 0.1) / 3, y2 = 2.0 * step + 0.1;
  assert_memory_equal(&c.speeds.v[2], &y2, sizeof y2);
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(d);
}

/* ---------------------------------------------------------------- document errors */

static void test_missing_file(void **state) {
  (void)state;
  glc_doc *d = (glc_doc *)0x1;
  assert_int_equal(glc_doc_load(&d, "no/such/x.yaml"), GL_ERR_INPUT);
  assert_null(d);
  assert_string_equal(gl_errmsg(), "cannot read 'no/such/x.yaml': No such file or directory");
  assert_int_equal(glc_doc_load(&d, CONFIG_DATA_DIR), GL_ERR_INPUT);
  char want[1200];
  snprintf(want, sizeof want, "cannot read '%s': Is a directory", CONFIG_DATA_DIR);
  assert_string_equal(gl_errmsg(), want);
}

static void test_refused_yaml_features(void **state) {
  (void)state;
  const char *plain = "allowed: plain values without anchors, aliases or tags";
  char want[512];
  snprintf(want, sizeof want,
           "t.yaml:2:13: anchor '&step' is not supported; %s (write the value out in full)", plain);
  expect_error("sim:\n  timestep: &step 0.01\n", NULL, want);
  snprintf(want, sizeof want,
           "t.yaml:3:7: alias '*ts' is not supported; %s (write the value out in full)", plain);
  expect_error("sim:\n  timestep: 0.01\nlr:   *ts\n", NULL, want);
  snprintf(want, sizeof want,
           "t.yaml:2:15: tag '!!str' is not supported; %s (quote a value to make it a string)",
           plain);
  expect_error("sim:\n  decimation: !!str 4\n", NULL, want);
  snprintf(want, sizeof want,
           "t.yaml:1:1: tag '!!map' is not supported; %s (quote a value to make it a string)",
           plain);
  expect_error("!!map\na: 1\n", NULL, want);
}

static void test_duplicate_keys(void **state) {
  (void)state;
  expect_error("sim:\n  timestep: 0.01\n  decimation: 2\n  timestep: 0.02\n", NULL,
               "t.yaml:4:3: duplicate key 'timestep' (first at line 2); allowed: each key once "
               "per mapping");
  expect_error("a: {x: 1, y: 2, x: 3}\n", NULL,
               "t.yaml:1:17: duplicate key 'x' (first at line 1); allowed: each key once per "
               "mapping");
  glc_doc *d;
  assert_int_equal(glc_doc_load(&d, data_path("dup.yaml")), GL_ERR_INPUT);
  char want[1200];
  snprintf(want, sizeof want,
           "%s:5:1: duplicate key 'sim' (first at line 1); allowed: each key once per mapping",
           data_path("dup.yaml"));
  assert_string_equal(gl_errmsg(), want);
}

static void test_document_shape(void **state) {
  (void)state;
  const char *allowed = "allowed: a mapping of settings (key: value lines)";
  char want[512];
  snprintf(want, sizeof want, "t.yaml:1:1: the top level is a list; %s", allowed);
  expect_error("- 1\n- 2\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:1: the top level is a single value; %s", allowed);
  expect_error("# comment\nhello\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:1:1: the file is empty; %s", allowed);
  expect_error("", NULL, want);
  expect_error("# only\n# comments\n\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:1: the document is empty; %s", allowed);
  expect_error("---\n", NULL, want);
  expect_error("a: 1\n---\nb: 2\n", NULL,
               "t.yaml:2:1: a second YAML document starts here; allowed: one document per file");
  /* an explicit document end is still one document */
  glc_doc_destroy(parse("---\na: 1\n...\n"));
}

static void test_keys(void **state) {
  (void)state;
  expect_error("sim:\n  time.step: 1\n", NULL,
               "t.yaml:2:3: key 'time.step' contains '.'; allowed: names without dots (nest "
               "mappings instead)");
  expect_error("\"\": 1\n", NULL, "t.yaml:1:1: empty key; allowed: names of at least one character");
  expect_error("? [a, b]\n: 1\n", NULL,
               "t.yaml:1:3: a list is used as a mapping key; allowed: plain names as keys");
  char deep[400] = "";
  for (int i = 0; i < 70; ++i) strcat(deep, "[");
  expect_error(deep, NULL, "t.yaml:1:1: the top level is a list; allowed: a mapping of settings "
                           "(key: value lines)");
  char deep2[400] = "a: ";
  for (int i = 0; i < 70; ++i) strcat(deep2, "[");
  for (int i = 0; i < 70; ++i) strcat(deep2, "]");
  expect_error(deep2, NULL, "t.yaml:1:67: nesting is too deep; allowed: at most 64 levels");
}

static void test_syntax_errors(void **state) {
  (void)state;
  expect_error("sim:\n  timestep: 0.01\n decimation: 2\n", NULL,
               "t.yaml:3:2: did not find expected key (while parsing a block mapping at line 1, "
               "column 1); allowed: valid YAML (check indentation, ':' and quotes)");
  expect_error("a: [1, 2\nb: 3\n", NULL,
               "t.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence at "
               "line 1, column 4); allowed: valid YAML (check indentation, ':' and quotes)");
  expect_error("a: \"open\nb: 1\n", NULL,
               "t.yaml:3:1: found unexpected end of stream (while scanning a quoted scalar at "
               "line 1, column 4); allowed: valid YAML (check indentation, ':' and quotes)");
  expect_error("a: b: c\n", NULL,
               "t.yaml:1:5: mapping values are not allowed in this context; allowed: valid YAML "
               "(check indentation, ':' and quotes)");
  /* invalid UTF-8 is a reader error carrying only a byte offset: line/col are recomputed */
  expect_error("a: 1\nb: \xff\n", NULL,
               "t.yaml:2:4: invalid leading UTF-8 octet (#xFF); allowed: valid YAML (check "
               "indentation, ':' and quotes)");
}

/* ---------------------------------------------------------------- --set */

static void test_set_every_type(void **state) {
  (void)state;
  glc_doc *d;
  assert_int_equal(glc_doc_load(&d, data_path("good.yaml")), GL_OK);
  const char *sets[] = {
      "sim.timestep=0.0025",         "sim.decimation=8",
      "sim.terrain=stairs",          "sim.render=true",
      "train.seed=-0",               "train.lr=1",
      "train.name=hello world",      "train.speeds=[0.5, 1.5]",
      "train.conditions=[pace, walk, trot]", "train.gains={start: -1, stop: 2, num: 4}",
      "extra.new.deeper.key=[1, {x: y}]",
  };
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; ++i)
    assert_int_equal(glc_doc_set(d, sets[i]), GL_OK);
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  assert_true(c.timestep == 0.0025);
  assert_int_equal(c.decimation, 8);
  assert_int_equal(c.terrain, 2);
  assert_int_equal(c.render, 1);
  assert_int_equal(c.seed, 0);
  assert_true(c.lr == 1);
  assert_string_equal(c.name, "hello world");
  assert_int_equal(c.speeds.n, 2); /* the linspace mapping was replaced by a list */
  assert_true(c.speeds.v[0] == 0.5 && c.speeds.v[1] == 1.5);
  assert_int_equal(c.conditions.n, 3);
  assert_string_equal(c.conditions.v[2], "trot");
  assert_int_equal(c.gains.n, 4);
  assert_true(c.gains.v[0] == -1 && c.gains.v[1] == 0 && c.gains.v[2] == 1 && c.gains.v[3] == 2);
  glc_free(schema, NKEYS, &c);

  char m[256];
  assert_string_equal(glc_doc_mark(d, "sim.decimation", m, sizeof m), "--set sim.decimation=8");
  assert_string_equal(glc_doc_mark(d, "extra.new.deeper", m, sizeof m),
                      "--set extra.new.deeper.key=[1, {x: y}]");
  assert_true(glc_doc_has(d, "extra.new.deeper.key"));
  char want[1100];
  snprintf(want, sizeof want, "%s:18:13", data_path("good.yaml")); /* untouched keys keep marks */
  assert_string_equal(glc_doc_mark(d, "extra.anything", m, sizeof m), want);

  /* a scalar over a mapping, and later sets win */
  assert_int_equal(glc_doc_set(d, "extra=5"), GL_OK);
  assert_false(glc_doc_has(d, "extra.new"));
  assert_int_equal(glc_doc_set(d, "sim.decimation=9"), GL_OK);
  c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_OK);
  assert_int_equal(c.decimation, 9);
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(d);

  /* missing intermediate mappings are created; an empty value is null */
  d = parse("a: 1\nsim:\n");
  assert_int_equal(glc_doc_set(d, "sim.timestep=0.04"), GL_OK);
  assert_int_equal(glc_doc_set(d, "train.name=\"42\""), GL_OK);
  assert_int_equal(glc_doc_set(d, "x.y.z="), GL_OK);
  assert_true(glc_doc_has(d, "x.y.z"));
  c = defaults();
  assert_int_equal(glc_bind(d, "sim", schema + 1, 4, &c), GL_OK);
  assert_true(c.timestep == 0.04);
  glc_free(schema + 1, 4, &c);
  c = defaults();
  assert_int_equal(glc_bind(d, "train", schema + 5, 6, &c), GL_OK);
  assert_string_equal(c.name, "42");
  glc_free(schema + 5, 6, &c);
  glc_doc_destroy(d);
}

static void test_set_errors(void **state) {
  (void)state;
  const char *good = "sim:\n  timestep: 0.01\n";
  expect_error(good, "sim.timestep", "--set sim.timestep: no '=' in the assignment; allowed: --set "
                                     "dotted.path=value");
  expect_error(good, "=3", "--set =3: empty path before '='; allowed: --set dotted.path=value");
  expect_error(good, "sim..timestep=3", "--set sim..timestep=3: empty name in the path; allowed: "
                                        "names separated by single dots (a.b.c=value)");
  expect_error(good, ".a=3", "--set .a=3: empty name in the path; allowed: names separated by "
                             "single dots (a.b.c=value)");
  expect_error(good, "a.=3", "--set a.=3: empty name in the path; allowed: names separated by "
                             "single dots (a.b.c=value)");
  expect_error(good, "sim.timestep.x=1",
               "--set sim.timestep.x=1: 'sim.timestep' is a single value '0.01' (at t.yaml:2:13), "
               "not a mapping; allowed: set 'sim.timestep' itself, or a path through mappings");
  expect_error(good, "sim.timestep=[1,",
               "--set sim.timestep=[1,: did not find expected node content at the end of the "
               "value (while parsing a flow node); allowed: valid YAML (check indentation, ':' and "
               "quotes)");
  expect_error(good, "sim.timestep=&a 1",
               "--set sim.timestep=&a 1: anchor '&a' is not supported; allowed: plain values "
               "without anchors, aliases or tags (write the value out in full)");
  expect_error(good, "sim.x={a: 1, a: 2}",
               "--set sim.x={a: 1, a: 2}: duplicate key 'a'; allowed: each key once per mapping");
  /* the path becomes keys without passing libyaml's reader: it is validated here */
  expect_error(good, "sim.d\xe9" "c=1",
               "--set sim.d\xe9" "c=1: the assignment is not valid UTF-8; allowed: UTF-8 text");
  expect_error(good, "sim.\xed\xa0\x80=1", /* a UTF-16 surrogate encoded as UTF-8 */
               "--set sim.\xed\xa0\x80=1: the assignment is not valid UTF-8; allowed: UTF-8 text");
  /* binder errors on overridden values carry the --set mark */
  expect_error(good, "sim.timestep=0",
               "--set sim.timestep=0: sim.timestep: 0 is out of range; allowed: a number in (0, "
               "0.05]");
  expect_error(good, "sim.timestpe=0.02",
               "--set sim.timestpe=0.02: unknown key 'sim.timestpe'; allowed under 'sim': "
               "timestep, decimation, terrain, render; did you mean 'sim.timestep'?");
}

/* ---------------------------------------------------------------- binder errors */

static void test_bind_type_errors(void **state) {
  (void)state;
  const char *ia = "allowed: an integer in [1, 100]";
  char want[512];
#define EXPECT(yaml, fmt)                                  \
  do {                                                     \
    expect_error("sim:\n  timestep: 0.01\n" yaml, NULL, fmt); \
  } while (0)
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: '1.5' is not an integer; %s", ia);
  EXPECT("  decimation: 1.5\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: 'abc' is not an integer; %s", ia);
  EXPECT("  decimation: abc\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: 'true' is not an integer; %s", ia);
  EXPECT("  decimation: true\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: 101 is out of range; %s", ia);
  EXPECT("  decimation: 101\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: 99999999999 is out of range; %s", ia);
  EXPECT("  decimation: 99999999999\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: '4' is quoted, so it is a string; %s",
           ia);
  EXPECT("  decimation: \"4\"\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: sim.decimation: got a list; %s", ia);
  EXPECT("  decimation: [4]\n", want);
  snprintf(want, sizeof want, "t.yaml:3:14: sim.decimation: no value given; %s", ia);
  EXPECT("  decimation:\n", want);

  const char *ra = "allowed: a number in (0, 0.05]";
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: 'fast' is not a number; %s", ra);
  expect_error("sim:\n  timestep: fast\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: 'nan' is not a finite number; %s", ra);
  expect_error("sim:\n  timestep: nan\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: '.inf' is not a finite number; %s", ra);
  expect_error("sim:\n  timestep: .inf\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: '1e999' is not a finite number; %s", ra);
  expect_error("sim:\n  timestep: 1e999\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: '0x1p-8' is not a number; %s", ra);
  expect_error("sim:\n  timestep: 0x1p-8\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: 0 is out of range; %s", ra);
  expect_error("sim:\n  timestep: 0\n", NULL, want);
  snprintf(want, sizeof want, "t.yaml:2:13: sim.timestep: 0.0500001 is out of range; %s", ra);
  expect_error("sim:\n  timestep: 0.0500001\n", NULL, want);
  expect_error("sim:\n  decimation: 2\n", NULL,
               "t.yaml: sim.timestep: required key is missing; allowed: a number in (0, 0.05]");

  EXPECT("  render: yes\n",
         "t.yaml:3:11: sim.render: 'yes' is not true or false; allowed: true or false");
  EXPECT("  render: True\n",
         "t.yaml:3:11: sim.render: 'True' is not true or false; allowed: true or false");
  EXPECT("  terrain: ice\n", "t.yaml:3:12: sim.terrain: 'ice' is not a valid choice; allowed: one "
                             "of flat, rough, stairs");
  EXPECT("  terrain: {a: 1}\n",
         "t.yaml:3:12: sim.terrain: got a mapping; allowed: one of flat, rough, stairs");
  expect_error("sim:\n  timestep: 0.01\ntrain:\n  name: [a]\n", NULL,
               "t.yaml:4:9: train.name: got a list; allowed: a string");
  expect_error("sim: 5\n", NULL, "t.yaml:1:6: sim: got a single value; allowed: a mapping");
  expect_error("sim: {timestep: 0.01}\ntrain: [1]\n", NULL,
               "t.yaml:2:8: train: got a list; allowed: a mapping with keys seed, lr, name, speeds, "
               "conditions, gains");
#undef EXPECT
}

static void test_bind_list_errors(void **state) {
  (void)state;
  const char *la = "allowed: a non-empty list of numbers in [0, 10], or {start: a, stop: b, num: n}";
  char want[512];
  const char *base = "sim: {timestep: 0.01}\ntrain:\n";
  char text[512];
#define EXPECT(yaml, fmt)                                   \
  do {                                                      \
    snprintf(text, sizeof text, "%s%s", base, yaml);        \
    expect_error(text, NULL, fmt);                          \
  } while (0)
  snprintf(want, sizeof want, "t.yaml:3:11: train.speeds: the list is empty; %s", la);
  EXPECT("  speeds: []\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: train.speeds[1]: 'x' is not a number; %s", la);
  EXPECT("  speeds: [1, x]\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: train.speeds[1]: 11 is out of range; %s", la);
  EXPECT("  speeds: [1, 11]\n", want);
  snprintf(want, sizeof want, "t.yaml:3:15: train.speeds[1]: got a list; %s", la);
  EXPECT("  speeds: [1, [2]]\n", want);
  EXPECT("  speeds: {start: 0, stop: 1, num: 3, step: 2}\n",
         "t.yaml:3:39: train.speeds.step: unknown key in a linspace; allowed: start, stop, num");
  EXPECT("  speeds: {start: 0, stop: 1}\n",
         "t.yaml:3:11: train.speeds: the linspace has no 'num'; allowed: {start: a, stop: b, num: "
         "n}");
  EXPECT("  speeds: {start: 0, stop: 1, num: 0}\n",
         "t.yaml:3:36: train.speeds.num: 0 is out of range; allowed: an integer in [1, 1000000]");
  EXPECT("  speeds: {start: 0, stop: 1, num: 2.5}\n",
         "t.yaml:3:36: train.speeds.num: '2.5' is not an integer; allowed: an integer in [1, "
         "1000000]");
  EXPECT("  speeds: {start: a, stop: 1, num: 2}\n",
         "t.yaml:3:19: train.speeds.start: 'a' is not a number; allowed: a number");
  snprintf(want, sizeof want,
           "t.yaml:3:11: train.speeds: linspace element 2 (12) is out of range; %s", la);
  EXPECT("  speeds: {start: 8, stop: 12, num: 3}\n", want);
  EXPECT("  conditions: [walk, gallop]\n",
         "t.yaml:3:22: train.conditions[1]: 'gallop' is not a valid choice; allowed: a list of "
         "strings from walk, trot, pace");
  EXPECT("  conditions: {a: 1}\n",
         "t.yaml:3:15: train.conditions: got a mapping; allowed: a list of strings from walk, "
         "trot, pace");
#undef EXPECT
}

static void test_unknown_keys(void **state) {
  (void)state;
  glc_doc *d;
  assert_int_equal(glc_doc_load(&d, data_path("typo.yaml")), GL_OK);
  cfg c = defaults();
  assert_int_equal(glc_bind(d, "", schema, NKEYS, &c), GL_ERR_INPUT);
  char want[1200];
  snprintf(want, sizeof want,
           "%s:2:3: unknown key 'sim.timestpe'; allowed under 'sim': timestep, decimation, "
           "terrain, render; did you mean 'sim.timestep'?", data_path("typo.yaml"));
  assert_string_equal(gl_errmsg(), want);
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(d);

  expect_error("sim: {timestep: 0.01}\ntrian:\n  seed: 1\n", NULL,
               "t.yaml:2:1: unknown key 'trian'; allowed at the top level: sim, train, extra; did "
               "you mean 'train'?");
  /* the same name elsewhere beats edit distance */
  expect_error("sim: {timestep: 0.01, seed: 3}\n", NULL,
               "t.yaml:1:23: unknown key 'sim.seed'; allowed under 'sim': timestep, decimation, "
               "terrain, render; did you mean 'train.seed'?");
  /* nothing close: no suggestion */
  expect_error("sim: {timestep: 0.01}\ntrain: {batteries: 3}\n", NULL,
               "t.yaml:2:9: unknown key 'train.batteries'; allowed under 'train': seed, lr, name, "
               "speeds, conditions, gains");
  /* ANY subtrees are not checked */
  glc_doc *ok = parse("sim: {timestep: 0.01}\nextra: {whatever: [1, 2], deep: {x: 1}}\n");
  c = defaults();
  assert_int_equal(glc_bind(ok, "", schema, NKEYS, &c), GL_OK);
  glc_free(schema, NKEYS, &c);
  glc_doc_destroy(ok);
}

static void test_schema_mistakes(void **state) {
  (void)state;
  glc_doc *d = parse("a: 1\n");
  int target = 0;
  const glc_key dup[] = {{"a", GLC_INT, 0, 0, 0, 0, NULL, ""}, {"a", GLC_INT, 0, 0, 0, 0, NULL, ""}};
  assert_int_equal(glc_bind(d, "", dup, 2, &target), GL_ERR_INTERNAL);
  assert_string_equal(gl_errmsg(), "config schema key 'a' is listed twice");
  const glc_key under_scalar[] = {{"a", GLC_INT, 0, 0, 0, 0, NULL, ""},
                                  {"a.b", GLC_INT, 0, 0, 0, 0, NULL, ""}};
  assert_int_equal(glc_bind(d, "", under_scalar, 2, &target), GL_ERR_INTERNAL);
  const glc_key enum_no_choices[] = {{"a", GLC_ENUM, 0, 0, 0, 0, NULL, ""}};
  assert_int_equal(glc_bind(d, "", enum_no_choices, 1, &target), GL_ERR_INTERNAL);
  const glc_key bad_path[] = {{"a..b", GLC_INT, 0, 0, 0, 0, NULL, ""}};
  assert_int_equal(glc_bind(d, "", bad_path, 1, &target), GL_ERR_INTERNAL);
  /* unbounded int (min == max == 0) still accepts any int */
  const glc_key free_int[] = {{"a", GLC_INT, 0, 0, 0, 0, NULL, ""}};
  assert_int_equal(glc_bind(d, "", free_int, 1, &target), GL_OK);
  assert_int_equal(target, 1);
  glc_doc_destroy(d);
}

/* ---------------------------------------------------------------- emit round trip */

static void roundtrip(glc_doc *d) {
  char *text;
  assert_int_equal(glc_doc_emit(d, &text), GL_OK);
  glc_doc *back;
  gl_err e = glc_doc_load_string(&back, "<emitted>", text, strlen(text));
  if (e) fprintf(stderr, "%s\n--- emitted:\n%s", gl_errmsg(), text);
  assert_int_equal(e, GL_OK);
  if (!glc_doc_equal(d, back)) fprintf(stderr, "not equal after round trip:\n%s", text);
  assert_true(glc_doc_equal(d, back));
  /* emitting again is a fixed point */
  char *again;
  assert_int_equal(glc_doc_emit(back, &again), GL_OK);
  assert_string_equal(text, again);
  free(again);
  free(text);
  glc_doc_destroy(back);
}

static void test_emit_roundtrip(void **state) {
  (void)state;
  glc_doc *d;
  assert_int_equal(glc_doc_load(&d, data_path("roundtrip.yaml")), GL_OK);
  roundtrip(d);
  /* bitwise reals after the round trip */
  static const glc_key rk[] = {{"reals", GLC_SECTION, 0, 0, 0, 0, NULL, ""},
                               {"reals.tiny", GLC_REAL, 0 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.denormal", GLC_REAL, 1 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.long", GLC_REAL, 2 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.big", GLC_REAL, 3 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.neg", GLC_REAL, 4 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.exp", GLC_REAL, 5 * sizeof(double), 0, 0, 0, NULL, ""},
                               {"reals.ints", GLC_ANY, 0, 0, 0, 0, NULL, ""}};
  double a[6] = {0}, b[6] = {0};
  assert_int_equal(glc_bind(d, "reals", rk, 8, a), GL_OK);
  assert_true(a[0] == 0x1p-1074 && a[3] == 0x1.fffffffffffffp+1023 && a[2] == 0.1);
  assert_true(signbit(a[4]));
  char *text;
  assert_int_equal(glc_doc_emit(d, &text), GL_OK);
  glc_doc *back;
  assert_int_equal(glc_doc_load_string(&back, "e", text, strlen(text)), GL_OK);
  assert_int_equal(glc_bind(back, "reals", rk, 8, b), GL_OK);
  assert_memory_equal(a, b, sizeof a);
  /* strings keep their type: quoted numbers stay strings */
  static const glc_key sk[] = {{"strings.quoted_number", GLC_STRING, 0, 0, 0, 0, NULL, ""},
                               {"strings.nul", GLC_ANY, 0, 0, 0, 0, NULL, ""}};
  char *s[1] = {NULL};
  assert_int_equal(glc_bind(back, "strings.quoted_number", sk, 1, s), GL_OK);
  assert_string_equal(s[0], "5");
  glc_free(sk, 1, s);
  assert_true(glc_doc_has(back, "nulls.nothing"));
  free(text);
  glc_doc_destroy(back);

  /* after overrides of every kind */
  assert_int_equal(glc_doc_set(d, "strings.new={a: [1, \"2\", three], b: 0.30000000000000004}"),
                   GL_OK);
  assert_int_equal(glc_doc_set(d, "reals.tiny=\"quoted now\""), GL_OK);
  assert_int_equal(glc_doc_set(d, "fresh.path.here="), GL_OK);
  roundtrip(d);
  glc_doc_destroy(d);

  assert_int_equal(glc_doc_load(&d, data_path("good.yaml")), GL_OK);
  roundtrip(d);
  glc_doc_destroy(d);
}

static void test_print_schema(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  glc_print_schema(schema, NKEYS, f);
  fclose(f);
  assert_non_null(strstr(buf, "  sim.timestep      (a number in (0, 0.05], required)  integration "
                              "step [s]\n"));
  assert_non_null(strstr(buf, "  sim.terrain       (one of flat, rough, stairs)  ground type\n"));
  int lines = 0;
  for (char *p = buf; *p; ++p) lines += *p == '\n';
  assert_int_equal(lines, (int)NKEYS);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_file_binds),   cmocka_unit_test(test_defaults_are_copied),
      cmocka_unit_test(test_prefix_binding),    cmocka_unit_test(test_flow_and_null_section),
      cmocka_unit_test(test_linspace_golden),   cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_refused_yaml_features), cmocka_unit_test(test_duplicate_keys),
      cmocka_unit_test(test_document_shape),    cmocka_unit_test(test_keys),
      cmocka_unit_test(test_syntax_errors),     cmocka_unit_test(test_set_every_type),
      cmocka_unit_test(test_set_errors),        cmocka_unit_test(test_bind_type_errors),
      cmocka_unit_test(test_bind_list_errors),  cmocka_unit_test(test_unknown_keys),
      cmocka_unit_test(test_schema_mistakes),   cmocka_unit_test(test_emit_roundtrip),
      cmocka_unit_test(test_print_schema),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
