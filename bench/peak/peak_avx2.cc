// AVX2's limits (compiled with -mavx2 -mfma, bench/CMakeLists.txt).
#include <immintrin.h>

#include "peak/peak_loop.h"

namespace emb::bench {

double fma_peak_avx2() {
  // Twelve named accumulators with distinct values (identical chains would
  // be merged); asm keeps the compiler from folding the loop.
  __m256 a0 = _mm256_set1_ps(0.10f), a1 = _mm256_set1_ps(0.11f), a2 = _mm256_set1_ps(0.12f),
         a3 = _mm256_set1_ps(0.13f), a4 = _mm256_set1_ps(0.14f), a5 = _mm256_set1_ps(0.15f),
         a6 = _mm256_set1_ps(0.16f), a7 = _mm256_set1_ps(0.17f), a8 = _mm256_set1_ps(0.18f),
         a9 = _mm256_set1_ps(0.19f), a10 = _mm256_set1_ps(0.20f), a11 = _mm256_set1_ps(0.21f);
  const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
  constexpr long kSteps = 4'000'000;
  const double t = best_seconds(kSteps, [&] {
    asm volatile(
        "vfmadd213ps %13, %12, %0\n\tvfmadd213ps %13, %12, %1\n\tvfmadd213ps %13, %12, %2\n\t"
        "vfmadd213ps %13, %12, %3\n\tvfmadd213ps %13, %12, %4\n\tvfmadd213ps %13, %12, %5\n\t"
        "vfmadd213ps %13, %12, %6\n\tvfmadd213ps %13, %12, %7\n\tvfmadd213ps %13, %12, %8\n\t"
        "vfmadd213ps %13, %12, %9\n\tvfmadd213ps %13, %12, %10\n\tvfmadd213ps %13, %12, %11"
        : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9),
          "+x"(a10), "+x"(a11)
        : "x"(m), "x"(c));
  });
  return 12.0 * 16.0 * kSteps / t / 1e9;   // 8 lanes × 2 FLOPs
}

double int8_peak_avx2() {
  // vpmaddwd (16 int16 products into 8 int32 pair sums) and the vpaddd that
  // accumulates them: the int8 kernel's inner step without VNNI.
  __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2),
          a3 = _mm256_set1_epi32(3), a4 = _mm256_set1_epi32(4), a5 = _mm256_set1_epi32(5);
  __m256i p0, p1, p2, p3, p4, p5;
  const __m256i u = _mm256_set1_epi16(3), s = _mm256_set1_epi16(-7);
  constexpr long kSteps = 4'000'000;
  const double t = best_seconds(kSteps, [&] {
    asm volatile(
        "vpmaddwd %13, %12, %6\n\tvpmaddwd %13, %12, %7\n\tvpmaddwd %13, %12, %8\n\t"
        "vpmaddwd %13, %12, %9\n\tvpmaddwd %13, %12, %10\n\tvpmaddwd %13, %12, %11\n\t"
        "vpaddd %6, %0, %0\n\tvpaddd %7, %1, %1\n\tvpaddd %8, %2, %2\n\t"
        "vpaddd %9, %3, %3\n\tvpaddd %10, %4, %4\n\tvpaddd %11, %5, %5"
        : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5), "=&x"(p0), "=&x"(p1), "=&x"(p2), "=&x"(p3),
          "=&x"(p4), "=&x"(p5)
        : "x"(s), "x"(u));
  });
  return 6.0 * 16 * 2 * kSteps / t / 1e9;
}

}  // namespace emb::bench
