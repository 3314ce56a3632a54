// The fused training step, at every level that has it (AVX2, AVX-512, NEON),
// against the portable one
// (feed_forward_loss_and_grads + adam_step), which the finite-difference tests
// check: same gradients (read from Adam's first moment after one step), same
// updates, and the same trajectory over several steps, on shapes that exercise
// every tile edge (hidden units not a multiple of 16, batches not a multiple
// of 8, inputs not a multiple of 8).
#include "train/fused_feed_forward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "embetter/random.h"
#include "train/minibatch.h"

namespace emb::train {
namespace {

struct Model {
  std::vector<float> params, m, v;
};

Model initial_model(const FeedForwardShape& shape, Rng& rng) {
  Model model;
  model.params.resize(static_cast<std::size_t>(shape.n_params()));
  for (const auto& slot : shape.slots()) init_linear(slot, model.params.data(), rng);
  model.m.assign(model.params.size(), 0.0f);
  model.v.assign(model.params.size(), 0.0f);
  return model;
}

/// Steps of the portable path over the same rows: gather, gradients, Adam.
void portable_steps(const FeedForwardShape& shape, const RowMat<float>& X, const std::vector<std::int32_t>& y,
                    const std::vector<std::vector<std::size_t>>& batches, const AdamHyper& hyper, Model& model,
                    FeedForwardObjective objective = FeedForwardObjective::sigmoid_cross_entropy) {
  FeedForwardWorkspace<float> ws(shape, X.rows());
  std::vector<float> grads(model.params.size());
  std::int64_t step = 0;
  for (const auto& rows : batches) {
    RowMat<float> batch_X(static_cast<Eigen::Index>(rows.size()), shape.n_in);
    gather_rows(X.data(), static_cast<std::size_t>(X.cols()), rows, batch_X.data());
    std::vector<std::int32_t> batch_y;
    for (const auto r : rows) batch_y.push_back(y[r]);
    feed_forward_loss_and_grads<float>(shape, objective, model.params.data(), batch_X, batch_y, grads.data(), ws);
    adam_step(hyper, ++step, model.params, grads, model.m, model.v);
  }
}

void fused_steps(const FeedForwardShape& shape, const RowMat<float>& X, const std::vector<std::int32_t>& y,
                 const std::vector<std::vector<std::size_t>>& batches, const AdamHyper& hyper, Model& model,
                 Isa isa, int threads = 1,
                 FeedForwardObjective objective = FeedForwardObjective::sigmoid_cross_entropy) {
  FusedFeedForwardTrainer trainer(shape, static_cast<std::size_t>(X.rows()), model.params, model.m, model.v,
                                  objective, threads, isa);
  std::int64_t step = 0;
  for (const auto& rows : batches) {
    std::vector<std::int32_t> batch_y;
    for (const auto r : rows) batch_y.push_back(y[r]);
    trainer.step(X.data(), rows, batch_y, hyper, ++step);
  }
  trainer.store(model.params, model.m, model.v);
}

struct Problem {
  FeedForwardShape shape;
  RowMat<float> X;
  std::vector<std::int32_t> y;
};

Problem make_problem(Eigen::Index n_in, Eigen::Index hidden, Eigen::Index classes, Eigen::Index rows, Rng& rng) {
  Problem p{{n_in, hidden, classes}, RowMat<float>(rows, n_in), {}};
  for (Eigen::Index i = 0; i < p.X.size(); ++i) p.X.data()[i] = static_cast<float>(rng.normal());
  for (Eigen::Index i = 0; i < rows; ++i) p.y.push_back(static_cast<std::int32_t>(rng.uniform_int(classes)));
  return p;
}

// Every level this CPU runs that has the fused kernels (the generic level
// has none: the tuner runs the portable step there).
std::vector<Isa> fused_levels() {
  std::vector<Isa> out;
  for (Isa isa : runnable_isas())
    if (fused_feed_forward_available(isa)) out.push_back(isa);
  return out;
}

class FusedFeedForward : public ::testing::TestWithParam<Isa> {};

TEST_P(FusedFeedForward, OneStepHasThePortableGradientAndUpdate) {
  Rng rng(3);
  // 37 inputs (4 blocks of 8 and 5), 21 hidden (2 vectors, 11 padded lanes),
  // 3 classes, 19 rows (2 blocks of 8 and 3).
  const Problem p = make_problem(37, 21, 3, 19, rng);
  std::vector<std::size_t> rows(19);
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  std::reverse(rows.begin(), rows.end());  // rows picked out of order, as minibatches are
  const AdamHyper hyper{.lr = 1e-3f};
  const Model initial = initial_model(p.shape, rng);
  for (const auto objective : {FeedForwardObjective::sigmoid_cross_entropy, FeedForwardObjective::softmax_cross_entropy}) {
    SCOPED_TRACE(objective_name(objective));
    Model portable = initial, fused = initial;
    portable_steps(p.shape, p.X, p.y, {rows}, hyper, portable, objective);
    fused_steps(p.shape, p.X, p.y, {rows}, hyper, fused, GetParam(), 1, objective);
    // After one step from zero moments, m = (1 − β1) · gradient.
    float largest = 0.0f;
    for (const float m : portable.m) largest = std::max(largest, std::abs(m) / 0.1f);
    std::size_t tiny = 0;
    for (std::size_t i = 0; i < portable.params.size(); ++i) {
      const float g = portable.m[i] / 0.1f, g_fused = fused.m[i] / 0.1f;
      // Float sums of 19 rows in a different order: relative error ~1e-6 of
      // the largest terms.
      ASSERT_NEAR(g_fused, g, 1e-5f * (std::abs(g) + 1e-2f * largest)) << "gradient of parameter " << i;
      ASSERT_NEAR(fused.v[i], portable.v[i], 1e-12f + 1e-5f * portable.v[i]) << "parameter " << i;
      // The update is ±lr·g/(|g| + eps): a gradient within rounding of 0
      // could flip it, so those (a few: the sigmoid objective's gradients
      // fade where its outputs saturate) are only counted.
      if (std::abs(g) < 1e-4f * largest) {
        ++tiny;
        continue;
      }
      ASSERT_NEAR(fused.params[i], portable.params[i], 1e-6f) << "parameter " << i;
    }
    EXPECT_LT(tiny, portable.params.size() / 20);
  }
}

TEST_P(FusedFeedForward, StepsFollowThePortableTrajectory) {
  Rng rng(5);
  // 384 inputs and 200 hidden units as the benchmark; batches of 32 and a last one of 8.
  const Problem p = make_problem(384, 200, 2, 72, rng);
  EpochOrder order(72);
  std::vector<std::vector<std::size_t>> batches;
  for (int epoch = 0; epoch < 4; ++epoch) {
    order.shuffle(rng);
    for (std::size_t start = 0; start < 72; start += 32) {
      const auto b = order.batch(start, 32);
      batches.emplace_back(b.begin(), b.end());
    }
  }
  const AdamHyper hyper{.lr = 1e-2f};
  Model portable = initial_model(p.shape, rng), fused = portable;
  portable_steps(p.shape, p.X, p.y, batches, hyper, portable);
  fused_steps(p.shape, p.X, p.y, batches, hyper, fused, GetParam());
  // The paths differ by rounding only, but Adam divides by √v: where a
  // gradient stays within ~1e-5 of zero (saturated units), rounding moves the
  // update visibly. So: nearly every parameter within 1e-5, every one within
  // 1e-3 (12 steps of lr = 0.01 could move a parameter by 0.12).
  std::size_t close = 0;
  for (std::size_t i = 0; i < portable.params.size(); ++i) {
    const float diff = std::abs(fused.params[i] - portable.params[i]);
    ASSERT_LT(diff, 1e-3f) << "parameter " << i;
    close += diff < 1e-5f;
  }
  EXPECT_GT(static_cast<double>(close), 0.999 * static_cast<double>(portable.params.size()));
}

std::vector<std::vector<std::size_t>> shuffled_batches(std::size_t rows, std::size_t batch, int epochs, Rng& rng) {
  EpochOrder order(rows);
  std::vector<std::vector<std::size_t>> batches;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    order.shuffle(rng);
    for (std::size_t start = 0; start < rows; start += batch) {
      const auto b = order.batch(start, batch);
      batches.emplace_back(b.begin(), b.end());
    }
  }
  return batches;
}

TEST_P(FusedFeedForward, TwoThreadsGiveBitwiseWhatOneGives) {
  Rng rng(11);
  for (const Eigen::Index hidden : {200, 33, 17}) {  // parts of 7 + 6, 2 + 1 and 1 + 1 vectors
    const Problem p = make_problem(100, hidden, 3, 50, rng);
    const auto batches = shuffled_batches(50, 16, 3, rng);
    const AdamHyper hyper{.lr = 1e-2f};
    Model one = initial_model(p.shape, rng), two = one;
    fused_steps(p.shape, p.X, p.y, batches, hyper, one, GetParam(), 1);
    fused_steps(p.shape, p.X, p.y, batches, hyper, two, GetParam(), 2);
    EXPECT_EQ(one.params, two.params) << "hidden " << hidden;
    EXPECT_EQ(one.m, two.m) << "hidden " << hidden;
    EXPECT_EQ(one.v, two.v) << "hidden " << hidden;
  }
}

TEST_P(FusedFeedForward, AWorkerThreadStopsWhenTheTrainerGoesAway) {
  Rng rng(12);
  const Problem p = make_problem(64, 40, 2, 20, rng);
  Model model = initial_model(p.shape, rng);
  for (int steps : {0, 1, 4}) {
    FusedFeedForwardTrainer trainer(p.shape, 20, model.params, model.m, model.v,
                                    FeedForwardObjective::sigmoid_cross_entropy, 2, GetParam());
    std::vector<std::size_t> rows(20);
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    for (int s = 1; s <= steps; ++s) trainer.step(p.X.data(), rows, p.y, AdamHyper{}, s);
  }  // the destructor joins the worker, whatever step it was at
  SUCCEED();
}

TEST_P(FusedFeedForward, StoreRoundTripsTheTunersLayout) {
  Rng rng(9);
  const FeedForwardShape shape{13, 17, 4};
  Model model = initial_model(shape, rng);
  for (auto& x : model.m) x = static_cast<float>(rng.normal());
  for (auto& x : model.v) x = static_cast<float>(rng.uniform(0.0, 1.0));
  FusedFeedForwardTrainer trainer(shape, 4, model.params, model.m, model.v,
                                  FeedForwardObjective::sigmoid_cross_entropy, 1, GetParam());
  Model back{std::vector<float>(model.params.size()), std::vector<float>(model.m.size()),
             std::vector<float>(model.v.size())};
  trainer.store(back.params, back.m, back.v);
  EXPECT_EQ(back.params, model.params);
  EXPECT_EQ(back.m, model.m);
  EXPECT_EQ(back.v, model.v);
}

// An AVX2 machine runs the avx2 variant, an AVX-512 one avx2 and avx512, an
// ARM one neon; a CPU with none of them instantiates nothing here, and
// FeedForwardTuner's tests cover its portable step.
INSTANTIATE_TEST_SUITE_P(Levels, FusedFeedForward, ::testing::ValuesIn(fused_levels()),
                         [](const ::testing::TestParamInfo<Isa>& level) { return std::string(isa_name(level.param)); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FusedFeedForward);

}  // namespace
}  // namespace emb::train
