#pragma once
/// @file matrix.h
/// emb::Matrix: a dense float32 matrix, row-major, owning its storage.
/// Layout: element (r, c) lives at data()[r * cols() + c]. Internally the
/// library views it through Eigen (src/core/eigen.h) without copying.
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace emb {

class Matrix {
 public:
  Matrix() = default;
  /// rows × cols, zero-filled.
  Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), data_(rows * cols, 0.0f) {}
  /// Takes ownership of `data`, which must hold rows × cols values.
  Matrix(std::size_t rows, std::size_t cols, std::vector<float> data);

  std::size_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }

  float* data() noexcept { return data_.data(); }
  const float* data() const noexcept { return data_.data(); }
  float& operator()(std::size_t r, std::size_t c) noexcept { return data_[r * cols_ + c]; }
  float operator()(std::size_t r, std::size_t c) const noexcept { return data_[r * cols_ + c]; }
  std::span<float> row(std::size_t r) noexcept { return {data_.data() + r * cols_, cols_}; }
  std::span<const float> row(std::size_t r) const noexcept { return {data_.data() + r * cols_, cols_}; }

  /// Reshapes to rows × cols; contents are unspecified afterwards (zeros when growing).
  void resize(std::size_t rows, std::size_t cols);
  /// Gives up the storage (e.g. to hand it to numpy without a copy); leaves an empty matrix.
  std::vector<float> release() && noexcept;
  /// Rows picked by index, in the given order.
  Matrix select_rows(std::span<const std::size_t> indices) const;

  /// True when every value is finite (no NaN, no ±inf).
  bool all_finite() const noexcept;

  friend bool operator==(const Matrix& a, const Matrix& b) noexcept {
    return a.rows_ == b.rows_ && a.cols_ == b.cols_ && a.data_ == b.data_;
  }

 private:
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<float> data_;
};

/// Throws InvalidArgument naming `what` (e.g. "X") unless m is non-empty and finite.
void check_finite_nonempty(const Matrix& m, const char* what);

}  // namespace emb
