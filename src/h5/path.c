/* Paths inside a file: existence by walking the components, groups, links, listings, and
 * the one-line messages that name the file and the object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5/h5_internal.h"

char *glh5_strdup_(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Name of the file that holds loc, malloc'd, or NULL. */
static char *glh5_file_name_(hid_t loc) {
  ssize_t n = H5Fget_name(loc, NULL, 0);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s && H5Fget_name(loc, s, (size_t)n + 1) < 0) {
    free(s);
    s = NULL;
  }
  return s;
}

/* Path of obj for messages: obj itself when absolute or relative to the root, else loc's
 * path + "/" + obj; loc's own path when obj is NULL. malloc'd, or NULL. */
static char *glh5_obj_name_(hid_t loc, const char *obj) {
  if (obj && (obj[0] == '/' || H5Iget_type(loc) == H5I_FILE)) return glh5_strdup_(obj);
  char *base = NULL;
  ssize_t n = H5Iget_name(loc, NULL, 0);
  if (n > 0 && (base = malloc((size_t)n + 1)) && H5Iget_name(loc, base, (size_t)n + 1) < 0) {
    free(base);
    base = NULL;
  }
  if (!obj) return base;
  if (!base || strcmp(base, "/") == 0) {
    free(base);
    return glh5_strdup_(obj);
  }
  size_t a = strlen(base), b = strlen(obj);
  char *s = malloc(a + b + 2);
  if (s) {
    memcpy(s, base, a);
    s[a] = '/';
    memcpy(s + a + 1, obj, b + 1);
  }
  free(base);
  return s;
}

static char *glh5_vformat_(const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

/* H5Ewalk2 callback: does any level of HDF5's error stack report a failed checksum, of
 * metadata (2) or of a data chunk (1)? */
static herr_t glh5_checksum_seen_(unsigned n, const H5E_error2_t *e, void *seen) {
  (void)n;
  int *k = seen;
  if (e->desc && strstr(e->desc, "metadata checksum")) *k = 2;
  else if (e->desc && *k == 0 && (strstr(e->desc, "checksum") || strstr(e->desc, "fletcher32"))) *k = 1;
  return 0;
}

gl_err glh5_fail_(gl_err code, hid_t loc, const char *kind, const char *obj, const char *fmt, ...) {
  /* Read HDF5's error stack first: the name queries below clear it. */
  int checksum = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, glh5_checksum_seen_, &checksum);
  va_list ap;
  va_start(ap, fmt);
  char *tail = glh5_vformat_(fmt, ap);
  va_end(ap);
  char *file = glh5_file_name_(loc), *name = glh5_obj_name_(loc, obj);
  gl_error(code, "'%s': HDF5 %s '%s' %s%s", file ? file : "?", kind, name ? name : (obj ? obj : "?"),
           tail ? tail : "failed",
           checksum == 2   ? ": its metadata fails its checksum (the file is damaged; restore it or re-run)"
           : checksum == 1 ? ": a chunk fails its Fletcher-32 checksum (the file is damaged; restore it or re-run)"
                           : "");
  free(tail);
  free(file);
  free(name);
  return code;
}

gl_err glh5_attr_fail_(gl_err code, hid_t obj, const char *attr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *tail = glh5_vformat_(fmt, ap);
  va_end(ap);
  char *file = glh5_file_name_(obj), *name = glh5_obj_name_(obj, NULL);
  gl_error(code, "'%s': HDF5 attribute '%s' of %s %s", file ? file : "?", attr, name ? name : "?",
           tail ? tail : "failed");
  free(tail);
  free(file);
  free(name);
  return code;
}

const char *glh5_shape_str_(int rank, const hsize_t *dims, char *buf) {
  if (rank <= 0) {
    snprintf(buf, GLH5_SHAPE_LEN, "scalar");
    return buf;
  }
  size_t o = 0;
  buf[0] = '\0';
  for (int k = 0; k < rank && k < GLH5_MAXRANK; ++k) {
    if (dims && dims[k] != GLH5_ANY)
      o += (size_t)snprintf(buf + o, GLH5_SHAPE_LEN - o, "[%llu]", (unsigned long long)dims[k]);
    else
      o += (size_t)snprintf(buf + o, GLH5_SHAPE_LEN - o, "[*]");
  }
  return buf;
}

gl_err glh5_exists(hid_t loc, const char *path, int *exists) {
  *exists = 0;
  size_t n = strlen(path);
  char *buf = malloc(n + 1);
  if (!buf) return gl_error(GL_ERR_NOMEM, "out of memory walking HDF5 path '%s'", path);
  memcpy(buf, path, n + 1);
  int ok = 1;
  for (size_t i = 0; ok; ++i) {
    char c = buf[i];
    if (c != '/' && c != '\0') continue;
    /* the root itself, "//" and a trailing '/' add no component to test */
    if (i > 0 && buf[i - 1] != '/') {
      buf[i] = '\0';
      /* H5Lexists fails (< 0) when a component is not a group: absent too. */
      ok = H5Lexists(loc, buf, H5P_DEFAULT) > 0;
      buf[i] = c;
    }
    if (c == '\0') break;
  }
  free(buf);
  *exists = ok;
  return GL_OK;
}

gl_err glh5_require(hid_t loc, const char *path) {
  int e;
  GL_CALL(glh5_exists(loc, path, &e));
  return e ? GL_OK : glh5_fail_(GL_ERR_INPUT, loc, "object", path, "is missing");
}

gl_err glh5_group_create(hid_t loc, const char *name, hid_t *group) {
  *group = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (*group < 0) return glh5_fail_(GL_ERR_LIB, loc, "group", name, "cannot be created");
  return GL_OK;
}

