#pragma once
// Minibatches as PyTorch's DataLoader(shuffle=True) forms them: a fresh random
// permutation each epoch, cut into batches of batch_size, the last one smaller.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <numeric>
#include <span>
#include <vector>

#include "embetter/random.h"
#include "embetter/torch_generator.h"

namespace emb::train {

class EpochOrder {
 public:
  explicit EpochOrder(std::size_t n) : order_(n) {}
  /// Reshuffles; call at the start of each epoch.
  void shuffle(Rng& rng) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    rng.shuffle(std::span<std::size_t>(order_));
  }
  /// Reshuffles exactly as a DataLoader(shuffle=True) epoch drawing from torch's
  /// global generator would.
  void shuffle(TorchGenerator& gen) { gen.data_loader_epoch(std::span<std::size_t>(order_)); }
  std::size_t size() const { return order_.size(); }
  /// Indices of the batch starting at `start`.
  std::span<const std::size_t> batch(std::size_t start, std::size_t batch_size) const {
    return std::span<const std::size_t>(order_).subspan(start, std::min(batch_size, order_.size() - start));
  }

 private:
  std::vector<std::size_t> order_;
};

/// Copies rows `indices` of the row-major src (cols wide) into dst, back to back.
inline void gather_rows(const float* src, std::size_t cols, std::span<const std::size_t> indices, float* dst) {
  for (std::size_t i = 0; i < indices.size(); ++i) std::memcpy(dst + i * cols, src + indices[i] * cols, cols * sizeof(float));
}

}  // namespace emb::train
