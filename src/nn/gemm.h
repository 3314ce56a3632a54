#pragma once
// y = x · Wᵀ with W packed once at load (no per-call repacking), run by the
// kernel of the instruction-set level the library runs at (cpu/). Every
// output element is accumulated in the same order (k = 0, 1, …, K−1, one
// fused multiply-add at a time on the vector levels) whatever the number of
// rows, the row's position or the blocking, so a token's result never depends
// on the other rows of the product: sequences can share one product and stay
// bitwise batch-independent.
#include <cstddef>
#include <memory>

#include "core/isa.h"
#include "cpu/kernel_table.h"
#include "nn/kernels.h"

namespace emb::nn {

class PackedArena;

/// W (n × k, PyTorch's nn.Linear layout) stored as panels of `panel` output
/// columns: panel p holds W[p·panel + j, i] at data[(p·k + i)·panel + j],
/// zero-padded past n, so that a panel's rows for consecutive k are one
/// contiguous stream (cpu::PackedMatrix). The width defaults to what the
/// level the library runs at reads fastest; every level reads every width.
class PackedWeights {
 public:
  PackedWeights() = default;
  /// `panel`: cpu::kPackedPanelNarrow or cpu::kPackedPanelWide.
  PackedWeights(const float* w, std::size_t n, std::size_t k,
                std::size_t panel = cpu::kernels_for(cpu_isa()).packed_panel);
  /// Packed into `arena` (which it keeps alive), in the running level's width.
  PackedWeights(const float* w, std::size_t n, std::size_t k, PackedArena& arena);

  /// Bytes the packed copy of an n × k matrix takes in the running level's
  /// width (a multiple of 64), what an arena must hold for it.
  static std::size_t bytes_for(std::size_t n, std::size_t k);

  std::size_t n() const noexcept { return n_; }
  std::size_t k() const noexcept { return k_; }
  std::size_t panel() const noexcept { return panel_; }
  std::size_t panels() const noexcept { return (n_ + panel_ - 1) / panel_; }
  const float* data() const noexcept { return data_.get(); }
  bool empty() const noexcept { return n_ == 0; }
  /// What the kernels take.
  cpu::PackedMatrix view() const noexcept { return {data_.get(), n_, k_, panel_}; }

 private:
  void pack(const float* w, float* d) const noexcept;

  std::size_t n_ = 0, k_ = 0, panel_ = cpu::kPackedPanelNarrow;
  std::shared_ptr<const float> data_;   // its own block, or a share of an arena's
};

/// One block that a model's packed weights share, allocated once: aligned to
/// 2 MiB and, on Linux, advised to transparent huge pages. The GEMM streams
/// through W far beyond what 4 KiB pages' TLB entries cover, and every new
/// page cost a table walk: in `perf`, a prefetch of the next block of W into
/// L2 stalled on them, and short texts ran ~1% faster at EMB_ISA=avx2 with
/// huge pages (interleaved). One block rather than one per matrix, because a
/// huge page per matrix rounds each up to 2 MiB (MiniLM-L6's 42 MB of weights
/// took 72 MB that way).
class PackedArena {
 public:
  explicit PackedArena(std::size_t bytes);
  /// The next `bytes` (a multiple of 64) of the block.
  float* take(std::size_t bytes);
  const std::shared_ptr<char>& block() const noexcept { return block_; }

 private:
  std::shared_ptr<char> block_;
  std::size_t size_ = 0, used_ = 0;
};

/// Called after each block of rows is complete (all n columns), while it is
/// still in cache: rows [begin, end) of y.
using RowBlockHook = cpu::RowBlockHook;

/// Applied to each output once its sum is complete, before the hook:
/// y[r, c] = activation(y[r, c] + bias[c]) (bias may be null), the same
/// operations in the same order as kernels::bias_activation after the
/// product. On the vector levels Identity and GeluErf run on the tile still
/// in registers, so the output is written once.
using Epilogue = cpu::Epilogue;

/// y[r, c] = Σ_i x[r, i] · W[c, i] for r < m: x has row stride ldx, y row
/// stride ldy (≥ w.n()). `isa`: the level whose kernel runs (tests and
/// benchmarks compare them; it must run here).
void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                 RowBlockHook hook = {}, Isa isa = cpu_isa());

/// The same, then the epilogue on each output.
void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook = {}, Isa isa = cpu_isa());

}  // namespace emb::nn
