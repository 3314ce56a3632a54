// The packed fp32 product (src/nn/gemm.h) against OpenBLAS's sgemm on the
// four products of a MiniLM-L6 layer (hidden 384, intermediate 1536), at the
// row counts the encoder feeds them: a batch of 32 short texts (~800 rows),
// one thread's half of it, and a batch of long texts. GFLOP/s per CPU-second
// of the calling thread and of the fastest call (the machine may be shared).
//
// usage: gemm_bench [--rows 400 800 6500] [--seconds 0.3]

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "core/cpu_features.h"
#include "minilm_products.h"
#include "nn/gemm.h"
#include "cpu_time.h"

#if EMB_X86_DISPATCH
#include <immintrin.h>
#endif

extern "C" {
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void openblas_set_num_threads(int num_threads);
}

namespace {

using emb::bench::thread_cpu_seconds;

struct Rate {
  double per_cpu, best;
};

// Runs the two products alternately for about `seconds` of CPU time each
// after a warm-up call: the mean rate per CPU-second, and the rate of the
// fastest call (wall clock), the one least disturbed on a shared machine.
template <class F, class G>
std::pair<Rate, Rate> measure_pair(double flop, double seconds, F f, G g) {
  f();
  g();
  double cpu[2] = {}, fastest[2] = {1e30, 1e30};
  std::size_t calls = 0;
  while (cpu[0] < seconds || cpu[1] < seconds) {
    for (int which = 0; which < 2; ++which) {
      const double c0 = thread_cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      which == 0 ? f() : g();
      fastest[which] =
          std::min(fastest[which], std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      cpu[which] += thread_cpu_seconds() - c0;
    }
    ++calls;
  }
  return {{flop * calls / cpu[0] / 1e9, flop / fastest[0] / 1e9}, {flop * calls / cpu[1] / 1e9, flop / fastest[1] / 1e9}};
}

// The core's own limit: independent AVX-512 fused multiply-adds on registers.
EMB_TARGET_AVX512 double fma_peak_gflops() {
  // Distinct starting values: identical chains would be merged by the compiler.
  __m512 a0 = _mm512_set1_ps(0.10f), a1 = _mm512_set1_ps(0.11f), a2 = _mm512_set1_ps(0.12f),
         a3 = _mm512_set1_ps(0.13f), a4 = _mm512_set1_ps(0.14f), a5 = _mm512_set1_ps(0.15f),
         a6 = _mm512_set1_ps(0.16f), a7 = _mm512_set1_ps(0.17f), a8 = _mm512_set1_ps(0.18f),
         a9 = _mm512_set1_ps(0.19f), a10 = _mm512_set1_ps(0.20f), a11 = _mm512_set1_ps(0.21f);
  const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
  constexpr long kSteps = 20'000'000;
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < kSteps / 5; ++i) {
      a0 = _mm512_fmadd_ps(a0, m, c), a1 = _mm512_fmadd_ps(a1, m, c), a2 = _mm512_fmadd_ps(a2, m, c);
      a3 = _mm512_fmadd_ps(a3, m, c), a4 = _mm512_fmadd_ps(a4, m, c), a5 = _mm512_fmadd_ps(a5, m, c);
      a6 = _mm512_fmadd_ps(a6, m, c), a7 = _mm512_fmadd_ps(a7, m, c), a8 = _mm512_fmadd_ps(a8, m, c);
      a9 = _mm512_fmadd_ps(a9, m, c), a10 = _mm512_fmadd_ps(a10, m, c), a11 = _mm512_fmadd_ps(a11, m, c);
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                   _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                                                 _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return 12.0 * 32.0 * (kSteps / 5) / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("packed fp32 GEMM vs OpenBLAS sgemm on MiniLM-L6's products");
  std::vector<std::size_t> rows{400, 800, 6500};
  double seconds = 0.3;
  app.add_option("--rows", rows, "rows of each product");
  app.add_option("--seconds", seconds, "CPU seconds per measurement");
  CLI11_PARSE(app, argc, argv);
  openblas_set_num_threads(1);
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  if (emb::cpu::has_avx512())
    std::printf("AVX-512 FMA peak (registers only, best of 5): %.1f GFLOP/s\n", fma_peak_gflops());
  std::printf("%-20s %6s | %-21s | %-21s\n", "product", "rows", "ours GFLOP/s cpu/best", "OpenBLAS cpu/best");
  for (std::size_t m : rows)
    for (const auto& s : emb::bench::kMiniLmProducts) {
      std::vector<float> x(m * s.k), w(s.n * s.k), y(m * s.n);
      for (auto& v : x) v = d(rng);
      for (auto& v : w) v = d(rng);
      const emb::nn::PackedWeights packed(w.data(), s.n, s.k);
      const double flop = 2.0 * m * s.n * s.k;
      // Row-major y = x · wᵀ (101 = row-major, 111 = no transpose, 112 = transpose).
      const auto [ours, blas] = measure_pair(
          flop, seconds, [&] { emb::nn::gemm_packed(x.data(), s.k, m, packed, y.data(), s.n); },
          [&] {
            cblas_sgemm(101, 111, 112, int(m), int(s.n), int(s.k), 1.0f, x.data(), int(s.k), w.data(), int(s.k),
                        0.0f, y.data(), int(s.n));
          });
      std::printf("%-20s %6zu | %9.1f %9.1f   | %9.1f %9.1f\n", s.name, m, ours.per_cpu, ours.best,
                  blas.per_cpu, blas.best);
      std::fflush(stdout);
    }
  return 0;
}
