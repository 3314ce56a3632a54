#include "embetter/contrastive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "embetter/feed_forward_tuner.h"
#include "support/test_support.h"
#include "train_test_data.h"

namespace emb {
namespace {

ContrastiveTunerParams tuner_params(std::uint64_t seed = 4) {
  ContrastiveTunerParams p;
  p.hidden_dim = 8;
  p.epochs = 30;
  p.learning_rate = 0.01f;
  p.batch_size = 32;
  p.random_state = seed;
  return p;
}

// Mean cosine between rows of the same class minus that between rows of different classes.
double cosine_gap(const Matrix& E, const std::vector<std::string>& y) {
  double same = 0, diff = 0;
  int n_same = 0, n_diff = 0;
  for (std::size_t i = 0; i < E.rows(); ++i)
    for (std::size_t j = i + 1; j < E.rows(); ++j) {
      double dot = 0, ni = 0, nj = 0;
      for (std::size_t k = 0; k < E.cols(); ++k) {
        dot += E(i, k) * E(j, k);
        ni += E(i, k) * E(i, k);
        nj += E(j, k) * E(j, k);
      }
      const double c = dot / std::sqrt(ni * nj);
      (y[i] == y[j] ? same : diff) += c;
      ++(y[i] == y[j] ? n_same : n_diff);
    }
  return same / n_same - diff / n_diff;
}

TEST(ContrastiveLearner, DefaultsAreTheOriginals) {
  const ContrastiveLearnerParams l;
  EXPECT_EQ(l.shape_out, 300);
  EXPECT_EQ(l.batch_size, 16);
  EXPECT_EQ(l.epochs, 1);
  EXPECT_FLOAT_EQ(l.learning_rate, 2e-5f);
  const ContrastiveTunerParams t;
  EXPECT_EQ(t.hidden_dim, 50);
  EXPECT_EQ(t.n_neg, 3);
  EXPECT_EQ(t.epochs, 20);
  EXPECT_FLOAT_EQ(t.learning_rate, 0.001f);
  EXPECT_EQ(t.batch_size, 256);
}

TEST(ContrastiveLearner, LearnsWhichPairsAreSimilar) {
  // Pairs are similar when both points lie on the same side of the first axis.
  Rng rng(5);
  const std::size_t n = 300, d = 6;
  Matrix X1(n, d), X2(n, d);
  std::vector<float> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < d; ++k) {
      X1(i, k) = static_cast<float>(rng.normal());
      X2(i, k) = static_cast<float>(rng.normal());
    }
    X1(i, 0) += X1(i, 0) > 0 ? 2.0f : -2.0f;
    X2(i, 0) += X2(i, 0) > 0 ? 2.0f : -2.0f;
    y[i] = (X1(i, 0) > 0) == (X2(i, 0) > 0) ? 1.0f : 0.0f;
  }
  ContrastiveLearnerParams p;
  p.shape_out = 16;
  p.epochs = 40;
  p.learning_rate = 0.01f;
  p.random_state = 1;
  ContrastiveLearner learner(p);
  learner.fit(X1, X2, y);
  const auto sim = learner.predict(X1, X2);
  ASSERT_EQ(sim.size(), n);
  int correct = 0;
  for (std::size_t i = 0; i < n; ++i) correct += (sim[i] > 0.5f) == (y[i] > 0.5f);
  EXPECT_GE(correct, static_cast<int>(0.95 * n));
  EXPECT_EQ(learner.transform(X1).cols(), 16u);
}

