/* YAML documents with source marks: loading (libyaml event parser -> node tree), dotted
 * overrides, emission and structural comparison.
 *
 * The tree keeps every scalar as its source text plus a plain/quoted flag instead of
 * converting to numbers here: typing is the binder's job (it knows the schema), and
 * re-emitting the original text makes reals round-trip bit for bit with no printf games. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config_internal.h"

/* ---------------------------------------------------------------- small helpers */

void glc__mark_str(glc_mark m, char *buf, size_t buflen) {
  if (m.line > 0)
    snprintf(buf, buflen, "%s:%d:%d", m.origin ? m.origin : "?", m.line, m.col);
  else
    snprintf(buf, buflen, "%s", m.origin ? m.origin : "?");
}

void glc__show(const char *s, size_t len, size_t maxchars, char *buf, size_t buflen) {
  size_t o = 0, shown = 0, i = 0;
  if (buflen == 0) return;
  for (; i < len && shown < maxchars; ++i) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    size_t ne;
    if (c == '\n') {
      memcpy(esc, "\\n", 3);
      ne = 2;
    } else if (c == '\t') {
      memcpy(esc, "\\t", 3);
      ne = 2;
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\x%02x", c);
      ne = 4;
    } else {
      esc[0] = (char)c;
      ne = 1;
    }
    if (o + ne + 4 >= buflen) break;
    memcpy(buf + o, esc, ne);
    o += ne;
    if ((c & 0xC0) != 0x80) ++shown; /* count characters, not UTF-8 bytes */
  }
  /* never cut a UTF-8 sequence in half */
  while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80 && o + 4 < buflen) buf[o++] = s[i++];
  if (i < len) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
}

static size_t skip_digits(const char *s, size_t i, size_t len) {
  while (i < len && s[i] >= '0' && s[i] <= '9') ++i;
  return i;
}

int glc__is_decimal(const char *s, size_t len) {
  size_t i = len && (s[0] == '-' || s[0] == '+') ? 1 : 0, a = skip_digits(s, i, len), j = a;
  int ok;
  if (j < len && s[j] == '.') {
    size_t b = skip_digits(s, j + 1, len);
    ok = a > i || b > j + 1;
    j = b;
  } else {
    ok = a > i;
  }
  if (ok && j < len && (s[j] == 'e' || s[j] == 'E')) {
    size_t e = j + 1 + (j + 1 < len && (s[j + 1] == '-' || s[j + 1] == '+') ? 1 : 0);
    size_t f = skip_digits(s, e, len);
    ok = f > e;
    j = f;
  }
  return ok && j == len;
}

/* Text whose meaning depends on quoting: numbers, booleans, nulls. */
static int looks_typed(const char *s, size_t len) {
  static const char *const words[] = {"", "~", "null", "Null", "NULL", "true", "false"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; ++i)
    if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0) return 1;
  return glc__is_decimal(s, len);
}

int glc__is_null(const glc_node *n) {
  if (!n || n->kind != GLC_NODE_SCALAR || n->quoted) return 0;
  return n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
         strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0;
}

const char *glc__kind_name(const glc_node *n) {
  switch (n->kind) {
    case GLC_NODE_MAP: return "a mapping";
    case GLC_NODE_SEQ: return "a list";
    default: return "a single value";
  }
}

static void node_destroy(glc_node *n) {
  if (!n) return;
  for (size_t i = 0; i < n->n; ++i) node_destroy(n->kids[i]);
  free(n->kids);
  free(n->text);
  free(n->key);
  free(n);
}

static gl_err node_new(glc_node **out, int kind, glc_mark mark) {
  GL_CALL(GL_ALLOC(*out, 1));
  (*out)->kind = kind;
  (*out)->mark = mark;
  return GL_OK;
}

static gl_err node_append(glc_node *parent, glc_node *kid) {
  if (parent->n == parent->cap) {
    size_t cap = parent->cap ? 2 * parent->cap : 8;
    glc_node **k = realloc(parent->kids, cap * sizeof *k);
    if (!k) return gl_error(GL_ERR_NOMEM, "out of memory growing a YAML mapping");
    parent->kids = k;
    parent->cap = cap;
  }
  parent->kids[parent->n++] = kid;
  return GL_OK;
}

