#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/eigen.h"
#include "embetter/error.h"
#include "embetter/matrix.h"

namespace emb {
namespace {

TEST(Matrix, RowMajorLayoutAndEigenView) {
  Matrix m(2, 3, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(m(1, 0), 4.0f);
  EXPECT_EQ(as_eigen(m)(0, 2), 3.0f);
  as_eigen(m)(1, 2) = 9.0f;
  EXPECT_EQ(m.data()[5], 9.0f);
}

TEST(Matrix, WrongDataSizeThrows) { EXPECT_THROW(Matrix(2, 2, {1, 2, 3}), InvalidArgument); }

TEST(Matrix, SelectRowsKeepsOrder) {
  Matrix m(3, 2, {1, 2, 3, 4, 5, 6});
  std::vector<std::size_t> idx{2, 0};
  Matrix s = m.select_rows(idx);
  EXPECT_EQ(s, Matrix(2, 2, {5, 6, 1, 2}));
}

TEST(Matrix, CheckFiniteNamesArgumentAndPosition) {
  Matrix m(2, 2, {1, 2, std::numeric_limits<float>::quiet_NaN(), 4});
  try {
    check_finite_nonempty(m, "X");
    FAIL() << "expected a throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("X: expected finite values"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_finite_nonempty(Matrix(0, 3), "X"), InvalidArgument);
}

}  // namespace
}  // namespace emb
