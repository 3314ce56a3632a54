#pragma once
// What follows the transformer in a sentence-transformers model, for
// training: Pooling over each sequence's token states, then the Dense and
// Normalize modules over the batch of pooled vectors, each keeping what its
// backward needs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "nn/kernels.h"
#include "nn/ops.h"
#include "nn/pooling.h"

namespace emb::train::body {

/// One module after pooling, with its gradient (Dense) or none (Normalize).
struct HeadStep {
  bool normalize = false;
  nn::Linear dense, grad;
  nn::Activation activation = nn::Activation::Identity;
};

/// What backward needs from forward.
struct HeadTape {
  std::vector<std::size_t> offsets;   ///< each sequence's rows, as the encoder's
  /// Max pooling: the winning token of each column (sequence × column,
  /// one block of hidden values per max mode).
  std::vector<std::uint32_t> argmax;
  /// Input of each step (the first: the pooled vectors), and of Dense steps
  /// their pre-activation (empty for Normalize).
  std::vector<Matrix> inputs, pre_activation;
};

/// Pools each sequence's rows of `tokens` (rows × hidden) and runs the steps:
/// out becomes sequences × (output width).
void head_forward(const float* tokens, std::size_t hidden, std::span<const std::size_t> offsets,
                  std::span<const nn::PoolingMode> modes, std::span<const HeadStep> steps, HeadTape& tape,
                  Matrix& out);

/// From d out to d tokens (rows × hidden, overwritten), adding the Dense
/// steps' gradients. d_out may be modified (it becomes scratch).
void head_backward(Matrix d_out, std::size_t hidden, std::span<const nn::PoolingMode> modes,
                   std::span<HeadStep> steps, const HeadTape& tape, float* d_tokens);

}  // namespace emb::train::body
