/* Private to src/config: the YAML node tree behind glc_doc, shared by the loader/emitter
 * (doc.c), the schema binder (bind.c) and the MPI loader (bcast.c). */
#ifndef GAITLAB_CONFIG_INTERNAL_H
#define GAITLAB_CONFIG_INTERNAL_H

#include <stddef.h>

#include "gaitlab/config.h"

enum { GLC_NODE_SCALAR, GLC_NODE_MAP, GLC_NODE_SEQ };

/* Deepest container nesting accepted. Real configs use 3-4 levels; the bound keeps the
 * recursive walkers' stack use trivially small whatever a hostile file contains. */
enum { GLC_MAX_DEPTH = 64 };
/* Largest config text accepted (bytes); also keeps MPI counts within int. */
#define GLC_MAX_TEXT ((size_t)64 << 20)

/* Where a node came from. `origin` is owned by the document (a file name or the
 * "--set a.b=v" string); line == 0 means the origin has no line/column (overrides). */
typedef struct glc_mark {
  const char *origin;
  int line, col;
} glc_mark;

typedef struct glc_node glc_node;
struct glc_node {
  int kind;        /* GLC_NODE_* */
  int quoted;      /* scalar written quoted (or as a block literal) AND looking like a
                      number, bool or null: it stays a string. Quoting any other text changes
                      nothing, so the flag is cleared at load time; that keeps the tree
                      independent of which quoting style the emitter has to choose. */
  char *text;      /* scalar value, NUL-terminated (may also contain NULs: see len) */
  size_t len;
  glc_mark mark;   /* start of the value */
  char *key;       /* name within the parent mapping (NULL for sequence items and root) */
  glc_mark key_mark;
  glc_node **kids; /* mapping values (each carries its key) or sequence items, in order */
  size_t n, cap;
};

struct glc_doc {
  glc_node *root;    /* always a mapping */
  char **origins;    /* [0] is the document name; later entries are --set strings */
  size_t norigins, corigins;
};

/* Node at a dotted path ("" is the root), or NULL when absent or when an intermediate
 * node is not a mapping. */
const glc_node *glc__lookup(const glc_doc *doc, const char *path);
/* Child of a mapping by key, or NULL. */
const glc_node *glc__child(const glc_node *map, const char *key, size_t keylen);
/* Plain empty, "~" or "null": YAML's null, i.e. a key written without a value. */
int glc__is_null(const glc_node *n);
/* Decimal number syntax accepted by the binder: [+-](digits[.digits]|.digits)[(e|E)[+-]digits]. */
int glc__is_decimal(const char *s, size_t len);
/* "scalar 'x'", "mapping" or "list": for messages. */
const char *glc__kind_name(const glc_node *n);
/* "file:line:col" or the bare origin. */
void glc__mark_str(glc_mark m, char *buf, size_t buflen);
/* A one-line, length-limited preview of user text for error messages: control characters
 * are escaped so that every message stays on one line. */
void glc__show(const char *s, size_t len, size_t maxchars, char *buf, size_t buflen);
/* Read a whole file; GL_ERR_INPUT "cannot read 'x': <strerror>" on failure. */
gl_err glc__read_file(const char *path, char **text, size_t *len);

#endif
