#pragma once
// The FeedForwardTuner's network as plain functions over a flat parameter
// buffer, templated on the scalar so tests can run the same code in double
// (finite-difference gradient checks) while training runs in float.
//   z1 = X W1ᵀ + b1,  h = σ(z1),  z2 = h W2ᵀ + b2,
//   loss = mean_i CE(softmax(σ(z2_i)), y_i)   (sigmoid_cross_entropy, the original's)
//       or mean_i CE(softmax(z2_i), y_i)      (softmax_cross_entropy)
#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <span>

#include "embetter/feed_forward_tuner.h"
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

/// Replaces one row's logits (`classes` values) with d loss / d logits of the
/// objective for target class y, scaled by `scale` (1 / batch for a mean), and
/// returns that row's loss.
template <class T>
T objective_gradient(FeedForwardObjective objective, T* row, std::size_t classes, std::int32_t y, T scale) {
  using std::exp, std::log;
  // The values the softmax sees: the logits, or their sigmoids.
  const bool squash = objective == FeedForwardObjective::sigmoid_cross_entropy;
  if (squash)
    for (std::size_t c = 0; c < classes; ++c) row[c] = T(1) / (T(1) + exp(-row[c]));
  T top = row[0];
  for (std::size_t c = 1; c < classes; ++c) top = std::max(top, row[c]);
  T sum = 0;
  for (std::size_t c = 0; c < classes; ++c) sum += exp(row[c] - top);
  const T loss = log(sum) + top - row[y];
  for (std::size_t c = 0; c < classes; ++c) {
    const T d_input = exp(row[c] - top) / sum - (c == static_cast<std::size_t>(y) ? T(1) : T(0));
    // Through the sigmoid: σ' = σ(1 − σ), σ being what row[c] now holds.
    row[c] = scale * (squash ? d_input * row[c] * (T(1) - row[c]) : d_input);
  }
  return loss;
}

/// Buffers for one minibatch of up to `capacity` rows, allocated once per fit.
template <class T>
struct FeedForwardWorkspace {
  RowMat<T> h, logits, d_h;
  linalg::FusedLinearCache hidden_layers;
  FeedForwardWorkspace(const FeedForwardShape& s, Eigen::Index capacity)
      : h(capacity, s.n_hidden), logits(capacity, s.n_classes), d_h(capacity, s.n_hidden) {}
};

/// Forward and backward pass over the batch X (B rows) with class indices y.
/// Adds d(mean loss)/d(params) to `grads` and returns the mean loss.
template <class T, class In>
T feed_forward_loss_and_grads(const FeedForwardShape& shape, FeedForwardObjective objective, const T* params,
                              const In& X, std::span<const std::int32_t> y, T* grads, FeedForwardWorkspace<T>& ws) {
  const Eigen::Index B = X.rows();
  auto h = ws.h.topRows(B);
  auto d_logits = ws.logits.topRows(B);  // the logits, then d loss / d logits in place
  auto d_h = ws.d_h.topRows(B);

  feed_forward_hidden(shape, params, X, h, ws.hidden_layers);
  linear_forward(shape.head(), params, h, d_logits);
  T loss = 0;
  for (Eigen::Index i = 0; i < B; ++i)
    loss += objective_gradient<T>(objective, &d_logits(i, 0), static_cast<std::size_t>(shape.n_classes),
                                  y[static_cast<std::size_t>(i)], T(1) / static_cast<T>(B));

  add_linear_param_grads(shape.head(), grads, d_logits, h);
  d_h.noalias() = d_logits * shape.head().weight(params);
  d_h.array() *= h.array() * (T(1) - h.array());  // σ' = σ(1-σ)
  add_linear_param_grads(shape.hidden(), grads, d_h, X);
  return loss / static_cast<T>(B);
}

}  // namespace emb::train
