#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/eigen.h"
#include "embetter/contrastive.h"
#include "embetter/error.h"
#include "train/adam.h"
#include "train/contrastive_net.h"
#include "train/minibatch.h"
#include "train/validation.h"

namespace emb {
namespace {

train::ContrastiveShape shape_of(std::size_t n_features, const ContrastiveLearnerParams& p) {
  return {static_cast<Eigen::Index>(n_features), p.shape_out};
}

}  // namespace

ContrastiveLearner::ContrastiveLearner(ContrastiveLearnerParams params)
    : params_(std::move(params)), rng_(params_.random_state) {
  train::check_positive(params_.shape_out, "shape_out");
  train::check_positive(params_.batch_size, "batch_size");
  train::check_positive(params_.epochs, "epochs");
  train::check_positive_real(params_.learning_rate, "learning_rate");
}

void ContrastiveLearner::check_fitted(const char* method) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "ContrastiveLearner.", method,
               ": this learner is not fitted yet; call fit or partial_fit first");
}

void ContrastiveLearner::check_features(const Matrix& X, const char* what, const char* method) const {
  EMB_CHECK(X.cols() == n_features_, "ContrastiveLearner.", method, ": ", what, " has ", X.cols(),
            " features per row, but the learner was fitted on ", n_features_);
}

void ContrastiveLearner::initialise(std::size_t n_features) {
  n_features_ = n_features;
  const auto shape = shape_of(n_features, params_);
  weights_.assign(static_cast<std::size_t>(shape.n_params()), 0.0f);
  for (const auto& slot : shape.slots()) train::init_linear(slot, weights_.data(), rng_);
  adam_m_.assign(weights_.size(), 0.0f);
  adam_v_.assign(weights_.size(), 0.0f);
  adam_step_ = 0;
}

ContrastiveLearner& ContrastiveLearner::fit(const Matrix& X1, const Matrix& X2, const std::vector<float>& y) {
  weights_.clear();
  rng_ = Rng(params_.random_state);
  return partial_fit(X1, X2, y);
}

ContrastiveLearner& ContrastiveLearner::partial_fit(const Matrix& X1, const Matrix& X2, const std::vector<float>& y) {
  check_finite_nonempty(X1, "X1");
  check_finite_nonempty(X2, "X2");
  EMB_CHECK(X1.rows() == X2.rows() && X1.cols() == X2.cols(), "ContrastiveLearner.fit: X2 has shape (", X2.rows(),
            ", ", X2.cols(), "); expected the shape of X1 (", X1.rows(), ", ", X1.cols(), ")");
  EMB_CHECK(y.size() == X1.rows(), "ContrastiveLearner.fit: X1 has ", X1.rows(), " rows but y has ", y.size(),
            " values; expected one similarity per pair");
  for (std::size_t i = 0; i < y.size(); ++i)
    EMB_CHECK(std::isfinite(y[i]), "y: expected finite similarities, found ", y[i], " at position ", i);
  if (!fitted())
    initialise(X1.cols());
  else
    check_features(X1, "X1", "partial_fit");

  std::vector<std::uint32_t> rows(y.size());
  std::iota(rows.begin(), rows.end(), std::uint32_t{0});
  train_pairs(X1, X2, rows, rows, y);
  return *this;
}

