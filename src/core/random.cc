#include "embetter/random.h"

#include <cmath>
#include <numbers>

namespace emb {

Rng::Rng(RandomState seed) : engine_(seed ? *seed : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::uint64_t Rng::uniform_int(std::uint64_t n) noexcept {
  // Reject the top partial block so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do x = engine_();
  while (x >= limit);
  return x % n;
}

float Rng::uniform01() noexcept { return static_cast<float>(engine_() >> 40) * 0x1.0p-24f; }

double Rng::normal() noexcept {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  double u1, u2;
  do u1 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  while (u1 <= 0.0);
  u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  cached_normal_ = r * std::sin(theta);
  has_cached_normal_ = true;
  return r * std::cos(theta);
}

}  // namespace emb
