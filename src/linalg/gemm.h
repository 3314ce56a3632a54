#pragma once
// Single-precision matrix products through oneDNN's sgemm, whose kernels are
// generated at run time for the CPU at hand. On the small, oddly shaped
// products of training (32×384 by 384×200, and the 200×32 by 32×384 weight
// gradient) it runs about 1.7× faster than OpenBLAS's packed path, which is
// why the trainers call it directly; large products elsewhere stay with
// Eigen + OpenBLAS.
#include <Eigen/Core>
#include <type_traits>

namespace emb::linalg {

/// C = alpha · op(A) · op(B) + beta · C, all row-major; op(X) is X or Xᵀ.
/// op(A) is m×k, op(B) is k×n, C is m×n. Uses emb::num_threads() threads for
/// large products, one for small ones (linalg/omp_threads.h).
void sgemm(bool trans_a, bool trans_b, Eigen::Index m, Eigen::Index n, Eigen::Index k, float alpha, const float* a,
           Eigen::Index lda, const float* b, Eigen::Index ldb, float beta, float* c, Eigen::Index ldc);

/// Row-major, unit inner stride: what sgemm can read without a copy.
template <class M>
constexpr bool is_plain_row_major() {
  using D = std::decay_t<M>;
  return static_cast<bool>(D::IsRowMajor) && D::InnerStrideAtCompileTime == 1;
}

/// dst = beta·dst + op(lhs)·op(rhs) for row-major float matrices or blocks of them.
template <bool TransLhs, bool TransRhs, class Dst, class Lhs, class Rhs>
void gemm(Dst&& dst, const Lhs& lhs, const Rhs& rhs, float beta) {
  static_assert(is_plain_row_major<Dst>() && is_plain_row_major<Lhs>() && is_plain_row_major<Rhs>(),
                "linalg::gemm takes row-major matrices with unit inner stride");
  const Eigen::Index k = TransLhs ? lhs.rows() : lhs.cols();
  sgemm(TransLhs, TransRhs, dst.rows(), dst.cols(), k, 1.0f, lhs.data(), lhs.outerStride(), rhs.data(),
        rhs.outerStride(), beta, dst.data(), dst.outerStride());
}

}  // namespace emb::linalg
