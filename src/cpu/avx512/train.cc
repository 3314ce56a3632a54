// The AVX-512 training kernels: Adam's update, and the FeedForwardTuner's
// fused step (train/fused_feed_forward.h), whose first layer's weight
// gradient is summed over the batch in registers and updated by Adam at once.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "cpu/avx512/math.h"

// GCC 12 warns about the unset upper lanes inside its own AVX-512 intrinsics' headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace emb::cpu::avx512 {
namespace {

constexpr std::size_t kLanes = kFusedLanes;
// Tiles: kRowBlock rows (or kInputBlock inputs) × kVectorBlock vectors of 16
// hidden units. 8 × 3 accumulators, 3 loaded vectors and a broadcast fit the
// 32 AVX-512 registers; one FMA per accumulator per loaded value keeps the
// FMA unit, not the loads, the limit.
constexpr std::size_t kRowBlock = 8;
constexpr std::size_t kInputBlock = 8;
constexpr std::size_t kVectorBlock = 3;


/// R rows × V vectors of h = σ(x W1ᵀ + b1). w1t, b1 and h point at the tile's
/// first column (h at its first row); w1t's rows are w_stride apart, h's h_stride. On the tile's last vector, lanes outside
/// `last` (past the hidden size) are set to 0, so the padding never reaches
/// the head or its gradient.
template <int R, int V>
void hidden_tile(const float* const* x, std::size_t n_in, const float* w1t, std::size_t w_stride,
                                   const float* b1, float* h, std::size_t h_stride, __mmask16 last) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  for (std::size_t k = 0; k < n_in; ++k) {
    __m512 w[V];
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) w[c] = _mm512_load_ps(w1t + k * w_stride + c * kLanes);
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
      __m512 s = sigmoid16(_mm512_add_ps(acc[r][c], _mm512_load_ps(b1 + c * kLanes)));
      if (c == V - 1) s = _mm512_maskz_mov_ps(last, s);
      _mm512_store_ps(h + r * h_stride + c * kLanes, s);
    }
  }
}

/// The gradient of W1ᵀ for inputs [k0, k0 + KR) × V vectors, summed over the
/// batch in registers (dW1ᵀ[k, j] = Σ_r x[r][k] · dz[r, j]), then Adam's update
/// of the weights and moments under it. dz, p, m and v point at the tile's
/// first column; p, m and v at input k0. dz's rows are dz_stride apart, the
/// weights' w_stride.
template <int KR, int V>
void weight_grad_adam_tile(const float* const* x, std::size_t k0, std::size_t batch,
                                             const float* dz, std::size_t dz_stride, float* p, float* m, float* v,
                                             std::size_t w_stride, const AdamVectors& adam) {
  __m512 acc[KR][V];
#pragma GCC unroll 8
  for (int i = 0; i < KR; ++i) {
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  for (std::size_t r = 0; r < batch; ++r) {
    __m512 d[V];
#pragma GCC unroll 3
    for (int c = 0; c < V; ++c) d[c] = _mm512_load_ps(dz + r * dz_stride + c * kLanes);
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
      const std::size_t at = i * w_stride + c * kLanes;
      adam_update16(adam, acc[i][c], __mmask16(0xFFFF), p + at, m + at, v + at);
    }
  }
}

using HiddenTile = void (*)(const float* const*, std::size_t, const float*, std::size_t, const float*, float*,
                            std::size_t, __mmask16);
using GradTile = void (*)(const float* const*, std::size_t, std::size_t, const float*, std::size_t, float*, float*,
                          float*, std::size_t, const AdamVectors&);

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

void adam(std::size_t n, float* p, float* g, float* m, float* v, const AdamCoefficients& c) {
  const AdamVectors k(c);
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 lanes = tail_mask(n - i);
    const __m512 gi = _mm512_maskz_loadu_ps(lanes, g + i);
    _mm512_mask_storeu_ps(g + i, lanes, _mm512_setzero_ps());  // zero_grad folded into the same pass
    adam_update16(k, gi, lanes, p + i, m + i, v + i);
  }
}

