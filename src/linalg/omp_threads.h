#pragma once
// oneDNN's CPU runtime in Debian is OpenMP: it sizes its team from the calling
// thread's OpenMP setting, which we set before each call.
//
// Products below ~64 MFLOP (every product of a training step: 32×384 by
// 384×200 is 5 MFLOP) run on one thread. Splitting them gains little on an idle
// machine, and on a busy one OpenMP's spinning team is disastrous: a training
// run took 29 s on two threads against 2.3 s on one while other jobs shared the
// two cores.
#include "embetter/threads.h"

// The one OpenMP call we make, declared as the OpenMP specification gives it
// (C linkage) rather than through <omp.h>: the runtime is GCC's libgomp, whose
// header clang builds (fuzzing, sanitizers) do not see.
extern "C" void omp_set_num_threads(int num_threads);

namespace emb::linalg {

inline constexpr double kParallelFlops = 64e6;

/// Sets the OpenMP team for a product of `flops` floating-point operations.
inline void use_omp_threads(double flops) {
  thread_local int current = 0;
  const int want = flops < kParallelFlops ? 1 : num_threads();
  if (current != want) {
    omp_set_num_threads(want);
    current = want;
  }
}

}  // namespace emb::linalg
