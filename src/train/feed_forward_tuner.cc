#include "embetter/feed_forward_tuner.h"

#include <algorithm>

#include "core/eigen.h"
#include "embetter/error.h"
#include "embetter/threads.h"
#include "train/adam.h"
#include "train/feed_forward_net.h"
#include "train/fused_feed_forward.h"
#include "train/minibatch.h"
#include "train/validation.h"

namespace emb {
namespace {

train::FeedForwardShape shape_of(std::size_t n_features, const FeedForwardTunerParams& p, std::size_t n_classes) {
  return {static_cast<Eigen::Index>(n_features), p.hidden_dim, static_cast<Eigen::Index>(n_classes)};
}

}  // namespace

const char* objective_name(FeedForwardObjective objective) {
  return objective == FeedForwardObjective::sigmoid_cross_entropy ? "sigmoid_ce" : "softmax_ce";
}

FeedForwardObjective parse_feed_forward_objective(const std::string& name, const char* what) {
  for (const auto objective : {FeedForwardObjective::sigmoid_cross_entropy, FeedForwardObjective::softmax_cross_entropy})
    if (name == objective_name(objective)) return objective;
  throw InvalidArgument(detail::concat(what, " is '", name,
                                       "'; expected 'sigmoid_ce' (the original embetter's) or 'softmax_ce'"));
}

FeedForwardTuner::FeedForwardTuner(FeedForwardTunerParams params)
    : params_(std::move(params)), rng_(params_.random_state) {
  train::check_positive(params_.hidden_dim, "hidden_dim");
  train::check_positive(params_.n_epochs, "n_epochs");
  train::check_positive_real(params_.learning_rate, "learning_rate");
  train::check_positive(params_.batch_size, "batch_size");
}

const std::vector<std::string>& FeedForwardTuner::classes() const {
  check_fitted("classes");
  return classes_.classes();
}

void FeedForwardTuner::check_fitted(const char* method) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "FeedForwardTuner.", method,
               ": this tuner is not fitted yet; call fit or partial_fit first");
}

void FeedForwardTuner::check_features(const Matrix& X, const char* method) const {
  EMB_CHECK(X.cols() == n_features_, "FeedForwardTuner.", method, ": X has ", X.cols(),
            " features per row, but the tuner was fitted on ", n_features_);
}

void FeedForwardTuner::initialise(std::size_t n_features, LabelEncoder classes) {
  classes_ = std::move(classes);
  n_features_ = n_features;
  const auto shape = shape_of(n_features, params_, classes_.num_classes());
  weights_.assign(static_cast<std::size_t>(shape.n_params()), 0.0f);
  for (const auto& slot : shape.slots()) train::init_linear(slot, weights_.data(), rng_);
  adam_m_.assign(weights_.size(), 0.0f);
  adam_v_.assign(weights_.size(), 0.0f);
  adam_step_ = 0;
}

FeedForwardTuner& FeedForwardTuner::fit(const Matrix& X, const std::vector<std::string>& y) {
  train::check_X_y(X, y, "FeedForwardTuner.fit");
  LabelEncoder classes;
  classes.fit(y);
  train::check_two_classes(classes, "FeedForwardTuner.fit: y");
  weights_.clear();
  rng_ = TorchGenerator(params_.random_state);
  return partial_fit(X, y, classes.classes());
}

FeedForwardTuner& FeedForwardTuner::partial_fit(const Matrix& X, const std::vector<std::string>& y,
                                                const std::vector<std::string>& classes) {
  train::check_X_y(X, y, "FeedForwardTuner.partial_fit");
  if (!fitted()) {
    EMB_CHECK(!classes.empty(), "FeedForwardTuner.partial_fit: classes must be given on the first call ",
              "(the full list of labels the tuner will ever see)");
    auto encoder = LabelEncoder::from_classes(classes);
    train::check_two_classes(encoder, "FeedForwardTuner.partial_fit: classes");
    initialise(X.cols(), std::move(encoder));
  } else {
    check_features(X, "partial_fit");
    if (!classes.empty()) {
      EMB_CHECK(LabelEncoder::from_classes(classes).classes() == classes_.classes(),
                "FeedForwardTuner.partial_fit: classes differ from those of the first call; ",
                "expected the same list or none");
    }
  }
  const std::vector<std::int32_t> targets = classes_.transform(y, "FeedForwardTuner.partial_fit: y");

  const auto batch_size = std::min<std::size_t>(static_cast<std::size_t>(params_.batch_size), X.rows());
  if (train::fused_feed_forward_available()) {
    train_fused(X, targets, batch_size);
  } else {
    train_generic(X, targets, batch_size);
  }
  return *this;
}