const glc_node *glc__child(const glc_node *map, const char *key, size_t keylen) {
  if (!map || map->kind != GLC_NODE_MAP) return NULL;
  for (size_t i = 0; i < map->n; ++i) {
    const char *k = map->kids[i]->key;
    if (strlen(k) == keylen && memcmp(k, key, keylen) == 0) return map->kids[i];
  }
  return NULL;
}

const glc_node *glc__lookup(const glc_doc *doc, const char *path) {
  if (!doc || !path) return NULL;
  const glc_node *n = doc->root;
  if (!*path) return n;
  for (;;) {
    const char *dot = strchr(path, '.');
    size_t seg = dot ? (size_t)(dot - path) : strlen(path);
    if (seg == 0) return NULL;
    n = glc__child(n, path, seg);
    if (!n || !dot) return n;
    path = dot + 1;
  }
}

/* The document owns every origin string that marks point into. */
static gl_err doc_add_origin(glc_doc *doc, const char *origin, const char **stored) {
  if (doc->norigins == doc->corigins) {
    size_t cap = doc->corigins ? 2 * doc->corigins : 4;
    char **o = realloc(doc->origins, cap * sizeof *o);
    if (!o) return gl_error(GL_ERR_NOMEM, "out of memory storing a config origin");
    doc->origins = o;
    doc->corigins = cap;
  }
  /* origins appear in one-line messages: escape control characters once, here */
  size_t len = strlen(origin), cap = 4 * len + 8;
  char *s = malloc(cap);
  if (!s) return gl_error(GL_ERR_NOMEM, "out of memory storing a config origin");
  glc__show(origin, len, (size_t)-1, s, cap);
  doc->origins[doc->norigins++] = s;
  *stored = s;
  return GL_OK;
}

/* ---------------------------------------------------------------- loading */

typedef struct loader {
  const char *origin;
  int has_lines; /* marks carry line:col (files); overrides only name the assignment */
  int any_root;  /* an override value: any node, and an empty text is null */
  const char *text;
  size_t len;
  glc_node *root;
  glc_node *stack[GLC_MAX_DEPTH];
  int depth;
  char *key; /* a mapping key read, waiting for its value */
  glc_mark key_mark;
  int ndocs;
} loader;

static glc_mark mark_of(const loader *L, yaml_mark_t m) {
  glc_mark g = {L->origin, 0, 0};
  if (L->has_lines) {
    g.line = (int)m.line + 1;
    g.col = (int)m.column + 1;
  }
  return g;
}

