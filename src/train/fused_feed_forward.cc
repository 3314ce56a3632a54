#include "train/fused_feed_forward.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "core/avx512_math.h"
#include "core/cpu_features.h"
#include "embetter/error.h"
#include "nn/cpu_isa.h"
#include "train/adam_avx512.h"

// GCC 12 warns about the unset upper lanes inside its own AVX-512 intrinsics' headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace emb::train {
namespace {

constexpr std::size_t kLanes = 16;
// Tiles: kRowBlock rows (or kInputBlock inputs) × kVectorBlock vectors of 16
// hidden units. 8 × 3 accumulators, 3 loaded vectors and a broadcast fit the
// 32 AVX-512 registers; one FMA per accumulator per loaded value keeps the
// FMA unit, not the loads, the limit.
constexpr std::size_t kRowBlock = 8;
constexpr std::size_t kInputBlock = 8;
constexpr std::size_t kVectorBlock = 3;

std::size_t padded(std::size_t n) { return (n + kLanes - 1) / kLanes * kLanes; }


}  // namespace

bool fused_feed_forward_available() { return nn::cpu_isa() == nn::Isa::Avx512; }

#if EMB_X86_DISPATCH
namespace {

/// R rows × V vectors of h = σ(x W1ᵀ + b1). w1t, b1 and h point at the tile's
/// first column (h at its first row). On the tile's last vector, lanes outside
/// `last` (past the hidden size) are set to 0, so the padding never reaches
/// the head or its gradient.
template <int R, int V>
EMB_TARGET_AVX512 void hidden_tile(const float* const* x, std::size_t n_in, const float* w1t, std::size_t hp,
                                   const float* b1, float* h, __mmask16 last) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  for (std::size_t k = 0; k < n_in; ++k) {
    __m512 w[V];
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) w[c] = _mm512_load_ps(w1t + k * hp + c * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 xb = _mm512_set1_ps(x[r][k]);
#pragma GCC unroll 3
      for (int c = 0; c < V; ++c) acc[r][c] = _mm512_fmadd_ps(xb, w[c], acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) {
      __m512 s = simd::sigmoid16(_mm512_add_ps(acc[r][c], _mm512_load_ps(b1 + c * kLanes)));
      if (c == V - 1) s = _mm512_maskz_mov_ps(last, s);
      _mm512_store_ps(h + r * hp + c * kLanes, s);
    }
  }
}

/// The gradient of W1ᵀ for inputs [k0, k0 + KR) × V vectors, summed over the
/// batch in registers (dW1ᵀ[k, j] = Σ_r x[r][k] · dz[r, j]), then Adam's update
/// of the weights and moments under it. dz, p, m and v point at the tile's
/// first column; p, m and v at input k0.
template <int KR, int V>
EMB_TARGET_AVX512 void weight_grad_adam_tile(const float* const* x, std::size_t k0, std::size_t batch,
                                             const float* dz, std::size_t hp, float* p, float* m, float* v,
                                             const AdamVectors& adam) {
  __m512 acc[KR][V];
#pragma GCC unroll 8
  for (int i = 0; i < KR; ++i) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  for (std::size_t r = 0; r < batch; ++r) {
    __m512 d[V];
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) d[c] = _mm512_load_ps(dz + r * hp + c * kLanes);
    const float* xr = x[r] + k0;
#pragma GCC unroll 8
    for (int i = 0; i < KR; ++i) {
      const __m512 xb = _mm512_set1_ps(xr[i]);
#pragma GCC unroll 3
      for (int c = 0; c < V; ++c) acc[i][c] = _mm512_fmadd_ps(xb, d[c], acc[i][c]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < KR; ++i) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) {
      const std::size_t at = i * hp + c * kLanes;
      adam_update16(adam, acc[i][c], __mmask16(0xFFFF), p + at, m + at, v + at);
    }
  }
}

