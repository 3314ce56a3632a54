#include "train/body/attention.h"

#include <algorithm>
#include <cmath>

#include "core/blas_threads.h"
#include "embetter/threads.h"
#include "train/body/layer_ops.h"
#include "core/parallel.h"

namespace emb::train::body {
namespace {

struct Head {
  std::size_t first, t, index;   ///< the sequence's first row, its tokens, its index
  std::size_t head, dh, ld, hidden;
  float scale;
  std::size_t q() const noexcept { return first * ld + head * dh; }
  std::size_t k() const noexcept { return q() + hidden; }
  std::size_t v() const noexcept { return q() + 2 * hidden; }
  std::size_t c() const noexcept { return first * hidden + head * dh; }   ///< context and its gradient
};

Head head_of(const AttentionBatch& b, std::size_t pair) {
  const std::size_t i = pair / b.heads, first = b.offsets[i], dh = b.hidden / b.heads;
  return {first, b.offsets[i + 1] - first, i, pair % b.heads, dh, 3 * b.hidden, b.hidden,
          1.0f / std::sqrt(static_cast<float>(dh))};
}

std::size_t longest(const AttentionBatch& b) {
  std::size_t t = 0;
  for (std::size_t i = 0; i + 1 < b.offsets.size(); ++i) t = std::max(t, b.offsets[i + 1] - b.offsets[i]);
  return t;
}

// Sizes one T² × `buffers` scratch per worker and says how many workers run.
std::size_t prepare(const AttentionBatch& b, std::size_t buffers, AttentionScratch& s) {
  const std::size_t pairs = (b.offsets.size() - 1) * b.heads;
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(num_threads(), pairs));
  const std::size_t t = longest(b);
  if (s.workers.size() < workers) s.workers.resize(workers);
  for (std::size_t w = 0; w < workers; ++w) s.workers[w].resize(1, buffers * t * t);
  return workers;
}

std::uint64_t first_probability(const AttentionBatch& b, const Head& h) {
  return b.probability_offsets.empty() ? 0 : b.probability_offsets[h.index] + h.head * h.t * h.t;
}

// p = softmax(scale · q kᵀ + bias) for one head (t × t, row stride t).
void probabilities(const AttentionBatch& b, const float* qkv, const Head& h, float* p) {
  const std::size_t t = h.t;
  gemm(false, true, t, t, h.dh, h.scale, qkv + h.q(), h.ld, qkv + h.k(), h.ld, 0.0f, p, t);
  if (b.bias_table) {
    const std::uint32_t* bucket = b.bucket_of_offset + (b.max_tokens - 1);
    for (std::size_t q = 0; q < t; ++q)
      for (std::size_t k = 0; k < t; ++k) {
        const auto rel = static_cast<std::ptrdiff_t>(k) - static_cast<std::ptrdiff_t>(q);
        p[q * t + k] += b.bias_table[bucket[rel] * b.heads + h.head];
      }
  }
  // The inference kernel's softmax: forward and the recomputation in
  // backward call the same code, so they see the same probabilities.
  nn::kernels::softmax_rows(p, t, t, t);
}

}  // namespace

void attention_forward(const AttentionBatch& b, const float* qkv, float* context, AttentionScratch& s) {
  if (b.offsets.size() < 2) return;
  const std::size_t workers = prepare(b, 1, s);
  const SingleThreadedBlas one_blas_thread;   // the pairs run in parallel instead
  for_each_index((b.offsets.size() - 1) * b.heads, workers, [&](std::size_t pair, std::size_t w) {
    const Head h = head_of(b, pair);
    float* p = s.workers[w].data();
    probabilities(b, qkv, h, p);
    if (b.dropout.active()) b.dropout.apply(p, h.t * h.t, first_probability(b, h));
    gemm(false, false, h.t, h.dh, h.t, 1.0f, p, h.t, qkv + h.v(), h.ld, 0.0f, context + h.c(), h.hidden);
  });
}

void attention_backward(const AttentionBatch& b, const float* qkv, const float* d_context, float* context,
                        float* d_qkv, float* d_bias_table, AttentionScratch& s) {
  if (b.offsets.size() < 2) return;
  const std::size_t pairs = (b.offsets.size() - 1) * b.heads;
  const std::size_t workers = prepare(b, 3, s);
  const bool bias = b.bias_table != nullptr && d_bias_table != nullptr;
  if (bias) s.bias_partials.assign(pairs * b.buckets, 0.0f);
  {
    const SingleThreadedBlas one_blas_thread;
    for_each_index(pairs, workers, [&](std::size_t pair, std::size_t w) {
      const Head h = head_of(b, pair);
      const std::size_t t = h.t, tt = t * t;
      float* p = s.workers[w].data();   // the probabilities
      float* kept = p + tt;             // after dropout (what multiplied v)
      float* d = p + 2 * tt;            // their gradient, then the scores'
      probabilities(b, qkv, h, p);
      const float* used = p;
      const std::uint64_t first = first_probability(b, h);
      if (b.dropout.active()) {
        std::copy_n(p, tt, kept);
        b.dropout.apply(kept, tt, first);
        used = kept;
      }
      gemm(false, false, t, h.dh, t, 1.0f, used, t, qkv + h.v(), h.ld, 0.0f, context + h.c(), h.hidden);
      gemm(false, true, t, t, h.dh, 1.0f, d_context + h.c(), h.hidden, qkv + h.v(), h.ld, 0.0f, d, t);
      gemm(true, false, t, h.dh, t, 1.0f, used, t, d_context + h.c(), h.hidden, 0.0f, d_qkv + h.v(), h.ld);
      if (b.dropout.active()) b.dropout.apply(d, tt, first);
      // Softmax: d score = p ⊙ (d p − Σ_k d p ⊙ p), row by row.
      for (std::size_t q = 0; q < t; ++q) {
        float* dr = d + q * t;
        const float* pr = p + q * t;
        float dot = 0.0f;
        for (std::size_t k = 0; k < t; ++k) dot += dr[k] * pr[k];
        for (std::size_t k = 0; k < t; ++k) dr[k] = pr[k] * (dr[k] - dot);
      }
      if (bias) {
        float* partial = s.bias_partials.data() + pair * b.buckets;
        const std::uint32_t* bucket = b.bucket_of_offset + (b.max_tokens - 1);
        for (std::size_t q = 0; q < t; ++q)
          for (std::size_t k = 0; k < t; ++k)
            partial[bucket[static_cast<std::ptrdiff_t>(k) - static_cast<std::ptrdiff_t>(q)]] += d[q * t + k];
      }
      gemm(false, false, t, h.dh, t, h.scale, d, t, qkv + h.k(), h.ld, 0.0f, d_qkv + h.q(), h.ld);
      gemm(true, false, t, h.dh, t, h.scale, d, t, qkv + h.q(), h.ld, 0.0f, d_qkv + h.k(), h.ld);
    });
  }
  if (bias)
    for (std::size_t pair = 0; pair < pairs; ++pair) {
      const float* partial = s.bias_partials.data() + pair * b.buckets;
      const std::size_t head = pair % b.heads;
      for (std::size_t k = 0; k < b.buckets; ++k) d_bias_table[k * b.heads + head] += partial[k];
    }
}

}  // namespace emb::train::body
