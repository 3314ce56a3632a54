#pragma once
/// @file sparse.h
/// emb::SparseMatrix: float32 CSR (compressed sparse rows), the layout of
/// scipy.sparse.csr_matrix. Row r's entries are indices/values[indptr[r] .. indptr[r+1]),
/// column indices sorted ascending within a row.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace emb {

struct SparseMatrix {
  std::size_t rows = 0, cols = 0;
  std::vector<std::int64_t> indptr{0};  ///< rows + 1 entries
  std::vector<std::int32_t> indices;    ///< column of each stored value
  std::vector<float> values;

  std::size_t nnz() const noexcept { return values.size(); }
};

}  // namespace emb
