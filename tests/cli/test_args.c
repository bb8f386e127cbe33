/* glcli_parse: options in any order, --set in both spellings and in order, the limits, and
 * the exact one-line errors (the usage string is part of each). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/cli.h"

static const char U[] = "gaitlab x FILE [--set K=V]";

static gl_err parse(glcli_args *a, int n, const char **argv) {
  return glcli_parse(n, (char **)argv, U, a);
}

static void test_options(void **state) {
  (void)state;
  glcli_args a;
  const char *argv[] = {"in.yaml", "--set", "a.b=1", "-q", "--set=c=[1, 2]", "--resume", "-o",
                        "out.h5", "second", "--help"};
  assert_int_equal(parse(&a, 10, argv), GL_OK);
  assert_int_equal(a.npositional, 2);
  assert_string_equal(a.positional[0], "in.yaml");
  assert_string_equal(a.positional[1], "second");
  assert_int_equal(a.nsets, 2);
  assert_string_equal(a.sets[0], "a.b=1");
  assert_string_equal(a.sets[1], "c=[1, 2]");
  assert_true(a.quiet && a.resume && a.help);
  assert_string_equal(a.out, "out.h5");
  /* a lone "-" is a positional argument (stdin by convention), not an option */
  const char *dash[] = {"-"};
  assert_int_equal(parse(&a, 1, dash), GL_OK);
  assert_int_equal(a.npositional, 1);
  assert_false(a.quiet || a.resume || a.help);
  assert_null(a.out);
}

static void test_errors(void **state) {
  (void)state;
  glcli_args a;
  const char *unknown[] = {"f", "--frob"};
  assert_int_equal(parse(&a, 2, unknown), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "unknown option '--frob'; usage: gaitlab x FILE [--set K=V]");
  const char *noval[] = {"f", "--set"};
  assert_int_equal(parse(&a, 2, noval), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "--set needs KEY=VALUE; usage: gaitlab x FILE [--set K=V]");
  const char *noout[] = {"f", "-o"};
  assert_int_equal(parse(&a, 2, noout), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "-o needs a file name; usage: gaitlab x FILE [--set K=V]");
  /* 4096 positional arguments fit (every experiment of many agents), the 4097th does not;
   * 256 --set fit, the 257th does not */
  static const char *many[4097];
  for (int i = 0; i < 4097; ++i) many[i] = "p";
  assert_int_equal(parse(&a, 4096, many), GL_OK);
  assert_int_equal(a.npositional, 4096);
  assert_int_equal(parse(&a, 4097, many), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "too many arguments (at most 4096 files); usage: gaitlab x FILE [--set K=V]");
  static const char *sets[2 * 257];
  for (int i = 0; i < 257; ++i) sets[2 * i] = "--set", sets[2 * i + 1] = "k=v";
  assert_int_equal(parse(&a, 2 * 256, sets), GL_OK);
  assert_int_equal(a.nsets, 256);
  assert_int_equal(parse(&a, 2 * 257, sets), GL_ERR_INPUT);
  assert_string_equal(gl_errmsg(), "too many --set options (at most 256)");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_options), cmocka_unit_test(test_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
