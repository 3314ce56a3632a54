#pragma once
// The core's own limits at one instruction-set level, for the benchmarks'
// "% of peak" columns: independent multiply-adds on registers only, at that
// level's vector width (each level's loop is compiled with its flags in a
// file of its own, bench/peak/*.cc, as the kernels are).
#include "core/isa.h"

namespace emb::bench {

/// fp32 GFLOP/s of `threads` threads' fused multiply-adds (2 FLOPs each, the
/// threads running at once, their rates summed) at `isa`'s width: AVX-512
/// (avx512, avx512_vnni), AVX2 (avx2); 0 for generic and neon.
double fma_peak_gflops(Isa isa, int threads = 1);

/// int8 GOP/s (2 per byte product) of one thread's integer multiply-adds as
/// `isa`'s int8 kernel does them: vpdpbusd (avx512_vnni), vpmaddwd + vpaddd
/// on int16 (avx2, avx512); 0 elsewhere.
double int8_peak_gops(Isa isa);

}  // namespace emb::bench
