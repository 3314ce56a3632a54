#include "peak/isa_peak.h"

#include <thread>
#include <vector>

namespace emb::bench {

#if defined(__x86_64__)
double fma_peak_avx2();
double fma_peak_avx512();
double int8_peak_avx2();
double int8_peak_vnni();
#endif

namespace {

double fma_peak_one_thread(Isa isa) {
#if defined(__x86_64__)
  if (!isa_runs_here(isa)) return 0.0;
  if (isa == Isa::Avx2) return fma_peak_avx2();
  if (isa == Isa::Avx512 || isa == Isa::Avx512Vnni) return fma_peak_avx512();
#endif
  (void)isa;
  return 0.0;
}

}  // namespace

double fma_peak_gflops(Isa isa, int threads) {
  if (threads <= 1) return fma_peak_one_thread(isa);
  std::vector<double> rates(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { rates[static_cast<std::size_t>(t)] = fma_peak_one_thread(isa); });
  for (auto& th : pool) th.join();
  double sum = 0.0;
  for (double r : rates) sum += r;
  return sum;
}

double int8_peak_gops(Isa isa) {
#if defined(__x86_64__)
  if (!isa_runs_here(isa)) return 0.0;
  if (isa == Isa::Avx2 || isa == Isa::Avx512) return int8_peak_avx2();
  if (isa == Isa::Avx512Vnni) return int8_peak_vnni();
#endif
  (void)isa;
  return 0.0;
}

}  // namespace emb::bench