/// h = σ(x W1ᵀ + b1) for the batch's rows and the hidden vectors [v0, v1),
/// tile by tile. w1t: that part's block of W1ᵀ (n_in × (v1 − v0) vectors).
void ff_hidden(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden, std::size_t hp,
                  std::size_t v0, std::size_t v1, const float* w1t, const float* b1, float* h) {
  const std::size_t vectors = hp / kLanes, w_stride = (v1 - v0) * kLanes;
  const __mmask16 last = last_vector_lanes(hidden);
  for (std::size_t c0 = v0; c0 < v1; c0 += kVectorBlock) {
    const std::size_t nv = std::min(kVectorBlock, v1 - c0);
    const __mmask16 tile_last = c0 + nv == vectors ? last : __mmask16(0xFFFF);
    for (std::size_t r0 = 0; r0 < batch; r0 += kRowBlock) {
      const std::size_t nr = std::min(kRowBlock, batch - r0);
      kHiddenTiles[nr - 1][nv - 1](x + r0, n_in, w1t + (c0 - v0) * kLanes, w_stride, b1 + c0 * kLanes,
                                   h + r0 * hp + c0 * kLanes, hp, tile_last);
    }
  }
}

/// One part's share of the logits h W2ᵀ: for each row and class, the sum over
/// the hidden vectors [v0, v1), one FMA per vector in order, then reduced.
void ff_partial_logits(const float* h, std::size_t batch, std::size_t classes, std::size_t hp,
                                      std::size_t v0, std::size_t v1, const float* w2, float* out) {
  for (std::size_t r = 0; r < batch; ++r) {
    for (std::size_t c = 0; c < classes; ++c) {
      __m512 acc = _mm512_setzero_ps();
      for (std::size_t v = v0; v < v1; ++v)
        acc = _mm512_fmadd_ps(_mm512_load_ps(h + r * hp + v * kLanes), _mm512_load_ps(w2 + c * hp + v * kLanes), acc);
      out[r * classes + c] = _mm512_reduce_add_ps(acc);
    }
  }
}

/// For the hidden vectors [v0, v1): dz = (dL/dlogits · W2) ⊙ h(1 − h) and the
/// gradients of b1 and of W2's columns there (into g_b1 and g_w2, laid out as
/// b1 and W2).
void ff_hidden_gradients(const float* h, const float* d_logits, std::size_t batch, std::size_t classes,
                                        std::size_t hp, std::size_t v0, std::size_t v1, const float* w2, float* dz,
                                        float* g_b1, float* g_w2) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (std::size_t r = 0; r < batch; ++r) {
    for (std::size_t v = v0; v < v1; ++v) {
      __m512 acc = _mm512_setzero_ps();
      for (std::size_t c = 0; c < classes; ++c)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(d_logits[r * classes + c]), _mm512_load_ps(w2 + c * hp + v * kLanes), acc);
      const __m512 hv = _mm512_load_ps(h + r * hp + v * kLanes);
      _mm512_store_ps(dz + r * hp + v * kLanes, _mm512_mul_ps(acc, _mm512_mul_ps(hv, _mm512_sub_ps(one, hv))));
    }
  }
  for (std::size_t v = v0; v < v1; ++v) {
    __m512 acc = _mm512_setzero_ps();
    for (std::size_t r = 0; r < batch; ++r) acc = _mm512_add_ps(acc, _mm512_load_ps(dz + r * hp + v * kLanes));
    _mm512_store_ps(g_b1 + v * kLanes, acc);
  }
  for (std::size_t c = 0; c < classes; ++c) {
    for (std::size_t v = v0; v < v1; ++v) {
      __m512 acc = _mm512_setzero_ps();
      for (std::size_t r = 0; r < batch; ++r)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(d_logits[r * classes + c]), _mm512_load_ps(h + r * hp + v * kLanes), acc);
      _mm512_store_ps(g_w2 + c * hp + v * kLanes, acc);
    }
  }
}

/// W1's gradient and Adam's update of W1 for the hidden vectors [v0, v1),
/// input block by input block, so the weights and moments stream through once
/// in memory order. p, m, v: that part's blocks (n_in × (v1 − v0) vectors).
void ff_first_layer_adam(const float* const* x, std::size_t batch, std::size_t n_in,
                                             std::size_t hp, std::size_t v0, std::size_t v1, const float* dz, float* p,
                                             float* m, float* v, const AdamCoefficients& coefficients) {
  const AdamVectors adam_vectors(coefficients);
  const std::size_t w_stride = (v1 - v0) * kLanes;
  for (std::size_t k0 = 0; k0 < n_in; k0 += kInputBlock) {
    const std::size_t nk = std::min(kInputBlock, n_in - k0);
    for (std::size_t c0 = v0; c0 < v1; c0 += kVectorBlock) {
      const std::size_t nv = std::min(kVectorBlock, v1 - c0);
      const std::size_t at = k0 * w_stride + (c0 - v0) * kLanes;
      kGradTiles[nk - 1][nv - 1](x, k0, batch, dz + c0 * kLanes, hp, p + at, m + at, v + at, w_stride, adam_vectors);
    }
  }
}

}  // namespace emb::cpu::avx512
