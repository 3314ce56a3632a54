// The sparse × dense kernels against Eigen's dense products, at widths that
// leave partial column blocks, with empty rows, on one and two threads.
#include "linalg/sparse_dense.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <vector>

#include "embetter/random.h"

namespace emb::linalg {
namespace {

struct Csr {
  std::size_t rows = 0, cols = 0;
  std::vector<int> indptr{0}, indices;
  std::vector<float> values;
  Eigen::MatrixXd dense;
  CsrRef ref() const { return {rows, cols, indptr.data(), indices.data(), values.data()}; }
};

// About a fifth of the entries set; every seventh row empty.
Csr random_csr(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Rng rng(seed);
  Csr a;
  a.rows = rows;
  a.cols = cols;
  a.dense = Eigen::MatrixXd::Zero(rows, cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols && r % 7 != 3; ++c) {
      if (rng.uniform01() >= 0.2) continue;
      const auto v = static_cast<float>(rng.normal());
      a.indices.push_back(static_cast<int>(c));
      a.values.push_back(v);
      a.dense(r, c) = v;
    }
    a.indptr.push_back(static_cast<int>(a.indices.size()));
  }
  return a;
}

Eigen::MatrixXf random_dense(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Rng rng(seed);
  Eigen::MatrixXf m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(rng.normal());
  return m;
}

template <class T>
Strided<T> view(Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic>& m) {
  return {m.data(), static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols()), 1,
          static_cast<std::size_t>(m.rows())};
}

double max_relative_error(const Eigen::MatrixXd& got, const Eigen::MatrixXd& want) {
  return (got - want).cwiseAbs().maxCoeff() / std::max(1.0, want.cwiseAbs().maxCoeff());
}

TEST(SparseDense, ProductsMatchDenseAtAwkwardWidths) {
  const Csr a = random_csr(45, 60, 1);
  for (std::size_t k : {1u, 31u, 32u, 33u, 70u}) {
    Eigen::MatrixXf b = random_dense(a.cols, k, k);
    const Eigen::MatrixXd want_times = a.dense * b.cast<double>();
    const Eigen::MatrixXd want_gram = a.dense.transpose() * want_times;
    for (int threads : {1, 2}) {
      Eigen::MatrixXf c(a.rows, k), w(a.cols, k);
      Eigen::MatrixXd wd(a.cols, k);
      csr_times_dense(a.ref(), view<const float>(b), view<float>(c), threads);
      gram_times_dense(a.ref(), view<const float>(b), view<float>(w), threads);
      gram_times_dense(a.ref(), view<const float>(b), view<double>(wd), threads);
      EXPECT_LT(max_relative_error(c.cast<double>(), want_times), 1e-5) << "k=" << k << " threads=" << threads;
      EXPECT_LT(max_relative_error(w.cast<double>(), want_gram), 1e-5) << "k=" << k << " threads=" << threads;
      EXPECT_LT(max_relative_error(wd, want_gram), 1e-12) << "k=" << k << " threads=" << threads;
    }
  }
}

TEST(SparseDense, StridedOperandsAndThreadCountDoNotChangeTheBits) {
  const Csr a = random_csr(50, 40, 2);
  const std::size_t k = 45;
  Eigen::MatrixXf b = random_dense(a.cols, k, 3);
  // b read through its transpose's storage (row-major), as TruncatedSvd::transform does.
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> b_rows = b;
  Eigen::MatrixXf one(a.rows, k), two(a.rows, k);
  csr_times_dense(a.ref(), view<const float>(b), view<float>(one), 1);
  csr_times_dense(a.ref(), {b_rows.data(), a.cols, k, k, 1}, view<float>(two), 2);
  EXPECT_TRUE(one == two);
}

}  // namespace
}  // namespace emb::linalg
