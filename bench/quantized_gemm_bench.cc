// The int8 product (src/nn/quantized_gemm.h, precision="int8") against the
// packed fp32 one (src/nn/gemm.h) on the four products of a MiniLM-L6 layer,
// at the row counts the encoder feeds them, at the level the library runs at
// (EMB_ISA caps it), plus the core's integer multiply-add limit as that
// level's int8 kernel uses it (bench/peak/). Rates are multiply-adds × 2 per
// CPU-second of the calling thread (the machine may be shared). Inputs are
// normal with a few planted outliers per row, like BERT's activations.
//
// usage: quantized_gemm_bench [--rows 400 6500] [--seconds 0.3]

#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "minilm_products.h"
#include "nn/gemm.h"
#include "nn/quantized_gemm.h"
#include "cpu_time.h"
#include "peak/isa_peak.h"


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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("int8 (VNNI) vs packed fp32 GEMM on MiniLM-L6's products");
  std::vector<std::size_t> rows{400, 6500};
  double seconds = 0.3;
  app.add_option("--rows", rows, "rows of each product");
  app.add_option("--seconds", seconds, "CPU seconds per measurement");
  CLI11_PARSE(app, argc, argv);
  const emb::Isa isa = emb::cpu_isa();
  std::printf("level: %s; int8 peak (registers only): %.0f GOP/s; fp32 FMA peak: %.0f GFLOP/s\n",
              std::string(emb::isa_name(isa)).c_str(), emb::bench::int8_peak_gops(isa),
              emb::bench::fma_peak_gflops(isa));
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
