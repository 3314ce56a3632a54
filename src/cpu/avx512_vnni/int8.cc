// The int8 product on AVX-512 VNNI: rows quantized to uint8 in 12-row tiles
// interleaved by 16 bytes, W's int8 panels multiplied by vpdpbusd (4 byte
// products per 32-bit lane), each weight group's exact integer sums folded
// into float in registers. Bitwise the generic result (cpu/generic/int8.cc).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "cpu/avx512/math.h"
#include "cpu/avx512_vnni/vnni.h"
#include "cpu/generic/generic.h"

// GCC 12's conversion intrinsics (_mm512_cvtepi32_ps, _mm512_cvtps_pd, ...)
// start from _mm512_undefined_*(), which its flow analysis reports as used
// uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace emb::cpu::avx512_vnni {
namespace {

constexpr std::size_t kPanel = kInt8Panel;
constexpr std::size_t kGroupQuads = kInt8Group / 4;

std::size_t padded_k(std::size_t k) { return (k + 3) / 4 * 4; }

// The quantized rows, kTileRows to a tile: quads 4j..4j+3 of a tile's row r
// at (tile start) + j · kChunkBytes + 16 · r, so that one pointer with
// constant offsets reaches all the tile's rows (with a pointer per row the
// loop spilled them; +7% on the tile alone with data in L1), and the
// quantizer still writes 16 bytes at a time.
constexpr std::size_t kTileRows = 12;
constexpr std::size_t kChunkBytes = 16 * kTileRows;

std::size_t tile_bytes(std::size_t k) { return ((k + 3) / 4 + 3) / 4 * kChunkBytes; }

// Writes 16 bytes (4 quads) of q at a time, chunk j at q + j · chunk_stride.
void quantize_row(const float* x, std::size_t k, std::uint8_t* q, std::size_t chunk_stride, float& scale,
                  float& zero_point, std::uint32_t* outlier_index, float* outlier_value,
                  std::uint32_t& outlier_count) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  std::size_t i = 0;
  for (; i + 64 <= k; i += 64) {
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m512 v = _mm512_loadu_ps(x + i + 16 * static_cast<std::size_t>(j));
      acc[j] = _mm512_fmadd_ps(v, v, acc[j]);
    }
  }
  for (int j = 0; i < k; i += 16, ++j) {
    const __mmask16 mask = k - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
    acc[j] = _mm512_fmadd_ps(v, v, acc[j]);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  const __m512 limit = _mm512_set1_ps(generic::outlier_threshold(lanes, k));
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  outlier_count = 0;
  for (i = 0; i < k; i += 16) {
    const __mmask16 mask = k - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
    const __mmask16 out = _mm512_cmp_ps_mask(_mm512_and_ps(v, abs_mask), limit, _CMP_GT_OQ);
    const __mmask16 keep = static_cast<__mmask16>(mask & ~out);
    lo = _mm512_mask_min_ps(lo, keep, lo, v);
    hi = _mm512_mask_max_ps(hi, keep, hi, v);
    for (unsigned bits = out; bits; bits &= bits - 1) {
      const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(bits));
      outlier_index[outlier_count] = static_cast<std::uint32_t>(at);
      outlier_value[outlier_count++] = x[at];
    }
  }
  const float inverse = generic::set_range(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), scale, zero_point);
  const __m512 inv = _mm512_set1_ps(inverse);
  const __m512i zp = _mm512_set1_epi32(static_cast<int>(zero_point));
  const __m512i zero = _mm512_setzero_si512(), top = _mm512_set1_epi32(255);
  const std::size_t kp = padded_k(k);
  for (i = 0; i < kp; i += 16) {
    const __mmask16 mask = k > i ? (k - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - i)) - 1)) : 0;
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
    const __mmask16 out = _mm512_cmp_ps_mask(_mm512_and_ps(v, abs_mask), limit, _CMP_GT_OQ);
    __m512i qi = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, inv)), zp);
    qi = _mm512_min_epi32(_mm512_max_epi32(qi, zero), top);
    qi = _mm512_mask_blend_epi32(static_cast<__mmask16>(out | ~mask), qi, zp);
    const __mmask16 store = kp - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (kp - i)) - 1);
    _mm_mask_storeu_epi8(q + i / 16 * chunk_stride, store, _mm512_cvtepi32_epi8(qi));
  }
}

// acc += Σ of 4 u8 × s8 products per 32-bit lane. Through asm: GCC 12
// copies the accumulator of _mm512_dpbusd_epi32 to a fresh register each
// time and, with 24 of them, spills to the stack (measured: the kernel ran at
// a third of its speed).
inline void dpbusd(__m512i& acc, __m512i u8, __m512i s8) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
}

