#include "embetter/matrix.h"

#include <algorithm>
#include <cmath>

#include "embetter/error.h"

namespace emb {

Matrix::Matrix(std::size_t rows, std::size_t cols, std::vector<float> data)
    : rows_(rows), cols_(cols), data_(std::move(data)) {
  EMB_CHECK(data_.size() == rows * cols, "Matrix: ", data_.size(), " values given for a ", rows, "x", cols,
            " matrix");
}

void Matrix::resize(std::size_t rows, std::size_t cols) {
  rows_ = rows;
  cols_ = cols;
  data_.resize(rows * cols);
}

std::vector<float> Matrix::release() && noexcept {
  rows_ = cols_ = 0;
  return std::move(data_);
}

Matrix Matrix::select_rows(std::span<const std::size_t> indices) const {
  Matrix out(indices.size(), cols_);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    EMB_CHECK(indices[i] < rows_, "select_rows: index ", indices[i], " out of range for ", rows_, " rows");
    std::copy_n(data_.data() + indices[i] * cols_, cols_, out.data() + i * cols_);
  }
  return out;
}

bool Matrix::all_finite() const noexcept {
  for (float v : data_)
    if (!std::isfinite(v)) return false;
  return true;
}

void check_finite_nonempty(const Matrix& m, const char* what) {
  EMB_CHECK(m.rows() > 0 && m.cols() > 0, what, ": expected a non-empty 2-D array, got shape (", m.rows(), ", ",
            m.cols(), ")");
  if (!m.all_finite()) {
    for (std::size_t r = 0; r < m.rows(); ++r)
      for (std::size_t c = 0; c < m.cols(); ++c)
        EMB_CHECK(std::isfinite(m(r, c)), what, ": expected finite values, found ", m(r, c), " at row ", r,
                  ", column ", c);
  }
}

}  // namespace emb
