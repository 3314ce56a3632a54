// The int8 product (src/nn/quantized_gemm.h, precision="int8") against the
// packed fp32 one (src/nn/gemm.h) on the four products of a MiniLM-L6 layer,
// at the row counts the encoder feeds them, plus the core's VNNI limit
// (independent vpdpbusd on registers). Rates are multiply-adds × 2 per
// CPU-second of the calling thread (the machine may be shared). Inputs are
// normal with a few planted outliers per row, like BERT's activations.
//
// usage: quantized_gemm_bench [--rows 400 6500] [--seconds 0.3]

#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>
#include <vector>

#include "minilm_products.h"
#include "nn/gemm.h"
#include "nn/quantized_gemm.h"
#include "cpu_time.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using emb::bench::thread_cpu_seconds;

template <class F>
double rate(double ops, double seconds, F f) {
  f();
  double cpu = 0;
  std::size_t calls = 0;
  while (cpu < seconds) {
    const double c0 = thread_cpu_seconds();
    f();
    cpu += thread_cpu_seconds() - c0;
    ++calls;
  }
  return ops * calls / cpu / 1e9;
}

#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx512f,avx512vnni"))) double vnni_peak_gops() {
  // Twelve named accumulators (an array would live on the stack).
  __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2), a3 = _mm512_set1_epi32(3),
          a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5), a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7),
          a8 = _mm512_set1_epi32(8), a9 = _mm512_set1_epi32(9), a10 = _mm512_set1_epi32(10),
          a11 = _mm512_set1_epi32(11);
  const __m512i u = _mm512_set1_epi32(0x01010101), s = _mm512_set1_epi32(0x01FF01FF);
  constexpr long kSteps = 20'000'000;
  const double c0 = thread_cpu_seconds();
  for (long i = 0; i < kSteps; ++i)
    asm volatile(
        "vpdpbusd %12, %13, %0\n\tvpdpbusd %12, %13, %1\n\tvpdpbusd %12, %13, %2\n\tvpdpbusd %12, %13, %3\n\t"
        "vpdpbusd %12, %13, %4\n\tvpdpbusd %12, %13, %5\n\tvpdpbusd %12, %13, %6\n\tvpdpbusd %12, %13, %7\n\t"
        "vpdpbusd %12, %13, %8\n\tvpdpbusd %12, %13, %9\n\tvpdpbusd %12, %13, %10\n\tvpdpbusd %12, %13, %11"
        : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9),
          "+v"(a10), "+v"(a11)
        : "v"(s), "v"(u));
  const double t = thread_cpu_seconds() - c0;
  return 12.0 * 64 * 2 * kSteps / t / 1e9;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("int8 (VNNI) vs packed fp32 GEMM on MiniLM-L6's products");
  std::vector<std::size_t> rows{400, 6500};
  double seconds = 0.3;
  app.add_option("--rows", rows, "rows of each product");
  app.add_option("--seconds", seconds, "CPU seconds per measurement");
  CLI11_PARSE(app, argc, argv);
  std::printf("int8 path: %s\n", emb::nn::int8_vnni_available() ? "AVX-512 VNNI" : "portable (no VNNI)");
#if defined(__GNUC__) && defined(__x86_64__)
  if (emb::nn::int8_vnni_available()) std::printf("VNNI peak (registers only): %.0f GOP/s\n", vnni_peak_gops());
#endif
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  std::printf("%-20s %6s | %12s | %12s | %s\n", "product", "rows", "fp32 GFLOP/s", "int8 GOP/s", "int8 / fp32");
  for (std::size_t m : rows)
    for (const auto& s : emb::bench::kMiniLmProducts) {
      std::vector<float> x(m * s.k), w(s.n * s.k), y(m * s.n);
      for (auto& v : x) v = d(rng);
      for (std::size_t r = 0; r < m; ++r) x[r * s.k + (r * 7) % s.k] *= 30.0f;   // one outlier per row
      for (auto& v : w) v = d(rng);
      const emb::nn::PackedWeights f32(w.data(), s.n, s.k);
      const emb::nn::QuantizedWeights i8(w.data(), s.n, s.k);
      const double ops = 2.0 * static_cast<double>(m * s.n * s.k);
      const double a = rate(ops, seconds, [&] { emb::nn::gemm_packed(x.data(), s.k, m, f32, y.data(), s.n); });
      const double b = rate(ops, seconds, [&] { emb::nn::gemm_quantized(x.data(), s.k, m, i8, y.data(), s.n); });
      std::printf("%-20s %6zu | %12.1f | %12.1f | %.2fx\n", s.name, m, a, b, b / a);
    }
}