using HiddenTile = void (*)(const float* const*, std::size_t, const float*, std::size_t, const float*, float*,
                            __mmask16);
using GradTile = void (*)(const float* const*, std::size_t, std::size_t, const float*, std::size_t, float*, float*,
                          float*, const AdamVectors&);

template <int R>
constexpr std::array<HiddenTile, kVectorBlock> hidden_tiles_of_rows() {
  return {&hidden_tile<R, 1>, &hidden_tile<R, 2>, &hidden_tile<R, 3>};
}
template <int KR>
constexpr std::array<GradTile, kVectorBlock> grad_tiles_of_inputs() {
  return {&weight_grad_adam_tile<KR, 1>, &weight_grad_adam_tile<KR, 2>, &weight_grad_adam_tile<KR, 3>};
}
template <std::size_t... R>
constexpr auto hidden_tile_table(std::index_sequence<R...>) {
  return std::array{hidden_tiles_of_rows<int(R) + 1>()...};
}
template <std::size_t... K>
constexpr auto grad_tile_table(std::index_sequence<K...>) {
  return std::array{grad_tiles_of_inputs<int(K) + 1>()...};
}
/// [rows − 1][vectors − 1] → the tile kernel for that size.
constexpr auto kHiddenTiles = hidden_tile_table(std::make_index_sequence<kRowBlock>{});
constexpr auto kGradTiles = grad_tile_table(std::make_index_sequence<kInputBlock>{});

__mmask16 last_vector_lanes(std::size_t hidden) {
  const std::size_t tail = hidden % kLanes;
  return tail == 0 ? __mmask16(0xFFFF) : __mmask16((1u << tail) - 1u);
}

}  // namespace
#endif

FusedFeedForwardTrainer::FusedFeedForwardTrainer(const FeedForwardShape& shape, std::size_t max_batch,
                                                 std::span<const float> params, std::span<const float> m,
                                                 std::span<const float> v)
    : shape_(shape),
      layout_{static_cast<std::size_t>(shape.n_in), static_cast<std::size_t>(shape.n_hidden),
              static_cast<std::size_t>(shape.n_classes), padded(static_cast<std::size_t>(shape.n_hidden))} {
  EMB_ASSERT(fused_feed_forward_available());
  EMB_ASSERT(params.size() == static_cast<std::size_t>(shape.n_params()) && m.size() == params.size() &&
             v.size() == params.size());
  params_.assign(layout_.size(), 0.0f);
  m_.assign(layout_.size(), 0.0f);
  v_.assign(layout_.size(), 0.0f);
  from_tuner_layout(params, params_.data());
  from_tuner_layout(m, m_.data());
  from_tuner_layout(v, v_.data());
  h_.assign(max_batch * layout_.hp, 0.0f);
  d_hidden_.assign(max_batch * layout_.hp, 0.0f);
  d_logits_.assign(max_batch * layout_.classes, 0.0f);
  small_grads_.assign(layout_.size() - layout_.b1(), 0.0f);
  rows_.reserve(max_batch);
}

void FusedFeedForwardTrainer::from_tuner_layout(std::span<const float> in, float* out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    const float* row = in.data() + first.weight_offset() + j * n_in;
    for (std::size_t k = 0; k < n_in; ++k) out[k * hp + j] = row[k];
    out[layout_.b1() + j] = in[static_cast<std::size_t>(first.bias_offset()) + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in.data() + head.weight_offset() + c * hidden, hidden, out + layout_.w2() + c * hp);
    out[layout_.b2() + c] = in[static_cast<std::size_t>(head.bias_offset()) + c];
  }
}

void FusedFeedForwardTrainer::to_tuner_layout(const float* in, std::span<float> out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    float* row = out.data() + first.weight_offset() + j * n_in;
    for (std::size_t k = 0; k < n_in; ++k) row[k] = in[k * hp + j];
    out[static_cast<std::size_t>(first.bias_offset()) + j] = in[layout_.b1() + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in + layout_.w2() + c * hp, hidden, out.data() + head.weight_offset() + c * hidden);
    out[static_cast<std::size_t>(head.bias_offset()) + c] = in[layout_.b2() + c];
  }
}

