#pragma once
// Training-mode dropout masks that need no storage: whether element `index`
// of a tensor is kept is a hash of (seed, tensor, index) (splitmix64's
// finaliser over a counter), so backward regenerates the mask forward used,
// and the mask does not depend on how the work is split among threads.
#include <cstddef>
#include <cstdint>

namespace emb::train::body {

/// Which dropout of the network a mask belongs to: the tensor id is
/// site + kDropoutSites · layer, so that no two dropouts share a mask.
enum class DropoutSite : std::uint64_t { Embeddings = 0, AttentionProbs = 1, AttentionOutput = 2, FfnOutput = 3 };
inline constexpr std::uint64_t kDropoutSites = 4;

inline constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class DropoutMask {
 public:
  /// p = 0: every element kept unscaled (active() is false). p in [0, 1].
  DropoutMask() = default;
  DropoutMask(std::uint64_t seed, DropoutSite site, std::size_t layer, float p) noexcept
      : key_(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(site) + kDropoutSites * layer))),
        // An element is dropped when its 24-bit uniform draw is below p·2²⁴.
        threshold_(static_cast<std::uint32_t>(static_cast<double>(p) * 16777216.0)),
        // p = 1 drops everything (torch returns zeros); no 1 / 0 to keep.
        scale_(p < 1.f ? 1.f / (1.f - p) : 0.f),
        active_(p > 0.f) {}

  bool active() const noexcept { return active_; }
  /// What the element is multiplied by: 0 when dropped, 1 / (1 − p) when kept.
  float factor(std::uint64_t index) const noexcept {
    const auto draw = static_cast<std::uint32_t>(splitmix64(key_ + index) >> 40);
    return draw < threshold_ ? 0.f : scale_;
  }
  /// x[i] *= factor(first + i) for i < n (forward, and the same on the gradient backward).
  void apply(float* x, std::size_t n, std::uint64_t first) const noexcept {
    for (std::size_t i = 0; i < n; ++i) x[i] *= factor(first + i);
  }

 private:
  std::uint64_t key_ = 0;
  std::uint32_t threshold_ = 0;
  float scale_ = 1.f;
  bool active_ = false;
};

}  // namespace emb::train::body