static gl_err lerr(const loader *L, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static gl_err lerr(const loader *L, yaml_mark_t m, const char *fmt, ...) {
  char where[512], what[1400];
  glc__mark_str(mark_of(L, m), where, sizeof where);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return gl_error(GL_ERR_INPUT, "%s: %s", where, what);
}

static gl_err syntax_error(const loader *L, const yaml_parser_t *p) {
  if (p->error == YAML_MEMORY_ERROR)
    return gl_error(GL_ERR_NOMEM, "%s: out of memory while parsing YAML", L->origin);
  yaml_mark_t m = p->problem_mark;
  if (p->error == YAML_READER_ERROR) {
    /* reader errors (bad encoding, control characters) only carry a byte offset */
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < p->problem_offset && i < L->len; ++i) {
      if (L->text[i] == '\n') {
        ++m.line;
        m.column = 0;
      } else if (((unsigned char)L->text[i] & 0xC0) != 0x80) {
        ++m.column;
      }
    }
  }
  char where[512] = "", context[256] = "";
  if (p->context) {
    if (L->has_lines)
      snprintf(context, sizeof context, " (%s at line %d, column %d)", p->context,
               (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else
      snprintf(context, sizeof context, " (%s)", p->context);
  }
  if (!L->has_lines) {
    if (m.index >= L->len)
      snprintf(where, sizeof where, " at the end of the value");
    else
      snprintf(where, sizeof where, " at column %d of the value", (int)m.column + 1);
  }
  char value[32] = "";
  if (p->error == YAML_READER_ERROR && p->problem_value != -1)
    snprintf(value, sizeof value, " (#x%X)", (unsigned)p->problem_value);
  char at[512];
  glc__mark_str(mark_of(L, m), at, sizeof at);
  return gl_error(GL_ERR_INPUT, "%s: %s%s%s%s; allowed: valid YAML (check indentation, ':' and quotes)",
                  at, p->problem ? p->problem : "YAML syntax error", value, where, context);
}

static gl_err check_plain_node(const loader *L, const yaml_event_t *ev) {
  const yaml_char_t *anchor = NULL, *tag = NULL;
  if (ev->type == YAML_SCALAR_EVENT) {
    anchor = ev->data.scalar.anchor;
    tag = ev->data.scalar.tag;
  } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
    anchor = ev->data.sequence_start.anchor;
    tag = ev->data.sequence_start.tag;
  } else if (ev->type == YAML_MAPPING_START_EVENT) {
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
  }
  char shown[128];
  if (anchor) {
    glc__show((const char *)anchor, strlen((const char *)anchor), 40, shown, sizeof shown);
    return lerr(L, ev->start_mark,
                "anchor '&%s' is not supported; allowed: plain values without anchors, aliases "
                "or tags (write the value out in full)", shown);
  }
  if (tag) {
    /* libyaml expands "!!str" to the full URI; show it the way the user wrote it */
    const char *t = (const char *)tag, *core = "tag:yaml.org,2002:";
    char abbrev[128];
    if (strncmp(t, core, strlen(core)) == 0) {
      snprintf(abbrev, sizeof abbrev, "!!%s", t + strlen(core));
      t = abbrev;
    }
    glc__show(t, strlen(t), 40, shown, sizeof shown);
    return lerr(L, ev->start_mark,
                "tag '%s' is not supported; allowed: plain values without anchors, aliases or "
                "tags (quote a value to make it a string)", shown);
  }
  return GL_OK;
}

/* A scalar in key position: validate it and hold it until its value arrives. */
static gl_err take_key(loader *L, const glc_node *map, const yaml_event_t *ev) {
  if (ev->type != YAML_SCALAR_EVENT)
    return lerr(L, ev->start_mark,
                "a %s is used as a mapping key; allowed: plain names as keys",
                ev->type == YAML_MAPPING_START_EVENT ? "mapping" : "list");
  const char *k = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  char shown[256];
  glc__show(k, len, 60, shown, sizeof shown);
  if (len == 0)
    return lerr(L, ev->start_mark, "empty key; allowed: names of at least one character");
  if (memchr(k, '\0', len))
    return lerr(L, ev->start_mark, "key '%s' contains a NUL character; allowed: printable names",
                shown);
  if (memchr(k, '.', len))
    return lerr(L, ev->start_mark,
                "key '%s' contains '.'; allowed: names without dots (nest mappings instead)", shown);
  for (size_t i = 0; i < map->n; ++i) {
    const glc_node *other = map->kids[i];
    if (strlen(other->key) != len || memcmp(other->key, k, len) != 0) continue;
    if (L->has_lines)
      return lerr(L, ev->start_mark,
                  "duplicate key '%s' (first at line %d); allowed: each key once per mapping",
                  shown, other->key_mark.line);
    return lerr(L, ev->start_mark, "duplicate key '%s'; allowed: each key once per mapping", shown);
  }
  L->key = malloc(len + 1);
  if (!L->key) return gl_error(GL_ERR_NOMEM, "out of memory reading a YAML key");
  memcpy(L->key, k, len + 1);
  L->key_mark = mark_of(L, ev->start_mark);
  return GL_OK;
}

static gl_err on_node_event(loader *L, const yaml_event_t *ev) {
  GL_CALL(check_plain_node(L, ev));
  glc_node *parent = L->depth ? L->stack[L->depth - 1] : NULL;
  if (parent && parent->kind == GLC_NODE_MAP && !L->key) return take_key(L, parent, ev);
  if (!parent && !L->any_root && ev->type != YAML_MAPPING_START_EVENT) {
    if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.length == 0 &&
        ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
      return lerr(L, ev->start_mark,
                  "the document is empty; allowed: a mapping of settings (key: value lines)");
    return lerr(L, ev->start_mark,
                "the top level is %s; allowed: a mapping of settings (key: value lines)",
                ev->type == YAML_SEQUENCE_START_EVENT ? "a list" : "a single value");
  }
  int container = ev->type != YAML_SCALAR_EVENT;
  if (container && L->depth == GLC_MAX_DEPTH)
    return lerr(L, ev->start_mark, "nesting is too deep; allowed: at most %d levels",
                GLC_MAX_DEPTH);

  int kind = ev->type == YAML_SCALAR_EVENT          ? GLC_NODE_SCALAR
             : ev->type == YAML_MAPPING_START_EVENT ? GLC_NODE_MAP
                                                    : GLC_NODE_SEQ;
  glc_node *n;
  GL_CALL(node_new(&n, kind, mark_of(L, ev->start_mark)));
  if (kind == GLC_NODE_SCALAR) {
    size_t len = ev->data.scalar.length;
    n->text = malloc(len + 1);
    if (!n->text) {
      node_destroy(n);
      return gl_error(GL_ERR_NOMEM, "out of memory reading a YAML value");
    }
    memcpy(n->text, ev->data.scalar.value, len);
    n->text[len] = '\0';
    n->len = len;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && looks_typed(n->text, len);
  }
  if (!parent) {
    L->root = n;
  } else {
    if (parent->kind == GLC_NODE_MAP) {
      n->key = L->key;
      n->key_mark = L->key_mark;
      L->key = NULL;
    }
    gl_err err = node_append(parent, n);
    if (err) {
      node_destroy(n);
      return err;
    }
  }
  if (container) L->stack[L->depth++] = n;
  return GL_OK;
}

static gl_err on_event(loader *L, const yaml_event_t *ev, int *done) {
  switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
      if (L->ndocs++ > 0)
        return lerr(L, ev->start_mark,
                    "a second YAML document starts here; allowed: one document per %s",
                    L->any_root ? "value" : "file");
      return GL_OK;
    case YAML_ALIAS_EVENT: {
      char shown[128];
      const char *a = (const char *)ev->data.alias.anchor;
      glc__show(a, strlen(a), 40, shown, sizeof shown);
      return lerr(L, ev->start_mark,
                  "alias '*%s' is not supported; allowed: plain values without anchors, aliases "
                  "or tags (write the value out in full)", shown);
    }
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return on_node_event(L, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: --L->depth; return GL_OK;
    case YAML_STREAM_END_EVENT: *done = 1; return GL_OK;
    default: return GL_OK;
  }
}

/* Parse text into a node tree. Files must hold one mapping; override values may be any
 * node (an empty value is null). */
static gl_err load_tree(const char *origin, int has_lines, int any_root, const char *text,
                        size_t len, glc_node **root) {
  *root = NULL;
  loader L = {.origin = origin, .has_lines = has_lines, .any_root = any_root, .text = text,
              .len = len};
  if (len > GLC_MAX_TEXT)
    return gl_error(GL_ERR_INPUT, "%s: the text is %zu bytes; allowed: at most %zu bytes", origin,
                    len, GLC_MAX_TEXT);
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) return gl_error(GL_ERR_NOMEM, "cannot initialise libyaml");
  yaml_parser_set_input_string(&p, (const unsigned char *)(text ? text : ""), len);
  gl_err err = GL_OK;
  for (int done = 0; !done && !err;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      err = syntax_error(&L, &p);
      break;
    }
    err = on_event(&L, &ev, &done);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&p);
  free(L.key);
  if (!err && !L.root) {
    if (any_root) {
      glc_mark m = {origin, 0, 0};
      err = node_new(&L.root, GLC_NODE_SCALAR, m);
      if (!err) err = GL_ALLOC(L.root->text, 1);
    } else {
      err = gl_error(GL_ERR_INPUT,
                     "%s:1:1: the file is empty; allowed: a mapping of settings (key: value lines)",
                     origin);
    }
  }
  if (err) {
    node_destroy(L.root);
    return err;
  }
  *root = L.root;
  return GL_OK;
}

