#include "linalg/dense_decompositions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "embetter/error.h"
#include "embetter/random.h"

namespace emb::linalg {
namespace {

Eigen::MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

class ThinSvdShapes : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(ThinSvdShapes, ReconstructsWithOrthonormalFactorsAndDecreasingValues) {
  const auto [rows, cols] = GetParam();
  const Eigen::MatrixXd a = random_matrix(rows, cols, 7);
  const ThinSvd svd = thin_svd(a, "test");
  const Eigen::Index k = std::min(rows, cols);
  ASSERT_EQ(svd.singular_values.size(), k);
  ASSERT_EQ(svd.u.rows(), rows);
  ASSERT_EQ(svd.u.cols(), k);
  ASSERT_EQ(svd.vt.rows(), k);
  ASSERT_EQ(svd.vt.cols(), cols);
  for (Eigen::Index i = 1; i < k; ++i) EXPECT_GE(svd.singular_values(i - 1), svd.singular_values(i));
  EXPECT_GT(svd.singular_values(k - 1), 0.0);
  const Eigen::MatrixXd rebuilt = svd.u * svd.singular_values.asDiagonal() * svd.vt;
  EXPECT_LT((rebuilt - a).cwiseAbs().maxCoeff(), 1e-12 * svd.singular_values(0));
  const Eigen::MatrixXd identity = Eigen::MatrixXd::Identity(k, k);
  EXPECT_LT((svd.u.transpose() * svd.u - identity).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((svd.vt * svd.vt.transpose() - identity).cwiseAbs().maxCoeff(), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(TallWideSquare, ThinSvdShapes,
                         ::testing::Values(std::pair{40, 7}, std::pair{7, 40}, std::pair{12, 12}, std::pair{1, 5}));

TEST(ThinSvd, RankDeficientMatrixHasZeroTrailingValues) {
  const Eigen::MatrixXd a = random_matrix(20, 3, 1) * random_matrix(3, 15, 2);   // rank 3
  const ThinSvd svd = thin_svd(a, "test");
  EXPECT_GT(svd.singular_values(2), 1e-3);
  for (Eigen::Index i = 3; i < 15; ++i) EXPECT_LT(svd.singular_values(i), 1e-12 * svd.singular_values(0));
}

TEST(SymmetricEigen, ReadsTheLowerTriangleAndSortsAscending) {
  const Eigen::MatrixXd b = random_matrix(9, 6, 3);
  Eigen::MatrixXd a = b.transpose() * b;
  const Eigen::MatrixXd full = a;
  a.triangularView<Eigen::StrictlyUpper>().setConstant(1e6);   // never read
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
  symmetric_eigen(a, values, vectors, "test");
  ASSERT_EQ(values.size(), 6);
  for (Eigen::Index i = 1; i < 6; ++i) EXPECT_LE(values(i - 1), values(i));
  const Eigen::MatrixXd rebuilt = vectors * values.asDiagonal() * vectors.transpose();
  EXPECT_LT((rebuilt - full).cwiseAbs().maxCoeff(), 1e-11 * values(5));
  EXPECT_LT((vectors.transpose() * vectors - Eigen::MatrixXd::Identity(6, 6)).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(SymmetricEigen, NonSquareIsAnErrorNamingTheCaller) {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
  try {
    symmetric_eigen(Eigen::MatrixXd::Zero(3, 4), values, vectors, "Pca.fit");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("Pca.fit"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 × 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace emb::linalg
