/* Schema binding: type and range checks of a document subtree against a module's key
 * table, with every message in the form "<mark>: <dotted.path>: <problem>; allowed: <what>". */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

enum { LINSPACE_MAX = 1000000 };

/* ---------------------------------------------------------------- formatting */

/* Shortest "%.Ng" that reads back as the same double, so bounds print as written. */
static void fmt_real(double v, char *buf, size_t n) {
  if (v == floor(v) && fabs(v) < 1e15) {
    snprintf(buf, n, "%.0f", v); /* 100, not 1e+02 */
    return;
  }
  for (int p = 1; p <= 17; ++p) {
    snprintf(buf, n, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

static int has_range(const glc_key *k) {
  return !(k->min == 0 && k->max == 0 && !(k->flags & (GLC_OPEN_MIN | GLC_OPEN_MAX)));
}

static void range_str(const glc_key *k, char *buf, size_t n) {
  buf[0] = '\0';
  if (!has_range(k)) return;
  char lo[40], hi[40];
  fmt_real(k->min, lo, sizeof lo);
  fmt_real(k->max, hi, sizeof hi);
  int open_lo = (k->flags & GLC_OPEN_MIN) != 0, open_hi = (k->flags & GLC_OPEN_MAX) != 0;
  int has_lo = k->min > -HUGE_VAL, has_hi = k->max < HUGE_VAL;
  if (has_lo && has_hi)
    snprintf(buf, n, " in %c%s, %s%c", open_lo ? '(' : '[', lo, hi, open_hi ? ')' : ']');
  else if (has_lo)
    snprintf(buf, n, " %s %s", open_lo ? ">" : ">=", lo);
  else if (has_hi)
    snprintf(buf, n, " %s %s", open_hi ? "<" : "<=", hi);
}

static void join_choices(const char *const *choices, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = '\0';
  for (int i = 0; choices && choices[i]; ++i) {
    int w = snprintf(buf + o, n - o, "%s%s", i ? ", " : "", choices[i]);
    if (w < 0 || (size_t)w >= n - o) break;
    o += (size_t)w;
  }
}

/* What a key accepts, for "; allowed: ..." and --help. */
static void describe(const glc_key *k, char *buf, size_t n) {
  char r[128], c[1024];
  range_str(k, r, sizeof r);
  switch (k->type) {
    case GLC_INT: snprintf(buf, n, "an integer%s", r); break;
    case GLC_REAL: snprintf(buf, n, "a number%s", r); break;
    case GLC_BOOL: snprintf(buf, n, "true or false"); break;
    case GLC_STRING: snprintf(buf, n, "a string"); break;
    case GLC_ENUM:
      join_choices(k->choices, c, sizeof c);
      snprintf(buf, n, "one of %s", c);
      break;
    case GLC_REALS:
      snprintf(buf, n, "a non-empty list of numbers%s, or {start: a, stop: b, num: n}", r);
      break;
    case GLC_STRINGS:
      if (k->choices) {
        join_choices(k->choices, c, sizeof c);
        snprintf(buf, n, "a list of strings from %s", c);
      } else {
        snprintf(buf, n, "a list of strings");
      }
      break;
    case GLC_SECTION: snprintf(buf, n, "a mapping"); break;
    case GLC_ANY: snprintf(buf, n, "any value"); break;
  }
}

/* "<mark>: <path>: <problem>; allowed: <allowed>" */
static gl_err fail(glc_mark at, const char *path, const char *allowed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static gl_err fail(glc_mark at, const char *path, const char *allowed, const char *fmt, ...) {
  char where[512], p[512], what[1024];
  glc__mark_str(at, where, sizeof where);
  glc__show(path, strlen(path), 160, p, sizeof p);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return gl_error(GL_ERR_INPUT, "%s: %s: %s; allowed: %s", where, p, what, allowed);
}

static void show_node(const glc_node *n, char *buf, size_t len) {
  glc__show(n->text ? n->text : "", n->len, 60, buf, len);
}

/* ---------------------------------------------------------------- scalar parsing */

static gl_err want_scalar(const glc_node *n, const char *path, const char *allowed) {
  if (n->kind != GLC_NODE_SCALAR) return fail(n->mark, path, allowed, "got %s", glc__kind_name(n));
  if (glc__is_null(n)) return fail(n->mark, path, allowed, "no value given");
  return GL_OK;
}

static gl_err want_plain(const glc_node *n, const char *path, const char *allowed) {
  GL_CALL(want_scalar(n, path, allowed));
  if (n->quoted) {
    char s[256];
    show_node(n, s, sizeof s);
    return fail(n->mark, path, allowed, "'%s' is quoted, so it is a string", s);
  }
  return GL_OK;
}

static gl_err get_int(const glc_node *n, const char *path, const char *allowed, long long lo,
                      long long hi, long long *out) {
  GL_CALL(want_plain(n, path, allowed));
  const char *s = n->text;
  char shown[256];
  show_node(n, shown, sizeof shown);
  if (!glc__is_decimal(s, n->len) || strpbrk(s, ".eE"))
    return fail(n->mark, path, allowed, "'%s' is not an integer", shown);
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno == ERANGE || v < lo || v > hi)
    return fail(n->mark, path, allowed, "%s is out of range", shown);
  *out = v;
  return GL_OK;
}

/* Decimal numbers only: strtod alone would also take "nan", "inf", hex and leading blanks. */
static gl_err get_real(const glc_node *n, const char *path, const char *allowed, double *out) {
  GL_CALL(want_plain(n, path, allowed));
  const char *s = n->text;
  char shown[256];
  show_node(n, shown, sizeof shown);
  if (!glc__is_decimal(s, n->len)) {
    const char *t = s + (s[0] == '-' || s[0] == '+');
    int special = strcmp(t, "nan") == 0 || strcmp(t, "inf") == 0 || strcmp(t, ".nan") == 0 ||
                  strcmp(t, ".inf") == 0 || strcmp(t, "NaN") == 0 || strcmp(t, ".NaN") == 0 ||
                  strcmp(t, ".Inf") == 0 || strcmp(t, "infinity") == 0 || strcmp(t, "Inf") == 0;
    return fail(n->mark, path, allowed, "'%s' is not %snumber", shown, special ? "a finite " : "a ");
  }
  double v = strtod(s, NULL);
  if (!isfinite(v)) return fail(n->mark, path, allowed, "'%s' is not a finite number", shown);
  *out = v;
  return GL_OK;
}

static int in_range(const glc_key *k, double v) {
  if (!has_range(k)) return 1;
  int lo_ok = (k->flags & GLC_OPEN_MIN) ? v > k->min : v >= k->min;
  int hi_ok = (k->flags & GLC_OPEN_MAX) ? v < k->max : v <= k->max;
  return lo_ok && hi_ok;
}

static gl_err get_string(const glc_node *n, const char *path, const char *allowed, char **out) {
  GL_CALL(want_scalar(n, path, allowed));
  if (memchr(n->text, '\0', n->len))
    return fail(n->mark, path, allowed, "the string contains a NUL character");
  *out = malloc(n->len + 1);
  if (!*out) return gl_error(GL_ERR_NOMEM, "out of memory binding %s", path);
  memcpy(*out, n->text, n->len + 1);
  return GL_OK;
}

static int choice_index(const char *const *choices, const char *s) {
  for (int i = 0; choices && choices[i]; ++i)
    if (strcmp(choices[i], s) == 0) return i;
  return -1;
}

/* ---------------------------------------------------------------- list types */

static int linspace_key(const char *k) {
  return strcmp(k, "start") == 0 || strcmp(k, "stop") == 0 || strcmp(k, "num") == 0;
}

static gl_err path_join(char **out, const char *path, const char *suffix, int index) {
  size_t need = strlen(path) + (suffix ? strlen(suffix) + 2 : 24);
  *out = malloc(need);
  if (!*out) return gl_error(GL_ERR_NOMEM, "out of memory building a config path");
  if (suffix)
    snprintf(*out, need, "%s%s%s", path, *path ? "." : "", suffix);
  else
    snprintf(*out, need, "%s[%d]", path, index);
  return GL_OK;
}

/* numpy.linspace(start, stop, num) with endpoint=True, step for step: y = i*step + start
 * with step = (stop-start)/(num-1), the last element set to stop exactly, and
 * (i/div)*delta when the step underflows to zero. */
static void linspace(double start, double stop, int num, double *y) {
  if (num == 1) {
    y[0] = start;
    return;
  }
  double div = (double)(num - 1), delta = stop - start, step = delta / div;
  for (int i = 0; i < num; ++i) {
    double t = step == 0 ? ((double)i / div) * delta : (double)i * step;
    y[i] = t + start;
  }
  y[num - 1] = stop;
}

static gl_err bind_linspace(const glc_node *n, const glc_key *k, const char *allowed,
                            glc_reals *out) {
  const char *need = "{start: a, stop: b, num: n}";
  const glc_node *start = NULL, *stop = NULL, *num = NULL;
  for (size_t i = 0; i < n->n; ++i) {
    const glc_node *kid = n->kids[i];
    if (!linspace_key(kid->key)) {
      char *p;
      GL_CALL(path_join(&p, k->path, kid->key, 0));
      gl_err e = fail(kid->key_mark, p, "start, stop, num", "unknown key in a linspace");
      free(p);
      return e;
    }
    if (strcmp(kid->key, "start") == 0) start = kid;
    if (strcmp(kid->key, "stop") == 0) stop = kid;
    if (strcmp(kid->key, "num") == 0) num = kid;
  }
  const char *missing = !start ? "start" : !stop ? "stop" : !num ? "num" : NULL;
  if (missing) return fail(n->mark, k->path, need, "the linspace has no '%s'", missing);
  double a, b;
  long long m;
  char *p;
  char range[160];
  snprintf(range, sizeof range, "an integer in [1, %d]", LINSPACE_MAX);
  GL_CALL(path_join(&p, k->path, "start", 0));
  gl_err err = get_real(start, p, "a number", &a);
  free(p);
  GL_CALL(err);
  GL_CALL(path_join(&p, k->path, "stop", 0));
  err = get_real(stop, p, "a number", &b);
  free(p);
  GL_CALL(err);
  GL_CALL(path_join(&p, k->path, "num", 0));
  err = get_int(num, p, range, 1, LINSPACE_MAX, &m);
  free(p);
  GL_CALL(err);
  double *v;
  GL_CALL(GL_ALLOC(v, m));
  linspace(a, b, (int)m, v);
  for (int i = 0; i < (int)m; ++i) {
    if (!isfinite(v[i]) || !in_range(k, v[i])) {
      char s[40];
      fmt_real(v[i], s, sizeof s);
      const char *why = isfinite(v[i]) ? "out of range" : "not finite";
      free(v);
      return fail(n->mark, k->path, allowed, "linspace element %d (%s) is %s", i, s, why);
    }
  }
  out->v = v;
  out->n = (int)m;
  return GL_OK;
}

static gl_err bind_reals(const glc_node *n, const glc_key *k, const char *allowed,
                         glc_reals *out) {
  out->v = NULL;
  out->n = 0;
  if (n->kind == GLC_NODE_MAP) return bind_linspace(n, k, allowed, out);
  size_t count = n->kind == GLC_NODE_SEQ ? n->n : 1;
  if (n->kind == GLC_NODE_SEQ && count == 0)
    return fail(n->mark, k->path, allowed, "the list is empty");
  if (count > INT_MAX) return fail(n->mark, k->path, allowed, "the list is too long");
  double *v;
  GL_CALL(GL_ALLOC(v, count));
  gl_err err = GL_OK;
  for (size_t i = 0; i < count && !err; ++i) {
    const glc_node *e = n->kind == GLC_NODE_SEQ ? n->kids[i] : n;
    char *p = NULL;
    err = n->kind == GLC_NODE_SEQ ? path_join(&p, k->path, NULL, (int)i) : GL_OK;
    if (!err) err = get_real(e, p ? p : k->path, allowed, &v[i]);
    if (!err && !in_range(k, v[i]))
      err = fail(e->mark, p ? p : k->path, allowed, "%s is out of range", e->text);
    free(p);
  }
  if (err) {
    free(v);
    return err;
  }
  out->v = v;
  out->n = (int)count;
  return GL_OK;
}

static void strings_free(glc_strings *s) {
  for (int i = 0; i < s->n; ++i) free(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

static gl_err bind_strings(const glc_node *n, const glc_key *k, const char *allowed,
                           glc_strings *out) {
  out->v = NULL;
  out->n = 0;
  if (n->kind == GLC_NODE_MAP) return fail(n->mark, k->path, allowed, "got a mapping");
  size_t count = n->kind == GLC_NODE_SEQ ? n->n : 1;
  if (count > INT_MAX) return fail(n->mark, k->path, allowed, "the list is too long");
  if (count) GL_CALL(GL_ALLOC(out->v, count));
  gl_err err = GL_OK;
  for (size_t i = 0; i < count && !err; ++i) {
    const glc_node *e = n->kind == GLC_NODE_SEQ ? n->kids[i] : n;
    char *p = NULL;
    err = n->kind == GLC_NODE_SEQ ? path_join(&p, k->path, NULL, (int)i) : GL_OK;
    if (!err) err = get_string(e, p ? p : k->path, allowed, &out->v[i]);
    if (!err) ++out->n;
    if (!err && k->choices && choice_index(k->choices, out->v[i]) < 0) {
      char s[256];
      show_node(e, s, sizeof s);
      err = fail(e->mark, p ? p : k->path, allowed, "'%s' is not a valid choice", s);
    }
    free(p);
  }
  if (err) strings_free(out);
  return err;
}

/* ---------------------------------------------------------------- one key */

static gl_err bind_key(const glc_node *n, const glc_key *k, void *field) {
  char allowed[1200], shown[256];
  describe(k, allowed, sizeof allowed);
  switch (k->type) {
    case GLC_INT: {
      long long v;
      GL_CALL(get_int(n, k->path, allowed, INT_MIN, INT_MAX, &v));
      if (!in_range(k, (double)v))
        return fail(n->mark, k->path, allowed, "%s is out of range", n->text);
      *(int *)field = (int)v;
      return GL_OK;
    }
    case GLC_REAL: {
      double v;
      GL_CALL(get_real(n, k->path, allowed, &v));
      if (!in_range(k, v)) return fail(n->mark, k->path, allowed, "%s is out of range", n->text);
      *(double *)field = v;
      return GL_OK;
    }
    case GLC_BOOL:
      GL_CALL(want_plain(n, k->path, allowed));
      if (strcmp(n->text, "true") != 0 && strcmp(n->text, "false") != 0) {
        show_node(n, shown, sizeof shown);
        return fail(n->mark, k->path, allowed, "'%s' is not true or false", shown);
      }
      *(int *)field = n->text[0] == 't';
      return GL_OK;
    case GLC_STRING: {
      char *s;
      GL_CALL(get_string(n, k->path, allowed, &s));
      free(*(char **)field);
      *(char **)field = s;
      return GL_OK;
    }
    case GLC_ENUM: {
      GL_CALL(want_scalar(n, k->path, allowed));
      int i = memchr(n->text, '\0', n->len) ? -1 : choice_index(k->choices, n->text);
      if (i < 0) {
        show_node(n, shown, sizeof shown);
        return fail(n->mark, k->path, allowed, "'%s' is not a valid choice", shown);
      }
      *(int *)field = i;
      return GL_OK;
    }
    case GLC_REALS: {
      glc_reals r;
      GL_CALL(bind_reals(n, k, allowed, &r));
      free(((glc_reals *)field)->v);
      *(glc_reals *)field = r;
      return GL_OK;
    }
    case GLC_STRINGS: {
      glc_strings s;
      GL_CALL(bind_strings(n, k, allowed, &s));
      strings_free(field);
      *(glc_strings *)field = s;
      return GL_OK;
    }
    case GLC_SECTION:
      if (n->kind != GLC_NODE_MAP && !glc__is_null(n))
        return fail(n->mark, k->path, allowed, "got %s", glc__kind_name(n));
      return GL_OK;
    case GLC_ANY: return GL_OK;
  }
  return gl_error(GL_ERR_INTERNAL, "config key '%s' has an unknown type %d", k->path, (int)k->type);
}

/* ---------------------------------------------------------------- schema structure */

static int is_under(const char *path, const char *parent) {
  size_t n = strlen(parent);
  if (n == 0) return 1;
  return strncmp(path, parent, n) == 0 && path[n] == '.';
}

static const glc_key *find_key(const glc_key *schema, size_t nkeys, const char *path) {
  for (size_t i = 0; i < nkeys; ++i)
    if (strcmp(schema[i].path, path) == 0) return &schema[i];
  return NULL;
}

static int is_implicit_section(const glc_key *schema, size_t nkeys, const char *path) {
  for (size_t i = 0; i < nkeys; ++i)
    if (is_under(schema[i].path, path)) return 1;
  return 0;
}

/* The names allowed directly under `parent`, in schema order, comma separated. */
static void child_names(const glc_key *schema, size_t nkeys, const char *parent, char *buf,
                        size_t n) {
  size_t o = 0, skip = *parent ? strlen(parent) + 1 : 0;
  buf[0] = '\0';
  for (size_t i = 0; i < nkeys; ++i) {
    const char *p = schema[i].path;
    if (!is_under(p, parent)) continue;
    const char *name = p + skip, *end = strchr(name, '.');
    size_t len = end ? (size_t)(end - name) : strlen(name);
    int seen = 0;
    for (size_t j = 0; j < i && !seen; ++j) {
      const char *q = schema[j].path;
      if (!is_under(q, parent)) continue;
      const char *nq = q + skip, *eq = strchr(nq, '.');
      size_t lq = eq ? (size_t)(eq - nq) : strlen(nq);
      seen = lq == len && memcmp(nq, name, len) == 0;
    }
    if (seen) continue;
    if (o + len + 8 >= n) {
      if (o + 5 < n) memcpy(buf + o, ", ...", 6);
      return;
    }
    o += (size_t)snprintf(buf + o, n - o, "%s%.*s", o ? ", " : "", (int)len, name);
  }
}

/* Optimal string alignment distance (edits + adjacent transpositions). */
static size_t osa_distance(const char *a, size_t la, const char *b, size_t lb) {
  enum { MAXL = 64 };
  if (la > MAXL || lb > MAXL) return (size_t)-1;
  size_t d[MAXL + 1][MAXL + 1];
  for (size_t i = 0; i <= la; ++i) d[i][0] = i;
  for (size_t j = 0; j <= lb; ++j) d[0][j] = j;
  for (size_t i = 1; i <= la; ++i)
    for (size_t j = 1; j <= lb; ++j) {
      size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[la][lb];
}

/* A schema path (or one of its ancestors) the user probably meant: the same name
 * elsewhere in the tree, else the nearest path by edit distance. Writes "" if none. */
static void suggest(const glc_key *schema, size_t nkeys, const char *path, char *buf, size_t n) {
  const char *leaf = strrchr(path, '.');
  leaf = leaf ? leaf + 1 : path;
  size_t lleaf = strlen(leaf), lpath = strlen(path), best = (size_t)-1;
  size_t limit = lleaf <= 4 ? 1 : lleaf <= 8 ? 2 : 3;
  buf[0] = '\0';
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < nkeys; ++i) {
      const char *p = schema[i].path;
      for (const char *end = p; end;) {
        end = strchr(end + (end == p ? 0 : 1), '.');
        size_t lc = end ? (size_t)(end - p) : strlen(p);
        const char *cleaf = p;
        for (size_t j = 0; j < lc; ++j)
          if (p[j] == '.') cleaf = p + j + 1;
        size_t lcl = lc - (size_t)(cleaf - p);
        if (pass == 0) {
          /* same name, different place: "sim.lr" when "train.lr" exists */
          if (lcl == lleaf && memcmp(cleaf, leaf, lleaf) == 0 &&
              !(lc == lpath && memcmp(p, path, lc) == 0)) {
            snprintf(buf, n, "%.*s", (int)lc, p);
            return;
          }
        } else {
          size_t d = osa_distance(path, lpath, p, lc);
          if (d <= limit && d < best) {
            best = d;
            snprintf(buf, n, "%.*s", (int)lc, p);
          }
        }
        if (!end) break;
      }
    }
  }
}

typedef struct binder {
  const glc_key *schema;
  size_t nkeys;
} binder;

static gl_err walk(const binder *B, const glc_node *map, const char *path);

static gl_err check_child(const binder *B, const glc_node *kid, const char *path) {
  const glc_key *k = find_key(B->schema, B->nkeys, path);
  if (k) return k->type == GLC_SECTION && kid->kind == GLC_NODE_MAP ? walk(B, kid, path) : GL_OK;
  if (is_implicit_section(B->schema, B->nkeys, path)) {
    if (kid->kind == GLC_NODE_MAP) return walk(B, kid, path);
    if (glc__is_null(kid)) return GL_OK;
    char names[1200], allowed[1300];
    child_names(B->schema, B->nkeys, path, names, sizeof names);
    snprintf(allowed, sizeof allowed, "a mapping with keys %s", names);
    return fail(kid->mark, path, allowed, "got %s", glc__kind_name(kid));
  }
  const char *dot = strrchr(path, '.');
  char parent[512], names[1200], hint[600] = "", where[512], shown[512];
  snprintf(parent, sizeof parent, "%.*s", dot ? (int)(dot - path) : 0, path);
  child_names(B->schema, B->nkeys, parent, names, sizeof names);
  suggest(B->schema, B->nkeys, path, hint, sizeof hint);
  glc__mark_str(kid->key_mark, where, sizeof where);
  glc__show(path, strlen(path), 160, shown, sizeof shown);
  char under[600];
  if (*parent)
    snprintf(under, sizeof under, "under '%s'", parent);
  else
    snprintf(under, sizeof under, "at the top level");
  if (*hint)
    return gl_error(GL_ERR_INPUT, "%s: unknown key '%s'; allowed %s: %s; did you mean '%s'?", where,
                    shown, under, names[0] ? names : "(none)", hint);
  return gl_error(GL_ERR_INPUT, "%s: unknown key '%s'; allowed %s: %s", where, shown, under,
                  names[0] ? names : "(none)");
}

/* Every key under a bound mapping must be in the schema (or inside an ANY subtree). */
static gl_err walk(const binder *B, const glc_node *map, const char *path) {
  for (size_t i = 0; i < map->n; ++i) {
    char *sub;
    GL_CALL(path_join(&sub, path, map->kids[i]->key, 0));
    gl_err err = check_child(B, map->kids[i], sub);
    free(sub);
    GL_CALL(err);
  }
  return GL_OK;
}

static gl_err check_schema(const char *prefix, const glc_key *schema, size_t nkeys) {
  for (size_t i = 0; i < nkeys; ++i) {
    const glc_key *k = &schema[i];
    const char *p = k->path;
    if (!p || !*p || p[0] == '.' || p[strlen(p) - 1] == '.' || strstr(p, ".."))
      return gl_error(GL_ERR_INTERNAL, "config schema key %zu has an invalid path '%s'", i,
                      p ? p : "(null)");
    if (*prefix && strcmp(p, prefix) != 0 && !is_under(p, prefix))
      return gl_error(GL_ERR_INTERNAL, "config schema key '%s' is outside the bound prefix '%s'",
                      p, prefix);
    if ((unsigned)k->type > (unsigned)GLC_ANY)
      return gl_error(GL_ERR_INTERNAL, "config schema key '%s' has an unknown type", p);
    if (k->type == GLC_ENUM && !k->choices)
      return gl_error(GL_ERR_INTERNAL, "config schema key '%s' is an enum without choices", p);
    for (size_t j = 0; j < nkeys; ++j) {
      if (j == i || !schema[j].path) continue;
      if (j < i && strcmp(schema[j].path, p) == 0)
        return gl_error(GL_ERR_INTERNAL, "config schema key '%s' is listed twice", p);
      if (is_under(p, schema[j].path) && schema[j].type != GLC_SECTION)
        return gl_error(GL_ERR_INTERNAL,
                        "config schema key '%s' lies under '%s', which is not a GLC_SECTION", p,
                        schema[j].path);
    }
  }
  return GL_OK;
}

/* ---------------------------------------------------------------- ownership */

static gl_err copy_default(const glc_key *k, const void *field, void **copy) {
  *copy = NULL;
  if (k->type == GLC_STRING) {
    const char *s = *(char *const *)field;
    if (!s) return GL_OK;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (!c) return gl_error(GL_ERR_NOMEM, "out of memory copying the default of %s", k->path);
    memcpy(c, s, n);
    *copy = c;
  } else if (k->type == GLC_REALS) {
    const glc_reals *r = field;
    if (!r->v || r->n <= 0) return GL_OK;
    double *c;
    GL_CALL(GL_ALLOC(c, r->n));
    memcpy(c, r->v, (size_t)r->n * sizeof *c);
    *copy = c;
  } else if (k->type == GLC_STRINGS) {
    const glc_strings *s = field;
    if (!s->v || s->n <= 0) return GL_OK;
    char **c;
    GL_CALL(GL_ALLOC(c, s->n));
    for (int i = 0; i < s->n; ++i) {
      size_t n = strlen(s->v[i]) + 1;
      c[i] = malloc(n);
      if (!c[i]) {
        glc_strings tmp = {c, i};
        strings_free(&tmp);
        return gl_error(GL_ERR_NOMEM, "out of memory copying the default of %s", k->path);
      }
      memcpy(c[i], s->v[i], n);
    }
    *copy = c;
  }
  return GL_OK;
}

/* Replace caller defaults (literals, static arrays) with heap copies, all or nothing, so
 * that glc_free may free every pointer field afterwards. */
static gl_err adopt_defaults(const glc_key *schema, size_t nkeys, void *target) {
  void **copies;
  GL_CALL(GL_ALLOC(copies, nkeys));
  gl_err err = GL_OK;
  size_t i = 0;
  for (; i < nkeys && !err; ++i) err = copy_default(&schema[i], (char *)target + schema[i].offset,
                                                    &copies[i]);
  if (err) {
    for (size_t j = 0; j + 1 < i; ++j) {
      if (schema[j].type == GLC_STRINGS && copies[j]) {
        glc_strings tmp = {copies[j], ((glc_strings *)((char *)target + schema[j].offset))->n};
        strings_free(&tmp);
      } else {
        free(copies[j]);
      }
    }
    free(copies);
    return err;
  }
  for (i = 0; i < nkeys; ++i) {
    void *field = (char *)target + schema[i].offset;
    switch (schema[i].type) {
      case GLC_STRING: *(char **)field = copies[i]; break;
      case GLC_REALS:
        ((glc_reals *)field)->v = copies[i];
        if (!copies[i]) ((glc_reals *)field)->n = 0;
        break;
      case GLC_STRINGS:
        ((glc_strings *)field)->v = copies[i];
        if (!copies[i]) ((glc_strings *)field)->n = 0;
        break;
      default: break;
    }
  }
  free(copies);
  return GL_OK;
}

void glc_free(const glc_key *schema, size_t nkeys, void *target) {
  if (!schema || !target) return;
  for (size_t i = 0; i < nkeys; ++i) {
    void *field = (char *)target + schema[i].offset;
    switch (schema[i].type) {
      case GLC_STRING:
        free(*(char **)field);
        *(char **)field = NULL;
        break;
      case GLC_REALS:
        free(((glc_reals *)field)->v);
        ((glc_reals *)field)->v = NULL;
        ((glc_reals *)field)->n = 0;
        break;
      case GLC_STRINGS: strings_free(field); break;
      default: break;
    }
  }
}

/* ---------------------------------------------------------------- public */

gl_err glc_bind(const glc_doc *doc, const char *prefix, const glc_key *schema, size_t nkeys,
                void *target) {
  if (!prefix) prefix = "";
  GL_CALL(check_schema(prefix, schema, nkeys));
  GL_CALL(adopt_defaults(schema, nkeys, target));
  binder B = {schema, nkeys};

  const glc_node *top = glc__lookup(doc, prefix);
  const glc_key *self = find_key(schema, nkeys, prefix);
  if (self && self->type != GLC_SECTION) {
    /* binding one key: its value (a linspace mapping, say) is checked by its type */
  } else if (top && top->kind == GLC_NODE_MAP) {
    GL_CALL(walk(&B, top, prefix));
  } else if (top && !glc__is_null(top) && !self) {
    char names[1200], allowed[1300];
    child_names(schema, nkeys, prefix, names, sizeof names);
    snprintf(allowed, sizeof allowed, "a mapping with keys %s", names);
    return fail(top->mark, prefix, allowed, "got %s", glc__kind_name(top));
  }

  for (size_t i = 0; i < nkeys; ++i) {
    const glc_key *k = &schema[i];
    const glc_node *n = glc__lookup(doc, k->path);
    if (!n) {
      if (k->flags & GLC_REQUIRED) {
        char allowed[1200];
        describe(k, allowed, sizeof allowed);
        glc_mark m = {glc_doc_name(doc), 0, 0};
        return fail(m, k->path, allowed, "required key is missing");
      }
      continue;
    }
    GL_CALL(bind_key(n, k, (char *)target + k->offset));
  }
  return GL_OK;
}

void glc_print_schema(const glc_key *schema, size_t nkeys, void *stream) {
  FILE *f = stream ? (FILE *)stream : stdout;
  int width = 0;
  for (size_t i = 0; i < nkeys; ++i) {
    int w = (int)strlen(schema[i].path);
    if (w > width) width = w;
  }
  for (size_t i = 0; i < nkeys; ++i) {
    char d[1200];
    describe(&schema[i], d, sizeof d);
    fprintf(f, "  %-*s  (%s%s)  %s\n", width, schema[i].path, d,
            schema[i].flags & GLC_REQUIRED ? ", required" : "", schema[i].help ? schema[i].help : "");
  }
}