static gl_err doc_new(glc_doc **doc, const char *name) {
  GL_CALL(GL_ALLOC(*doc, 1));
  const char *stored;
  gl_err err = doc_add_origin(*doc, name ? name : "<config>", &stored);
  if (err) {
    glc_doc_destroy(*doc);
    *doc = NULL;
  }
  return err;
}

gl_err glc_doc_load_string(glc_doc **doc, const char *name, const char *text, size_t len) {
  *doc = NULL;
  glc_doc *d;
  GL_CALL(doc_new(&d, name));
  gl_err err = load_tree(d->origins[0], 1, 0, text, len, &d->root);
  if (err) {
    glc_doc_destroy(d);
    return err;
  }
  *doc = d;
  return GL_OK;
}

gl_err glc__read_file(const char *path, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return gl_error(GL_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  gl_err err = buf ? GL_OK : gl_error(GL_ERR_NOMEM, "out of memory reading '%s'", path);
  while (!err) {
    if (n == cap) {
      if (cap > GLC_MAX_TEXT) {
        err = gl_error(GL_ERR_INPUT, "cannot read '%s': larger than %zu bytes", path, GLC_MAX_TEXT);
        break;
      }
      char *b = realloc(buf, 2 * cap + 1);
      if (!b) {
        err = gl_error(GL_ERR_NOMEM, "out of memory reading '%s'", path);
        break;
      }
      buf = b;
      cap *= 2;
    }
    errno = 0;
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f))
        err = gl_error(GL_ERR_INPUT, "cannot read '%s': %s", path,
                       strerror(errno ? errno : EIO));
      break;
    }
  }
  fclose(f);
  if (err) {
    free(buf);
    return err;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return GL_OK;
}

