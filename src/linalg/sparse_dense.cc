#include "linalg/sparse_dense.h"

#include "embetter/error.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace emb::linalg {
namespace {

// Columns per block: 32 floats or doubles keep the running sum of a row in
// registers and a packed block of a 5,000-row operand within L2.
constexpr std::size_t kBlock = 32;
// How many stored values ahead the rows they point at are prefetched.
constexpr int kAhead = 6;

// The inner loops are compiled for AVX-512 and AVX2 as well as the portable
// baseline; GCC picks the variant at load time. Plain loops over kBlock
// columns: GCC vectorises them (no fast-math: the sums keep their order).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define EMB_SPARSE_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define EMB_SPARSE_CLONES
#endif


// Asks for the kBlock values at `p` ahead of use: the rows a sparse row
// points at are scattered over the packed block, and the hardware prefetcher
// cannot guess them. The look-ahead runs on into the next sparse rows (most
// rows of a term-document matrix hold a handful of values).
template <class T>
[[gnu::always_inline]] inline void prefetch_row(const T* p, bool for_write) {
  for (std::size_t line = 0; line < kBlock * sizeof(T); line += 64) {
    if (for_write)
      __builtin_prefetch(reinterpret_cast<const char*>(p) + line, 1);
    else
      __builtin_prefetch(reinterpret_cast<const char*>(p) + line, 0);
  }
}

// c (rows × kBlock, packed) = a · b (cols × kBlock, packed).
template <class T>
[[gnu::always_inline]] inline void times_block(const CsrRef& a, const T* __restrict b, T* __restrict c) {
  const int total = a.indptr[a.rows];
  for (std::size_t r = 0; r < a.rows; ++r) {
    T t[kBlock] = {};
    for (int k = a.indptr[r], end = a.indptr[r + 1]; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(b + static_cast<std::size_t>(a.indices[k + kAhead]) * kBlock, false);
      const T v = static_cast<T>(a.values[k]);
      const T* br = b + static_cast<std::size_t>(a.indices[k]) * kBlock;
      for (std::size_t j = 0; j < kBlock; ++j) t[j] += v * br[j];
    }
    std::copy(t, t + kBlock, c + r * kBlock);
  }
}

// w (cols × kBlock, packed, zeroed) += aᵀ · (a · q) (q: cols × kBlock, packed),
// summed in T (q may be narrower: float values summed in double).
template <class In, class T>
[[gnu::always_inline]] inline void gram_block(const CsrRef& a, const In* __restrict q, T* __restrict w) {
  const int total = a.indptr[a.rows];
  for (std::size_t r = 0; r < a.rows; ++r) {
    const int begin = a.indptr[r], end = a.indptr[r + 1];
    if (begin == end) continue;
    T t[kBlock] = {};
    for (int k = begin; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(q + static_cast<std::size_t>(a.indices[k + kAhead]) * kBlock, false);
      const T v = static_cast<T>(a.values[k]);
      const In* qr = q + static_cast<std::size_t>(a.indices[k]) * kBlock;
      for (std::size_t j = 0; j < kBlock; ++j) t[j] += v * static_cast<T>(qr[j]);
    }
    for (int k = begin; k < end; ++k) {
      if (k + kAhead < total) prefetch_row(w + static_cast<std::size_t>(a.indices[k + kAhead]) * kBlock, true);
      const T v = static_cast<T>(a.values[k]);
      T* wr = w + static_cast<std::size_t>(a.indices[k]) * kBlock;
      for (std::size_t j = 0; j < kBlock; ++j) wr[j] += v * t[j];
    }
  }
}

EMB_SPARSE_CLONES void times_block_f(const CsrRef& a, const float* b, float* c) { times_block(a, b, c); }
EMB_SPARSE_CLONES void gram_block_f(const CsrRef& a, const float* q, float* w) { gram_block(a, q, w); }
EMB_SPARSE_CLONES void gram_block_fd(const CsrRef& a, const float* q, double* w) { gram_block(a, q, w); }

void run_block(bool gram, const CsrRef& a, const float* in, float* out) {
  gram ? gram_block_f(a, in, out) : times_block_f(a, in, out);
}
void run_block(bool gram, const CsrRef& a, const float* in, double* out) {
  EMB_ASSERT(gram);
  gram_block_fd(a, in, out);
}

// Packs each block of `in`'s columns (zero-padded to kBlock), runs the kernel
// into a packed block of `out` and unpacks it; threads take blocks in turn.
template <class In, class T>
void blocked(bool gram, const CsrRef& a, Strided<const In> in, Strided<T> out, int threads) {
  const std::size_t k = in.cols, blocks = (k + kBlock - 1) / kBlock;
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(blocks, static_cast<std::size_t>(threads)));
  std::atomic<std::size_t> next{0};
  auto run_blocks = [&] {
    std::vector<In> packed_in(in.rows * kBlock);
    std::vector<T> packed_out(out.rows * kBlock);
    for (std::size_t blk = next++; blk < blocks; blk = next++) {
      const std::size_t c0 = blk * kBlock, width = std::min(kBlock, k - c0);
      for (std::size_t r = 0; r < in.rows; ++r) {
        const In* src = in.data + r * in.row_stride + c0 * in.col_stride;
        In* dst = packed_in.data() + r * kBlock;
        for (std::size_t j = 0; j < width; ++j) dst[j] = src[j * in.col_stride];
        std::fill(dst + width, dst + kBlock, In(0));
      }
      if (gram) std::fill(packed_out.begin(), packed_out.end(), T(0));
      run_block(gram, a, packed_in.data(), packed_out.data());
      for (std::size_t r = 0; r < out.rows; ++r) {
        const T* src = packed_out.data() + r * kBlock;
        T* dst = out.data + r * out.row_stride + c0 * out.col_stride;
        for (std::size_t j = 0; j < width; ++j) dst[j * out.col_stride] = src[j];
      }
    }
  };
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&]() noexcept {
    try {
      run_blocks();
    } catch (...) {  // only allocating the packed blocks can fail
      std::lock_guard lock(error_mutex);
      error = std::current_exception();
      next = blocks;
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

void csr_times_dense(const CsrRef& a, Strided<const float> b, Strided<float> c, int threads) {
  blocked(false, a, b, c, threads);
}
void gram_times_dense(const CsrRef& a, Strided<const float> q, Strided<float> w, int threads) {
  blocked(true, a, q, w, threads);
}
void gram_times_dense(const CsrRef& a, Strided<const float> q, Strided<double> w, int threads) {
  blocked(true, a, q, w, threads);
}

}  // namespace emb::linalg