gl_err glh5_group_open(hid_t loc, const char *name, hid_t *group) {
  *group = -1;
  GL_CALL(glh5_require(loc, name));
  *group = H5Gopen2(loc, name, H5P_DEFAULT);
  if (*group < 0) return glh5_fail_(GL_ERR_INPUT, loc, "object", name, "is not a readable group");
  return GL_OK;
}

gl_err glh5_object_open(hid_t loc, const char *name, hid_t *obj) {
  *obj = -1;
  GL_CALL(glh5_require(loc, name));
  *obj = H5Oopen(loc, name, H5P_DEFAULT);
  if (*obj < 0) return glh5_fail_(GL_ERR_INPUT, loc, "object", name, "cannot be opened");
  return GL_OK;
}

gl_err glh5_delete(hid_t loc, const char *name) {
  int e;
  GL_CALL(glh5_exists(loc, name, &e));
  if (e && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
    return glh5_fail_(GL_ERR_LIB, loc, "object", name, "cannot be deleted");
  return GL_OK;
}

gl_err glh5_move(hid_t loc, const char *from, const char *to) {
  if (H5Lmove(loc, from, loc, to, H5P_DEFAULT, H5P_DEFAULT) < 0)
    return glh5_fail_(GL_ERR_LIB, loc, "object", from, "cannot be renamed to '%s'", to);
  return GL_OK;
}

void glh5_free_names(char **names, int n) {
  if (names)
    for (int i = 0; i < n; ++i) free(names[i]);
  free(names);
}

typedef struct glh5_names_ {
  char **v;
  int n;
  int nomem;
} glh5_names_;

static int glh5_names_push_(glh5_names_ *nm, const char *name) {
  char **v = realloc(nm->v, (size_t)(nm->n + 1) * sizeof *v);
  if (!v) {
    nm->nomem = 1;
    return -1;
  }
  nm->v = v;
  if (!(v[nm->n] = glh5_strdup_(name))) {
    nm->nomem = 1;
    return -1;
  }
  nm->n++;
  return 0;
}

static herr_t glh5_group_cb_(hid_t grp, const char *name, const H5L_info_t *info, void *op) {
  (void)info;
  /* A link that cannot be opened (dangling, external) is no group of ours: skipped. */
  hid_t o = H5Oopen(grp, name, H5P_DEFAULT);
  if (o < 0) return 0;
  int is_group = H5Iget_type(o) == H5I_GROUP;
  if (H5Oclose(o) < 0) return -1;
  return is_group ? glh5_names_push_(op, name) : 0;
}

gl_err glh5_list_groups(hid_t group, char ***names, int *n) {
  glh5_names_ nm = {NULL, 0, 0};
  *names = NULL;
  *n = 0;
  herr_t st = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, NULL, glh5_group_cb_, &nm);
  if (st < 0 || nm.nomem) {
    glh5_free_names(nm.v, nm.n);
    return nm.nomem ? gl_error(GL_ERR_NOMEM, "out of memory listing an HDF5 group")
                    : glh5_fail_(GL_ERR_INPUT, group, "group", NULL, "cannot be listed");
  }
  *names = nm.v;
  *n = nm.n;
  return GL_OK;
}

void glh5_free_objects(glh5_object *objs, int n) {
  if (objs)
    for (int i = 0; i < n; ++i) free(objs[i].name);
  free(objs);
}

typedef struct glh5_objlist_ {
  glh5_object *v;
  int n;
  gl_err err;
} glh5_objlist_;

static herr_t glh5_visit_cb_(hid_t root, const char *name, const H5O_info_t *info, void *op) {
  glh5_objlist_ *L = op;
  if (strcmp(name, ".") == 0) return 0;
  if (info->type != H5O_TYPE_GROUP && info->type != H5O_TYPE_DATASET) return 0;
  glh5_object *v = realloc(L->v, (size_t)(L->n + 1) * sizeof *v);
  if (!v) {
    L->err = gl_error(GL_ERR_NOMEM, "out of memory listing an HDF5 file");
    return -1;
  }
  L->v = v;
  glh5_object *o = &v[L->n];
  memset(o, 0, sizeof *o);
  if (!(o->name = glh5_strdup_(name))) {
    L->err = gl_error(GL_ERR_NOMEM, "out of memory listing an HDF5 file");
    return -1;
  }
  L->n++;
  o->is_group = info->type == H5O_TYPE_GROUP;
  if (o->is_group) return 0;
  L->err = glh5_shape(root, name, &o->rank, o->dims, &o->cls);
  if (!L->err) {
    hid_t d = H5Dopen2(root, name, H5P_DEFAULT), t = d < 0 ? -1 : H5Dget_type(d);
    o->type_size = t < 0 ? 0 : H5Tget_size(t);
    if (t < 0 || o->type_size == 0) L->err = glh5_fail_(GL_ERR_INPUT, root, "dataset", name, "has no readable type");
    L->err = glh5_release(L->err, &t);
    L->err = glh5_release(L->err, &d);
  }
  return L->err ? -1 : 0;
}

gl_err glh5_list_objects(hid_t file, glh5_object **objs, int *n) {
  glh5_objlist_ L = {NULL, 0, GL_OK};
  *objs = NULL;
  *n = 0;
  herr_t st = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, glh5_visit_cb_, &L, H5O_INFO_BASIC);
  if (st < 0 || L.err) {
    glh5_free_objects(L.v, L.n);
    return L.err ? L.err : glh5_fail_(GL_ERR_INPUT, file, "group", "/", "cannot be listed");
  }
  *objs = L.v;
  *n = L.n;
  return GL_OK;
}
