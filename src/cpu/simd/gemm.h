#pragma once
// The packed GEMM (y = x · Wᵀ, W packed by nn::PackedWeights in panels of 16
// columns, these levels', or 48) on eight-float vectors, for the AVX2 and
// NEON levels. Tiles of 6 rows × 16 columns: 12 accumulators, two vectors of
// W and a broadcast of x take 15 of AVX2's 16 registers (on NEON, 29 of 32). Each
// element is summed in k order with one fused multiply-add per step, so a
// row's result never depends on the other rows. Include after vec8.h.
#include <algorithm>
#include <array>
#include <utility>

#include "cpu/generic/generic.h"

namespace emb::cpu::EMB_SIMD_NAMESPACE {
namespace gemm_detail {

// Blocks of W are counted in groups of 48 columns (three panels of 16, or
// one of 48), as on the AVX-512 level.
constexpr std::size_t kGroup = kPackedPanelWide;
static_assert(kGroup % kPackedPanelNarrow == 0);
// 6 rows × 2 vectors (16 columns, three passes per group); measured with
// gemm_bench at EMB_ISA=avx2 on MiniLM's products: 4 × 3 vectors was 5–15%
// slower, 3 × 4 spilled its accumulators (a third of the speed). A pass
// reads 16 columns of every step of k: this level packs 16-column panels
// (the table's packed_panel), where a pass's W is one contiguous stream; in
// 48-column panels it read one line of every three, and short texts ran
// ~1.5% slower at EMB_ISA=avx2 (interleaved).
constexpr int kTileRows = 6;
constexpr int kSliceVectors = 2;
constexpr std::size_t kSlice = 8 * kSliceVectors;   // columns per pass over a group
static_assert(kSlice == kPackedPanelNarrow);
// Blocking, which never changes the order of any element's sums: blocks of
// about kRowBlock rows (the hook runs on each), kDepthBlock values of k, and
// kColumnGroups groups of W (up to kDepthBlock × 192 floats, 576 KiB: in L2
// while every 6-row tile of x, up to 18 KiB, runs against it from L1). Depth
// blocks of 768 rather than 384 halve the times the output product of the
// feed-forward (k = 1536) reloads its accumulators: short texts +0.5% at
// EMB_ISA=avx2 over 10 interleaved rounds, long texts level. Row blocks of
// up to 320 rows rather than 192: the encoder's runs of ≤ 512 tokens make
// two blocks instead of three, so each block of W comes from L3 or memory
// one time fewer, and the encoder runs the attention of the first block's
// sequences from the hook while their rows are in L2 (nn/encoder.cc). The
// two together, at EMB_ISA=avx2, interleaved: short texts +0.65% to +1.8%
// over three sets of 6–8 rounds, long +0.9%; each alone was within the
// noise (docs/benchmarks.md).
constexpr std::size_t kRowBlock = 320;
constexpr std::size_t kDepthBlock = 768;
constexpr std::size_t kColumnGroups = 4;
// How far ahead (in steps of k) a tile prefetches its slice of W into L1.
constexpr std::size_t kPrefetchSteps = 16;

enum class Finish { Store, Bias, BiasGelu };

// A block of W in panels of P columns (16 or 48).
struct Block {
  const float* w;            // the first group's first panel at the block's depth
  std::size_t group_floats;  // from one group to the next
  std::size_t panel_floats;  // from one panel to the next
  std::size_t kc;
  std::size_t groups;
  std::size_t last_cols;     // columns of the block's last group (48 unless W ends narrower)
  std::size_t ldx, ldc;
  bool accumulate;           // add to c (depth after the first block)
  Finish finish;
  const float* bias;         // the first group's bias, or null
  // The next block of W, brought into L2 by this block's tiles (each tile a
  // share of every group's lines), so that the next block's first tile
  // finds W in L2 instead of L3 or memory, as the AVX-512 level does.
  // Line i of a group's share of it: line i % next_panel_lines of the
  // group's panel i / next_panel_lines.
  const char* next;
  std::size_t next_groups;   // groups of this block that have a next group
  std::size_t next_panel_lines;   // lines of one panel in the next block
};

// A walk over lines of the next block of W (panel by panel) for L2 prefetches.
struct L2Walk {
  const char* panel;
  std::size_t line, panel_lines, panel_bytes;
  EMB_INLINE void prefetch_next() {
    prefetch_l2(panel + line * 64);
    if (++line == panel_lines) line = 0, panel += panel_bytes;
  }
};

// A slice's L2 prefetches are spread through its k loop, one every
// kc / lines steps (at least this many), instead of issued together before
// it: a burst of a dozen had ~2% of the tile's samples in perf, mostly
// page-table walks (since then the weights sit on huge pages, nn::PackedArena).
constexpr std::size_t kL2StepsMin = 8;

// R rows × one slice of NV vectors: per step of k, NV loads of W (P floats
// apart from one step to the next) and R broadcasts of x feed R·NV fused
// multiply-adds. `cols` < the slice's width only on the last slice of a
// narrow last group (masked loads and stores there).
template <int R, int NV, std::size_t P>
EMB_INLINE void slice(const Block& blk, const float* const* xr, const float* b, float* c, const float* bias,
                      std::size_t cols, L2Walk& l2, std::size_t l2_lines) {
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
  const std::size_t chunk = l2_lines ? std::max(kL2StepsMin, kc / l2_lines / 4 * 4) : kc;
  for (std::size_t k0 = 0; k0 < kc; k0 += chunk) {
    const std::size_t k1 = std::min(kc, k0 + chunk);
#pragma GCC unroll 4
    for (std::size_t k = k0; k < k1; ++k) {
      prefetch_l1(b + (k + kPrefetchSteps) * P);
      F8 bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = load8(b + k * P + 8 * v);
#pragma GCC unroll 6
      for (int r = 0; r < R; ++r) {
        const F8 a = set8(xr[r][k]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = fma8(a, bv[v], acc[r][v]);
      }
    }
    if (l2_lines) l2.prefetch_next(), --l2_lines;
  }
  for (; l2_lines; --l2_lines) l2.prefetch_next();
  if (blk.finish != Finish::Store) {
    F8 bb[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bb[v] = !bias ? zero8() : full ? load8(bias + 8 * v) : load_first8(bias + 8 * v, live[v]);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = acc[r][v] + bb[v];
    if (blk.finish == Finish::BiasGelu) {
#pragma GCC unroll 6
      for (int r = 0; r + 1 < R; r += 2) gelu_erf8_n<2 * NV>(acc[r]);
      if (R % 2) gelu_erf8_n<NV>(acc[R - 1]);
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
// Lines [l2_from, l2_from + l2_count) of each of the next block's groups are
// prefetched into L2, a share in each slice.
template <int R, std::size_t P>
void tile(const Block& blk, const float* x, float* c, std::size_t l2_from, std::size_t l2_count) {
  const float* xr[R];
  for (int r = 0; r < R; ++r) xr[r] = x + r * blk.ldx;
  for (std::size_t g = 0; g < blk.groups; ++g) {
    const std::size_t cols = g + 1 == blk.groups ? blk.last_cols : kGroup;
    const std::size_t slices = (cols + kSlice - 1) / kSlice;
    const std::size_t l2_lines = g < blk.next_groups ? l2_count : 0;
    const std::size_t panel_bytes = blk.panel_floats * sizeof(float);
    const std::size_t panel_lines = blk.next_panel_lines;
    L2Walk l2{blk.next + (g * blk.group_floats * sizeof(float) + l2_from / panel_lines * panel_bytes),
              l2_from % panel_lines, panel_lines, panel_bytes};
    for (std::size_t s = 0; s < slices; ++s) {
      const std::size_t width = std::min(kSlice, cols - s * kSlice);
      const float* b = blk.w + g * blk.group_floats + s * kSlice / P * blk.panel_floats + s * kSlice % P;
      slice<R, kSliceVectors, P>(blk, xr, b, c + g * kGroup + s * kSlice,
                                 blk.bias ? blk.bias + g * kGroup + s * kSlice : nullptr, width, l2,
                                 (s + 1) * l2_lines / slices - s * l2_lines / slices);
    }
  }
}

using TileFn = void (*)(const Block&, const float*, float*, std::size_t, std::size_t);
template <std::size_t P, std::size_t... I>
constexpr auto make_tiles(std::index_sequence<I...>) {
  return std::array<TileFn, sizeof...(I)>{{tile<int(I) + 1, P>...}};
}
// [panel is wide][rows − 1]
constexpr std::array<std::array<TileFn, kTileRows>, 2> kTiles{
    make_tiles<kPackedPanelNarrow>(std::make_index_sequence<kTileRows>{}),
    make_tiles<kPackedPanelWide>(std::make_index_sequence<kTileRows>{})};

}  // namespace gemm_detail

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act);

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook) {
  using namespace gemm_detail;
  const std::size_t k = w.k, n = w.n, p = w.panel, groups = (n + kGroup - 1) / kGroup;
  const auto& tiles = kTiles[p == kPackedPanelWide];
  const bool in_registers = epilogue.activation == Activation::Identity || epilogue.activation == Activation::GeluErf;
  Finish finish = Finish::Store;
  if (in_registers && epilogue.activation == Activation::GeluErf) finish = Finish::BiasGelu;
  else if (in_registers && epilogue.bias) finish = Finish::Bias;
  const std::size_t last_cols = n - (groups - 1) * kGroup;
  const std::size_t row_block = generic::balanced_row_block(m, kRowBlock, kTileRows);
  for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
    const std::size_t mb = std::min(row_block, m - m0);
    const std::size_t row_tiles = (mb + kTileRows - 1) / kTileRows;
    for (std::size_t g0 = 0; g0 < groups; g0 += kColumnGroups) {
      const std::size_t g1 = std::min(groups, g0 + kColumnGroups);
      for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
        const std::size_t kc = std::min(kDepthBlock, k - k0);
        // (A narrow last group's missing panels are never read; prefetches
        // of them, past the allocation, do not fault.)
        const auto next = generic::next_weight_block(g0, g1, groups, k0, kc, k, kDepthBlock, m0 + mb == m);
        const Block blk{w.data + g0 * k * kGroup + k0 * p,
                        k * kGroup,
                        k * p,
                        kc,
                        g1 - g0,
                        g1 == groups ? last_cols : kGroup,
                        ldx,
                        ldy,
                        k0 > 0,
                        k0 + kc == k ? finish : Finish::Store,
                        epilogue.bias ? epilogue.bias + g0 * kGroup : nullptr,
                        reinterpret_cast<const char*>(w.data + next.g0 * k * kGroup + next.k0 * p),
                        next.g0 < groups ? std::min(g1 - g0, groups - next.g0) : 0,
                        next.kc * p * sizeof(float) / 64};
        for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
          const std::size_t rows = std::min<std::size_t>(kTileRows, mb - r0);
          const auto share = generic::l2_share(r0 / kTileRows, row_tiles, next.lines_per_group);
          tiles[rows - 1](blk, x + (m0 + r0) * ldx + k0, y + (m0 + r0) * ldy + g0 * kGroup, share.from, share.count);
        }
      }
    }
    if (!in_registers)
      for (std::size_t r = m0; r < m0 + mb; ++r) bias_activation(y + r * ldy, 1, n, epilogue.bias, epilogue.activation);
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
