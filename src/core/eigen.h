#pragma once
// Zero-copy Eigen views of emb::Matrix, for code inside the library only
// (public headers never expose Eigen).
#include <Eigen/Dense>

#include "embetter/matrix.h"

namespace emb {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrixXf>;
using ConstMatrixMap = Eigen::Map<const RowMatrixXf>;

inline MatrixMap as_eigen(Matrix& m) {
  return {m.data(), static_cast<Eigen::Index>(m.rows()), static_cast<Eigen::Index>(m.cols())};
}
inline ConstMatrixMap as_eigen(const Matrix& m) {
  return {m.data(), static_cast<Eigen::Index>(m.rows()), static_cast<Eigen::Index>(m.cols())};
}
/// Copies an Eigen expression into a new emb::Matrix.
template <class Derived>
Matrix to_matrix(const Eigen::MatrixBase<Derived>& e) {
  Matrix m(static_cast<std::size_t>(e.rows()), static_cast<std::size_t>(e.cols()));
  as_eigen(m) = e;
  return m;
}

}  // namespace emb
