#include <stdio.h>
#include <string.h>

#include "gaitlab/cli.h"

gl_err glcli_parse(int argc, char **argv, const char *usage, glcli_args *a) {
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
    } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
      if (i + 1 >= argc) return gl_error(GL_ERR_INPUT, "%s needs a file name; usage: %s", s, usage);
      a->out = argv[++i];
    } else if (s[0] == '-' && s[1] != '\0') {
      return gl_error(GL_ERR_INPUT, "unknown option '%s'; usage: %s", s, usage);
    } else {
      if (a->npositional == (int)(sizeof a->positional / sizeof *a->positional))
        return gl_error(GL_ERR_INPUT, "too many arguments; usage: %s", usage);
      a->positional[a->npositional++] = s;
    }
  }
  return GL_OK;
}
