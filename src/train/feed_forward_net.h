#pragma once
// The FeedForwardTuner's network as plain functions over a flat parameter
// buffer, templated on the scalar so tests can run the same code in double
// (finite-difference gradient checks) while training runs in float.
//   z1 = X W1ᵀ + b1,  h = σ(z1),  z2 = h W2ᵀ + b2,  loss = mean_i CE(softmax(z2_i), y_i)
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <span>

#include "linalg/fused_linear.h"
#include "train/linear.h"

namespace emb::train {

struct FeedForwardShape {
  Eigen::Index n_in = 0, n_hidden = 0, n_classes = 0;

  std::array<LinearSlot, 2> slots() const { return pack_layers<2>({n_in, n_hidden, n_classes}); }
  LinearSlot hidden() const { return slots()[0]; }
  LinearSlot head() const { return slots()[1]; }
  Eigen::Index n_params() const { return slots()[1].end(); }
};

/// h = σ(X W1ᵀ + b1) for every row of X. In float, one fused oneDNN matmul
/// (from `layers`, built on first use); in double, Eigen.
template <class T, class In, class Out>
void feed_forward_hidden(const FeedForwardShape& shape, const T* params, const In& X, Out&& h,
                         linalg::FusedLinearCache& layers) {
  const auto slot = shape.hidden();
  if constexpr (std::is_same_v<T, float>) {
    static_assert(linalg::is_plain_row_major<In>() && linalg::is_plain_row_major<Out>());
    const auto& layer = layers.get(X.rows(), slot.in, slot.out, linalg::Activation::sigmoid, X.outerStride(),
                                   h.outerStride());
    layer(X.data(), params + slot.weight_offset(), params + slot.bias_offset(), h.data());
  } else {
    linear_forward(slot, params, X, h);
    h = (T(1) + (-h.array()).exp()).inverse().matrix();
  }
}

/// Row-wise softmax in place (max-shifted for stability).
template <class M>
void softmax_rows(M&& z) {
  for (Eigen::Index r = 0; r < z.rows(); ++r) {
    const auto shift = z.row(r).maxCoeff();
    z.row(r).array() = (z.row(r).array() - shift).exp();
    z.row(r) /= z.row(r).sum();
  }
}

/// Buffers for one minibatch of up to `capacity` rows, allocated once per fit.
template <class T>
struct FeedForwardWorkspace {
  RowMat<T> h, probs, d_h;
  linalg::FusedLinearCache hidden_layers;
  FeedForwardWorkspace(const FeedForwardShape& s, Eigen::Index capacity)
      : h(capacity, s.n_hidden), probs(capacity, s.n_classes), d_h(capacity, s.n_hidden) {}
};

/// Forward and backward pass over the batch X (B rows) with class indices y.
/// Adds d(mean cross-entropy)/d(params) to `grads` and returns the loss.
template <class T, class In>
T feed_forward_loss_and_grads(const FeedForwardShape& shape, const T* params, const In& X,
                              std::span<const std::int32_t> y, T* grads, FeedForwardWorkspace<T>& ws) {
  const Eigen::Index B = X.rows();
  auto h = ws.h.topRows(B);
  auto probs = ws.probs.topRows(B);
  auto d_h = ws.d_h.topRows(B);

  feed_forward_hidden(shape, params, X, h, ws.hidden_layers);
  linear_forward(shape.head(), params, h, probs);
  softmax_rows(probs);

  // d loss / d logits = (softmax - onehot) / B, written over the probabilities.
  T loss = 0;
  for (Eigen::Index i = 0; i < B; ++i) {
    loss -= std::log(probs(i, y[static_cast<std::size_t>(i)]));
    probs(i, y[static_cast<std::size_t>(i)]) -= T(1);
  }
  probs /= static_cast<T>(B);
  auto& d_logits = probs;

  add_linear_param_grads(shape.head(), grads, d_logits, h);
  d_h.noalias() = d_logits * shape.head().weight(params);
  d_h.array() *= h.array() * (T(1) - h.array());  // σ' = σ(1-σ)
  add_linear_param_grads(shape.hidden(), grads, d_h, X);
  return loss / static_cast<T>(B);
}

}  // namespace emb::train
