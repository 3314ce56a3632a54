// Backpropagation of the ContrastiveLearner's network (shared tower, cosine,
// MSE) against central finite differences in double.
#include "train/contrastive_net.h"

#include <gtest/gtest.h>

#include <vector>

#include "embetter/random.h"

namespace emb::train {
namespace {

TEST(ContrastiveNet, GradientsMatchFiniteDifferencesInDouble) {
  const ContrastiveShape shape{6, 4};
  const int B = 5;
  Rng rng(17);
  std::vector<double> params(static_cast<std::size_t>(shape.n_params()));
  for (auto& w : params) w = rng.normal();
  RowMat<double> X(2 * B, shape.n_in);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
  const std::vector<double> y = {1, 0, 0, 1, 0.5};

  // Pair i joins rows i and B + i.
  const std::vector<std::uint32_t> first = {0, 1, 2, 3, 4}, second = {5, 6, 7, 8, 9};

  ContrastiveWorkspace<double> ws(shape, B);
  auto loss_at = [&](const std::vector<double>& p) {
    std::vector<double> g(p.size());
    return contrastive_loss_and_grads<double>(shape, p.data(), X, first, second, y, g.data(), ws);
  };
  std::vector<double> grads(params.size());
  contrastive_loss_and_grads<double>(shape, params.data(), X, first, second, y, grads.data(), ws);

  const double h = 1e-6;
  int active = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto plus = params, minus = params;
    plus[i] += h;
    minus[i] -= h;
    const double numeric = (loss_at(plus) - loss_at(minus)) / (2 * h);
    // A ReLU kink within h of a pre-activation would spoil the difference; with
    // normal weights that has probability ~1e-6 and the seed is fixed.
    EXPECT_NEAR(grads[i], numeric, 1e-8 + 1e-6 * std::abs(numeric)) << "parameter " << i;
    active += grads[i] != 0;
  }
  EXPECT_GT(active, static_cast<int>(params.size()) / 2);  // the check is not vacuous
}

TEST(ContrastiveNet, SharedRowsGiveTheGradientOfTheirStackedCopies) {
  // Pairs over 3 distinct rows, each used several times and once with
  // itself: as indices into the 3 rows, and as 2 × 6 stacked copies.
  const ContrastiveShape shape{5, 4};
  Rng rng(23);
  std::vector<double> params(static_cast<std::size_t>(shape.n_params()));
  for (auto& w : params) w = rng.normal();
  RowMat<double> rows(3, shape.n_in);
  for (Eigen::Index i = 0; i < rows.size(); ++i) rows.data()[i] = rng.normal();
  const std::vector<std::uint32_t> first = {0, 0, 1, 2, 2, 1}, second = {1, 2, 2, 0, 2, 0};
  const std::vector<double> y = {1, 0, 0.5, 0, 1, 1};
  const auto B = static_cast<Eigen::Index>(y.size());
  RowMat<double> stacked(2 * B, shape.n_in);
  std::vector<std::uint32_t> top(y.size()), bottom(y.size());
  for (Eigen::Index i = 0; i < B; ++i) {
    stacked.row(i) = rows.row(first[static_cast<std::size_t>(i)]);
    stacked.row(B + i) = rows.row(second[static_cast<std::size_t>(i)]);
    top[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(i);
    bottom[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(B + i);
  }
  ContrastiveWorkspace<double> ws(shape, B);
  std::vector<double> shared(params.size()), copies(params.size());
  const double loss_shared =
      contrastive_loss_and_grads<double>(shape, params.data(), rows, first, second, y, shared.data(), ws);
  const double loss_copies =
      contrastive_loss_and_grads<double>(shape, params.data(), stacked, top, bottom, y, copies.data(), ws);
  EXPECT_NEAR(loss_shared, loss_copies, 1e-14);
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_NEAR(shared[i], copies[i], 1e-12) << "parameter " << i;
}

TEST(ContrastiveNet, CosineMatchesTorchDefinition) {
  RowMat<float> a(3, 2), b(3, 2);
  a << 1, 0, 3, 4, 0, 0;
  b << 0, 2, 6, 8, 1, 1;
  const auto cos = rowwise_cosine(a, b);
  EXPECT_FLOAT_EQ(cos[0], 0.0f);
  EXPECT_FLOAT_EQ(cos[1], 1.0f);
  EXPECT_FLOAT_EQ(cos[2], 0.0f);  // a zero vector: norm clamped to eps, no NaN
}

}  // namespace
}  // namespace emb::train
