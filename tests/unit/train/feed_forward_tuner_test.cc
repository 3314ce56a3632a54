#include "embetter/feed_forward_tuner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "embetter/threads.h"
#include "support/test_support.h"
#include "train/fused_feed_forward.h"
#include "train_test_data.h"

namespace emb {
namespace {

FeedForwardTunerParams small_params(std::uint64_t seed = 7) {
  FeedForwardTunerParams p;
  p.hidden_dim = 8;
  p.n_epochs = 20;
  p.batch_size = 16;
  p.random_state = seed;
  return p;
}

double accuracy(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t ok = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ok += a[i] == b[i];
  return static_cast<double>(ok) / static_cast<double>(a.size());
}

TEST(FeedForwardTuner, DefaultsAreTheOriginals) {
  const FeedForwardTunerParams p;
  EXPECT_EQ(p.hidden_dim, 50);
  EXPECT_EQ(p.n_epochs, 500);
  EXPECT_FLOAT_EQ(p.learning_rate, 0.01f);
  EXPECT_EQ(p.batch_size, 32);
  static_assert(std::is_same_v<ForwardFinetuner, FeedForwardTuner>);
}

TEST(FeedForwardTuner, LearnsSeparableClassesAndHeldOutAccuracyIsHigh) {
  auto train = test::make_blobs(3, 40, 16, 4.0f, 1);
  auto held_out = test::make_blobs(3, 40, 16, 4.0f, 1);  // same centres (same seed) ...
  {
    Rng rng(99);  // ... fresh noise
    for (std::size_t i = 0; i < held_out.X.size(); ++i) held_out.X.data()[i] += 0.3f * static_cast<float>(rng.normal());
  }
  FeedForwardTuner tuner(small_params());
  tuner.fit(train.X, train.y);
  EXPECT_EQ(tuner.classes(), (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  EXPECT_GE(accuracy(tuner.predict(train.X), train.y), 0.97);
  EXPECT_GE(accuracy(tuner.predict(held_out.X), held_out.y), 0.9);

  const Matrix hidden = tuner.transform(train.X);
  EXPECT_EQ(hidden.rows(), train.X.rows());
  EXPECT_EQ(hidden.cols(), 8u);
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    EXPECT_GT(hidden.data()[i], 0.0f);  // sigmoid range
    EXPECT_LT(hidden.data()[i], 1.0f);
  }
  const Matrix proba = tuner.predict_proba(train.X);
  ASSERT_EQ(proba.cols(), 3u);
  for (std::size_t r = 0; r < proba.rows(); ++r) {
    float sum = 0;
    for (float v : proba.row(r)) sum += v;
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
  }
}

TEST(FeedForwardTuner, SameSeedGivesBitwiseSameWeightsOtherSeedDoesNot) {
  const auto data = test::make_blobs(2, 30, 10, 3.0f, 2);
  FeedForwardTuner a(small_params(5)), b(small_params(5)), c(small_params(6));
  a.fit(data.X, data.y);
  b.fit(data.X, data.y);
  c.fit(data.X, data.y);
  EXPECT_EQ(a.flat_weights(), b.flat_weights());
  EXPECT_EQ(a.transform(data.X), b.transform(data.X));
  EXPECT_NE(a.flat_weights(), c.flat_weights());
  // Refitting restarts from the seed rather than continuing.
  a.fit(data.X, data.y);
  EXPECT_EQ(a.flat_weights(), b.flat_weights());
}

TEST(FeedForwardTuner, WithTheFusedStepTwoThreadsTrainBitwiseAsOne) {
  if (!train::fused_feed_forward_available())
    GTEST_SKIP() << "the generic level runs (a CPU without AVX2 or NEON, or EMB_ISA=generic): the portable step's "
                    "oneDNN products may sum in another order on another thread count, so it is bitwise "
                    "reproducible per thread count only (include/embetter/feed_forward_tuner.h, 'Reproducibility'); "
                    "its determinism per thread count is tested by FeedForwardTuner.PortableStep";
  // Large enough a step (128 inputs × 256 hidden × 32 rows) for a second thread.
  const auto data = test::make_blobs(2, 48, 128, 3.0f, 4);
  FeedForwardTunerParams p = small_params(3);
  p.hidden_dim = 250;
  p.batch_size = 32;
  p.n_epochs = 5;
  ASSERT_EQ(train::FusedFeedForwardTrainer::threads_for({128, 250, 2}, 32, 2), 2);
  const int before = num_threads();
  set_num_threads(1);
  FeedForwardTuner one(p);
  one.fit(data.X, data.y);
  set_num_threads(2);
  FeedForwardTuner two(p);
  two.fit(data.X, data.y);
  set_num_threads(before);
  EXPECT_EQ(one.flat_weights(), two.flat_weights());
}

TEST(FeedForwardTuner, InitialWeightsFollowPytorchsLinearInit) {
  const auto data = test::make_blobs(2, 10, 64, 3.0f, 3);
  auto p = small_params();
  p.hidden_dim = 32;
  p.n_epochs = 1;
  p.learning_rate = 1e-12f;  // one step that barely moves anything
  FeedForwardTuner tuner(p);
  tuner.partial_fit(data.X, data.y, {"class_0", "class_1"});
  const auto& w = tuner.flat_weights();
  ASSERT_EQ(w.size(), 64u * 32 + 32 + 32 * 2 + 2);
  const float bound1 = 1.0f / 8.0f, bound2 = 1.0f / std::sqrt(32.0f);
  float max1 = 0, max2 = 0;
  for (std::size_t i = 0; i < 64 * 32 + 32; ++i) max1 = std::max(max1, std::abs(w[i]));
  for (std::size_t i = 64 * 32 + 32; i < w.size(); ++i) max2 = std::max(max2, std::abs(w[i]));
  EXPECT_LE(max1, bound1 + 1e-6f);
  EXPECT_GT(max1, 0.95f * bound1);  // 2080 uniform draws come close to the bound
  EXPECT_LE(max2, bound2 + 1e-6f);
}

TEST(FeedForwardTuner, PartialFitContinuesWhereItStopped) {
  // Two partial_fit calls of k epochs equal one fit of 2k epochs bitwise, which
  // holds only if the weights, Adam's moments and step count, and the shuffling
  // stream all carry over between calls.
  const auto data = test::make_blobs(2, 25, 6, 3.0f, 4);
  auto p = small_params(21);
  p.n_epochs = 3;
  FeedForwardTuner twice(p);
  twice.partial_fit(data.X, data.y, {"class_1", "class_0"});
  const auto after_first = twice.flat_weights();
  twice.partial_fit(data.X, data.y);
  EXPECT_NE(twice.flat_weights(), after_first);
  EXPECT_EQ(twice.n_steps(), 2 * 3 * 4);  // 50 rows / batch 16 → 4 batches per epoch

  p.n_epochs = 6;
  FeedForwardTuner once(p);
  once.fit(data.X, data.y);
  EXPECT_EQ(once.flat_weights(), twice.flat_weights());
}

TEST(FeedForwardTuner, PartialFitAcceptsASubsetOfTheClassesInABatch) {
  const auto data = test::make_blobs(3, 10, 5, 3.0f, 5);
  std::vector<std::size_t> first_two;
  std::vector<std::string> y;
  for (std::size_t i = 0; i < data.y.size(); ++i)
    if (data.y[i] != "class_2") {
      first_two.push_back(i);
      y.push_back(data.y[i]);
    }
  FeedForwardTuner tuner(small_params());
  tuner.partial_fit(data.X.select_rows(first_two), y, {"class_0", "class_1", "class_2"});
  EXPECT_EQ(tuner.predict_proba(data.X).cols(), 3u);
}

TEST(FeedForwardTuner, ProgressIsReportedOncePerEpochAndCanCancel) {
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 6);
  auto p = small_params();
  p.n_epochs = 5;
  std::vector<std::size_t> seen;
  p.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 5u);
    seen.push_back(done);
    return true;
  };
  FeedForwardTuner(p).fit(data.X, data.y);
  EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 3, 4, 5}));

  p.progress = [](std::size_t done, std::size_t) { return done < 2; };
  EMB_EXPECT_THROW_WITH(FeedForwardTuner(p).fit(data.X, data.y), Interrupted, "interrupted at 2/5");
}

