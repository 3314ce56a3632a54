#pragma once
// Adam's update and the FeedForwardTuner's fused step on eight-float vectors,
// for the AVX2 and NEON levels, laid out as the AVX-512 level's (hidden
// units in vectors of kFusedLanes = two F8 here). Include after vec8.h.
#include <algorithm>
#include <cmath>

namespace emb::cpu::EMB_SIMD_NAMESPACE {
namespace train_detail {

constexpr std::size_t kLanes = kFusedLanes;
// Tiles of 6 rows (or 6 inputs) × one vector of 16 hidden units: 12
// accumulators, two loaded vectors and a broadcast in AVX2's 16 registers.
constexpr std::size_t kRowBlock = 6;

/// AdamCoefficients broadcast once per pass.
struct AdamVectors {
  F8 w1, b2, w2, inv_bc2_sqrt, eps, neg_step_size;
  explicit AdamVectors(const AdamCoefficients& c)
      : w1(set8(c.w1)),
        b2(set8(c.b2)),
        w2(set8(c.w2)),
        inv_bc2_sqrt(set8(c.inv_bc2_sqrt)),
        eps(set8(c.eps)),
        neg_step_size(set8(c.neg_step_size)) {}
};

/// m ← m + w1(g − m), v ← β2·v + w2·g², p ← p − step·m / (√v·inv_bc2_sqrt + eps)
/// on 8 parameters. The square root runs on the divider; the division is a
/// reciprocal estimate refined on the FMA unit (reciprocal8), as the AVX-512
/// level does: with both on the divider, Adam took ~30% of a FeedForwardTuner
/// step on AVX2. (The square root as an estimate refined on the FMA unit too
/// was slower still on Zen 4: 0.44 s against 0.42 s per fit.)
EMB_INLINE void adam_update8(const AdamVectors& k, F8 g, float* p, float* m, float* v) {
  F8 mi = load8(m);
  mi = fma8(k.w1, g - mi, mi);
  const F8 vi = fma8(k.w2, g * g, load8(v) * k.b2);
  store8(m, mi);
  store8(v, vi);
  const F8 denom = fma8(sqrt8(vi), k.inv_bc2_sqrt, k.eps);
  store8(p, fma8(k.neg_step_size, mi * reciprocal8(denom), load8(p)));
}

/// R rows × one vector of h = σ(x W1ᵀ + b1); lanes at or past `live` (the
/// hidden units left in this vector) set to 0.
template <int R>
void hidden_tile(const float* const* x, std::size_t n_in, const float* w1t, std::size_t w_stride, const float* b1,
                 float* h, std::size_t h_stride, std::size_t live) {
  F8 acc[R][2];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = zero8();
#pragma GCC unroll 2
  for (std::size_t k = 0; k < n_in; ++k) {
    const F8 w0 = load8(w1t + k * w_stride), w1 = load8(w1t + k * w_stride + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const F8 xb = set8(x[r][k]);
      acc[r][0] = fma8(xb, w0, acc[r][0]);
      acc[r][1] = fma8(xb, w1, acc[r][1]);
    }
  }
  const F8 bias0 = load8(b1), bias1 = load8(b1 + 8);
  for (int r = 0; r < R; ++r) {
    store8(h + r * h_stride, select_first8(live, sigmoid8(acc[r][0] + bias0), zero8()));
    store8(h + r * h_stride + 8, select_first8(live > 8 ? live - 8 : 0, sigmoid8(acc[r][1] + bias1), zero8()));
  }
}

/// The gradient of W1ᵀ for inputs [k0, k0 + KR) × one vector, summed over the
/// batch in registers, then Adam's update of the weights and moments under it.
template <int KR>
void weight_grad_adam_tile(const float* const* x, std::size_t k0, std::size_t batch, const float* dz,
                           std::size_t dz_stride, float* p, float* m, float* v, std::size_t w_stride,
                           const AdamVectors& adam) {
  F8 acc[KR][2];
#pragma GCC unroll 6
  for (int i = 0; i < KR; ++i) acc[i][0] = acc[i][1] = zero8();
  for (std::size_t r = 0; r < batch; ++r) {
    const F8 d0 = load8(dz + r * dz_stride), d1 = load8(dz + r * dz_stride + 8);
    const float* xr = x[r] + k0;
#pragma GCC unroll 6
    for (int i = 0; i < KR; ++i) {
      const F8 xb = set8(xr[i]);
      acc[i][0] = fma8(xb, d0, acc[i][0]);
      acc[i][1] = fma8(xb, d1, acc[i][1]);
    }
  }
  for (int i = 0; i < KR; ++i) {
    const std::size_t at = static_cast<std::size_t>(i) * w_stride;
    adam_update8(adam, acc[i][0], p + at, m + at, v + at);
    adam_update8(adam, acc[i][1], p + at + 8, m + at + 8, v + at + 8);
  }
}

using HiddenTile = void (*)(const float* const*, std::size_t, const float*, std::size_t, const float*, float*,
                            std::size_t, std::size_t);
using GradTile = void (*)(const float* const*, std::size_t, std::size_t, const float*, std::size_t, float*, float*,
                          float*, std::size_t, const AdamVectors&);
constexpr HiddenTile kHiddenTiles[kRowBlock] = {hidden_tile<1>, hidden_tile<2>, hidden_tile<3>,
                                                hidden_tile<4>, hidden_tile<5>, hidden_tile<6>};
constexpr GradTile kGradTiles[kRowBlock] = {weight_grad_adam_tile<1>, weight_grad_adam_tile<2>,
                                            weight_grad_adam_tile<3>, weight_grad_adam_tile<4>,
                                            weight_grad_adam_tile<5>, weight_grad_adam_tile<6>};

}  // namespace train_detail

void adam(std::size_t n, float* p, float* g, float* m, float* v, const AdamCoefficients& c) {
  const train_detail::AdamVectors k(c);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const F8 gi = load8(g + i);
    store8(g + i, zero8());  // zero_grad folded into the same pass
    train_detail::adam_update8(k, gi, p + i, m + i, v + i);
  }
  for (; i < n; ++i) {
    const float gi = g[i];
    g[i] = 0.0f;
    const float mi = std::fma(c.w1, gi - m[i], m[i]);
    const float vi = std::fma(c.w2, gi * gi, v[i] * c.b2);
    m[i] = mi;
    v[i] = vi;
    // (the tail with an exact division: within an ulp or two of the vector lanes)
    p[i] = std::fma(c.neg_step_size, mi / std::fma(std::sqrt(vi), c.inv_bc2_sqrt, c.eps), p[i]);
  }
}

