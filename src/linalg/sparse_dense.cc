#include "linalg/sparse_dense.h"

#include "cpu/kernel_table.h"
#include "embetter/error.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace emb::linalg {
namespace {

constexpr std::size_t kBlock = cpu::kSparseBlock;

// The inner loops are the kernel table's (cpu/simd/sparse.h), compiled per
// instruction-set level.
void run_block(bool gram, const CsrRef& a, const float* in, float* out) {
  const cpu::CsrMatrix m{a.rows, a.indptr, a.indices, a.values};
  gram ? cpu::kernels().csr_gram_block(m, in, out) : cpu::kernels().csr_times_block(m, in, out);
}
void run_block(bool gram, const CsrRef& a, const float* in, double* out) {
  EMB_ASSERT(gram);
  cpu::kernels().csr_gram_block_double({a.rows, a.indptr, a.indices, a.values}, in, out);
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
