#include "nn/gemm.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "embetter/error.h"

namespace emb::nn {

void PackedWeights::Free::operator()(float* p) const noexcept { std::free(p); }

PackedWeights::PackedWeights(const float* w, std::size_t n, std::size_t k, std::size_t panel)
    : n_(n), k_(k), panel_(panel) {
  EMB_CHECK(panel == cpu::kPackedPanelNarrow || panel == cpu::kPackedPanelWide, "PackedWeights: panel width ",
            panel, ", expected ", cpu::kPackedPanelNarrow, " or ", cpu::kPackedPanelWide);
  const std::size_t count = panels() * k * panel;
  const std::size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64)));
  if (!data_) throw std::bad_alloc();
  float* d = data_.get();
  std::memset(d, 0, bytes);
  for (std::size_t p = 0; p < panels(); ++p)
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < panel && p * panel + j < n; ++j)
        d[(p * k + i) * panel + j] = w[(p * panel + j) * k + i];
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
