#pragma once
// A zero-copy Eigen view of an emb::SparseMatrix after checking that it is a
// well-formed CSR matrix. Eigen wants one index type for both index arrays:
// the row pointers (int64 in emb::SparseMatrix) are narrowed into a copy,
// which is small (rows + 1 entries).
#include <Eigen/SparseCore>
#include <vector>

#include "embetter/sparse.h"

namespace emb::linalg {

using SparseRowMatrixXf = Eigen::SparseMatrix<float, Eigen::RowMajor, int>;

class CsrView {
 public:
  /// Throws InvalidArgument naming `what` (e.g. "TruncatedSvd.fit: X") unless X
  /// is non-empty, structurally valid and finite.
  CsrView(const SparseMatrix& X, const char* what);
  const Eigen::Map<const SparseRowMatrixXf>& eigen() const noexcept { return map_; }

 private:
  std::vector<int> row_ptr_;
  Eigen::Map<const SparseRowMatrixXf> map_;
};

}  // namespace emb::linalg
