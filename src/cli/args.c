#include <stdio.h>
#include <string.h>

#include "gaitlab/cli.h"

/* A command's own option at argv[*i], consumed into a->extra: 1 when matched, 0 when not,
 * -1 on error (set). */
static int glcli_extra_(int argc, char **argv, int *i, const char *usage, const char *const *opts,
                        glcli_args *a) {
  const char *s = argv[*i];
  for (int k = 0; opts && opts[k]; ++k) {
    size_t n = strlen(opts[k]);
    int takes_value = n > 0 && opts[k][n - 1] == '=';
    size_t base = takes_value ? n - 1 : n;
    if (strncmp(s, opts[k], base) != 0 || (s[base] != '\0' && !(takes_value && s[base] == '='))) continue;
    const char *v = NULL;
    if (takes_value) {
      v = s[base] == '=' ? s + base + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
      if (!v || !*v) {
        gl_error(GL_ERR_INPUT, "%.*s needs a value; usage: %s", (int)base, opts[k], usage);
        return -1;
      }
    }
    if (a->nextra == (int)(sizeof a->extra / sizeof *a->extra)) {
      gl_error(GL_ERR_INPUT, "too many options; usage: %s", usage);
      return -1;
    }
    a->extra[a->nextra].name = opts[k];
    a->extra[a->nextra++].value = v;
    return 1;
  }
  return 0;
}

gl_err glcli_parse(int argc, char **argv, const char *usage, glcli_args *a) {
  return glcli_parse_opts(argc, argv, usage, NULL, a);
}

gl_err glcli_parse_opts(int argc, char **argv, const char *usage, const char *const *opts,
                        glcli_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; ++i) {
    const char *s = argv[i];
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      a->help = 1;
    } else if (strcmp(s, "--resume") == 0) {
      a->resume = 1;
    } else if (strcmp(s, "--resume-or-start") == 0) {
      a->resume = 2;
    } else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0) {
      a->quiet = 1;
    } else if (strcmp(s, "--set") == 0 || strncmp(s, "--set=", 6) == 0) {
      const char *v = s[5] == '=' ? s + 6 : (i + 1 < argc ? argv[++i] : NULL);
      if (!v) return gl_error(GL_ERR_INPUT, "--set needs KEY=VALUE; usage: %s", usage);
      if (a->nsets == (int)(sizeof a->sets / sizeof *a->sets))
        return gl_error(GL_ERR_INPUT, "too many --set options (at most %zu)", sizeof a->sets / sizeof *a->sets);
      a->sets[a->nsets++] = v;
    } else if (strcmp(s, "--max-memory") == 0 || strncmp(s, "--max-memory=", 13) == 0) {
      const char *v = s[12] == '=' ? s + 13 : (i + 1 < argc ? argv[++i] : NULL);
      if (!v || !*v) return gl_error(GL_ERR_INPUT, "--max-memory needs a size, e.g. 4G; usage: %s", usage);
      a->max_memory = v;
    } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
      if (i + 1 >= argc) return gl_error(GL_ERR_INPUT, "%s needs a file name; usage: %s", s, usage);
      a->out = argv[++i];
    } else if (s[0] == '-' && s[1] != '\0') {
      int m = glcli_extra_(argc, argv, &i, usage, opts, a);
      if (m < 0) return GL_ERR_INPUT;
      if (m > 0) continue;
      return gl_error(GL_ERR_INPUT, "unknown option '%s'; usage: %s", s, usage);
    } else {
      if (a->npositional == (int)(sizeof a->positional / sizeof *a->positional))
        return gl_error(GL_ERR_INPUT, "too many arguments (at most %zu files); usage: %s",
                        sizeof a->positional / sizeof *a->positional, usage);
      a->positional[a->npositional++] = s;
    }
  }
  return GL_OK;
}
