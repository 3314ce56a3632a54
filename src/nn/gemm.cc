#include "nn/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

#include "embetter/error.h"

namespace emb::nn {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t packed_bytes(std::size_t n, std::size_t k, std::size_t panel) {
  const std::size_t panels = (n + panel - 1) / panel;
  return (panels * k * panel * sizeof(float) + 63) / 64 * 64;
}

void check_panel(std::size_t panel) {
  EMB_CHECK(panel == cpu::kPackedPanelNarrow || panel == cpu::kPackedPanelWide, "PackedWeights: panel width ",
            panel, ", expected ", cpu::kPackedPanelNarrow, " or ", cpu::kPackedPanelWide);
}

}  // namespace

std::size_t PackedWeights::bytes_for(std::size_t n, std::size_t k) {
  return packed_bytes(n, k, cpu::kernels_for(cpu_isa()).packed_panel);
}

PackedWeights::PackedWeights(const float* w, std::size_t n, std::size_t k, std::size_t panel)
    : n_(n), k_(k), panel_(panel) {
  check_panel(panel);
  const std::size_t bytes = packed_bytes(n, k, panel);
  std::shared_ptr<float> own(static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64)), std::free);
  if (!own) throw std::bad_alloc();
  pack(w, own.get());
  data_ = std::move(own);
}

PackedWeights::PackedWeights(const float* w, std::size_t n, std::size_t k, PackedArena& arena)
    : n_(n), k_(k), panel_(cpu::kernels_for(cpu_isa()).packed_panel) {
  float* d = arena.take(packed_bytes(n, k, panel_));
  pack(w, d);
  data_ = std::shared_ptr<const float>(arena.block(), d);
}

void PackedWeights::pack(const float* w, float* d) const noexcept {
  std::memset(d, 0, packed_bytes(n_, k_, panel_));
  for (std::size_t p = 0; p < panels(); ++p)
    for (std::size_t i = 0; i < k_; ++i)
      for (std::size_t j = 0; j < panel_ && p * panel_ + j < n_; ++j)
        d[(p * k_ + i) * panel_ + j] = w[(p * panel_ + j) * k_ + i];
}

PackedArena::PackedArena(std::size_t bytes) : size_(bytes) {
  const std::size_t rounded = std::max(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage);
  block_.reset(static_cast<char*>(std::aligned_alloc(kHugePage, rounded)), std::free);
  if (!block_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Advice only: where the kernel gives no huge pages, 4 KiB ones serve.
  madvise(block_.get(), rounded, MADV_HUGEPAGE);
#endif
}

float* PackedArena::take(std::size_t bytes) {
  EMB_CHECK(bytes % 64 == 0 && used_ + bytes <= size_, "PackedArena: ", bytes, " bytes asked with ",
            size_ - used_, " of ", size_, " left (a multiple of 64 expected)");
  float* p = reinterpret_cast<float*>(block_.get() + used_);
  used_ += bytes;
  return p;
}

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                 RowBlockHook hook, Isa isa) {
  gemm_packed(x, ldx, m, w, y, ldy, Epilogue{}, hook, isa);
}

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook, Isa isa) {
  if (m == 0 || w.n() == 0) return;
  if (w.k() == 0) {
    for (std::size_t r = 0; r < m; ++r) {
      std::memset(y + r * ldy, 0, w.n() * sizeof(float));
      cpu::kernels_for(isa).bias_activation(y + r * ldy, 1, w.n(), epilogue.bias, epilogue.activation);
    }
    if (hook.fn) hook.fn(hook.context, 0, m);
    return;
  }
  cpu::kernels_for(isa).gemm_packed(x, ldx, m, w.view(), y, ldy, epilogue, hook);
}

}  // namespace emb::nn