TEST(ContrastiveLearner, SameSeedBitwiseAndPartialFitContinues) {
  const auto data = test::make_blobs(2, 20, 5, 3.0f, 6);
  const Matrix X2 = data.X.select_rows(std::vector<std::size_t>{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14,
                                                                17, 16, 19, 18, 21, 20, 23, 22, 25, 24, 27, 26, 29,
                                                                28, 31, 30, 33, 32, 35, 34, 37, 36, 39, 38});
  const std::vector<float> y(40, 0.0f);
  ContrastiveLearnerParams p;
  p.shape_out = 4;
  p.epochs = 2;
  p.batch_size = 8;
  p.random_state = 8;
  ContrastiveLearner a(p), b(p);
  a.fit(data.X, X2, y);
  b.fit(data.X, X2, y);
  EXPECT_EQ(a.flat_weights(), b.flat_weights());
  EXPECT_EQ(a.n_steps(), 10);

  p.epochs = 1;
  ContrastiveLearner c(p);
  c.partial_fit(data.X, X2, y);
  c.partial_fit(data.X, X2, y);
  EXPECT_EQ(c.flat_weights(), a.flat_weights());
}

TEST(ContrastiveTuner, SeparatesClassesInItsEmbedding) {
  const auto data = test::make_blobs(3, 30, 12, 1.5f, 7);
  ContrastiveTuner tuner(tuner_params());
  tuner.fit(data.X, data.y);
  const Matrix E = tuner.transform(data.X);
  ASSERT_EQ(E.cols(), 8u);
  EXPECT_GT(cosine_gap(E, data.y), cosine_gap(data.X, data.y) + 0.3);
  EXPECT_EQ(tuner.classes().size(), 3u);
}

TEST(ContrastiveTuner, DeterministicUnderASeedAndPartialFitContinues) {
  const auto data = test::make_blobs(2, 15, 4, 2.0f, 8);
  auto p = tuner_params(11);
  p.epochs = 2;
  ContrastiveTuner a(p), b(p);
  a.fit(data.X, data.y);
  b.fit(data.X, data.y);
  EXPECT_EQ(a.learner().flat_weights(), b.learner().flat_weights());
  const auto steps = a.learner().n_steps();
  a.partial_fit(data.X, data.y);
  EXPECT_EQ(a.learner().n_steps(), 2 * steps);
  EXPECT_NE(a.learner().flat_weights(), b.learner().flat_weights());
}

TEST(ContrastiveIo, RoundTripsAreBitwiseAndKindsAreChecked) {
  const auto data = test::make_blobs(2, 15, 4, 2.0f, 9);
  auto p = tuner_params();
  p.epochs = 2;
  ContrastiveTuner tuner(p);
  tuner.fit(data.X, data.y);
  const auto path = test::temp_dir() / "contrastive.safetensors";
  tuner.save(path);
  const auto loaded = ContrastiveTuner::load(path);
  EXPECT_EQ(loaded.transform(data.X), tuner.transform(data.X));
  EXPECT_EQ(loaded.classes(), tuner.classes());
  EXPECT_EQ(loaded.params().n_neg, 3);
  EXPECT_EQ(loaded.params().hidden_dim, 8);
  EXPECT_EQ(ContrastiveTuner::from_bytes(tuner.to_bytes()).transform(data.X), tuner.transform(data.X));

  const auto& learner = tuner.learner();
  const auto learner_copy = ContrastiveLearner::from_bytes(learner.to_bytes());
  EXPECT_EQ(learner_copy.transform(data.X), learner.transform(data.X));
  EXPECT_EQ(learner_copy.params().shape_out, 8);
  EXPECT_EQ(learner_copy.n_steps(), learner.n_steps());

  EMB_EXPECT_THROW_WITH(ContrastiveLearner::load(path), ModelLoadError,
                    "holds a ContrastiveTuner; expected a ContrastiveLearner");
  EMB_EXPECT_THROW_WITH(FeedForwardTuner::load(path), ModelLoadError,
                    "holds a ContrastiveTuner; expected a FeedForwardTuner");
  FeedForwardTunerParams fp;
  fp.n_epochs = 1;
  const auto ff_path = test::temp_dir() / "ff.safetensors";
  FeedForwardTuner(fp).fit(data.X, data.y).save(ff_path);
  EMB_EXPECT_THROW_WITH(ContrastiveTuner::load(ff_path), ModelLoadError,
                    "holds a FeedForwardTuner; expected a ContrastiveTuner");
}