gl_err glc_doc_load(glc_doc **doc, const char *path) {
  *doc = NULL;
  char *text;
  size_t len;
  GL_CALL(glc__read_file(path, &text, &len));
  gl_err err = glc_doc_load_string(doc, path, text, len);
  free(text);
  return err;
}

void glc_doc_destroy(glc_doc *doc) {
  if (!doc) return;
  node_destroy(doc->root);
  for (size_t i = 0; i < doc->norigins; ++i) free(doc->origins[i]);
  free(doc->origins);
  free(doc);
}

/* ---------------------------------------------------------------- overrides */

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): the path
 * of an override becomes mapping keys without passing through libyaml's reader, and the
 * emitter refuses anything else. */
static int utf8_valid(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned c = s[i];
    size_t n = c < 0x80            ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (!n || i + n > len) return 0;
    unsigned cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += n;
  }
  return 1;
}

static int tree_depth(const glc_node *n) {
  int d = 0;
  for (size_t i = 0; i < n->n; ++i) {
    int k = tree_depth(n->kids[i]);
    if (k > d) d = k;
  }
  return n->kind == GLC_NODE_SCALAR ? 0 : d + 1;
}

/* The origin names the whole assignment ("--set a.b=v"): marks of the new nodes point at it. */
static gl_err set_origin(glc_doc *doc, const char *assignment, const char **origin) {
  size_t need = strlen(assignment) + 7;
  char *full = malloc(need);
  if (!full) return gl_error(GL_ERR_NOMEM, "out of memory applying --set");
  snprintf(full, need, "--set %s", assignment);
  gl_err err = doc_add_origin(doc, full, origin);
  free(full);
  return err;
}

/* The path before '=': valid UTF-8, not empty, names separated by single dots, not deeper
 * than the loader allows. */
static gl_err check_set_path(const char *assignment, const char *origin, const char **eq,
                             int *nseg) {
  if (!utf8_valid((const unsigned char *)assignment, strlen(assignment)))
    return gl_error(GL_ERR_INPUT, "%s: the assignment is not valid UTF-8; allowed: UTF-8 text",
                    origin);
  *eq = strchr(assignment, '=');
  if (!*eq)
    return gl_error(GL_ERR_INPUT, "%s: no '=' in the assignment; allowed: --set dotted.path=value",
                    origin);
  size_t plen = (size_t)(*eq - assignment);
  if (plen == 0)
    return gl_error(GL_ERR_INPUT, "%s: empty path before '='; allowed: --set dotted.path=value",
                    origin);
  *nseg = 1;
  for (size_t i = 0; i < plen; ++i) {
    int boundary_before = i == 0 || assignment[i - 1] == '.';
    if (assignment[i] == '.') ++*nseg;
    if ((assignment[i] == '.' && boundary_before) || (i == plen - 1 && assignment[i] == '.'))
      return gl_error(GL_ERR_INPUT,
                      "%s: empty name in the path; allowed: names separated by single dots "
                      "(a.b.c=value)", origin);
  }
  if (*nseg > GLC_MAX_DEPTH)
    return gl_error(GL_ERR_INPUT, "%s: the path has %d levels; allowed: at most %d", origin, *nseg,
                    GLC_MAX_DEPTH);
  return GL_OK;
}

/* Put `put` under `map` as key seg[0..slen): it replaces `kid` (keeping the old key and its
 * mark) or is appended with a new key. On failure the caller still owns `put`. */