// What the last group's fold applies: y = (F − zero_point·zero_sum)·scale.
struct Finish {
  const float* zero_sums;    ///< at the tile's first column
  const float* zero_point;   ///< per tile row
  const float* scale;        ///< per tile row
};

// R rows × NP panels of int32 accumulators over quads [q0, q1) of one
// weight group, then folded into y: F = fma(float(acc), scale, First ? 0 : F);
// Last: then the zero point and row scale while in registers. Inlined into
// tile_vnni once per (First, Last), each with its own accumulators (passed
// between functions they would live on the stack).
template <int R, int NP, bool First, bool Last>
__attribute__((always_inline)) inline void group_vnni(const std::uint8_t* a, const std::int8_t* b,
                                                               std::size_t panel_stride, std::size_t q0,
                                                               std::size_t q1, const float* scales, float* y,
                                                               std::size_t ldy, __mmask16 last,
                                                               const Finish& finish) {
  __m512i acc[R][NP];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_si512();
  // One quad: NP weight vectors, R broadcast row quads (one base pointer,
  // constant offsets), R × NP dot products. A macro: a function taking acc by
  // reference left it on the stack.
#define EMB_QUAD_STEP(quad)                                                                              \
  do {                                                                                                   \
    const std::size_t q_ = (quad);                                                                       \
    const std::uint8_t* a_ = a + q_ / 4 * kChunkBytes + q_ % 4 * 4;                                      \
    __m512i bv[NP];                                                                                      \
    _Pragma("GCC unroll 2") for (int p = 0; p < NP; ++p) bv[p] = _mm512_load_si512(b + p * panel_stride + q_ * 64); \
    _Pragma("GCC unroll 12") for (int r = 0; r < R; ++r) {                                               \
      std::int32_t four;                                                                                 \
      std::memcpy(&four, a_ + 16 * r, 4);                                                                \
      const __m512i av = _mm512_set1_epi32(four);                                                        \
      _Pragma("GCC unroll 2") for (int p = 0; p < NP; ++p) dpbusd(acc[r][p], av, bv[p]);                 \
    }                                                                                                    \
  } while (0)
  std::size_t q = q0;
  for (; q + 4 <= q1; q += 4) {
    EMB_QUAD_STEP(q);
    EMB_QUAD_STEP(q + 1);
    EMB_QUAD_STEP(q + 2);
    EMB_QUAD_STEP(q + 3);
  }
  // k not a multiple of 16: at most 3 quads left (their count bounds the
  // loop for GCC, which otherwise warns of q · 64 overflowing).
  for (std::size_t left = (q1 - q) % 4; left > 0; --left, ++q) EMB_QUAD_STEP(q);
#undef EMB_QUAD_STEP
#pragma GCC unroll 2
  for (int p = 0; p < NP; ++p) {
    const __m512 s = _mm512_loadu_ps(scales + p * 16);
    const __mmask16 mask = p == NP - 1 ? last : __mmask16(0xFFFF);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      float* out = y + r * ldy + p * 16;
      const __m512 prev = First ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask, out);
      __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][p]), s, prev);
      if constexpr (Last)
        v = _mm512_mul_ps(_mm512_fnmadd_ps(_mm512_set1_ps(finish.zero_point[r]),
                                           _mm512_loadu_ps(finish.zero_sums + p * 16), v),
                          _mm512_set1_ps(finish.scale[r]));
      _mm512_mask_storeu_ps(out, mask, v);
    }
  }
}

// R rows × NP panels of y over the whole of k, one weight group after the
// other (y stays in L1 between groups). One call per tile, not per group:
// the per-call set-up and the fold's branches on first/last group cost about
// as much as a group's products.
template <int R, int NP>
void tile_vnni(const std::uint8_t* a, const std::int8_t* b, std::size_t panel_stride,
                        std::size_t quads, const float* scales, std::size_t scale_stride, float* y, std::size_t ldy,
                        __mmask16 last, const Finish& finish) {
  // y's lines are usually out of cache (a product's rows × n floats): asking
  // for them now overlaps the misses with the first group's products instead
  // of stalling its stores.
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int p = 0; p < NP; ++p) _mm_prefetch(reinterpret_cast<const char*>(y + r * ldy + p * 16), _MM_HINT_ET0);
  if (quads <= kGroupQuads)
    return group_vnni<R, NP, true, true>(a, b, panel_stride, 0, quads, scales, y, ldy, last, finish);
  group_vnni<R, NP, true, false>(a, b, panel_stride, 0, kGroupQuads, scales, y, ldy, last, finish);
  std::size_t q0 = kGroupQuads;
  for (; q0 + kGroupQuads < quads; q0 += kGroupQuads) {
    scales += scale_stride;
    group_vnni<R, NP, false, false>(a, b, panel_stride, q0, q0 + kGroupQuads, scales, y, ldy, last, finish);
  }
  group_vnni<R, NP, false, true>(a, b, panel_stride, q0, quads, scales + scale_stride, y, ldy, last, finish);
}

