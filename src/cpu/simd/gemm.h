#pragma once
// The packed GEMM (y = x · Wᵀ, W packed in 48-column groups by
// nn::PackedWeights) on eight-float vectors, for the AVX2 and NEON levels.
// Tiles of 6 rows × 16 columns: 12 accumulators, two vectors of W and a
// broadcast of x take 15 of AVX2's 16 registers (on NEON, 29 of 32). Each
// element is summed in k order with one fused multiply-add per step, so a
// row's result never depends on the other rows. Include after vec8.h.
#include <algorithm>
#include <array>
#include <utility>

#include "cpu/generic/generic.h"

namespace emb::cpu::EMB_SIMD_NAMESPACE {
namespace gemm_detail {

constexpr std::size_t kGroup = kPackedGroup;
// 6 rows × 2 vectors (16 columns, three passes per 48-column group);
// measured with gemm_bench at EMB_ISA=avx2 on MiniLM's products: 4 × 3
// vectors was 5–15% slower, 3 × 4 spilled its accumulators (a third of the speed).
constexpr int kTileRows = 6;
constexpr int kSliceVectors = 2;
constexpr std::size_t kSlice = 8 * kSliceVectors;   // columns per pass over a group
// Blocking, which never changes the order of any element's sums: blocks of
// about kRowBlock rows (the hook runs on each), kDepthBlock values of k, and
// kColumnGroups groups of W (kDepthBlock × 192 floats, 288 KiB: in L2 while
// every 6-row tile of x, 9 KiB in L1, runs against it), as the AVX-512
// level does.
constexpr std::size_t kRowBlock = 192;
constexpr std::size_t kDepthBlock = 384;
constexpr std::size_t kColumnGroups = 4;
// How far ahead (in steps of k) a tile prefetches its slice of W into L1.
constexpr std::size_t kPrefetchSteps = 16;

enum class Finish { Store, Bias, BiasGelu };

struct Block {
  const float* w;            // the first group's W at the block's depth
  std::size_t group_floats;  // from one group to the next
  std::size_t kc;
  std::size_t groups;
  std::size_t last_cols;     // columns of the block's last group (48 unless W ends narrower)
  std::size_t ldx, ldc;
  bool accumulate;           // add to c (depth after the first block)
  Finish finish;
  const float* bias;         // the first group's bias, or null
};

// R rows × one slice of NV vectors: per step of k, NV loads of W and R
// broadcasts of x feed R·NV fused multiply-adds. `cols` < the slice's width
// only on the last slice of a narrow last group (masked loads and stores
// there).
template <int R, int NV>
EMB_INLINE void slice(const Block& blk, const float* const* xr, const float* b, float* c, const float* bias,
                      std::size_t cols) {
  const std::size_t kc = blk.kc, ldc = blk.ldc;
  const bool full = cols == kSlice;
  std::size_t live[NV];   // columns of each vector inside W
  for (int v = 0; v < NV; ++v) live[v] = cols > std::size_t(8 * v) ? std::min<std::size_t>(8, cols - 8 * v) : 0;
  F8 acc[R][NV];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (!blk.accumulate) acc[r][v] = zero8();
      else if (full) acc[r][v] = load8(c + r * ldc + 8 * v);
      else acc[r][v] = load_first8(c + r * ldc + 8 * v, live[v]);
    }
#pragma GCC unroll 4
  for (std::size_t k = 0; k < kc; ++k) {
    prefetch_l1(b + (k + kPrefetchSteps) * kGroup);
    F8 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = load8(b + k * kGroup + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const F8 a = set8(xr[r][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = fma8(a, bv[v], acc[r][v]);
    }
  }
  if (blk.finish != Finish::Store) {
    F8 bb[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bb[v] = !bias ? zero8() : full ? load8(bias + 8 * v) : load_first8(bias + 8 * v, live[v]);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        acc[r][v] = acc[r][v] + bb[v];
        if (blk.finish == Finish::BiasGelu) acc[r][v] = gelu_erf8(acc[r][v]);
      }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (full) store8(c + r * ldc + 8 * v, acc[r][v]);
      else if (live[v]) store_first8(c + r * ldc + 8 * v, acc[r][v], live[v]);
    }
}

// R rows across all the block's groups, slice by slice (x's rows stay in L1).
template <int R>
void tile(const Block& blk, const float* x, float* c) {
  const float* xr[R];
  for (int r = 0; r < R; ++r) xr[r] = x + r * blk.ldx;
  for (std::size_t g = 0; g < blk.groups; ++g) {
    const std::size_t cols = g + 1 == blk.groups ? blk.last_cols : kGroup;
    for (std::size_t s = 0; s * kSlice < cols; ++s) {
      const std::size_t width = std::min(kSlice, cols - s * kSlice);
      slice<R, kSliceVectors>(blk, xr, blk.w + g * blk.group_floats + s * kSlice, c + g * kGroup + s * kSlice,
               blk.bias ? blk.bias + g * kGroup + s * kSlice : nullptr, width);
    }
  }
}

using TileFn = void (*)(const Block&, const float*, float*);
template <std::size_t... I>
constexpr auto make_tiles(std::index_sequence<I...>) {
  return std::array<TileFn, sizeof...(I)>{{tile<int(I) + 1>...}};
}
constexpr auto kTiles = make_tiles(std::make_index_sequence<kTileRows>{});

}  // namespace gemm_detail

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act);

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook) {
  using namespace gemm_detail;
  const std::size_t k = w.k, n = w.n, groups = w.groups();
  const bool in_registers = epilogue.activation == Activation::Identity || epilogue.activation == Activation::GeluErf;
  Finish finish = Finish::Store;
  if (in_registers && epilogue.activation == Activation::GeluErf) finish = Finish::BiasGelu;
  else if (in_registers && epilogue.bias) finish = Finish::Bias;
  const std::size_t last_cols = n - (groups - 1) * kGroup;
  const std::size_t row_block = generic::balanced_row_block(m, kRowBlock, kTileRows);
  for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
    const std::size_t mb = std::min(row_block, m - m0);
    for (std::size_t g0 = 0; g0 < groups; g0 += kColumnGroups) {
      const std::size_t g1 = std::min(groups, g0 + kColumnGroups);
      for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
        const std::size_t kc = std::min(kDepthBlock, k - k0);
        const Block blk{w.data + (g0 * k + k0) * kGroup,
                        k * kGroup,
                        kc,
                        g1 - g0,
                        g1 == groups ? last_cols : kGroup,
                        ldx,
                        ldy,
                        k0 > 0,
                        k0 + kc == k ? finish : Finish::Store,
                        epilogue.bias ? epilogue.bias + g0 * kGroup : nullptr};
        for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
          const std::size_t rows = std::min<std::size_t>(kTileRows, mb - r0);
          kTiles[rows - 1](blk, x + (m0 + r0) * ldx + k0, y + (m0 + r0) * ldy + g0 * kGroup);
        }
      }
    }
    if (!in_registers)
      for (std::size_t r = m0; r < m0 + mb; ++r) bias_activation(y + r * ldy, 1, n, epilogue.bias, epilogue.activation);
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
