#pragma once
// Products of a CSR matrix with dense matrices, for the randomized SVD and
// TruncatedSvd::transform. Eigen's sparse × dense product is single-threaded
// and, with a dense operand larger than the caches, spends its time waiting on
// memory; these kernels work on column blocks of the dense operands, packed so
// that a block stays in L2, and give the blocks to the threads (each output
// column is summed by one thread in a fixed order: the results do not depend
// on the thread count).
#include <cstddef>

namespace emb::linalg {

/// A CSR matrix as raw arrays (Eigen's int32 row pointers).
struct CsrRef {
  std::size_t rows = 0, cols = 0;
  const int* indptr = nullptr;
  const int* indices = nullptr;
  const float* values = nullptr;
};

/// A strided dense matrix: element (r, c) at data[r * row_stride + c * col_stride].
template <class T>
struct Strided {
  T* data;
  std::size_t rows, cols, row_stride, col_stride;
};

/// c = a · b, with b of shape a.cols × k and c of shape a.rows × k (overwritten).
void csr_times_dense(const CsrRef& a, Strided<const float> b, Strided<float> c, int threads);

/// w = aᵀ · (a · q), with q and w of shape a.cols × k (w overwritten), without
/// forming a · q: each row of a gathers its part of a · q and scatters it back.
/// The double overload sums in double.
void gram_times_dense(const CsrRef& a, Strided<const float> q, Strided<float> w, int threads);
void gram_times_dense(const CsrRef& a, Strided<const float> q, Strided<double> w, int threads);

}  // namespace emb::linalg
