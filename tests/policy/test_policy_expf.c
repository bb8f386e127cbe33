/* glp_expf_n against the C library's expf, bit for bit: a strided sweep of all 2^32 float
 * bit patterns, the special classes and the edges of glibc's fast path, and every array
 * length and alignment the vector loop and its tail can meet. bench/bench_expf compares
 * every one of the 2^32 inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gaitlab/policy.h"

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}
static uint32_t to_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* Every 61st bit pattern (61 is odd, so the low mantissa bits and the table index all vary):
 * 70 million inputs over every sign and exponent. */
static void test_strided_sweep(void **state) {
  (void)state;
  enum { CH = 1 << 16 };
  float *x = malloc(sizeof(float) * CH);
  assert_non_null(x);
  uint64_t mismatches = 0, checked = 0;
  uint32_t first_bad = 0;
  for (uint64_t b0 = 0; b0 < (1ull << 32); b0 += (uint64_t)CH * 61) {
    int n = 0;
    for (uint64_t b = b0; b < b0 + (uint64_t)CH * 61 && b < (1ull << 32); b += 61)
      x[n++] = from_bits((uint32_t)b);
    glp_expf_n(x, (size_t)n);
    for (int i = 0; i < n; i++) {
      uint32_t in = (uint32_t)(b0 + (uint64_t)i * 61);
      uint32_t want = to_bits(expf(from_bits(in)));
      if (to_bits(x[i]) != want && !(isnan(x[i]) && isnan(from_bits(want)))) {
        if (!mismatches) first_bad = in;
        mismatches++;
      }
    }
    checked += (uint64_t)n;
  }
  free(x);
  if (mismatches) fprintf(stderr, "first mismatch at bits 0x%08x\n", first_bad);
  assert_int_equal(mismatches, 0);
  assert_true(checked > 70000000u);
}

/* NaN results must keep expf's bits too (payload and sign), so they are compared as bits. */
static void test_special_values(void **state) {
  (void)state;
  const uint32_t bits[] = {
      0x00000000, 0x80000000, 0x7f800000, 0xff800000, /* zeros, infinities */
      0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f812345, /* quiet and signalling NaNs */
      0x00000001, 0x807fffff, 0x00800000, 0x80800000, /* denormals, smallest normals */
      0x42b00000, 0xc2b00000, 0x42afffff, 0xc2afffff, /* |x| = 88: where glibc branches */
      0x42b17217, 0x42b17218, 0xc2cff1b4, 0xc2cff1b5, /* overflow and underflow limits */
      0xc2ce8ec0, 0xc2ce8ebf, 0x3f800000, 0xbf800000, /* -103.28 (may underflow), +-1 */
      0x33800000, 0xb3800000, 0x7f7fffff, 0xff7fffff, /* 2^-24, largest finite */
  };
  enum { N = sizeof bits / sizeof bits[0] };
  float x[N];
  for (int i = 0; i < N; i++) x[i] = from_bits(bits[i]);
  glp_expf_n(x, N);
  for (int i = 0; i < N; i++) {
    uint32_t want = to_bits(expf(from_bits(bits[i])));
    if (to_bits(x[i]) != want) fprintf(stderr, "input 0x%08x: 0x%08x, expf 0x%08x\n", bits[i],
                                       to_bits(x[i]), want);
    assert_int_equal(to_bits(x[i]), want);
  }
}

/* Lengths 0..19 at every alignment of a float: the 4-lane body, the scalar tail, and a
 * special lane inside a group of ordinary ones; nothing outside [0, n) is written. */
static void test_lengths_and_alignment(void **state) {
  (void)state;
  float buf[32], ref[32];
  for (int off = 0; off < 4; off++)
    for (int n = 0; n < 20; n++) {
      for (int i = 0; i < 32; i++) buf[i] = ref[i] = -8.0f + 0.37f * (float)i;
      if (n > 2) buf[off + 2] = ref[off + 2] = 100.0f; /* overflows: the group goes to expf */
      glp_expf_n(buf + off, (size_t)n);
      for (int i = 0; i < 32; i++) {
        float want = (i >= off && i < off + n) ? expf(ref[i]) : ref[i];
        assert_int_equal(to_bits(buf[i]), to_bits(want));
      }
    }
}

/* On the platform gaitlab targets (Debian 12: glibc 2.36 on x86-64) a CPU with AVX2 and FMA
 * must get the vector kernel: if its startup comparison ever failed there, training would
 * silently lose the speed-up while every test above still passed. */
static void test_kernel_in_use(void **state) {
  (void)state;
#if defined(__x86_64__) && defined(__GLIBC__) && __GLIBC__ == 2 && __GLIBC_MINOR__ == 36
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    assert_int_equal(glp_expf_vectorised(), 1);
  else
    assert_int_equal(glp_expf_vectorised(), 0);
#endif
  fprintf(stderr, "glp_expf_n: %s\n", glp_expf_vectorised() ? "AVX2+FMA kernel" : "libm expf");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_special_values),
      cmocka_unit_test(test_lengths_and_alignment),
      cmocka_unit_test(test_kernel_in_use),
      cmocka_unit_test(test_strided_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