TEST(ContrastiveTuner, BadInputGetsAClearError) {
  const auto data = test::make_blobs(2, 10, 4, 2.0f, 10);
  ContrastiveTuner tuner(tuner_params());
  EMB_EXPECT_THROW_WITH(tuner.transform(data.X), NotFittedError, "not fitted");
  EMB_EXPECT_THROW_WITH(tuner.to_bytes(), NotFittedError, "not fitted");
  auto short_y = data.y;
  short_y.resize(5);
  EMB_EXPECT_THROW_WITH(tuner.fit(data.X, short_y), InvalidArgument, "X has 20 rows but y has 5 labels");
  EMB_EXPECT_THROW_WITH(tuner.fit(Matrix(0, 4), {}), InvalidArgument, "X: expected a non-empty");
  EMB_EXPECT_THROW_WITH(tuner.fit(data.X, std::vector<std::string>(20, "a")), InvalidArgument,
                    "expected at least 2 distinct classes");
  Matrix bad = data.X;
  bad(0, 0) = std::numeric_limits<float>::infinity();
  EMB_EXPECT_THROW_WITH(tuner.fit(bad, data.y), InvalidArgument, "X: expected finite values, found inf at row 0");
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, data.y), InvalidArgument, "classes must be given");
  EXPECT_FALSE(tuner.fitted());

  tuner.fit(data.X, data.y);
  auto unknown = data.y;
  unknown[2] = "nope";
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, unknown), InvalidArgument, "unknown label 'nope' at position 2");
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, std::vector<std::string>(20, "class_0")), InvalidArgument,
                    "at least 2 distinct classes");
  EMB_EXPECT_THROW_WITH(tuner.transform(Matrix(2, 7)), InvalidArgument, "X has 7 features per row");

  auto p = tuner_params();
  p.n_neg = -1;
  EMB_EXPECT_THROW_WITH(ContrastiveTuner{p}, InvalidArgument, "n_neg");
  p = tuner_params();
  p.hidden_dim = 0;
  EMB_EXPECT_THROW_WITH(ContrastiveTuner{p}, InvalidArgument, "hidden_dim");
}

TEST(ContrastiveLearner, BadInputGetsAClearError) {
  ContrastiveLearnerParams p;
  p.shape_out = 3;
  p.random_state = 1;
  ContrastiveLearner learner(p);
  const Matrix X(4, 2, {1, 2, 3, 4, 5, 6, 7, 8});
  EMB_EXPECT_THROW_WITH(learner.predict(X, X), NotFittedError, "not fitted");
  EMB_EXPECT_THROW_WITH(learner.fit(X, Matrix(4, 3), {1, 0, 1, 0}), InvalidArgument,
                    "X2 has shape (4, 3); expected the shape of X1 (4, 2)");
  EMB_EXPECT_THROW_WITH(learner.fit(X, X, {1, 0}), InvalidArgument, "X1 has 4 rows but y has 2 values");
  EMB_EXPECT_THROW_WITH(learner.fit(X, X, {1, 0, std::nanf(""), 0}), InvalidArgument,
                    "y: expected finite similarities, found nan at position 2");
  learner.fit(X, X, {1, 1, 1, 1});
  EMB_EXPECT_THROW_WITH(learner.predict(X, Matrix(3, 2)), InvalidArgument, "X1 has 4 rows but X2 has 3");
  EMB_EXPECT_THROW_WITH(learner.transform(Matrix(1, 5)), InvalidArgument, "X has 5 features per row");
  p.batch_size = 0;
  EMB_EXPECT_THROW_WITH(ContrastiveLearner{p}, InvalidArgument, "batch_size");
}

}  // namespace
}  // namespace emb
