#pragma once
// The FeedForwardTuner's training step (forward, backward and Adam) as a few
// AVX-512 kernels over a training-time copy of its parameters.
//
// Why a second implementation of feed_forward_net.h: at the sizes the tuner
// trains (a few hundred inputs, ~10⁵ parameters, thousands of 32-row steps) one
// step is only ~5 MFLOP. Through general calls — a GEMM with bias and sigmoid,
// a weight-gradient GEMM that writes a gradient buffer, then Adam streaming
// over four parameter-sized buffers — the call overhead and the L2 traffic of
// that gradient cost as much as the arithmetic. Here:
//  - the first layer's weights are kept transposed (inputs × hidden, hidden
//    padded to a multiple of 16), so both of its products are broadcast-FMA
//    loops over contiguous rows;
//  - its weight gradient is never stored: each tile is summed over the batch in
//    registers and Adam updates the weights and moments under it right away;
//  - the head (hidden → classes) is small and done with vector dot products.
// feed_forward_net.h stays the reference (double-precision gradient checks) and
// the path for CPUs without AVX-512.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/aligned_vector.h"
#include "train/adam.h"
#include "train/feed_forward_net.h"

namespace emb::train {

/// Whether FusedFeedForwardTrainer can run on this CPU (it needs AVX-512).
bool fused_feed_forward_available();

class FusedFeedForwardTrainer {
 public:
  /// Copies the parameters and Adam's moments from the tuner's layout (`shape`,
  /// PyTorch's nn.Linear order) into the training layout. `max_batch`: the most
  /// rows step() will be given.
  FusedFeedForwardTrainer(const FeedForwardShape& shape, std::size_t max_batch, std::span<const float> params,
                          std::span<const float> m, std::span<const float> v);

  /// One minibatch: rows `rows` of X (row-major, shape.n_in wide) with class
  /// indices y, then Adam step number `step` (1 for the first).
  void step(const float* X, std::span<const std::size_t> rows, std::span<const std::int32_t> y,
            const AdamHyper& hyper, std::int64_t step);

  /// Writes the parameters and moments back in the tuner's layout.
  void store(std::span<float> params, std::span<float> m, std::span<float> v) const;

 private:
  /// Offsets into the training layout: [W1ᵀ (n_in × hp) | b1 (hp) | W2 (classes × hp) | b2 (classes)].
  struct Layout {
    std::size_t n_in, hidden, classes, hp;
    std::size_t b1() const { return n_in * hp; }
    std::size_t w2() const { return b1() + hp; }
    std::size_t b2() const { return w2() + classes * hp; }
    std::size_t size() const { return b2() + classes; }
  };

  void from_tuner_layout(std::span<const float> in, float* out) const;
  void to_tuner_layout(const float* in, std::span<float> out) const;

  FeedForwardShape shape_;
  Layout layout_;
  AlignedVector<float> params_, m_, v_;
  /// Per step: h and then dL/dz1 (batch × hp), dL/dlogits (batch × classes),
  /// the gradient of [b1 | W2 | b2] (the part Adam updates in one plain pass).
  AlignedVector<float> h_, d_hidden_, d_logits_, small_grads_;
  std::vector<const float*> rows_;
};

}  // namespace emb::train