void ff_hidden(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden, std::size_t hp,
               std::size_t v0, std::size_t v1, const float* w1t, const float* b1, float* h) {
  using namespace train_detail;
  const std::size_t w_stride = (v1 - v0) * kLanes;
  // Rows in blocks as even as six allows (32 = 6 + 6 + 5 + 5 + 5 + 5, not
  // 5 × 6 + 2): a tile of two rows has four FMA chains, too few to cover the
  // FMA's latency.
  const std::size_t blocks = (batch + kRowBlock - 1) / kRowBlock;
  for (std::size_t c = v0; c < v1; ++c) {
    const std::size_t live = std::min(kLanes, hidden > c * kLanes ? hidden - c * kLanes : 0);
    for (std::size_t b = 0, r0 = 0; b < blocks; ++b) {
      const std::size_t nr = batch / blocks + (b < batch % blocks ? 1 : 0);
      kHiddenTiles[nr - 1](x + r0, n_in, w1t + (c - v0) * kLanes, w_stride, b1 + c * kLanes, h + r0 * hp + c * kLanes,
                           hp, live);
      r0 += nr;
    }
  }
}

void ff_partial_logits(const float* h, std::size_t batch, std::size_t classes, std::size_t hp, std::size_t v0,
                       std::size_t v1, const float* w2, float* out) {
  for (std::size_t r = 0; r < batch; ++r)
    for (std::size_t c = 0; c < classes; ++c) {
      F8 acc = zero8();
      for (std::size_t i = v0 * kFusedLanes; i < v1 * kFusedLanes; i += 8)
        acc = fma8(load8(h + r * hp + i), load8(w2 + c * hp + i), acc);
      out[r * classes + c] = reduce_add8(acc);
    }
}

void ff_hidden_gradients(const float* h, const float* d_logits, std::size_t batch, std::size_t classes,
                         std::size_t hp, std::size_t v0, std::size_t v1, const float* w2, float* dz, float* g_b1,
                         float* g_w2) {
  const F8 one = set8(1.0f);
  const std::size_t i0 = v0 * kFusedLanes, i1 = v1 * kFusedLanes;
  for (std::size_t r = 0; r < batch; ++r)
    for (std::size_t i = i0; i < i1; i += 8) {
      F8 acc = zero8();
      for (std::size_t c = 0; c < classes; ++c) acc = fma8(set8(d_logits[r * classes + c]), load8(w2 + c * hp + i), acc);
      const F8 hv = load8(h + r * hp + i);
      store8(dz + r * hp + i, acc * (hv * (one - hv)));
    }
  for (std::size_t i = i0; i < i1; i += 8) {
    F8 acc = zero8();
    for (std::size_t r = 0; r < batch; ++r) acc = acc + load8(dz + r * hp + i);
    store8(g_b1 + i, acc);
  }
  for (std::size_t c = 0; c < classes; ++c)
    for (std::size_t i = i0; i < i1; i += 8) {
      F8 acc = zero8();
      for (std::size_t r = 0; r < batch; ++r) acc = fma8(set8(d_logits[r * classes + c]), load8(h + r * hp + i), acc);
      store8(g_w2 + c * hp + i, acc);
    }
}

void ff_first_layer_adam(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hp, std::size_t v0,
                         std::size_t v1, const float* dz, float* p, float* m, float* v, const AdamCoefficients& c) {
  using namespace train_detail;
  const AdamVectors adam_vectors(c);
  const std::size_t w_stride = (v1 - v0) * kLanes;
  for (std::size_t k0 = 0; k0 < n_in; k0 += kRowBlock) {
    const std::size_t nk = std::min(kRowBlock, n_in - k0);
    for (std::size_t col = v0; col < v1; ++col) {
      const std::size_t at = k0 * w_stride + (col - v0) * kLanes;
      kGradTiles[nk - 1](x, k0, batch, dz + col * kLanes, hp, p + at, m + at, v + at, w_stride, adam_vectors);
    }
  }
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
