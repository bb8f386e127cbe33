/* Configuration documents (prefix glc_): YAML files with source marks, dotted-path
 * overrides (--set a.b=value) and schema binding into plain C structs.
 *
 * Every error names where the bad value came from: "exp.yaml:12:9: sim.timestep: 0 is out
 * of range; allowed (0, 0.05]" or "--set sim.timestep=0: ...". Modules (run, train,
 * analysis) each declare a schema table for their keys; the binder rejects unknown keys,
 * wrong types and out-of-range values uniformly, so no module re-implements YAML checks. */
#ifndef GAITLAB_CONFIG_H
#define GAITLAB_CONFIG_H

#include <stddef.h>

#include "gaitlab/error.h"

typedef struct glc_doc glc_doc; /* a parsed YAML mapping tree; owns its text and marks */

/* Parse a YAML file. The root must be a mapping. Anchors/aliases/tags are refused. */
gl_err glc_doc_load(glc_doc **doc, const char *path);
/* Parse YAML text; `name` is used in error marks (e.g. "<broadcast>" or a file name). */
gl_err glc_doc_load_string(glc_doc **doc, const char *name, const char *text, size_t len);
void glc_doc_destroy(glc_doc *doc);

/* Apply an override "dotted.path=value"; the value is parsed as a YAML flow node, so
 * "3", "0.5", "true", "[0.4, 0.5]" and "{start: 0.4, stop: 1, num: 7}" all work. Missing
 * intermediate mappings are created. Errors are marked "--set <assignment>". */
gl_err glc_doc_set(glc_doc *doc, const char *assignment);

/* Emit the effective document (after overrides) as YAML text; caller frees *text.
 * Emitted text re-parses to an equivalent document: used for broadcast and provenance. */
gl_err glc_doc_emit(const glc_doc *doc, char **text);

/* Does the dotted path exist? (for defaults that depend on presence) */
int glc_doc_has(const glc_doc *doc, const char *path);
/* Mark of a dotted path, "file:line:col" (or "--set ..."), into buf; "file" if absent. */
const char *glc_doc_mark(const glc_doc *doc, const char *path, char *buf, size_t buflen);

typedef enum glc_type {
  GLC_INT,      /* int; range [min, max] */
  GLC_REAL,     /* double; range [min, max] (see flags for open ends) */
  GLC_BOOL,     /* int 0/1; YAML true/false */
  GLC_STRING,   /* char * (owned by target, free with glc_free) */
  GLC_ENUM,     /* int index into choices[] (NULL-terminated); YAML string */
  GLC_REALS,    /* glc_reals: a list of reals, or {start, stop, num} (inclusive linspace);
                   every element in [min, max]; num >= 1; empty lists refused */
  GLC_STRINGS,  /* glc_strings: list of strings; if choices != NULL each must be one of them */
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
  double min, max;             /* numeric range (ignored for strings/bools) */
  int flags;                   /* GLC_OPEN_MIN | GLC_OPEN_MAX | GLC_REQUIRED */
  const char *const *choices;  /* GLC_ENUM / GLC_STRINGS allowed values, NULL-terminated */
  const char *help;            /* one line, printed by --help and in error messages */
} glc_key;

/* Bind: for every key present in the document, type-check, range-check and store into
 * target (fields of absent keys keep the caller's defaults). Any document key under a
 * bound prefix that is not in the schema is an error listing the allowed keys there.
 * `prefix` limits binding to a subtree ("" for the whole document; "analysis" for one
 * block): keys outside the prefix are ignored, so several modules can bind one document. */
gl_err glc_bind(const glc_doc *doc, const char *prefix, const glc_key *schema, size_t nkeys,
                void *target);
/* Free strings/lists the binder allocated in target. */
void glc_free(const glc_key *schema, size_t nkeys, void *target);

/* Collective over the MPI communicator (passed as MPI_Comm*): rank 0 loads `path` and
 * applies the overrides, then broadcasts the emitted text; every rank returns an equivalent
 * document whose marks still name the original file and line (the marks travel with the
 * broadcast). All ranks return the same error code; the message is set on rank 0. */
gl_err glc_doc_load_bcast(glc_doc **doc, const char *path, const char *const *sets, int nsets,
                          void *mpi_comm);

/* Print "  path  (type, range) help" lines for a schema (for --help). */
void glc_print_schema(const glc_key *schema, size_t nkeys, void *stream /* FILE* */);

#endif
