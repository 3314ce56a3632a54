#pragma once
// Which vector instructions this CPU offers, asked once at run time, so that
// kernels compiled for AVX-512 or AVX2 (function `target` attributes) are only
// called where they can run while the library itself stays portable x86-64.
//
// Features rather than CPU names: GCC's target_clones("arch=...") dispatch
// compares the CPU model, which virtual machines often report as a generic
// one, and then silently falls back to the SSE2 baseline.

namespace emb::cpu {

#if defined(__GNUC__) && defined(__x86_64__)
#define EMB_X86_DISPATCH 1
/// Function attributes for the two kernel variants (GCC and Clang).
#define EMB_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))
#define EMB_TARGET_AVX2 __attribute__((target("avx2,fma")))

inline bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  return yes;
}
inline bool has_avx2_fma() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}
#else
#define EMB_X86_DISPATCH 0
inline bool has_avx512() { return false; }
inline bool has_avx2_fma() { return false; }
#endif

}  // namespace emb::cpu
