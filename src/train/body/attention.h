#pragma once
// Multi-head self-attention of a batch of unpadded sequences for training.
// Forward keeps nothing but its output: backward recomputes each head's
// probabilities from the saved query/key/value projections (T × T per head
// and sequence would be 12 · 256² floats per sequence and layer for
// MiniLM), so the tape holds O(tokens · hidden) per layer.
//
// Work is split over (sequence, head) pairs on emb::num_threads() threads.
// Each pair writes its own rows × head columns, and MPNet's bias gradient is
// summed per pair and reduced in a fixed order, so results do not depend on
// the number of threads.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "train/body/dropout_mask.h"

namespace emb::train::body {

/// One layer's attention over the batch: rows of all sequences concatenated.
struct AttentionBatch {
  std::size_t hidden = 0, heads = 0;
  /// Sequence i's rows are [offsets[i], offsets[i + 1]).
  std::span<const std::size_t> offsets;
  /// MPNet's relative position bias, shared by the layers: table[bucket ·
  /// heads + head] added to the score of query q and key k, bucket =
  /// bucket_of_offset[k − q + max_tokens − 1]. Null table: none.
  const float* bias_table = nullptr;
  const std::uint32_t* bucket_of_offset = nullptr;
  std::size_t buckets = 0, max_tokens = 0;
  /// Dropout on the probabilities: element (sequence i, head h, query q,
  /// key k) has index probability_offsets[i] + (h · T + q) · T + k.
  DropoutMask dropout;
  std::span<const std::size_t> probability_offsets;
};

/// Per-thread score buffers and the bias gradient's per-pair sums, reused
/// across calls.
struct AttentionScratch {
  std::vector<Matrix> workers;
  std::vector<float> bias_partials;
};

/// context (rows × hidden) = softmax(q kᵀ / √d + bias), dropped out, times v,
/// heads side by side; qkv is rows × 3·hidden (query, key, value).
void attention_forward(const AttentionBatch& batch, const float* qkv, float* context, AttentionScratch& scratch);

/// Given d_context, writes d_qkv (rows × 3·hidden), recomputes context (for
/// the output projection's weight gradient) and adds the bias table's
/// gradient to d_bias_table (buckets × heads; ignored without a table).
void attention_backward(const AttentionBatch& batch, const float* qkv, const float* d_context, float* context,
                        float* d_qkv, float* d_bias_table, AttentionScratch& scratch);

}  // namespace emb::train::body
