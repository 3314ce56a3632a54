// The AVX-512 packed GEMM (y = x · Wᵀ, W packed by nn::PackedWeights, in
// panels of 48 columns, this level's, or 16): tiles of 8 rows × 48 columns in
// registers, each element summed in k order with one
// fused multiply-add per step, so a row's result never depends on the other
// rows.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "cpu/avx512/math.h"
#include "cpu/generic/generic.h"

// GCC 12 warns about the unset upper lanes inside its own masked intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace emb::cpu::avx512 {
namespace {

// A tile's columns: one group of 48, three vectors of 16 per step of k (one
// panel of 48 columns, or three of 16).
constexpr std::size_t kGroup = kPackedPanelWide;
static_assert(kGroup % kPackedPanelNarrow == 0 && kPackedPanelNarrow % 16 == 0);

// Blocking, which never changes the order of any element's accumulation:
// blocks of about kRowBlock rows of x at a time (the hook runs on them once
// all their columns are complete), kDepthBlock values of k at a time, and
// within a row block, kColumnGroups groups of W at a time: that block of W
// (kDepthBlock × 192 floats, 288 KiB) stays in L2 while every tile of 8 rows
// of x (8 × kDepthBlock floats, in L1) runs against it, its groups streaming
// from L2 (measured on MiniLM's four products: 8 × 48 tiles with x in L1 and
// W streaming beat W in L1 with x streaming, 12 × 32 and 6 × 64 tiles, and
// packing x).
constexpr std::size_t kRowBlock = 192;
constexpr std::size_t kDepthBlock = 384;
constexpr std::size_t kColumnGroups = 4;

// How a tile ends: its sums stored as they are (more depth to come, or no
// epilogue), plus the bias, or plus the bias through GELU.
enum class Finish { Store, Bias, BiasGelu };

// How far ahead (in steps of k) every tile prefetches W into L1.
constexpr std::size_t kPrefetchSteps = 24;

// What every tile of one block shares: a block is kc steps of k of one or
// more consecutive groups of W (all full but the last, whose `last` mask
// covers its final vector).
struct Block {
  const float* w;           // the first group's first panel at the block's depth
  std::size_t group_floats; // from one group to the next
  std::size_t panel_floats; // from one panel to the next (panels of P columns)
  std::size_t kc;
  std::size_t groups;
  std::size_t ldx, ldc;
  bool accumulate;          // add to c (depth after the first block)
  Finish finish;
  const float* bias;        // the first group's bias, or null
  __mmask16 last;
  // The next block of W, brought into L2 by the tiles of this one (each tile
  // a share of every group's lines, one line every step steps of k), so that
  // the next block's first tile finds W in L2 instead of L3 or memory: that
  // tile had run at less than half the speed of the others (~9% of the time
  // on short texts). Interleaved in one process with the previous code,
  // short texts ran ~3% faster.
  const char* next;
  std::size_t next_groups;  // groups of this block that have a next group
  std::size_t next_panel_lines;   // lines of one panel in the next block
};

// R rows × NV vectors of 16 columns of accumulators, for each group of the
// block in turn: per step k, NV loads of W (one contiguous group row) and one
// broadcast of x per row (read in place, rows ldx apart) feed R·NV fused
// multiply-adds, each accumulator in k order. One call covers all the
// block's groups (x's rows stay in L1 from one group to the next), and takes
// its per-tile arguments in registers: with a call per group and the rest on
// the stack, the calls cost ~2% of the time.
// Every tile prefetches W kPrefetchSteps ahead into L1: the first tile of a
// block meets W coming from L3 or memory (the hardware prefetcher stops at
// every 4 KiB page), the others from L2, three lines every 12 cycles, which
// the L2 streamer does not bring into L1. Prefetching in the first tile only
// (the previous code), interleaved in one process with this: this was faster
// in 29 of 30 rounds on short texts, 1 thread (median paired ratio 1.050),
// 1.04 with 2 threads, ~1.02 on long texts; 12 steps ahead as good as 24,
// 32 and 48 worse.
template <int R, int NV, std::size_t P>
void tile_avx512(const Block& blk, const float* x, float* c, std::size_t l2_from, std::size_t l2_count,
                            std::size_t l2_step) {
  const std::size_t kc = blk.kc, ldc = blk.ldc;
  const float* xr[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) xr[r] = x + r * blk.ldx;
  for (std::size_t g = 0; g < blk.groups; ++g, c += kGroup) {
    const float* b = blk.w + g * blk.group_floats;
    const __mmask16 last = g + 1 == blk.groups ? blk.last : __mmask16(0xFFFF);
    __m512 acc[R][NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v)
        acc[r][v] = blk.accumulate
                        ? _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xFFFF), c + r * ldc + v * 16)
                        : _mm512_setzero_ps();
    // Line i of the group's share of the next block: line i %
    // next_panel_lines of the group's panel i / next_panel_lines.
    const std::size_t panel_bytes = blk.panel_floats * sizeof(float), panel_lines = blk.next_panel_lines;
    const char* l2_panel = blk.next + (g * blk.group_floats * sizeof(float) + l2_from / panel_lines * panel_bytes);
    std::size_t l2_line = l2_from % panel_lines;
    // Vector v's W at step k: column 16·v of the group, at bw(v) + P·k.
    // One pointer for a 48-column panel, as this code had before it read
    // 16-column panels too (an array of three pointers measured a few
    // percent slower on short texts, though within this VM's noise).
    const std::size_t panel_floats = blk.panel_floats;
    auto bw = [&](int v) { return P == kGroup ? b + 16 * v : b + 16 * v / P * panel_floats + 16 * v % P; };
    std::size_t l2_left = g < blk.next_groups ? l2_count : 0;
    std::size_t l2_next = l2_left ? 0 : kc;   // the step of the next L2 prefetch
#pragma GCC unroll 4
    for (std::size_t k = 0; k < kc; ++k) {
      __m512 bv[NV];
      if (k == l2_next) {
        _mm_prefetch(l2_panel + l2_line * 64, _MM_HINT_T1);
        if (++l2_line == panel_lines) l2_line = 0, l2_panel += panel_bytes;
        l2_next = --l2_left ? k + l2_step : kc;
      }
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v)
        _mm_prefetch(reinterpret_cast<const char*>(bw(v) + (k + kPrefetchSteps) * P), _MM_HINT_T0);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(bw(v) + k * P);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(xr[r][k]);
#pragma GCC unroll 3
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
      }
    }
    if (blk.finish != Finish::Store) {
      const float* bias = blk.bias ? blk.bias + g * kGroup : nullptr;
      __m512 bv[NV];
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v)
        bv[v] = bias ? _mm512_maskz_loadu_ps(v == NV - 1 ? last : __mmask16(0xFFFF), bias + v * 16)
                     : _mm512_setzero_ps();
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
        for (int v = 0; v < NV; ++v) {
          acc[r][v] = _mm512_add_ps(acc[r][v], bv[v]);
          if (blk.finish == Finish::BiasGelu) acc[r][v] = gelu_erf16(acc[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v)
        _mm512_mask_storeu_ps(c + r * ldc + v * 16, v == NV - 1 ? last : __mmask16(0xFFFF), acc[r][v]);
  }
}