void FusedFeedForwardTrainer::store(std::span<float> params, std::span<float> m, std::span<float> v) const {
  to_tuner_layout(params_.data(), params);
  to_tuner_layout(m_.data(), m);
  to_tuner_layout(v_.data(), v);
}

#if EMB_X86_DISPATCH
namespace {

/// h = σ(x W1ᵀ + b1) for the batch's rows, tile by tile.
void hidden_layer(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden, std::size_t hp,
                  const float* w1t, const float* b1, float* h) {
  const std::size_t vectors = hp / kLanes;
  const __mmask16 last = last_vector_lanes(hidden);
  for (std::size_t c0 = 0; c0 < vectors; c0 += kVectorBlock) {
    const std::size_t nv = std::min(kVectorBlock, vectors - c0);
    const __mmask16 tile_last = c0 + nv == vectors ? last : __mmask16(0xFFFF);
    for (std::size_t r0 = 0; r0 < batch; r0 += kRowBlock) {
      const std::size_t nr = std::min(kRowBlock, batch - r0);
      kHiddenTiles[nr - 1][nv - 1](x + r0, n_in, w1t + c0 * kLanes, hp, b1 + c0 * kLanes, h + r0 * hp + c0 * kLanes,
                                   tile_last);
    }
  }
}

/// The head and the backward pass down to the hidden layer's pre-activation:
/// logits = h W2ᵀ + b2, dL/dlogits = (softmax − onehot) / batch (mean
/// cross-entropy), dz = (dL/dlogits · W2) ⊙ h(1 − h), and the gradient of
/// [b1 | W2 | b2] into `small_grads`. Each logit sums the hidden units as two
/// fixed halves, so that a split of the hidden units between two threads
/// would add in the same order.
EMB_TARGET_AVX512 void head_and_backward(const float* h, std::size_t batch, std::span<const std::int32_t> y,
                                         std::size_t classes, std::size_t hp, const float* w2, const float* b2,
                                         float* d_logits, float* dz, float* small_grads) {
  const std::size_t vectors = hp / kLanes, half = (vectors + 1) / 2;
  const float batch_f = static_cast<float>(batch);
  for (std::size_t r = 0; r < batch; ++r) {
    const float* hr = h + r * hp;
    float* dl = d_logits + r * classes;
    float top = -std::numeric_limits<float>::infinity();
    for (std::size_t c = 0; c < classes; ++c) {
      const float* w = w2 + c * hp;
      __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
      for (std::size_t v = 0; v < half; ++v)
        lo = _mm512_fmadd_ps(_mm512_load_ps(hr + v * kLanes), _mm512_load_ps(w + v * kLanes), lo);
      for (std::size_t v = half; v < vectors; ++v)
        hi = _mm512_fmadd_ps(_mm512_load_ps(hr + v * kLanes), _mm512_load_ps(w + v * kLanes), hi);
      dl[c] = b2[c] + (_mm512_reduce_add_ps(lo) + _mm512_reduce_add_ps(hi));
      top = std::max(top, dl[c]);
    }
    float sum = 0.0f;
    for (std::size_t c = 0; c < classes; ++c) sum += (dl[c] = std::exp(dl[c] - top));
    for (std::size_t c = 0; c < classes; ++c) {
      const float onehot = c == static_cast<std::size_t>(y[r]) ? 1.0f : 0.0f;
      dl[c] = (dl[c] / sum - onehot) / batch_f;
    }
    const __m512 one = _mm512_set1_ps(1.0f);
    for (std::size_t v = 0; v < vectors; ++v) {
      __m512 acc = _mm512_setzero_ps();
      for (std::size_t c = 0; c < classes; ++c)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(dl[c]), _mm512_load_ps(w2 + c * hp + v * kLanes), acc);
      const __m512 hv = _mm512_load_ps(hr + v * kLanes);
      _mm512_store_ps(dz + r * hp + v * kLanes, _mm512_mul_ps(acc, _mm512_mul_ps(hv, _mm512_sub_ps(one, hv))));
    }
  }
  float* g_b1 = small_grads;
  float* g_w2 = small_grads + hp;
  float* g_b2 = g_w2 + classes * hp;
  for (std::size_t v = 0; v < vectors; ++v) {
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t r = 0; r < batch; ++r) acc = _mm512_add_ps(acc, _mm512_load_ps(dz + r * hp + v * kLanes));
    _mm512_store_ps(g_b1 + v * kLanes, acc);
  }
  for (std::size_t c = 0; c < classes; ++c) {
    for (std::size_t v = 0; v < vectors; ++v) {
      __m512 acc = _mm512_setzero_ps();
      for (std::size_t r = 0; r < batch; ++r)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(d_logits[r * classes + c]), _mm512_load_ps(h + r * hp + v * kLanes), acc);
      _mm512_store_ps(g_w2 + c * hp + v * kLanes, acc);
    }
    float sum = 0.0f;
    for (std::size_t r = 0; r < batch; ++r) sum += d_logits[r * classes + c];
    g_b2[c] = sum;
  }
}

