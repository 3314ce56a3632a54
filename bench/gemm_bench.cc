// The packed fp32 product (src/nn/gemm.h) against OpenBLAS's sgemm on the
// four products of a MiniLM-L6 layer (hidden 384, intermediate 1536), at the
// row counts the encoder feeds them: a batch of 32 short texts (~800 rows),
// one thread's half of it, and a batch of long texts. GFLOP/s per CPU-second
// of the calling thread and of the fastest call (the machine may be shared).
//
// usage: gemm_bench [--rows 400 800 6500] [--seconds 0.3] [--isa avx2]
//        gemm_bench --peak-only [--isa avx2] [--threads 2]   # the FMA peak line alone

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/isa.h"
#include "cpu_time.h"
#include "minilm_products.h"
#include "nn/gemm.h"
#include "peak/isa_peak.h"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("packed fp32 GEMM vs OpenBLAS sgemm on MiniLM-L6's products");
  std::vector<std::size_t> rows{400, 800, 6500};
  double seconds = 0.3;
  app.add_option("--rows", rows, "rows of each product");
  app.add_option("--seconds", seconds, "CPU seconds per measurement");
  std::string isa_option;
  bool peak_only = false;
  app.add_option("--isa", isa_option, "the level whose kernel runs (default: this CPU's, capped by EMB_ISA)");
  int peak_threads = 1;
  app.add_flag("--peak-only", peak_only, "print the level's register-only FMA peak and stop");
  app.add_option("--threads", peak_threads, "threads of the peak loop (run at once, rates summed)");
  CLI11_PARSE(app, argc, argv);
  emb::Isa isa = emb::cpu_isa();
  if (!isa_option.empty()) {
    const auto parsed = emb::parse_isa(isa_option);
    if (!parsed || !emb::isa_runs_here(*parsed)) {
      std::fprintf(stderr, "gemm_bench: --isa %s is not a level this CPU runs\n", isa_option.c_str());
      return 2;
    }
    isa = *parsed;
  }
  const std::string name(emb::isa_name(isa));
  std::printf("%s FMA peak (registers only, best of 5, %d thread(s)): %.1f GFLOP/s\n", name.c_str(), peak_threads,
              emb::bench::fma_peak_gflops(isa, peak_threads));
  if (peak_only) return 0;
  openblas_set_num_threads(1);
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
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
          flop, seconds, [&] { emb::nn::gemm_packed(x.data(), s.k, m, packed, y.data(), s.n, {}, isa); },
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
