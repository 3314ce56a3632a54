#pragma once
// oneDNN's CPU runtime in Debian is OpenMP: it sizes its team from the calling
// thread's OpenMP setting, which we set before each call.
//
// Products below ~64 MFLOP (every product of a training step: 32×384 by
// 384×200 is 5 MFLOP) run on one thread. Splitting them gains little on an idle
// machine, and on a busy one OpenMP's spinning team is disastrous: a training
// run took 29 s on two threads against 2.3 s on one while other jobs shared the
// two cores.
#include <algorithm>

#include "embetter/threads.h"

// The one OpenMP call we make, declared as the OpenMP specification gives it
// (C linkage) rather than through <omp.h>: the runtime is GCC's libgomp, whose
// header clang builds (fuzzing, sanitizers) do not see.
extern "C" void omp_set_num_threads(int num_threads);

namespace emb::linalg {

inline constexpr double kParallelFlops = 64e6;

// This thread's cap on the team (0: none), see OmpThreadsCap.
inline thread_local int t_omp_threads_cap = 0;

/// Sets the OpenMP team for a product of `flops` floating-point operations.
inline void use_omp_threads(double flops) {
  thread_local int current = 0;
  const int cores = t_omp_threads_cap > 0 ? std::min(t_omp_threads_cap, num_threads()) : num_threads();
  const int want = flops < kParallelFlops ? 1 : cores;
  if (current != want) {
    omp_set_num_threads(want);
    current = want;
  }
}

/// Caps the OpenMP team of the products this thread runs while it lives: an
/// encoder that runs images on its own worker threads gives each its share of
/// the cores, so that n workers do not each start a team of num_threads()
/// (n × cores threads on the cores: resnet50 ran 3.7× slower so).
class OmpThreadsCap {
 public:
  explicit OmpThreadsCap(int threads) : previous_(t_omp_threads_cap) { t_omp_threads_cap = std::max(1, threads); }
  ~OmpThreadsCap() { t_omp_threads_cap = previous_; }
  OmpThreadsCap(const OmpThreadsCap&) = delete;
  OmpThreadsCap& operator=(const OmpThreadsCap&) = delete;

 private:
  int previous_;
};

}  // namespace emb::linalg
