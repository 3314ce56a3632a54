#include "embetter/pca.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "embetter/error.h"
#include "embetter/random.h"
#include "oracle_files.h"

namespace emb {
namespace {

using test::read_table;

// Largest |a - b| / max(1, |b|): absolute for small values, relative for large
// ones (the golden is computed in float32 by sklearn).
double max_scaled_diff(const Matrix& ours, const test::Table& golden) {
  EXPECT_EQ(ours.rows(), golden.rows);
  EXPECT_EQ(ours.cols(), golden.cols);
  double worst = 0;
  for (std::size_t i = 0; i < std::min(ours.size(), golden.values.size()); ++i)
    worst = std::max(worst, std::fabs(ours.data()[i] - golden.values[i]) / std::max(1.0, std::fabs(golden.values[i])));
  return worst;
}

double max_scaled_diff(const std::vector<float>& ours, const test::Table& golden) {
  return max_scaled_diff(Matrix(ours.size(), 1, ours), golden);
}

Matrix random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Rng rng(seed);
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

class PcaMatchesSklearn : public ::testing::TestWithParam<const char*> {};

TEST_P(PcaMatchesSklearn, ComponentsTransformAndVariance) {
  const std::string name = GetParam();
  EMB_REQUIRE_FIXTURE(test::linalg_golden(name + "_X"));
  const Matrix X = read_table(name + "_X").matrix();
  const auto components = read_table(name + "_components");
  Pca pca(static_cast<int>(components.rows));
  const Matrix Z = pca.fit_transform(X);

  EXPECT_LT(max_scaled_diff(pca.components(), components), 1e-4);
  EXPECT_LT(max_scaled_diff(Z, read_table(name + "_transform")), 1e-4);
  EXPECT_LT(max_scaled_diff(pca.mean(), read_table(name + "_mean")), 1e-5);
  EXPECT_LT(max_scaled_diff(pca.explained_variance_ratio(), read_table(name + "_explained_variance_ratio")), 1e-5);
  const auto variance = read_table(name + "_explained_variance");
  const auto ours = pca.explained_variance();
  for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], variance.values[i], 1e-4 * variance.values[i]);
  const auto singular = read_table(name + "_singular_values");
  const auto ours_s = pca.singular_values();
  for (std::size_t i = 0; i < ours_s.size(); ++i) EXPECT_NEAR(ours_s[i], singular.values[i], 1e-4 * singular.values[i]);
}

// gauss: sklearn's 'covariance_eigh' solver; wide: 'full' (n < d, our SVD
// path); digits: real data; embed: 2000 × 384, sklearn's 'randomized' solver.
INSTANTIATE_TEST_SUITE_P(Oracle, PcaMatchesSklearn, ::testing::Values("pca_gauss", "pca_wide", "pca_digits", "pca_embed"));

TEST(Pca, ComponentsAreOrthonormalWithSklearnSigns) {
  const Matrix X = random_matrix(50, 8, 3);
  Pca pca(8);
  pca.fit(X);
  const Matrix& c = pca.components();
  for (std::size_t i = 0; i < 8; ++i) {
    for (std::size_t j = 0; j < 8; ++j) {
      double dot = 0;
      for (std::size_t f = 0; f < 8; ++f) dot += double(c(i, f)) * c(j, f);
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-6);
    }
    float largest = 0;
    for (float v : c.row(i)) largest = std::fabs(v) > std::fabs(largest) ? v : largest;
    EXPECT_GT(largest, 0.0f) << "component " << i;
  }
  // All components kept: the ratios sum to 1 and decrease.
  const auto ratio = pca.explained_variance_ratio();
  double sum = 0;
  for (std::size_t i = 0; i < ratio.size(); ++i) {
    sum += ratio[i];
    if (i > 0) {
      EXPECT_LE(ratio[i], ratio[i - 1]);
    }
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(Pca, TransformOfNewDataUsesTrainingMean) {
  const Matrix X = random_matrix(40, 5, 4);
  Pca pca(2);
  pca.fit(X);
  Matrix shifted(1, 5);
  for (std::size_t f = 0; f < 5; ++f) shifted(0, f) = pca.mean()[f];
  const Matrix z = pca.transform(shifted);   // the mean projects onto the origin
  EXPECT_NEAR(z(0, 0), 0.0f, 1e-6f);
  EXPECT_NEAR(z(0, 1), 0.0f, 1e-6f);
}

TEST(PcaBadInput, RejectsWhatSklearnRejects) {
  EXPECT_THROW(Pca(0), InvalidArgument);
  Pca pca(3);
  EXPECT_THROW(pca.fit(Matrix()), InvalidArgument);
  EXPECT_THROW(pca.fit(random_matrix(2, 5, 1)), InvalidArgument);   // 3 > min(2, 5)
  EXPECT_THROW(pca.fit(random_matrix(10, 2, 1)), InvalidArgument);  // 3 > min(10, 2)
  Matrix with_nan = random_matrix(10, 4, 1);
  with_nan(3, 2) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(pca.fit(with_nan), InvalidArgument);
  Matrix with_inf = random_matrix(10, 4, 1);
  with_inf(0, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(pca.fit(with_inf), InvalidArgument);
}

TEST(PcaBadInput, MessagesNameTheArgument) {
  try {
    Pca(5).fit(random_matrix(3, 4, 1));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("n_components=5"), std::string::npos) << e.what();
  }
  Pca pca(2);
  pca.fit(random_matrix(10, 4, 1));
  try {
    pca.transform(random_matrix(3, 5, 1));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("X has 5 features"), std::string::npos) << e.what();
  }
}

TEST(PcaBadInput, TransformBeforeFit) {
  Pca pca(2);
  EXPECT_THROW(pca.transform(random_matrix(3, 4, 1)), NotFittedError);
  EXPECT_THROW(pca.components(), NotFittedError);
  EXPECT_THROW(pca.explained_variance_ratio(), NotFittedError);
}

}  // namespace
}  // namespace emb
