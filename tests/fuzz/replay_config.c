/* Replays the config fuzz corpus through the fuzz harness with the ordinary compiler, so
 * the normal test suite re-checks every input the fuzzer ever kept (no clang needed).
 * Usage: replay_config DIR_OR_FILE... ; fails if fewer than 10 inputs were found. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness_config.h"

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *b = realloc(buf, cap *= 2);
      if (!b) free(buf);
      buf = b;
    }
  }
  fclose(f);
  if (!buf) return -1;
  glc_fuzz_one(buf, n);
  free(buf);
  return 1;
}

int main(int argc, char **argv) {
  int count = 0;
  for (int a = 1; a < argc; ++a) {
    struct stat st;
    if (stat(argv[a], &st) != 0) {
      fprintf(stderr, "replay_config: no such input %s\n", argv[a]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (replay_file(argv[a]) < 0) return 1;
      ++count;
      continue;
    }
    DIR *dir = opendir(argv[a]);
    if (!dir) return 1;
    struct dirent *e;
    while ((e = readdir(dir))) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (replay_file(path) < 0) return 1;
      ++count;
    }
    closedir(dir);
  }
  printf("replay_config: %d inputs replayed, all invariants hold\n", count);
  return count >= 10 ? 0 : 1;
}
