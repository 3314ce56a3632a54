#pragma once
// The ContrastiveLearner's network as functions over a flat parameter buffer,
// templated on the scalar like feed_forward_net.h. One tower, shared by both
// inputs of a pair:  e = W2 · relu(W1 x + b1) + b2,
// loss = mean_i (cos(e1_i, e2_i) - y_i)²   (nn.MSELoss over nn.CosineSimilarity).
// The distinct rows of a batch's pairs run through the tower as one matrix, so
// the shared weights' gradient is summed over both towers by the products themselves.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "train/linear.h"

namespace emb::train {

struct ContrastiveShape {
  Eigen::Index n_in = 0, n_out = 0;

  std::array<LinearSlot, 2> slots() const { return pack_layers<2>({n_in, n_out, n_out}); }
  LinearSlot embed1() const { return slots()[0]; }
  LinearSlot embed2() const { return slots()[1]; }
  Eigen::Index n_params() const { return slots()[1].end(); }
};

/// torch.nn.CosineSimilarity's eps: each norm is clamped to at least this.
inline constexpr double kCosineEps = 1e-8;

/// Embeddings of the rows of X; `hidden` receives relu(W1 x + b1).
template <class T, class In, class Hidden, class Out>
void contrastive_embed(const ContrastiveShape& shape, const T* params, const In& X, Hidden&& hidden, Out&& out) {
  linear_forward(shape.embed1(), params, X, hidden);
  hidden = hidden.cwiseMax(T(0));
  linear_forward(shape.embed2(), params, hidden, out);
}

/// Buffers for one batch of up to `capacity` pairs (at most 2 × capacity
/// distinct tower rows).
template <class T>
struct ContrastiveWorkspace {
  RowMat<T> hidden, emb, d_emb, d_hidden;
  ContrastiveWorkspace(const ContrastiveShape& s, Eigen::Index capacity)
      : hidden(2 * capacity, s.n_out), emb(2 * capacity, s.n_out), d_emb(2 * capacity, s.n_out),
        d_hidden(2 * capacity, s.n_out) {}
};

/// Pair i joins rows first[i] and second[i] of X, with target similarity y[i].
/// X holds each distinct row of the batch once: a row that several pairs
/// share (the ContrastiveTuner's pairs reuse each example 2 + 2·n_neg times)
/// runs through the tower once, and its gradient sums what every pair sends
/// it, which is the gradient of the pairs' rows stacked, in fewer products.
/// Adds d(loss)/d(params) to `grads` and returns the loss (mean over pairs).
template <class T, class In>
T contrastive_loss_and_grads(const ContrastiveShape& shape, const T* params, const In& X,
                             std::span<const std::uint32_t> first, std::span<const std::uint32_t> second,
                             std::span<const T> y, T* grads, ContrastiveWorkspace<T>& ws) {
  const Eigen::Index rows = X.rows();
  const auto B = static_cast<Eigen::Index>(y.size());
  auto hidden = ws.hidden.topRows(rows);
  auto emb = ws.emb.topRows(rows);
  auto d_emb = ws.d_emb.topRows(rows);
  auto d_hidden = ws.d_hidden.topRows(rows);
  contrastive_embed(shape, params, X, hidden, emb);

  T loss = 0;
  const T eps = static_cast<T>(kCosineEps);
  d_emb.setZero();
  for (Eigen::Index i = 0; i < B; ++i) {
    const auto a = static_cast<Eigen::Index>(first[static_cast<std::size_t>(i)]);
    const auto b = static_cast<Eigen::Index>(second[static_cast<std::size_t>(i)]);
    const auto e1 = emb.row(a), e2 = emb.row(b);
    const T n1 = std::max(e1.norm(), eps), n2 = std::max(e2.norm(), eps);
    const T cos = e1.dot(e2) / (n1 * n2);
    const T diff = cos - y[static_cast<std::size_t>(i)];
    loss += diff * diff;
    // d cos / d e1 = (e2/n2 - cos e1/n1) / n1, and symmetrically for e2.
    const T d_cos = T(2) * diff / static_cast<T>(B);
    d_emb.row(a) += d_cos * (e2 / (n1 * n2) - cos * e1 / (n1 * n1));
    d_emb.row(b) += d_cos * (e1 / (n1 * n2) - cos * e2 / (n2 * n2));
  }

  add_linear_param_grads(shape.embed2(), grads, d_emb, hidden);
  d_hidden.noalias() = d_emb * shape.embed2().weight(params);
  // relu' = 1 where the pre-activation was positive, i.e. where the output is.
  d_hidden.array() *= (hidden.array() > T(0)).template cast<T>();
  add_linear_param_grads(shape.embed1(), grads, d_hidden, X);
  return loss / static_cast<T>(B);
}

/// torch.nn.CosineSimilarity(dim=1) between the rows of a and b.
template <class A, class Bm>
std::vector<float> rowwise_cosine(const A& a, const Bm& b) {
  std::vector<float> out(static_cast<std::size_t>(a.rows()));
  const float eps = static_cast<float>(kCosineEps);
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    out[static_cast<std::size_t>(i)] =
        (a.row(i) / std::max(a.row(i).norm(), eps)).dot(b.row(i) / std::max(b.row(i).norm(), eps));
  return out;
}

}  // namespace emb::train