static gl_err place_node(glc_node *map, glc_node *kid, glc_node *put, const char *seg,
                         size_t slen, glc_mark here) {
  if (kid) {
    size_t i = 0;
    while (map->kids[i] != kid) ++i;
    put->key = kid->key;
    put->key_mark = kid->key_mark;
    kid->key = NULL;
    map->kids[i] = put;
    node_destroy(kid);
    return GL_OK;
  }
  put->key = malloc(slen + 1);
  if (!put->key) return gl_error(GL_ERR_NOMEM, "out of memory applying --set");
  memcpy(put->key, seg, slen);
  put->key[slen] = '\0';
  put->key_mark = here;
  gl_err err = node_append(map, put);
  if (err) {
    free(put->key);
    put->key = NULL;
  }
  return err;
}

/* An existing intermediate node on the path: a mapping to descend into, a null ("sim:" with
 * no value, an empty block, turned into the mapping we need), or an error naming it. */
static gl_err descend(glc_node *kid, const char *assignment, const char *end, const char *origin,
                      glc_node **map) {
  if (kid->kind == GLC_NODE_MAP) {
    *map = kid;
    return GL_OK;
  }
  if (glc__is_null(kid)) {
    free(kid->text);
    kid->text = NULL;
    kid->len = 0;
    kid->kind = GLC_NODE_MAP;
    *map = kid;
    return GL_OK;
  }
  char at[512], path[256], shown[128];
  glc__mark_str(kid->mark, at, sizeof at);
  glc__show(assignment, (size_t)(end - assignment), 120, path, sizeof path);
  glc__show(kid->text ? kid->text : "", kid->len, 40, shown, sizeof shown);
  return gl_error(GL_ERR_INPUT,
                  "%s: '%s' is %s%s%s%s (at %s), not a mapping; allowed: set '%s' itself, or a "
                  "path through mappings", origin, path, glc__kind_name(kid),
                  kid->kind == GLC_NODE_SCALAR ? " '" : "",
                  kid->kind == GLC_NODE_SCALAR ? shown : "",
                  kid->kind == GLC_NODE_SCALAR ? "'" : "", at, path);
}

gl_err glc_doc_set(glc_doc *doc, const char *assignment) {
  const char *origin = NULL, *eq = NULL;
  int nseg = 0;
  GL_CALL(set_origin(doc, assignment, &origin));
  GL_CALL(check_set_path(assignment, origin, &eq, &nseg));
  glc_node *value;
  const char *vtext = eq + 1;
  GL_CALL(load_tree(origin, 0, 1, vtext, strlen(vtext), &value));
  if (nseg + tree_depth(value) > GLC_MAX_DEPTH) {
    node_destroy(value);
    return gl_error(GL_ERR_INPUT, "%s: nesting is too deep; allowed: at most %d levels", origin,
                    GLC_MAX_DEPTH);
  }
  glc_mark here = {origin, 0, 0};
  glc_node *map = doc->root;
  const char *seg = assignment;
  gl_err err = GL_OK;
  for (int s = 0; s < nseg && !err; ++s) {
    const char *end = s == nseg - 1 ? eq : strchr(seg, '.');
    size_t slen = (size_t)(end - seg);
    glc_node *kid = (glc_node *)glc__child(map, seg, slen);
    if (s == nseg - 1 || !kid) {
      /* Either the leaf, or a missing intermediate mapping to create. */
      glc_node *put = value;
      if (s != nseg - 1 && (err = node_new(&put, GLC_NODE_MAP, here)) != GL_OK) break;
      err = place_node(map, kid, put, seg, slen, here);
      if (err) {
        if (put != value) node_destroy(put);
        break;
      }
      if (put == value) value = NULL; /* now owned by the tree */
      map = put;
    } else {
      err = descend(kid, assignment, end, origin, &map);
    }
    seg = end + 1;
  }
  node_destroy(value);
  return err;
}

/* ---------------------------------------------------------------- emission */

typedef struct outbuf {
  char *p;
  size_t n, cap;
  int oom;
} outbuf;

static int out_write(void *data, unsigned char *bytes, size_t size) {
  outbuf *o = data;
  if (o->n + size + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 1024;
    while (o->n + size + 1 > cap) cap *= 2;
    char *p = realloc(o->p, cap);
    if (!p) {
      o->oom = 1;
      return 0;
    }
    o->p = p;
    o->cap = cap;
  }
  memcpy(o->p + o->n, bytes, size);
  o->n += size;
  o->p[o->n] = '\0';
  return 1;
}

