#pragma once
// oneDNN's CPU runtime in Debian is OpenMP: it sizes its team from the calling
// thread's OpenMP setting, which we keep equal to emb::num_threads().
#include <omp.h>

#include "embetter/threads.h"

namespace emb::linalg {

inline void use_omp_threads() {
  thread_local int current = 0;
  const int want = num_threads();
  if (current != want) {
    omp_set_num_threads(want);
    current = want;
  }
}

}  // namespace emb::linalg
