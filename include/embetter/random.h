#pragma once
/// @file random.h
/// Seeded randomness that gives the same stream on every platform and compiler:
/// std::mt19937_64 is fully specified by the standard, while the std::
/// distributions are not, so the distributions here are our own.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>

namespace emb {

/// `random_state` as in scikit-learn: a seed, or nothing for a fresh random seed.
using RandomState = std::optional<std::uint64_t>;

class Rng {
 public:
  /// A seeded generator; with no seed, one is drawn from std::random_device.
  explicit Rng(RandomState seed = std::nullopt);

  std::uint64_t next_u64() noexcept { return engine_(); }
  /// Uniform integer in [0, n), unbiased (rejection sampling). n must be > 0.
  std::uint64_t uniform_int(std::uint64_t n) noexcept;
  /// Uniform float in [0, 1) with 24 random bits.
  float uniform01() noexcept;
  /// Uniform float in [lo, hi).
  float uniform(float lo, float hi) noexcept { return lo + (hi - lo) * uniform01(); }
  /// Standard normal (Box–Muller in double, cached second value).
  double normal() noexcept;
  /// Fisher–Yates shuffle of the span.
  template <class T>
  void shuffle(std::span<T> values) noexcept {
    for (std::size_t i = values.size(); i > 1; --i) {
      std::size_t j = static_cast<std::size_t>(uniform_int(i));
      std::swap(values[i - 1], values[j]);
    }
  }
  /// A derived, independent seed (to hand to a sub-component).
  std::uint64_t spawn_seed() noexcept { return engine_(); }

 private:
  std::mt19937_64 engine_;
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

}  // namespace emb