// Each batch gathers the distinct rows its pairs use into one matrix (a row
// of `first_rows` is told apart from a row of `second_rows` unless both are the
// same matrix) and trains on the pairs as indices into it.
void ContrastiveLearner::train_pairs(const Matrix& first_rows, const Matrix& second_rows,
                                     std::span<const std::uint32_t> first, std::span<const std::uint32_t> second,
                                     const std::vector<float>& y) {
  const auto shape = shape_of(n_features_, params_);
  const std::size_t n = y.size(), cols = first_rows.cols();
  const bool shared = &first_rows == &second_rows;
  const std::size_t second_offset = shared ? 0 : first_rows.rows();
  const auto batch_size = std::min<std::size_t>(static_cast<std::size_t>(params_.batch_size), n);
  const train::AdamHyper hyper{.lr = params_.learning_rate};
  // Allocated once per call.
  train::ContrastiveWorkspace<float> ws(shape, static_cast<Eigen::Index>(batch_size));
  RowMatrixXf distinct(2 * static_cast<Eigen::Index>(batch_size), shape.n_in);
  std::vector<std::int64_t> slot(second_offset + second_rows.rows(), -1);  // row key → row of `distinct`
  std::vector<std::size_t> keys;
  keys.reserve(2 * batch_size);
  std::vector<std::uint32_t> batch_first(batch_size), batch_second(batch_size);
  std::vector<float> batch_y(batch_size), grads(weights_.size());
  train::EpochOrder order(n);

  auto place = [&](std::size_t key) {
    if (slot[key] < 0) {
      slot[key] = static_cast<std::int64_t>(keys.size());
      const Matrix& from = key < second_offset ? first_rows : second_rows;
      const std::size_t row = key < second_offset ? key : key - second_offset;
      std::copy_n(from.row(row).data(), cols, distinct.row(static_cast<Eigen::Index>(keys.size())).data());
      keys.push_back(key);
    }
    return static_cast<std::uint32_t>(slot[key]);
  };
  for (int epoch = 0; epoch < params_.epochs; ++epoch) {
    order.shuffle(rng_);
    for (std::size_t start = 0; start < n; start += batch_size) {
      const auto idx = order.batch(start, batch_size);
      const std::size_t B = idx.size();
      for (std::size_t i = 0; i < B; ++i) batch_first[i] = place(first[idx[i]]);
      for (std::size_t i = 0; i < B; ++i) batch_second[i] = place(second_offset + second[idx[i]]);
      for (std::size_t i = 0; i < B; ++i) batch_y[i] = y[idx[i]];
      train::contrastive_loss_and_grads<float>(shape, weights_.data(),
                                               distinct.topRows(static_cast<Eigen::Index>(keys.size())),
                                               std::span<const std::uint32_t>(batch_first.data(), B),
                                               std::span<const std::uint32_t>(batch_second.data(), B),
                                               std::span<const float>(batch_y.data(), B), grads.data(), ws);
      train::adam_step(hyper, ++adam_step_, weights_, grads, adam_m_, adam_v_);
      for (const std::size_t key : keys) slot[key] = -1;
      keys.clear();
    }
    report_progress(params_.progress, static_cast<std::size_t>(epoch + 1), static_cast<std::size_t>(params_.epochs),
                    "ContrastiveLearner.fit");
  }
}

Matrix ContrastiveLearner::transform(const Matrix& X) const {
  check_fitted("transform");
  check_finite_nonempty(X, "X");
  check_features(X, "X", "transform");
  const auto shape = shape_of(n_features_, params_);
  RowMatrixXf hidden(static_cast<Eigen::Index>(X.rows()), shape.n_out);
  Matrix out(X.rows(), static_cast<std::size_t>(shape.n_out));
  train::contrastive_embed(shape, weights_.data(), as_eigen(X), hidden, as_eigen(out));
  return out;
}

std::vector<float> ContrastiveLearner::predict(const Matrix& X1, const Matrix& X2) const {
  check_fitted("predict");
  EMB_CHECK(X1.rows() == X2.rows(), "ContrastiveLearner.predict: X1 has ", X1.rows(), " rows but X2 has ", X2.rows(),
            "; expected one pair per row");
  check_finite_nonempty(X1, "X1");
  check_finite_nonempty(X2, "X2");
  check_features(X1, "X1", "predict");
  check_features(X2, "X2", "predict");
  const Matrix e1 = transform(X1), e2 = transform(X2);
  return train::rowwise_cosine(as_eigen(e1), as_eigen(e2));
}

}  // namespace emb
