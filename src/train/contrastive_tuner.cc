#include "core/eigen.h"
#include "embetter/contrastive.h"
#include "embetter/error.h"
#include "train/pairs.h"
#include "train/validation.h"

namespace emb {
namespace {

ContrastiveLearnerParams learner_params(const ContrastiveTunerParams& p, RandomState seed) {
  ContrastiveLearnerParams lp;
  lp.shape_out = p.hidden_dim;
  lp.batch_size = p.batch_size;
  lp.epochs = p.epochs;
  lp.learning_rate = p.learning_rate;
  lp.random_state = seed;
  lp.progress = p.progress;
  return lp;
}

// The learner's weights and shuffles get their own stream, derived from the
// tuner's seed, so that drawing pairs does not shift them.
RandomState learner_seed(const RandomState& seed) {
  if (!seed) return std::nullopt;
  return Rng(*seed).spawn_seed();
}

}  // namespace

// Checked here, under the tuner's own parameter names, before the learner sees them.
static ContrastiveTunerParams checked(ContrastiveTunerParams p) {
  train::check_positive(p.hidden_dim, "hidden_dim");
  EMB_CHECK(p.n_neg >= 0, "n_neg: expected a non-negative integer, got ", p.n_neg);
  train::check_positive(p.epochs, "epochs");
  train::check_positive_real(p.learning_rate, "learning_rate");
  train::check_positive(p.batch_size, "batch_size");
  return p;
}

ContrastiveTuner::ContrastiveTuner(ContrastiveTunerParams params)
    : params_(checked(std::move(params))),
      learner_(learner_params(params_, learner_seed(params_.random_state))),
      rng_(params_.random_state) {}

const std::vector<std::string>& ContrastiveTuner::classes() const {
  EMB_CHECK_AS(NotFittedError, fitted(), "ContrastiveTuner.classes: this tuner is not fitted yet; call fit first");
  return classes_.classes();
}

ContrastiveTuner& ContrastiveTuner::fit(const Matrix& X, const std::vector<std::string>& y) {
  train::check_X_y(X, y, "ContrastiveTuner.fit");
  LabelEncoder classes;
  classes.fit(y);
  train::check_two_classes(classes, "ContrastiveTuner.fit: y");
  rng_ = Rng(params_.random_state);
  learner_ = ContrastiveLearner(learner_params(params_, learner_seed(params_.random_state)));
  classes_ = LabelEncoder();
  return partial_fit(X, y, classes.classes());
}

ContrastiveTuner& ContrastiveTuner::partial_fit(const Matrix& X, const std::vector<std::string>& y,
                                                const std::vector<std::string>& classes) {
  train::check_X_y(X, y, "ContrastiveTuner.partial_fit");
  LabelEncoder encoder = classes_;
  if (!fitted()) {
    EMB_CHECK(!classes.empty(), "ContrastiveTuner.partial_fit: classes must be given on the first call ",
              "(the full list of labels the tuner will ever see)");
    encoder = LabelEncoder::from_classes(classes);
    train::check_two_classes(encoder, "ContrastiveTuner.partial_fit: classes");
  } else {
    EMB_CHECK(X.cols() == learner_.n_features_in(), "ContrastiveTuner.partial_fit: X has ", X.cols(),
              " features per row, but the tuner was fitted on ", learner_.n_features_in());
    EMB_CHECK(classes.empty() || LabelEncoder::from_classes(classes).classes() == classes_.classes(),
              "ContrastiveTuner.partial_fit: classes differ from those of the first call; expected the same list ",
              "or none");
  }
  const auto targets = encoder.transform(y, "ContrastiveTuner.partial_fit: y");
  const auto pairs = train::generate_pairs(targets, params_.n_neg, rng_);

  std::vector<std::uint32_t> first(pairs.size()), second(pairs.size());
  std::vector<float> similarity(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    first[i] = pairs[i].first;
    second[i] = pairs[i].second;
    similarity[i] = pairs[i].label;
  }
  // X was checked above (check_X_y, and its width against the learner's).
  if (!learner_.fitted()) learner_.initialise(X.cols());
  // Classes first: fitted() follows the learner, which may be left trained part-way (Interrupted).
  classes_ = std::move(encoder);
  learner_.train_pairs(X, X, first, second, similarity);
  return *this;
}

std::vector<ContrastiveTuner::LabelledPair> ContrastiveTuner::draw_pairs(const std::vector<std::string>& y) {
  LabelEncoder labels;
  labels.fit(y);
  train::check_two_classes(labels, "ContrastiveTuner.generate_batch: y");
  std::vector<LabelledPair> out;
  for (const auto& p : train::generate_pairs(labels.transform(y, "y"), params_.n_neg, rng_))
    out.push_back({p.first, p.second, p.label});
  return out;
}

Matrix ContrastiveTuner::transform(const Matrix& X) const {
  EMB_CHECK_AS(NotFittedError, fitted(), "ContrastiveTuner.transform: this tuner is not fitted yet; call fit first");
  EMB_CHECK(X.cols() == learner_.n_features_in() || X.empty(), "ContrastiveTuner.transform: X has ", X.cols(),
            " features per row, but the tuner was fitted on ", learner_.n_features_in());
  return learner_.transform(X);
}

}  // namespace emb