// Both loops draw the same minibatches from rng_; they differ only in how a
// step is computed (train/fused_feed_forward.h says why there are two).
void FeedForwardTuner::train_fused(const Matrix& X, const std::vector<std::int32_t>& targets, std::size_t batch_size) {
  const auto shape = shape_of(n_features_, params_, classes_.num_classes());
  const train::AdamHyper hyper{.lr = params_.learning_rate};
  train::FusedFeedForwardTrainer trainer(shape, batch_size, weights_, adam_m_, adam_v_, params_.objective,
                                         train::FusedFeedForwardTrainer::threads_for(shape, batch_size, num_threads()));
  std::vector<std::int32_t> batch_y(batch_size);
  train::EpochOrder order(X.rows());
  for (int epoch = 0; epoch < params_.n_epochs; ++epoch) {
    order.shuffle(rng_);
    for (std::size_t start = 0; start < X.rows(); start += batch_size) {
      const auto idx = order.batch(start, batch_size);
      for (std::size_t i = 0; i < idx.size(); ++i) batch_y[i] = targets[idx[i]];
      trainer.step(X.data(), idx, std::span<const std::int32_t>(batch_y.data(), idx.size()), hyper, ++adam_step_);
    }
    try {
      report_progress(params_.progress, static_cast<std::size_t>(epoch + 1), static_cast<std::size_t>(params_.n_epochs),
                      "FeedForwardTuner.fit");
    } catch (...) {
      // A cancelled fit keeps the epochs it finished, as the generic loop
      // (which trains in place) does.
      trainer.store(weights_, adam_m_, adam_v_);
      throw;
    }
  }
  trainer.store(weights_, adam_m_, adam_v_);
}

void FeedForwardTuner::train_generic(const Matrix& X, const std::vector<std::int32_t>& targets, std::size_t batch_size) {
  const auto shape = shape_of(n_features_, params_, classes_.num_classes());
  const train::AdamHyper hyper{.lr = params_.learning_rate};
  // Everything a step touches is allocated here, once per call.
  train::FeedForwardWorkspace<float> ws(shape, static_cast<Eigen::Index>(batch_size));
  RowMatrixXf batch_X(static_cast<Eigen::Index>(batch_size), shape.n_in);
  std::vector<std::int32_t> batch_y(batch_size);
  std::vector<float> grads(weights_.size());
  train::EpochOrder order(X.rows());

  for (int epoch = 0; epoch < params_.n_epochs; ++epoch) {
    order.shuffle(rng_);
    for (std::size_t start = 0; start < X.rows(); start += batch_size) {
      const auto idx = order.batch(start, batch_size);
      train::gather_rows(X.data(), X.cols(), idx, batch_X.data());
      for (std::size_t i = 0; i < idx.size(); ++i) batch_y[i] = targets[idx[i]];
      train::feed_forward_loss_and_grads<float>(shape, params_.objective, weights_.data(),
                                                batch_X.topRows(static_cast<Eigen::Index>(idx.size())),
                                                std::span<const std::int32_t>(batch_y.data(), idx.size()),
                                                grads.data(), ws);
      train::adam_step(hyper, ++adam_step_, weights_, grads, adam_m_, adam_v_);
    }
    report_progress(params_.progress, static_cast<std::size_t>(epoch + 1), static_cast<std::size_t>(params_.n_epochs),
                    "FeedForwardTuner.fit");
  }
}

Matrix FeedForwardTuner::transform(const Matrix& X) const {
  check_fitted("transform");
  check_finite_nonempty(X, "X");
  check_features(X, "transform");
  const auto shape = shape_of(n_features_, params_, classes_.num_classes());
  Matrix out(X.rows(), static_cast<std::size_t>(shape.n_hidden));
  linalg::FusedLinearCache layers;
  train::feed_forward_hidden(shape, weights_.data(), as_eigen(X), as_eigen(out), layers);
  return out;
}

Matrix FeedForwardTuner::predict_proba(const Matrix& X) const {
  const Matrix hidden = transform(X);
  const auto shape = shape_of(n_features_, params_, classes_.num_classes());
  Matrix out(X.rows(), classes_.num_classes());
  train::linear_forward(shape.head(), weights_.data(), as_eigen(hidden), as_eigen(out));
  train::softmax_rows(as_eigen(out));
  return out;
}

std::vector<std::string> FeedForwardTuner::predict(const Matrix& X) const {
  const Matrix proba = predict_proba(X);
  std::vector<std::string> out;
  out.reserve(proba.rows());
  for (std::size_t r = 0; r < proba.rows(); ++r) {
    const auto row = proba.row(r);
    const auto best = std::max_element(row.begin(), row.end()) - row.begin();
    out.push_back(classes_.inverse(static_cast<std::int32_t>(best)));
  }
  return out;
}

}  // namespace emb
