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
/// first column (h at its first row); w1t's rows are w_stride apart, h's h_stride. On the tile's last vector, lanes outside
/// `last` (past the hidden size) are set to 0, so the padding never reaches
/// the head or its gradient.
template <int R, int V>
EMB_TARGET_AVX512 void hidden_tile(const float* const* x, std::size_t n_in, const float* w1t, std::size_t w_stride,
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
      __m512 s = simd::sigmoid16(_mm512_add_ps(acc[r][c], _mm512_load_ps(b1 + c * kLanes)));
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
EMB_TARGET_AVX512 void weight_grad_adam_tile(const float* const* x, std::size_t k0, std::size_t batch,
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
#endif

FusedFeedForwardTrainer::FusedFeedForwardTrainer(const FeedForwardShape& shape, std::size_t max_batch,
                                                 std::span<const float> params, std::span<const float> m,
                                                 std::span<const float> v, int threads)
    : shape_(shape),
      layout_{static_cast<std::size_t>(shape.n_in), static_cast<std::size_t>(shape.n_hidden),
              static_cast<std::size_t>(shape.n_classes), padded(static_cast<std::size_t>(shape.n_hidden))} {
  EMB_ASSERT(fused_feed_forward_available());
  EMB_ASSERT(params.size() == static_cast<std::size_t>(shape.n_params()) && m.size() == params.size() &&
             v.size() == params.size());
  const std::size_t vectors = layout_.hp / kLanes, split = (vectors + 1) / 2;
  parts_[0].begin = 0;
  parts_[0].end = parts_[1].begin = split;
  parts_[1].end = vectors;
  params_.assign(layout_.size(), 0.0f);
  m_.assign(layout_.size(), 0.0f);
  v_.assign(layout_.size(), 0.0f);
  from_tuner_layout(params, params_.data());
  from_tuner_layout(m, m_.data());
  from_tuner_layout(v, v_.data());
  h_.assign(max_batch * layout_.hp, 0.0f);
  d_hidden_.assign(max_batch * layout_.hp, 0.0f);
  small_grads_.assign(layout_.b2() - layout_.b1(), 0.0f);

  const std::size_t classes = layout_.classes;
  for (auto& part : parts_) {
    part.b2.assign(params_.begin() + layout_.b2(), params_.end());
    part.m_b2.assign(m_.begin() + layout_.b2(), m_.end());
    part.v_b2.assign(v_.begin() + layout_.b2(), v_.end());
    part.g_b2.assign(classes, 0.0f);
    part.d_logits.assign(max_batch * classes, 0.0f);
  }
  for (auto& step : steps_) {
    step.rows.reserve(max_batch);
    step.y.reserve(max_batch);
  }
  for (auto& parity : partial_logits_)
    for (auto& part : parity) part.assign(max_batch * classes, 0.0f);
  if (threads >= 2 && split < vectors) worker_ = std::thread([this] { run_worker(); });
}

FusedFeedForwardTrainer::~FusedFeedForwardTrainer() { stop_worker(); }

std::size_t FusedFeedForwardTrainer::w1_index(std::size_t j) const {
  const Part& part = j < parts_[1].begin * kLanes ? parts_[0] : parts_[1];
  return layout_.n_in * part.begin * kLanes + (j - part.begin * kLanes);
}

std::size_t FusedFeedForwardTrainer::w1_stride(std::size_t j) const {
  const Part& part = j < parts_[1].begin * kLanes ? parts_[0] : parts_[1];
  return (part.end - part.begin) * kLanes;
}

int FusedFeedForwardTrainer::threads_for(const FeedForwardShape& shape, std::size_t max_batch, int available) {
  // Below ~10⁶ multiply-adds per step, two barriers per step cost more than
  // the second core gains.
  const std::size_t work = static_cast<std::size_t>(shape.n_in) * padded(static_cast<std::size_t>(shape.n_hidden)) *
                           max_batch;
  return available >= 2 && shape.n_hidden > static_cast<Eigen::Index>(kLanes) && work >= (std::size_t{1} << 20) ? 2
                                                                                                                 : 1;
}

void FusedFeedForwardTrainer::from_tuner_layout(std::span<const float> in, float* out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    const float* row = in.data() + first.weight_offset() + j * n_in;
    const std::size_t at = w1_index(j);
    const std::size_t stride = w1_stride(j);
    for (std::size_t k = 0; k < n_in; ++k) out[at + k * stride] = row[k];
    out[layout_.b1() + j] = in[static_cast<std::size_t>(first.bias_offset()) + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in.data() + head.weight_offset() + c * hidden, hidden, out + layout_.w2() + c * hp);
    out[layout_.b2() + c] = in[static_cast<std::size_t>(head.bias_offset()) + c];
  }
}

void FusedFeedForwardTrainer::to_tuner_layout(const float* in, std::span<const float> b2, std::span<float> out) const {
  const auto [n_in, hidden, classes, hp] = layout_;
  const auto first = shape_.hidden(), head = shape_.head();
  for (std::size_t j = 0; j < hidden; ++j) {
    float* row = out.data() + first.weight_offset() + j * n_in;
    const std::size_t at = w1_index(j);
    const std::size_t stride = w1_stride(j);
    for (std::size_t k = 0; k < n_in; ++k) row[k] = in[at + k * stride];
    out[static_cast<std::size_t>(first.bias_offset()) + j] = in[layout_.b1() + j];
  }
  for (std::size_t c = 0; c < classes; ++c) {
    std::copy_n(in + layout_.w2() + c * hp, hidden, out.data() + head.weight_offset() + c * hidden);
    out[static_cast<std::size_t>(head.bias_offset()) + c] = b2[c];
  }
}

void FusedFeedForwardTrainer::store(std::span<float> params, std::span<float> m, std::span<float> v) {
  stop_worker();
  // Both parts hold the same b2 (see Part); part 0's is the one stored.
  to_tuner_layout(params_.data(), parts_[0].b2, params);
  to_tuner_layout(m_.data(), parts_[0].m_b2, m);
  to_tuner_layout(v_.data(), parts_[0].v_b2, v);
}

#if EMB_X86_DISPATCH
namespace {

/// h = σ(x W1ᵀ + b1) for the batch's rows and the hidden vectors [v0, v1),
/// tile by tile. w1t: that part's block of W1ᵀ (n_in × (v1 − v0) vectors).
void hidden_layer(const float* const* x, std::size_t batch, std::size_t n_in, std::size_t hidden, std::size_t hp,
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
EMB_TARGET_AVX512 void partial_logits(const float* h, std::size_t batch, std::size_t classes, std::size_t hp,
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

/// dL/dlogits = (softmax(logits) − onehot) / batch for the mean cross-entropy,
/// logits = b2 + (first part's sums + second part's).
void logit_gradient(const float* first, const float* second, const float* b2, std::span<const std::int32_t> y,
                    std::size_t classes, float* d_logits) {
  const float batch_f = static_cast<float>(y.size());
  for (std::size_t r = 0; r < y.size(); ++r) {
    float* dl = d_logits + r * classes;
    float top = -std::numeric_limits<float>::infinity();
    for (std::size_t c = 0; c < classes; ++c) {
      dl[c] = b2[c] + (first[r * classes + c] + second[r * classes + c]);
      top = std::max(top, dl[c]);
    }
    float sum = 0.0f;
    for (std::size_t c = 0; c < classes; ++c) sum += (dl[c] = std::exp(dl[c] - top));
    for (std::size_t c = 0; c < classes; ++c) {
      const float onehot = c == static_cast<std::size_t>(y[r]) ? 1.0f : 0.0f;
      dl[c] = (dl[c] / sum - onehot) / batch_f;
    }
  }
}

/// For the hidden vectors [v0, v1): dz = (dL/dlogits · W2) ⊙ h(1 − h) and the
/// gradients of b1 and of W2's columns there (into g_b1 and g_w2, laid out as
/// b1 and W2).
EMB_TARGET_AVX512 void hidden_gradients(const float* h, const float* d_logits, std::size_t batch, std::size_t classes,
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
EMB_TARGET_AVX512 void first_layer_grad_adam(const float* const* x, std::size_t batch, std::size_t n_in,
                                             std::size_t hp, std::size_t v0, std::size_t v1, const float* dz, float* p,
                                             float* m, float* v, const AdamCoefficients& coefficients) {
  const AdamVectors adam(coefficients);
  const std::size_t w_stride = (v1 - v0) * kLanes;
  for (std::size_t k0 = 0; k0 < n_in; k0 += kInputBlock) {
    const std::size_t nk = std::min(kInputBlock, n_in - k0);
    for (std::size_t c0 = v0; c0 < v1; c0 += kVectorBlock) {
      const std::size_t nv = std::min(kVectorBlock, v1 - c0);
      const std::size_t at = k0 * w_stride + (c0 - v0) * kLanes;
      kGradTiles[nk - 1][nv - 1](x, k0, batch, dz + c0 * kLanes, hp, p + at, m + at, v + at, w_stride, adam);
    }
  }
}

}  // namespace

void FusedFeedForwardTrainer::forward_part(int index, const StepArgs& args) {
  const Part& part = parts_[static_cast<std::size_t>(index)];
  const auto [n_in, hidden, classes, hp] = layout_;
  const std::size_t batch = args.rows.size();
  const float* p = params_.data();
  hidden_layer(args.rows.data(), batch, n_in, hidden, hp, part.begin, part.end, p + n_in * part.begin * kLanes,
               p + layout_.b1(), h_.data());
  partial_logits(h_.data(), batch, classes, hp, part.begin, part.end, p + layout_.w2(),
                 partial_logits_[args.parity][static_cast<std::size_t>(index)].data());
}

void FusedFeedForwardTrainer::backward_part(int index, const StepArgs& args) {
  Part& part = parts_[static_cast<std::size_t>(index)];
  const auto [n_in, hidden, classes, hp] = layout_;
  const std::size_t batch = args.rows.size();
  const auto& partials = partial_logits_[args.parity];
  logit_gradient(partials[0].data(), partials[1].data(), part.b2.data(), args.y, classes, part.d_logits.data());

  float* p = params_.data();
  float* g_b1 = small_grads_.data();
  float* g_w2 = g_b1 + hp;
  hidden_gradients(h_.data(), part.d_logits.data(), batch, classes, hp, part.begin, part.end, p + layout_.w2(),
                   d_hidden_.data(), g_b1, g_w2);
  for (std::size_t c = 0; c < classes; ++c) {
    float sum = 0.0f;
    for (std::size_t r = 0; r < batch; ++r) sum += part.d_logits[r * classes + c];
    part.g_b2[c] = sum;
  }
  // Adam on this part's columns of b1 and W2, and on its copy of b2.
  const std::size_t begin = part.begin * kLanes, width = (part.end - part.begin) * kLanes;
  auto adam_on = [&](std::size_t offset, std::span<float> grads) {
    adam_update(args.adam, std::span<float>(p + offset, grads.size()), grads,
              std::span<float>(m_.data() + offset, grads.size()), std::span<float>(v_.data() + offset, grads.size()));
  };
  adam_on(layout_.b1() + begin, std::span<float>(g_b1 + begin, width));
  for (std::size_t c = 0; c < classes; ++c) adam_on(layout_.w2() + c * hp + begin, std::span<float>(g_w2 + c * hp + begin, width));
  adam_update(args.adam, part.b2, part.g_b2, part.m_b2, part.v_b2);

  const std::size_t w1 = n_in * part.begin * kLanes;  // this part's block of W1ᵀ
  first_layer_grad_adam(args.rows.data(), batch, n_in, hp, part.begin, part.end, d_hidden_.data(), p + w1,
                        m_.data() + w1, v_.data() + w1, args.adam);
}
#else
void FusedFeedForwardTrainer::forward_part(int, const StepArgs&) { EMB_ASSERT(false); }
void FusedFeedForwardTrainer::backward_part(int, const StepArgs&) { EMB_ASSERT(false); }
#endif

// With a worker, each step has two meeting points: (1) the step's arguments
// are published, (2) both parts' logit sums are written. The main thread does
// part 0, the worker part 1. Arguments and logit sums alternate between two
// buffers by step parity, so the main thread can publish step s + 1 while the
// worker is still finishing step s: by (1) of step s + 1 the worker has left
// step s − 1 behind, whose buffers step s + 1 reuses.
void FusedFeedForwardTrainer::step(const float* X, std::span<const std::size_t> rows,
                                   std::span<const std::int32_t> y, const AdamHyper& hyper, std::int64_t step) {
  EMB_ASSERT(!rows.empty() && rows.size() * layout_.hp <= h_.size() && y.size() == rows.size());
  StepArgs& args = steps_[step_count_ % 2];
  args.parity = step_count_ % 2;
  ++step_count_;
  args.rows.clear();
  for (const std::size_t r : rows) args.rows.push_back(X + r * layout_.n_in);
  args.y.assign(y.begin(), y.end());
  args.adam = adam_coefficients(hyper, step);
  if (worker_.joinable()) {
    meet_.arrive_and_wait();  // (1)
    forward_part(0, args);
    meet_.arrive_and_wait();  // (2)
    backward_part(0, args);
  } else {
    forward_part(0, args);
    forward_part(1, args);
    backward_part(0, args);
    backward_part(1, args);
  }
}

void FusedFeedForwardTrainer::run_worker() {
  for (std::size_t count = 0;; ++count) {
    meet_.arrive_and_wait();  // (1)
    const StepArgs& args = steps_[count % 2];
    if (args.stop) return;
    forward_part(1, args);
    meet_.arrive_and_wait();  // (2)
    backward_part(1, args);
  }
}

void FusedFeedForwardTrainer::stop_worker() {
  if (!worker_.joinable()) return;
  steps_[step_count_ % 2].stop = true;
  meet_.arrive_and_wait();  // (1): the worker reads `stop` and returns
  worker_.join();
}

}  // namespace emb::train
