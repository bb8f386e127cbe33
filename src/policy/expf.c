/* expf over arrays, bitwise equal to the C library's expf for every input.
 *
 * The network's gates and ELUs take five exponentials per LSTM unit and one per MLP unit;
 * called one at a time, glibc's expf was 10 % of training time and kept every element-wise
 * loop of the tower scalar. A faster exp with other rounding would change every trained
 * weight and recorded activation, so this one reproduces glibc's own algorithm
 * (sysdeps/ieee754/flt-32/e_expf.c, Szabolcs Nagy, 2017) in the form glibc runs on an x86-64
 * with AVX2 and FMA (its __expf_fma variant, chosen by the same CPU test): four lanes per
 * instruction instead of one. Where the CPU lacks them, or where the startup comparison
 * against the C library finds any difference (another libm, another glibc version), every
 * element goes through expf itself. bench/bench_expf compares all 2^32 inputs. */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gaitlab/policy.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GLP_EXPF_X86 1
#include <immintrin.h>
#endif

static void expf_libm_(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = expf(x[i]);
}

#ifdef GLP_EXPF_X86
/* glibc's __exp2f_data: tab[i] = bits(2^(i/32)) - (i << 47), so that adding k << 47 for
 * k = 32 m + i gives the bits of 2^(k/32); the polynomial and 32/ln 2 pre-scaled by the
 * table size; SHIFT rounds z to an integer in the low mantissa bits (ties to even). */
static const uint64_t expf_tab_[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};
#define EXPF_INVLN2N 0x1.71547652b82fep+5
#define EXPF_SHIFT 0x1.8p+52
#define EXPF_C0 0x1.c6af84b912394p-20
#define EXPF_C1 0x1.ebfce50fac4f3p-13
#define EXPF_C2 0x1.62e42ff0c52d6p-6

/* Four lanes of glibc's fast path with the same fused operations __expf_fma compiles to:
 * kd = fma(InvLn2N, x, SHIFT), r = fma(InvLn2N, x, -kd), z = fma(C0, r, C1),
 * y = fma(z, r^2, fma(C2, r, 1)) s. Lanes with |x| >= 88 or NaN (top 12 bits >= 0x42b, where
 * glibc branches to overflow, underflow and errno handling) go to expf as a group. */
__attribute__((target("avx2,fma"))) static void expf_avx2_(float *x, size_t n) {
  const __m256d invln2n = _mm256_set1_pd(EXPF_INVLN2N), shift = _mm256_set1_pd(EXPF_SHIFT);
  const __m256d c0 = _mm256_set1_pd(EXPF_C0), c1 = _mm256_set1_pd(EXPF_C1);
  const __m256d c2 = _mm256_set1_pd(EXPF_C2), one = _mm256_set1_pd(1.0);
  const __m128i top_mask = _mm_set1_epi32(0x7ff), top_last = _mm_set1_epi32(0x42a);
  const __m256i idx_mask = _mm256_set1_epi64x(31);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 xf = _mm_loadu_ps(x + i);
    __m128i top = _mm_and_si128(_mm_srli_epi32(_mm_castps_si128(xf), 20), top_mask);
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(top, top_last))) {
      expf_libm_(x + i, 4);
      continue;
    }
    __m256d xd = _mm256_cvtps_pd(xf);
    __m256d kd = _mm256_fmadd_pd(invln2n, xd, shift);
    __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmsub_pd(invln2n, xd, kd);
    __m256i t = _mm256_i64gather_epi64((const long long *)expf_tab_,
                                       _mm256_and_si256(ki, idx_mask), 8);
    t = _mm256_add_epi64(t, _mm256_slli_epi64(ki, 47));
    __m256d s = _mm256_castsi256_pd(t);
    __m256d z = _mm256_fmadd_pd(c0, r, c1);
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d y = _mm256_fmadd_pd(c2, r, one);
    y = _mm256_mul_pd(_mm256_fmadd_pd(z, r2, y), s);
    _mm_storeu_ps(x + i, _mm256_cvtpd_ps(y));
  }
  expf_libm_(x + i, n - i);
}

/* The startup comparison: 2^16 bit patterns spread over all of float (every sign, exponent
 * and special class, with mantissas that reach every table entry) and the edges of the
 * fast path. One difference anywhere and the kernel is not used. */
static int expf_avx2_agrees_(void) {
  enum { NPAT = 1 << 16, NEDGE = 8 };
  static float a[NPAT + NEDGE];
  for (uint32_t k = 0; k < NPAT; k++) {
    uint32_t bits = k * 65537u + 0x9e37u * (k & 0xffu);
    memcpy(&a[k], &bits, sizeof bits);
  }
  const float edge[NEDGE] = {0.0f, -0.0f, 87.99999f, -87.99999f, 88.0f, -88.0f,
                             0x1.62e42ep6f, -0x1.9fe368p6f};
  memcpy(a + NPAT, edge, sizeof edge);
  for (size_t k = 0; k < NPAT + NEDGE; k += 4) {
    float v[4], w[4];
    memcpy(v, a + k, sizeof v);
    memcpy(w, v, sizeof w);
    expf_avx2_(v, 4);
    expf_libm_(w, 4);
    if (memcmp(v, w, sizeof v) != 0) return 0;
  }
  return 1;
}
#endif

/* 0 not decided yet, 1 vector kernel, 2 the C library. gaitlab's ranks are single-threaded
 * processes, so a plain static is enough. */
static int expf_choice_;

static int expf_choose_(void) {
#ifdef GLP_EXPF_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && expf_avx2_agrees_())
    return 1;
#endif
  return 2;
}

void glp_expf_n(float *x, size_t n) {
  if (!expf_choice_) expf_choice_ = expf_choose_();
#ifdef GLP_EXPF_X86
  if (expf_choice_ == 1) {
    expf_avx2_(x, n);
    return;
  }
#endif
  expf_libm_(x, n);
}

int glp_expf_vectorised(void) {
  if (!expf_choice_) expf_choice_ = expf_choose_();
  return expf_choice_ == 1;
}
