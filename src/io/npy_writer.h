#pragma once
// A float32 .npy file written a block of rows at a time (embetter encode
// streams its embeddings), atomically: the rows go to a temporary file whose
// header is completed with the final row count by commit(), which then
// renames it over the target. Without commit() nothing is left behind.
#include <cstddef>
#include <filesystem>

#include "embetter/matrix.h"
#include "io/atomic_file.h"

namespace emb::io {

class NpyWriter {
 public:
  /// A 2-D '<f4' C-order array of `cols` columns, rows appended in order.
  NpyWriter(const std::filesystem::path& target, std::size_t cols);

  /// Appends rows.rows() rows; InvalidArgument unless rows.cols() == cols().
  void append(const Matrix& rows);
  /// Writes the row count into the header and puts the file on disk, so that
  /// commit() only renames (AtomicFile::prepare). Optional; at most once.
  void prepare();
  /// Writes the row count into the header and replaces the target. Call once.
  void commit();

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }

 private:
  AtomicFile file_;
  std::size_t cols_;
  std::size_t rows_ = 0;
  std::size_t header_size_ = 0;
  bool prepared_ = false;
};

}  // namespace emb::io
