/* Configuration documents (prefix glc_): YAML files with source marks, dotted-path
 * overrides (--set a.b=value) and schema binding into plain C structs.
 *
 * Every error is one line naming where the bad value came from:
 * "<mark>: <dotted.path>: <problem>; allowed: <what>", e.g.
 * "exp.yaml:12:9: sim.timestep: 0 is out of range; allowed: a number in (0, 0.05]" or
 * "--set sim.timestep=0: sim.timestep: ...". Modules (run, train,
 * analysis) each declare a schema table for their keys; the binder rejects unknown keys,
 * wrong types and out-of-range values uniformly, so no module re-implements YAML checks. */
#ifndef GAITLAB_CONFIG_H
#define GAITLAB_CONFIG_H

#include <stddef.h>

#include "gaitlab/error.h"

typedef struct glc_doc glc_doc; /* a parsed YAML mapping tree; owns its text and marks */

/* Parse a YAML file. The root must be a mapping. Anchors/aliases/tags, duplicate keys,
 * keys containing '.', non-scalar keys, several documents, empty files and nesting deeper
 * than 64 levels are refused with GL_ERR_INPUT "FILE:LINE:COL: problem; allowed: ...";
 * an unreadable file is GL_ERR_INPUT "cannot read 'x.yaml': <strerror>". */
gl_err glc_doc_load(glc_doc **doc, const char *path);
/* Parse YAML text; `name` is used in error marks (e.g. "<broadcast>" or a file name). */
gl_err glc_doc_load_string(glc_doc **doc, const char *name, const char *text, size_t len);
void glc_doc_destroy(glc_doc *doc);

/* Apply an override "dotted.path=value"; the value is parsed as a YAML flow node, so
 * "3", "0.5", "true", "[0.4, 0.5]" and "{start: 0.4, stop: 1, num: 7}" all work. Missing
 * intermediate mappings are created (an intermediate key with no value becomes one; one
 * holding a value or a list is an error), and the leaf's old value, whatever its kind, is
 * replaced. Errors are marked "--set <assignment>". */
gl_err glc_doc_set(glc_doc *doc, const char *assignment);

/* Emit the effective document (after overrides) as YAML text; caller frees *text.
 * Emitted text re-parses to an equivalent document: used for broadcast and provenance. */
gl_err glc_doc_emit(const glc_doc *doc, char **text);

/* Do two documents hold the same tree (keys in order, scalar text, quoted vs plain)?
 * Marks are not compared. Used for round-trip checks. */
int glc_doc_equal(const glc_doc *a, const glc_doc *b);
/* The document's name (file path or the `name` given to glc_doc_load_string). */
const char *glc_doc_name(const glc_doc *doc);

/* Does the dotted path exist? (for defaults that depend on presence) */
int glc_doc_has(const glc_doc *doc, const char *path);
/* Did the value at the dotted path come from an override (--set) rather than the file?
 * (lets an override of a key's alias win over the key written in the file). */
int glc_doc_from_set(const glc_doc *doc, const char *path);
/* Mark of a dotted path, "file:line:col" (or "--set ..."), into buf; "file" if absent. */
const char *glc_doc_mark(const glc_doc *doc, const char *path, char *buf, size_t buflen);

/* Scalars are typed the YAML way: only plain (unquoted) scalars are numbers or booleans;
 * a quoted "5" is a string. A key written with no value (null) is refused for every type
 * except GLC_SECTION (an empty block) and GLC_ANY. */
typedef enum glc_type {
  GLC_INT,      /* int; range [min, max] */
  GLC_REAL,     /* double; range [min, max] (see flags for open ends) */
  GLC_BOOL,     /* int 0/1; YAML true/false */
  GLC_STRING,   /* char * (owned by target, free with glc_free) */
  GLC_ENUM,     /* int index into choices[] (NULL-terminated); YAML string */
  GLC_REALS,    /* glc_reals: a list of reals, or {start, stop, num} (inclusive linspace,
                   computed exactly as numpy.linspace); every element in [min, max];
                   1 <= num <= 1000000; empty lists refused; a single number is a
                   one-element list */
  GLC_STRINGS,  /* glc_strings: list of strings (a single string is a one-element list;
                   [] gives n = 0); if choices != NULL each must be one of them */
  GLC_SECTION,  /* a mapping whose keys are listed separately as "path.key"; binding
                   checks only that it is a mapping. Use for optional blocks. */
  GLC_ANY       /* subtree accepted verbatim (validated by another module's schema) */
} glc_type;

enum { GLC_OPEN_MIN = 1, GLC_OPEN_MAX = 2, GLC_REQUIRED = 4 };

typedef struct glc_reals {
  double *v;
  int n;
} glc_reals;

typedef struct glc_strings {
  char **v;
  int n;
} glc_strings;

typedef struct glc_key {
  const char *path;            /* dotted path from the document root, e.g. "sim.timestep" */
  glc_type type;
  size_t offset;               /* offsetof(target struct, field) */
  double min, max;             /* numeric range (ignored for strings/bools); min == max == 0
                                  means unbounded, and +-HUGE_VAL leave one end open-ended */
  int flags;                   /* GLC_OPEN_MIN | GLC_OPEN_MAX | GLC_REQUIRED */
  const char *const *choices;  /* GLC_ENUM / GLC_STRINGS allowed values, NULL-terminated */
  const char *help;            /* one line, printed by --help and in error messages */
} glc_key;

/* Bind: for every key present in the document, type-check, range-check and store into
 * target (fields of absent keys keep the caller's defaults). Any document key under a
 * bound prefix that is not in the schema is an error listing the allowed keys there.
 * `prefix` limits binding to a subtree ("" for the whole document; "analysis" for one
 * block): keys outside the prefix are ignored, so several modules can bind one document.
 * Schema paths are full paths from the root and must lie under `prefix`; a path's
 * ancestors are implicitly mappings (or must be GLC_SECTION keys).
 *
 * Ownership: defaults in target may be string literals or static arrays. Bind first
 * copies them, so that afterwards every GLC_STRING/GLC_REALS/GLC_STRINGS field is owned
 * by target; call glc_free(target) after glc_bind returns, whether it succeeded or not
 * (and bind a given target once). Schema mistakes are GL_ERR_INTERNAL. */
gl_err glc_bind(const glc_doc *doc, const char *prefix, const glc_key *schema, size_t nkeys,
                void *target);
/* Free strings/lists the binder allocated in target. */
void glc_free(const glc_key *schema, size_t nkeys, void *target);

/* Collective over the MPI communicator (passed as MPI_Comm*): rank 0 loads `path` and
 * applies the overrides, then broadcasts the emitted text; every rank returns an equivalent
 * document whose marks still name the original file and line (the marks travel with the
 * broadcast: the original text and the overrides are re-parsed on every rank). Only rank
 * 0's path, sets and nsets are used. All ranks return the same error code and, for input
 * errors, the same message. */
gl_err glc_doc_load_bcast(glc_doc **doc, const char *path, const char *const *sets, int nsets,
                          void *mpi_comm);

/* Print "  path  (type, range) help" lines for a schema (for --help). */
void glc_print_schema(const glc_key *schema, size_t nkeys, void *stream /* FILE* */);

#endif