using TileFn = void (*)(const std::uint8_t*, const std::int8_t*, std::size_t, std::size_t,
                        const float*, std::size_t, float*, std::size_t, __mmask16, const Finish&);

template <std::size_t... I>
constexpr auto make_tiles(std::index_sequence<I...>) {
  return std::array<std::array<TileFn, 2>, sizeof...(I)>{{{tile_vnni<int(I) + 1, 1>, tile_vnni<int(I) + 1, 2>}...}};
}
constexpr auto kTiles = make_tiles(std::make_index_sequence<kTileRows>{});

// Each outlier in input order, then the epilogue's bias and GELU (if
// Gelu), on 64 columns at a time in registers: one pass over the row instead
// of one for the outliers and one for the epilogue. Four independent chains
// of fused multiply-adds (one chain per 16 columns would wait on each add's
// latency). The zero point and scale are already applied. The same
// operations in the same order as generic::finish_int8_row and
// bias_activation.
template <bool Gelu>
void finish_row(const Int8Matrix& w, std::uint32_t outliers, const std::uint32_t* outlier_index,
                const float* outlier_value, const float* bias, float* y) {
  const std::size_t n = w.n;
  if (outliers == 0 && !bias && !Gelu) return;
  for (std::size_t c0 = 0; c0 < n; c0 += 64) {
    __m512 v[4];
    __mmask16 mask[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const std::size_t c = c0 + 16 * j;
      mask[j] = c >= n ? __mmask16(0) : n - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - c)) - 1);
      v[j] = _mm512_maskz_loadu_ps(mask[j], y + c);
    }
    for (std::size_t o = 0; o < outliers; ++o) {
      const __m512 xo = _mm512_set1_ps(outlier_value[o]);
      const float* col = w.columns + outlier_index[o] * n + c0;
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) v[j] = _mm512_fmadd_ps(xo, _mm512_maskz_loadu_ps(mask[j], col + 16 * j), v[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      if (bias) v[j] = _mm512_add_ps(v[j], _mm512_maskz_loadu_ps(mask[j], bias + c0 + 16 * j));
      if constexpr (Gelu) v[j] = avx512::gelu_erf16(v[j]);
      _mm512_mask_storeu_ps(y + c0 + 16 * j, mask[j], v[j]);
    }
  }
}

}  // namespace

std::size_t int8_q_bytes(std::size_t rows, std::size_t k) {
  return (rows + kTileRows - 1) / kTileRows * tile_bytes(k);
}

void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s) {
  const std::size_t k = w.k, n = w.n, quads = w.quads(), tiles = tile_bytes(k);
  const std::size_t panels = w.panels(), panel_stride = quads * 64, pn = w.padded_n();
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row(x + r * ldx, k, s.q + r / kTileRows * tiles + r % kTileRows * 16, kChunkBytes, s.scale[r],
                 s.zero_point[r], s.outlier_index + r * k, s.outlier_value + r * k, s.outlier_count[r]);
  for (std::size_t p = 0; p < panels; p += 2) {
    const int np = panels - p >= 2 ? 2 : 1;
    const std::size_t last_cols = n - (p + np - 1) * kPanel;
    const __mmask16 last = last_cols >= kPanel ? __mmask16(0xFFFF) : __mmask16((1u << last_cols) - 1);
    const std::int8_t* b = w.packed + p * panel_stride;
    for (std::size_t r0 = 0; r0 < rows; r0 += kTileRows) {
      const std::size_t tile_rows = std::min(kTileRows, rows - r0);
      const Finish finish{w.zero_sums + p * kPanel, s.zero_point + r0, s.scale + r0};
      kTiles[tile_rows - 1][np - 1](s.q + r0 / kTileRows * tiles, b, panel_stride, quads, w.scales + p * kPanel, pn,
                                    y + r0 * ldy + p * kPanel, ldy, last, finish);
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    const std::uint32_t* index = s.outlier_index + r * k;
    const float* value = s.outlier_value + r * k;
    if (epilogue.activation == Activation::GeluErf) {
      finish_row<true>(w, s.outlier_count[r], index, value, epilogue.bias, yr);
    } else if (epilogue.activation == Activation::Identity) {
      finish_row<false>(w, s.outlier_count[r], index, value, epilogue.bias, yr);
    } else {   // other activations: their own pass
      finish_row<false>(w, s.outlier_count[r], index, value, nullptr, yr);
      avx512::bias_activation(yr, 1, n, epilogue.bias, epilogue.activation);
    }
  }
}

}  // namespace emb::cpu::avx512_vnni