TEST(FeedForwardTuner, BadParametersAreRejectedByName) {
  auto p = small_params();
  p.hidden_dim = 0;
  EMB_EXPECT_THROW_WITH(FeedForwardTuner{p}, InvalidArgument, "hidden_dim");
  p = small_params();
  p.n_epochs = -1;
  EMB_EXPECT_THROW_WITH(FeedForwardTuner{p}, InvalidArgument, "n_epochs");
  p = small_params();
  p.batch_size = 0;
  EMB_EXPECT_THROW_WITH(FeedForwardTuner{p}, InvalidArgument, "batch_size");
  p = small_params();
  p.learning_rate = std::numeric_limits<float>::quiet_NaN();
  EMB_EXPECT_THROW_WITH(FeedForwardTuner{p}, InvalidArgument, "learning_rate");
}

TEST(FeedForwardTuner, BadInputGetsAClearError) {
  const auto data = test::make_blobs(2, 10, 4, 3.0f, 7);
  FeedForwardTuner tuner(small_params());

  // transform / predict before fit
  EMB_EXPECT_THROW_WITH(tuner.transform(data.X), NotFittedError, "not fitted");
  EMB_EXPECT_THROW_WITH(tuner.predict(data.X), NotFittedError, "not fitted");
  EMB_EXPECT_THROW_WITH(tuner.classes(), NotFittedError, "not fitted");

  // mismatched row counts
  auto short_y = data.y;
  short_y.pop_back();
  EMB_EXPECT_THROW_WITH(tuner.fit(data.X, short_y), InvalidArgument, "X has 20 rows but y has 19 labels");
  // empty input
  EMB_EXPECT_THROW_WITH(tuner.fit(Matrix(), {}), InvalidArgument, "X: expected a non-empty");
  // one class only
  EMB_EXPECT_THROW_WITH(tuner.fit(data.X, std::vector<std::string>(20, "spam")), InvalidArgument,
                    "expected at least 2 distinct classes, got 1 ('spam')");
  // NaN and infinity
  Matrix bad = data.X;
  bad(3, 2) = std::numeric_limits<float>::quiet_NaN();
  EMB_EXPECT_THROW_WITH(tuner.fit(bad, data.y), InvalidArgument, "X: expected finite values, found nan at row 3");
  bad(3, 2) = -std::numeric_limits<float>::infinity();
  EMB_EXPECT_THROW_WITH(tuner.fit(bad, data.y), InvalidArgument, "found -inf at row 3");
  // partial_fit needs the classes the first time; unknown labels later
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, data.y), InvalidArgument, "classes must be given on the first call");
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, data.y, {"class_0"}), InvalidArgument, "at least 2 distinct classes");
  EXPECT_FALSE(tuner.fitted());  // failed calls leave nothing half-initialised

  tuner.fit(data.X, data.y);
  auto unknown = data.y;
  unknown[4] = "class_9";
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, unknown), InvalidArgument, "unknown label 'class_9' at position 4");
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(data.X, data.y, {"class_0", "class_1", "class_2"}), InvalidArgument,
                    "classes differ");
  // wrong feature count at transform and partial_fit
  const Matrix wide(3, 5);
  EMB_EXPECT_THROW_WITH(tuner.transform(wide), InvalidArgument, "X has 5 features per row, but the tuner was fitted on 4");
  EMB_EXPECT_THROW_WITH(tuner.partial_fit(wide, {"class_0", "class_1", "class_0"}), InvalidArgument,
                    "X has 5 features per row");
  EMB_EXPECT_THROW_WITH(tuner.transform(bad), InvalidArgument, "expected finite values");
}

}  // namespace
}  // namespace emb
