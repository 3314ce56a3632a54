#include "linalg/csr_view.h"

#include <cmath>
#include <limits>

#include "embetter/error.h"

namespace emb::linalg {
namespace {
const std::vector<int>& checked_row_ptr(const SparseMatrix& X, const char* what, std::vector<int>& out) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  EMB_CHECK(X.rows > 0 && X.cols > 0, what, ": expected a non-empty sparse matrix, got shape (", X.rows, ", ",
            X.cols, ")");
  EMB_CHECK(X.rows < kMax && X.cols < kMax && X.nnz() < kMax, what, ": shape (", X.rows, ", ", X.cols, ") with ",
            X.nnz(), " stored values exceeds the supported 2^31 - 1");
  EMB_CHECK(X.indptr.size() == X.rows + 1, what, ": indptr has ", X.indptr.size(), " entries; expected rows + 1 = ",
            X.rows + 1);
  EMB_CHECK(X.indices.size() == X.values.size(), what, ": indices has ", X.indices.size(), " entries but values has ",
            X.values.size());
  EMB_CHECK(X.indptr.front() == 0 && X.indptr.back() == static_cast<std::int64_t>(X.nnz()), what,
            ": indptr must run from 0 to nnz = ", X.nnz(), ", got ", X.indptr.front(), " to ", X.indptr.back());
  out.resize(X.indptr.size());
  for (std::size_t r = 0; r < X.indptr.size(); ++r) {
    EMB_CHECK(r == 0 || X.indptr[r] >= X.indptr[r - 1], what, ": indptr decreases at row ", r - 1);
    out[r] = static_cast<int>(X.indptr[r]);
  }
  for (std::size_t i = 0; i < X.nnz(); ++i) {
    EMB_CHECK(X.indices[i] >= 0 && static_cast<std::size_t>(X.indices[i]) < X.cols, what, ": column index ",
              X.indices[i], " out of range for ", X.cols, " columns");
    EMB_CHECK(std::isfinite(X.values[i]), what, ": expected finite values, found ", X.values[i],
              " at stored entry ", i);
  }
  return out;
}
}  // namespace

CsrView::CsrView(const SparseMatrix& X, const char* what)
    : map_(static_cast<Eigen::Index>(X.rows), static_cast<Eigen::Index>(X.cols), static_cast<Eigen::Index>(X.nnz()),
           checked_row_ptr(X, what, row_ptr_).data(), X.indices.data(), X.values.data()) {}

}  // namespace emb::linalg
