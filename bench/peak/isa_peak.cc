#include "peak/isa_peak.h"

namespace emb::bench {

#if defined(__x86_64__)
double fma_peak_avx2();
double fma_peak_avx512();
double int8_peak_avx2();
double int8_peak_vnni();
#endif

double fma_peak_gflops(Isa isa) {
#if defined(__x86_64__)
  if (!isa_runs_here(isa)) return 0.0;
  if (isa == Isa::Avx2) return fma_peak_avx2();
  if (isa == Isa::Avx512 || isa == Isa::Avx512Vnni) return fma_peak_avx512();
#endif
  (void)isa;
  return 0.0;
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
