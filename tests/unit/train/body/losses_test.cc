// The pair losses of body finetuning: small cases worked out by hand, central
// finite differences for every gradient, torch's clamped-norm behaviour on a
// zero row, and the argument errors. (tests/python/test_body_optim.py
// compares values and gradients with torch itself.)
#include "train/body/losses.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "embetter/error.h"
#include "embetter/random.h"
#include "support/test_support.h"

namespace emb::train::body {
namespace {

Matrix rows(std::size_t n, std::size_t d, std::vector<float> values) { return Matrix(n, d, std::move(values)); }

Matrix random_matrix(std::size_t n, std::size_t d, std::uint64_t seed) {
  Rng rng(seed);
  Matrix m(n, d);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

using LossFn = std::function<float(const Matrix&, const Matrix&, Matrix&, Matrix&)>;

/// Compares each gradient element with a central difference of the loss
/// (float loss, so the step is large enough that rounding stays ~1e-4 of it).
void expect_gradients_match_finite_differences(const LossFn& loss, Matrix a, Matrix b) {
  Matrix grad_a, grad_b, scratch_a, scratch_b;
  loss(a, b, grad_a, grad_b);
  constexpr float h = 1e-3f;
  auto check = [&](Matrix& x, const Matrix& grad, const char* which) {
    for (std::size_t k = 0; k < x.size(); ++k) {
      const float saved = x.data()[k];
      x.data()[k] = saved + h;
      const double up = loss(a, b, scratch_a, scratch_b);
      x.data()[k] = saved - h;
      const double down = loss(a, b, scratch_a, scratch_b);
      x.data()[k] = saved;
      const double numeric = (up - down) / (2.0 * h);
      EXPECT_NEAR(grad.data()[k], numeric, 2e-4 + 2e-3 * std::abs(numeric)) << which << "[" << k << "]";
    }
  };
  check(a, grad_a, "a");
  check(b, grad_b, "b");
}

TEST(CosineSimilarityLoss, HandComputedCases) {
  Matrix ga, gb;
  // Orthogonal pair labelled 1: cos 0, loss (0 − 1)² = 1. dL/dcos = −2, and
  // d cos/da = (b̂ − cos·â)/‖a‖ = (0, 1).
  EXPECT_FLOAT_EQ(cosine_similarity_loss(rows(1, 2, {1, 0}), rows(1, 2, {0, 1}), std::vector<float>{1}, ga, gb), 1.0f);
  EXPECT_FLOAT_EQ(ga(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(ga(0, 1), -2.0f);
  EXPECT_FLOAT_EQ(gb(0, 0), -2.0f);
  EXPECT_FLOAT_EQ(gb(0, 1), 0.0f);

  // Two pairs: identical rows labelled 1 (no loss, no gradient) and
  // (3, 4)·(4, −3) = 0 labelled 0.5: mean of 0 and 0.25. dL/dcos = 2(0 − 0.5)/2 = −0.5;
  // d cos/da = b̂/‖a‖ = (0.8, −0.6)/5.
  const float loss = cosine_similarity_loss(rows(2, 2, {3, 4, 3, 4}), rows(2, 2, {3, 4, 4, -3}),
                                            std::vector<float>{1, 0.5f}, ga, gb);
  EXPECT_FLOAT_EQ(loss, 0.125f);
  EXPECT_NEAR(ga(0, 0), 0.0f, 1e-8f);
  EXPECT_NEAR(ga(0, 1), 0.0f, 1e-8f);
  EXPECT_FLOAT_EQ(ga(1, 0), -0.5f * 0.8f / 5.0f);
  EXPECT_FLOAT_EQ(ga(1, 1), -0.5f * -0.6f / 5.0f);
  EXPECT_FLOAT_EQ(gb(1, 0), -0.5f * 0.6f / 5.0f);
  EXPECT_FLOAT_EQ(gb(1, 1), -0.5f * 0.8f / 5.0f);
}

TEST(CosineSimilarityLoss, ZeroRowFollowsTorchsClampedNorm) {
  // torch.cosine_similarity clamps ‖a‖ = 0 to 1e-8 outside autograd: cos = 0
  // and the gradient is dL/dcos · b̂ / 1e-8 (the norm's own gradient is 0 at 0).
  Matrix ga, gb;
  const float loss =
      cosine_similarity_loss(rows(1, 3, {0, 0, 0}), rows(1, 3, {1, 2, 2}), std::vector<float>{0.5f}, ga, gb);
  EXPECT_FLOAT_EQ(loss, 0.25f);
  const float dcos = 2.0f * (0.0f - 0.5f);
  EXPECT_FLOAT_EQ(ga(0, 0), dcos * (1.0f / 3.0f) / 1e-8f);
  EXPECT_FLOAT_EQ(ga(0, 1), dcos * (2.0f / 3.0f) / 1e-8f);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(gb(0, k), 0.0f) << "â = 0: b gets no gradient";
}

TEST(CosineSimilarityLoss, GradientsMatchFiniteDifferences) {
  const std::vector<float> labels = {0.0f, 1.0f, 0.3f, 0.9f, 0.5f};
  expect_gradients_match_finite_differences(
      [&](const Matrix& a, const Matrix& b, Matrix& ga, Matrix& gb) {
        return cosine_similarity_loss(a, b, labels, ga, gb);
      },
      random_matrix(5, 7, 1), random_matrix(5, 7, 2));
}

TEST(ContrastiveLoss, HandComputedCases) {
  Matrix ga, gb;
  // Orthogonal: distance 1. Similar pair: 0.5·1² = 0.5; dissimilar: 1 > margin, 0.
  EXPECT_FLOAT_EQ(contrastive_loss(rows(1, 2, {1, 0}), rows(1, 2, {0, 1}), std::vector<float>{1}, ga, gb), 0.5f);
  // dL/dd = d = 1, dd/dcos = −1, dcos/da = (0, 1).
  EXPECT_FLOAT_EQ(ga(0, 1), -1.0f);
  EXPECT_FLOAT_EQ(contrastive_loss(rows(1, 2, {1, 0}), rows(1, 2, {0, 1}), std::vector<float>{0}, ga, gb), 0.0f);
  EXPECT_EQ(ga(0, 0), 0.0f);
  EXPECT_EQ(ga(0, 1), 0.0f);

  // (1, 0) and (1, 1): cos = 1/√2, d = 1 − 1/√2 ≈ 0.2929 < 0.5. Dissimilar
  // pair: 0.5·(0.5 − d)². Mean with a similar identical pair (loss 0).
  const double d = 1.0 - 1.0 / std::sqrt(2.0);
  const float loss =
      contrastive_loss(rows(2, 2, {1, 0, 2, 2}), rows(2, 2, {1, 1, 2, 2}), std::vector<float>{0, 1}, ga, gb);
  EXPECT_NEAR(loss, 0.5 * 0.5 * (0.5 - d) * (0.5 - d), 1e-7);
  // dL/dcos = (0.5 − d)/2; dcos/da = (b̂ − cos·â)/‖a‖ = (1/√2 − 1/√2, 1/√2) = (0, 1/√2).
  EXPECT_NEAR(ga(0, 0), 0.0, 1e-7);
  EXPECT_NEAR(ga(0, 1), (0.5 - d) / 2.0 / std::sqrt(2.0), 1e-7);
}

TEST(ContrastiveLoss, GradientsMatchFiniteDifferences) {
  const std::vector<float> labels = {0, 1, 1, 0, 0, 1};
  // Scaled so that some dissimilar pairs sit inside the margin and some outside.
  Matrix a = random_matrix(6, 4, 3), b = random_matrix(6, 4, 4);
  for (std::size_t k = 0; k < 4; ++k) b(3, k) = a(3, k) + 0.3f * b(3, k);
  expect_gradients_match_finite_differences(
      [&](const Matrix& x, const Matrix& y, Matrix& gx, Matrix& gy) { return contrastive_loss(x, y, labels, gx, gy); },
      a, b);
}

TEST(MultipleNegativesRankingLoss, HandComputedCase) {
  // Orthonormal anchors equal to their positives, scale 1: scores = I, every
  // row's loss is log(e + 1) − 1. Softmax row 0 = (e, 1)/(e + 1).
  Matrix ga, gb;
  const Matrix eye = rows(2, 2, {1, 0, 0, 1});
  const float loss = multiple_negatives_ranking_loss(eye, eye, ga, gb, 1.0f);
  const double e = std::exp(1.0);
  EXPECT_NEAR(loss, std::log(e + 1.0) - 1.0, 1e-7);
  // dL/dscores row 0 = (p0 − 1, p1)/2 = (−1, 1)/(2(e + 1)); the anchor's
  // gradient is that times the positives, minus its radial part.
  const double g = 1.0 / (2.0 * (e + 1.0));
  EXPECT_NEAR(ga(0, 0), 0.0, 1e-7);
  EXPECT_NEAR(ga(0, 1), g, 1e-7);
  EXPECT_NEAR(ga(1, 0), g, 1e-7);
  EXPECT_NEAR(ga(1, 1), 0.0, 1e-7);
  EXPECT_NEAR(gb(0, 1), g, 1e-7);
}

TEST(MultipleNegativesRankingLoss, BatchOfOneHasNoLoss) {
  Matrix ga, gb;
  EXPECT_EQ(multiple_negatives_ranking_loss(rows(1, 3, {1, 2, 3}), rows(1, 3, {-1, 0, 2}), ga, gb), 0.0f);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(ga(0, k), 0.0f);
    EXPECT_EQ(gb(0, k), 0.0f);
  }
}

TEST(MultipleNegativesRankingLoss, GradientsMatchFiniteDifferences) {
  // Scale 2 keeps the finite differences' truncation error small; the default
  // scale is compared with torch in Python.
  const LossFn loss = [](const Matrix& a, const Matrix& b, Matrix& ga, Matrix& gb) {
    return multiple_negatives_ranking_loss(a, b, ga, gb, 2.0f);
  };
  expect_gradients_match_finite_differences(loss, random_matrix(4, 5, 5), random_matrix(4, 5, 6));
  // With a block of hard negatives: 4 anchors, 8 candidates.
  expect_gradients_match_finite_differences(loss, random_matrix(4, 5, 7), random_matrix(8, 5, 8));
}

TEST(PairLoss, DispatchesOnTheKind) {
  const Matrix a = random_matrix(3, 4, 9), b = random_matrix(3, 4, 10);
  const std::vector<float> labels = {1, 0, 1};
  Matrix ga, gb, ha, hb;
  EXPECT_EQ(pair_loss(PairLoss::CosineSimilarity, a, b, labels, ga, gb), cosine_similarity_loss(a, b, labels, ha, hb));
  EXPECT_EQ(pair_loss(PairLoss::Contrastive, a, b, labels, ga, gb), contrastive_loss(a, b, labels, ha, hb));
  EXPECT_EQ(pair_loss(PairLoss::MultipleNegativesRanking, a, b, {}, ga, gb),
            multiple_negatives_ranking_loss(a, b, ha, hb));
  EXPECT_EQ(ga, ha);
  EXPECT_EQ(gb, hb);
}

TEST(Losses, RejectBadArgumentsNamingThem) {
  const Matrix a = random_matrix(3, 4, 11), b = random_matrix(3, 4, 12);
  Matrix ga, gb;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(a, b, std::vector<float>{0, 1.5f, 0}, ga, gb), InvalidArgument,
                        "cosine_similarity_loss: labels[1] is 1.5; expected a similarity score in [0, 1]");
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(a, b, std::vector<float>{0, 1, nan}, ga, gb), InvalidArgument,
                        "labels[2] is nan");
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(a, b, std::vector<float>{-0.1f, 1, 0}, ga, gb), InvalidArgument,
                        "labels[0] is -0.1");
  EMB_EXPECT_THROW_WITH(contrastive_loss(a, b, std::vector<float>{0, 1, 0.5f}, ga, gb), InvalidArgument,
                        "contrastive_loss: labels[2] is 0.5; expected 0 (dissimilar pair) or 1 (similar pair)");
  EMB_EXPECT_THROW_WITH(contrastive_loss(a, b, std::vector<float>{0, 1}, ga, gb), InvalidArgument,
                        "labels has 2 values for 3 pairs");
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(a, random_matrix(2, 4, 13), std::vector<float>{0, 1, 0}, ga, gb),
                        InvalidArgument, "a has 3 rows but b has 2; expected the same shape");
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(a, random_matrix(3, 5, 13), std::vector<float>{0, 1, 0}, ga, gb),
                        InvalidArgument, "a is 3 x 4 and b is 3 x 5; expected embeddings of the same non-zero width");
  EMB_EXPECT_THROW_WITH(cosine_similarity_loss(Matrix(0, 4), Matrix(0, 4), {}, ga, gb), InvalidArgument,
                        "empty batch (a has 0 rows)");
  EMB_EXPECT_THROW_WITH(multiple_negatives_ranking_loss(a, random_matrix(5, 4, 14), ga, gb), InvalidArgument,
                        "candidates has 5 rows for 3 anchors; expected a multiple of 3");
  EMB_EXPECT_THROW_WITH(multiple_negatives_ranking_loss(a, random_matrix(2, 4, 14), ga, gb), InvalidArgument,
                        "candidates has 2 rows for 3 anchors");
}

}  // namespace
}  // namespace emb::train::body
