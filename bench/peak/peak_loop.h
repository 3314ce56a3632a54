#pragma once
// The timing shared by the per-level peak loops: best of five runs of
// `steps` iterations of `body` (twelve independent operations each).
#include <algorithm>
#include <chrono>

namespace emb::bench {

template <class F>
double best_seconds(long steps, F body) {
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < steps; ++i) body();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace emb::bench