using TileFn = void (*)(const Block&, const float*, float*, std::size_t, std::size_t, std::size_t);

constexpr int kTileRows = 8;
constexpr int kTileVectors = kGroup / 16;

template <int NV, std::size_t P, std::size_t... I>
constexpr auto tiles_of_width(std::index_sequence<I...>) {
  return std::array<TileFn, sizeof...(I)>{{tile_avx512<int(I) + 1, NV, P>...}};
}
template <std::size_t P, std::size_t... V>
constexpr auto make_tiles(std::index_sequence<V...>) {
  return std::array<std::array<TileFn, kTileRows>, sizeof...(V)>{
      {tiles_of_width<int(V) + 1, P>(std::make_index_sequence<kTileRows>{})...}};
}
// [panel is wide][vectors − 1][rows − 1]
constexpr std::array<std::array<std::array<TileFn, kTileRows>, kTileVectors>, 2> kTiles{
    make_tiles<kPackedPanelNarrow>(std::make_index_sequence<kTileVectors>{}),
    make_tiles<kPackedPanelWide>(std::make_index_sequence<kTileVectors>{})};

}  // namespace

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y,
                            std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook) {
  const std::size_t k = w.k, n = w.n, p = w.panel, groups = (n + kGroup - 1) / kGroup;
  const auto& tiles = kTiles[p == kPackedPanelWide];
  const bool in_registers = epilogue.activation == Activation::Identity || epilogue.activation == Activation::GeluErf;
  Finish finish = Finish::Store;
  if (in_registers && epilogue.activation == Activation::GeluErf) finish = Finish::BiasGelu;
  else if (in_registers && epilogue.bias) finish = Finish::Bias;
  // Only W's last group may be narrower than kGroup: its vectors pick the
  // tile of the block that holds it (a block of full groups and a narrower
  // last one is split in two calls of the same rows).
  const std::size_t last_cols = n - (groups - 1) * kGroup, last_vectors = (last_cols + 15) / 16;
  const std::size_t tail = last_cols - (last_vectors - 1) * 16;
  const __mmask16 last_mask = tail >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << tail) - 1);
  const std::size_t row_block = generic::balanced_row_block(m, kRowBlock, kTileRows);
  for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
    const std::size_t mb = m - m0 < row_block ? m - m0 : row_block;
    const std::size_t row_tiles = (mb + kTileRows - 1) / kTileRows;
    for (std::size_t g0 = 0; g0 < groups; g0 += kColumnGroups) {
      const std::size_t g1 = groups - g0 < kColumnGroups ? groups : g0 + kColumnGroups;
      for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
        const std::size_t kc = k - k0 < kDepthBlock ? k - k0 : kDepthBlock;
        // (A narrow last group's missing panels are never read; prefetches
        // of them, past the allocation, do not fault.)
        const auto next = generic::next_weight_block(g0, g1, groups, k0, kc, k, kDepthBlock, m0 + mb == m);
        Block blk{w.data + g0 * k * kGroup + k0 * p,
                  k * kGroup,
                  k * p,
                  kc,
                  g1 - g0,
                  ldx,
                  ldy,
                  k0 > 0,
                  k0 + kc == k ? finish : Finish::Store,
                  epilogue.bias ? epilogue.bias + g0 * kGroup : nullptr,
                  __mmask16(0xFFFF),
                  reinterpret_cast<const char*>(w.data + next.g0 * k * kGroup + next.k0 * p),
                  next.g0 < groups ? std::min(g1 - g0, groups - next.g0) : 0,
                  next.kc * p * sizeof(float) / 64};
        // W's last group ends the block: its mask, and a call of its own
        // when it has fewer vectors than a full group.
        Block narrow = blk;
        const bool split = g1 == groups && last_vectors < std::size_t(kTileVectors);
        if (split) {
          blk.groups -= 1;
          narrow.w += blk.groups * narrow.group_floats;
          narrow.next += blk.groups * narrow.group_floats * sizeof(float);
          narrow.next_groups = narrow.next_groups > blk.groups ? narrow.next_groups - blk.groups : 0;
          if (narrow.bias) narrow.bias += blk.groups * kGroup;
          narrow.groups = 1;
          narrow.last = last_mask;
        } else if (g1 == groups) {
          blk.last = last_mask;
        }
        for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
          const std::size_t rows = mb - r0 < std::size_t(kTileRows) ? mb - r0 : kTileRows;
          const auto [from, count] = generic::l2_share(r0 / kTileRows, row_tiles, next.lines_per_group);
          const std::size_t step = count ? std::max<std::size_t>(1, kc / count) : 1;
          const float* xt = x + (m0 + r0) * ldx + k0;
          float* yt = y + (m0 + r0) * ldy + g0 * kGroup;
          if (blk.groups > 0) tiles[kTileVectors - 1][rows - 1](blk, xt, yt, from, count, step);
          if (split) tiles[last_vectors - 1][rows - 1](narrow, xt, yt + blk.groups * kGroup, from, count, step);
        }
      }
    }
    if (!in_registers) {
      for (std::size_t r = m0; r < m0 + mb; ++r)
        bias_activation(y + r * ldy, 1, n, epilogue.bias, epilogue.activation);
    }
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

}  // namespace emb::cpu::avx512
