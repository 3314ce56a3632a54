#pragma once
// Sparse (CSR) × dense products on packed column blocks, for the randomized
// SVD (linalg/sparse_dense.h): plain loops over kSparseBlock columns that the
// compiler vectorises at the width of the level whose translation unit
// includes this (generic, avx2, avx512, neon), with no fast-math, so every sum
// keeps its order. Include after defining EMB_SIMD_NAMESPACE (the level):
// the functions then live in that level's namespace.
#ifndef EMB_SIMD_NAMESPACE
#error "define EMB_SIMD_NAMESPACE (the level) before including cpu/simd/sparse.h"
#endif

#include <algorithm>
#include <cstddef>

#include "cpu/kernel_table.h"

namespace emb::cpu::EMB_SIMD_NAMESPACE {
namespace sparse_detail {

// How many stored values ahead the rows they point at are prefetched.
constexpr int kAhead = 6;

// Asks for the kSparseBlock values at `p` ahead of use: the rows a sparse
// row points at are scattered over the packed block, and the hardware
// prefetcher cannot guess them. The look-ahead runs on into the next sparse
// rows (most rows of a term-document matrix hold a handful of values).
template <class T>
[[gnu::always_inline]] inline void prefetch_row(const T* p, bool for_write) {
  for (std::size_t line = 0; line < kSparseBlock * sizeof(T); line += 64) {
    if (for_write)
      __builtin_prefetch(reinterpret_cast<const char*>(p) + line, 1);
    else
      __builtin_prefetch(reinterpret_cast<const char*>(p) + line, 0);
  }
}

template <class In, class T>
[[gnu::always_inline]] inline void gram_block(const CsrMatrix& a, const In* __restrict q, T* __restrict w) {
  const int total = a.indptr[a.rows];
  for (std::size_t r = 0; r < a.rows; ++r) {
    const int begin = a.indptr[r], end = a.indptr[r + 1];
    if (begin == end) continue;
    T t[kSparseBlock] = {};
    for (int k = begin; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(q + static_cast<std::size_t>(a.indices[k + kAhead]) * kSparseBlock, false);
      const T v = static_cast<T>(a.values[k]);
      const In* qr = q + static_cast<std::size_t>(a.indices[k]) * kSparseBlock;
      for (std::size_t j = 0; j < kSparseBlock; ++j) t[j] += v * static_cast<T>(qr[j]);
    }
    for (int k = begin; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(w + static_cast<std::size_t>(a.indices[k + kAhead]) * kSparseBlock, true);
      const T v = static_cast<T>(a.values[k]);
      T* wr = w + static_cast<std::size_t>(a.indices[k]) * kSparseBlock;
      for (std::size_t j = 0; j < kSparseBlock; ++j) wr[j] += v * t[j];
    }
  }
}

}  // namespace sparse_detail

void csr_times_block(const CsrMatrix& a, const float* __restrict b, float* __restrict c) {
  using namespace sparse_detail;
  const int total = a.indptr[a.rows];
  for (std::size_t r = 0; r < a.rows; ++r) {
    float t[kSparseBlock] = {};
    for (int k = a.indptr[r], end = a.indptr[r + 1]; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(b + static_cast<std::size_t>(a.indices[k + kAhead]) * kSparseBlock, false);
      const float v = a.values[k];
      const float* br = b + static_cast<std::size_t>(a.indices[k]) * kSparseBlock;
      for (std::size_t j = 0; j < kSparseBlock; ++j) t[j] += v * br[j];
    }
    std::copy(t, t + kSparseBlock, c + r * kSparseBlock);
  }
}

void csr_gram_block(const CsrMatrix& a, const float* q, float* w) { sparse_detail::gram_block(a, q, w); }
void csr_gram_block_double(const CsrMatrix& a, const float* q, double* w) { sparse_detail::gram_block(a, q, w); }

inline void fill_sparse_entries(KernelTable& t) {
  t.csr_times_block = csr_times_block;
  t.csr_gram_block = csr_gram_block;
  t.csr_gram_block_double = csr_gram_block_double;
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