static int emit_scalar(yaml_emitter_t *e, const char *text, size_t len, int quoted) {
  yaml_event_t ev;
  /* Plain is requested for everything but quoted numbers/bools/nulls; libyaml quotes a
   * "plain" string by itself when it must (indicators, line breaks...), which is harmless
   * because such text cannot be typed. Double quotes can represent every string. */
  if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len, 1, 1,
                                    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                           : YAML_PLAIN_SCALAR_STYLE))
    return 0;
  return yaml_emitter_emit(e, &ev);
}

static int emit_node(yaml_emitter_t *e, const glc_node *n) {
  yaml_event_t ev;
  if (n->kind == GLC_NODE_SCALAR) return emit_scalar(e, n->text, n->len, n->quoted);
  if (n->kind == GLC_NODE_MAP) {
    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
        !yaml_emitter_emit(e, &ev))
      return 0;
    for (size_t i = 0; i < n->n; ++i) {
      if (!emit_scalar(e, n->kids[i]->key, strlen(n->kids[i]->key), 0)) return 0;
      if (!emit_node(e, n->kids[i])) return 0;
    }
    return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
  }
  if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
      !yaml_emitter_emit(e, &ev))
    return 0;
  for (size_t i = 0; i < n->n; ++i)
    if (!emit_node(e, n->kids[i])) return 0;
  return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
}

gl_err glc_doc_emit(const glc_doc *doc, char **text) {
  *text = NULL;
  yaml_emitter_t e;
  if (!yaml_emitter_initialize(&e)) return gl_error(GL_ERR_NOMEM, "cannot initialise libyaml");
  outbuf o = {0};
  yaml_emitter_set_output(&e, out_write, &o);
  yaml_emitter_set_unicode(&e, 1);
  yaml_emitter_set_width(&e, -1); /* never fold long values across lines */
  yaml_event_t ev;
  int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
           yaml_emitter_emit(&e, &ev) &&
           yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
           yaml_emitter_emit(&e, &ev) && emit_node(&e, doc->root) &&
           yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
           yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
           yaml_emitter_flush(&e);
  gl_err err = GL_OK;
  if (!ok)
    err = o.oom || e.error == YAML_MEMORY_ERROR
              ? gl_error(GL_ERR_NOMEM, "out of memory emitting YAML")
              : gl_error(GL_ERR_INTERNAL, "cannot emit the configuration as YAML: %s",
                         e.problem ? e.problem : "libyaml emitter error");
  yaml_emitter_delete(&e);
  if (err) {
    free(o.p);
    return err;
  }
  if (!o.p) {
    GL_CALL(GL_ALLOC(o.p, 1));
  }
  *text = o.p;
  return GL_OK;
}

/* ---------------------------------------------------------------- queries */

static int node_equal(const glc_node *a, const glc_node *b) {
  if (a->kind != b->kind || a->n != b->n) return 0;
  if (a->kind == GLC_NODE_SCALAR)
    return a->quoted == b->quoted && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
  for (size_t i = 0; i < a->n; ++i) {
    if (a->kind == GLC_NODE_MAP && strcmp(a->kids[i]->key, b->kids[i]->key) != 0) return 0;
    if (!node_equal(a->kids[i], b->kids[i])) return 0;
  }
  return 1;
}

int glc_doc_equal(const glc_doc *a, const glc_doc *b) {
  if (!a || !b) return a == b;
  return node_equal(a->root, b->root);
}

int glc_doc_has(const glc_doc *doc, const char *path) { return glc__lookup(doc, path) != NULL; }

int glc_doc_from_set(const glc_doc *doc, const char *path) {
  const glc_node *n = glc__lookup(doc, path);
  return n && n->mark.line == 0 && n->mark.origin && strncmp(n->mark.origin, "--set ", 6) == 0;
}

const char *glc_doc_mark(const glc_doc *doc, const char *path, char *buf, size_t buflen) {
  const glc_node *n = glc__lookup(doc, path);
  if (n)
    glc__mark_str(n->mark, buf, buflen);
  else
    snprintf(buf, buflen, "%s", doc && doc->norigins ? doc->origins[0] : "?");
  return buf;
}

const char *glc_doc_name(const glc_doc *doc) { return doc && doc->norigins ? doc->origins[0] : "?"; }