/// W1's gradient and Adam's update of W1, input block by input block, so the
/// weights and moments stream through once in memory order.
EMB_TARGET_AVX512 void first_layer_grad_adam(const float* const* x, std::size_t batch, std::size_t n_in,
                                             std::size_t hp, const float* dz, float* p, float* m, float* v,
                                             const AdamCoefficients& coefficients) {
  const AdamVectors adam(coefficients);
  const std::size_t vectors = hp / kLanes;
  for (std::size_t k0 = 0; k0 < n_in; k0 += kInputBlock) {
    const std::size_t nk = std::min(kInputBlock, n_in - k0);
    for (std::size_t c0 = 0; c0 < vectors; c0 += kVectorBlock) {
      const std::size_t nv = std::min(kVectorBlock, vectors - c0);
      const std::size_t at = k0 * hp + c0 * kLanes;
      kGradTiles[nk - 1][nv - 1](x, k0, batch, dz + c0 * kLanes, hp, p + at, m + at, v + at, adam);
    }
  }
}

}  // namespace
#endif

void FusedFeedForwardTrainer::step(const float* X, std::span<const std::size_t> rows,
                                   std::span<const std::int32_t> y, const AdamHyper& hyper, std::int64_t step) {
#if EMB_X86_DISPATCH
  const auto [n_in, hidden, classes, hp] = layout_;
  const std::size_t batch = rows.size();
  EMB_ASSERT(batch >= 1 && batch * hp <= h_.size() && y.size() == batch);
  rows_.clear();
  for (const std::size_t r : rows) rows_.push_back(X + r * n_in);

  float* p = params_.data();
  hidden_layer(rows_.data(), batch, n_in, hidden, hp, p, p + layout_.b1(), h_.data());
  head_and_backward(h_.data(), batch, y, classes, hp, p + layout_.w2(), p + layout_.b2(), d_logits_.data(),
                    d_hidden_.data(), small_grads_.data());
  const std::size_t small = layout_.size() - layout_.b1();
  adam_step(hyper, step, std::span<float>(p + layout_.b1(), small), small_grads_,
            std::span<float>(m_.data() + layout_.b1(), small), std::span<float>(v_.data() + layout_.b1(), small));
  first_layer_grad_adam(rows_.data(), batch, n_in, hp, d_hidden_.data(), p, m_.data(), v_.data(),
                        adam_coefficients(hyper, step));
#else
  (void)X, (void)rows, (void)y, (void)hyper, (void)step;
  EMB_ASSERT(false);
#endif
}

}  // namespace emb::train
