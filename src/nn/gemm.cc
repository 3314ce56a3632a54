#include "nn/gemm.h"

#include <cstdlib>
#include <cstring>
#include <array>
#include <new>
#include <utility>
#include <vector>

#include "core/cpu_features.h"

#if EMB_X86_DISPATCH
#include <immintrin.h>
#endif

namespace emb::nn {
namespace {

// Rows per block: its slice of x (kRowBlock × kDepthBlock floats, 144 KiB,
// packed tile by tile) stays in L2 while every panel of W streams past it,
// and the hook runs on the block while it is still there. The blocking never
// changes the order of any element's accumulation.
constexpr std::size_t kRowBlock = 96;
constexpr std::size_t kDepthBlock = 384;
constexpr std::size_t kPanel = PackedWeights::kPanel;

void tile_generic(const float* a, std::size_t lda, std::size_t rows, const float* b, std::size_t kc, float* c,
                  std::size_t ldc, std::size_t cols, bool accumulate) {
  for (std::size_t r = 0; r < rows; ++r) {
    float acc[kPanel] = {};
    if (accumulate)
      for (std::size_t j = 0; j < cols; ++j) acc[j] = c[r * ldc + j];
    const float* ar = a + r * lda;
    for (std::size_t k = 0; k < kc; ++k) {
      const float av = ar[k];
      for (std::size_t j = 0; j < kPanel; ++j) acc[j] += av * b[k * kPanel + j];
    }
    for (std::size_t j = 0; j < cols; ++j) c[r * ldc + j] = acc[j];
  }
}

void gemm_generic(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                  RowBlockHook hook) {
  const std::size_t k = w.k(), n = w.n();
  for (std::size_t m0 = 0; m0 < m; m0 += kRowBlock) {
    const std::size_t mb = m - m0 < kRowBlock ? m - m0 : kRowBlock;
    for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
      const std::size_t kc = k - k0 < kDepthBlock ? k - k0 : kDepthBlock;
      for (std::size_t p = 0; p < w.panels(); ++p) {
        const std::size_t cols = n - p * kPanel < kPanel ? n - p * kPanel : kPanel;
        tile_generic(x + m0 * ldx + k0, ldx, mb, w.data() + (p * k + k0) * kPanel, kc, y + m0 * ldy + p * kPanel,
                     ldy, cols, k0 > 0);
      }
    }
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

#if EMB_X86_DISPATCH
#define EMB_AVX512 EMB_TARGET_AVX512

// R rows × NP panels of accumulators (at most 12 × 2 = 24 of the 32 zmm
// registers): per step, one load of W per panel and one broadcast of x per
// row feed 2R fused multiply-adds. x comes packed (ap[k·R + r]), one stream.
template <int R, int NP>
EMB_AVX512 void tile_avx512(const float* ap, const float* b, std::size_t panel_stride, std::size_t kc, float* c,
                            std::size_t ldc, bool accumulate, __mmask16 last) {
  __m512 acc[R][NP];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p)
      acc[r][p] = accumulate ? _mm512_maskz_loadu_ps(p == NP - 1 ? last : __mmask16(0xFFFF), c + r * ldc + p * 16)
                             : _mm512_setzero_ps();
#pragma GCC unroll 2
  for (std::size_t k = 0; k < kc; ++k) {
    __m512 bv[NP];
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p) bv[p] = _mm512_loadu_ps(b + p * panel_stride + k * kPanel);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(ap[k * R + r]);
#pragma GCC unroll 2
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_fmadd_ps(av, bv[p], acc[r][p]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p)
      _mm512_mask_storeu_ps(c + r * ldc + p * 16, p == NP - 1 ? last : __mmask16(0xFFFF), acc[r][p]);
}

using TileFn = void (*)(const float*, const float*, std::size_t, std::size_t, float*, std::size_t, bool, __mmask16);
constexpr int kTileRows = 12;

template <std::size_t... I>
constexpr auto make_tiles(std::index_sequence<I...>) {
  return std::array<std::array<TileFn, 2>, sizeof...(I)>{
      {{tile_avx512<int(I) + 1, 1>, tile_avx512<int(I) + 1, 2>}...}};
}
constexpr auto kTiles = make_tiles(std::make_index_sequence<kTileRows>{});

EMB_AVX512 void gemm_avx512(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y,
                            std::size_t ldy, RowBlockHook hook) {
  const std::size_t k = w.k(), n = w.n(), panels = w.panels();
  const std::size_t panel_stride = k * kPanel;
  // The block of x, tile by tile: rows r0..r0+R of depth slice k0..k0+kc at
  // packed[r0·kc + kk·R + r].
  thread_local std::vector<float> packed;
  packed.resize(kRowBlock * kDepthBlock);
  for (std::size_t m0 = 0; m0 < m; m0 += kRowBlock) {
    const std::size_t mb = m - m0 < kRowBlock ? m - m0 : kRowBlock;
    for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
      const std::size_t kc = k - k0 < kDepthBlock ? k - k0 : kDepthBlock;
      for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
        const std::size_t rows = mb - r0 < kTileRows ? mb - r0 : kTileRows;
        float* dst = packed.data() + r0 * kc;
        for (std::size_t r = 0; r < rows; ++r) {
          const float* src = x + (m0 + r0 + r) * ldx + k0;
          for (std::size_t kk = 0; kk < kc; ++kk) dst[kk * rows + r] = src[kk];
        }
      }
      for (std::size_t p = 0; p < panels; p += 2) {
        const int np = panels - p >= 2 ? 2 : 1;
        const std::size_t last_cols = n - (p + np - 1) * kPanel;
        const __mmask16 last = last_cols >= kPanel ? __mmask16(0xFFFF) : __mmask16((1u << last_cols) - 1);
        const float* b = w.data() + p * panel_stride + k0 * kPanel;
        for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
          const std::size_t rows = mb - r0 < kTileRows ? mb - r0 : kTileRows;
          kTiles[rows - 1][np - 1](packed.data() + r0 * kc, b, panel_stride, kc, y + (m0 + r0) * ldy + p * kPanel,
                                   ldy, k0 > 0, last);
        }
      }
    }
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}
#endif

}  // namespace

void PackedWeights::Free::operator()(float* p) const noexcept { std::free(p); }

PackedWeights::PackedWeights(const float* w, std::size_t n, std::size_t k) : n_(n), k_(k) {
  const std::size_t count = panels() * k * kPanel;
  const std::size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes ? bytes : 64)));
  if (!data_) throw std::bad_alloc();
  float* d = data_.get();
  std::memset(d, 0, bytes);
  for (std::size_t p = 0; p < panels(); ++p)
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < kPanel && p * kPanel + j < n; ++j)
        d[(p * k + i) * kPanel + j] = w[(p * kPanel + j) * k + i];
}

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedWeights& w, float* y, std::size_t ldy,
                 RowBlockHook hook, Isa isa) {
  if (m == 0 || w.n() == 0) return;
  if (w.k() == 0) {
    for (std::size_t r = 0; r < m; ++r) std::memset(y + r * ldy, 0, w.n() * sizeof(float));
    if (hook.fn) hook.fn(hook.context, 0, m);
    return;
  }
#if EMB_X86_DISPATCH
  if (isa == Isa::Avx512) return gemm_avx512(x, ldx, m, w, y, ldy, hook);
#endif
  gemm_generic(x, ldx, m, w, y, ldy, hook);
}

}  // namespace emb::nn
