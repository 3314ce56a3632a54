#include "nn/quantized_gemm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/cpu_features.h"
#include "nn/kernels.h"
#include "nn/vector_gelu.h"

#if EMB_X86_DISPATCH
#include <immintrin.h>
// GCC 12's conversion intrinsics (_mm512_cvtepi32_ps, _mm512_cvtps_pd, ...)
// start from _mm512_undefined_*(), which its flow analysis reports as used
// uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace emb::nn {
namespace {

constexpr std::size_t kPanel = QuantizedWeights::kPanel;
constexpr std::size_t kGroupQuads = QuantizedWeights::kGroup / 4;
// Rows quantized and multiplied together; the hook runs on each block. Small
// so that the block's y (24 × n floats, ≤ 147 KiB on MiniLM) stays in L2
// beside W, which is then read from L2 once per block: with 96 rows y pushed W
// out to L3 (measured: MiniLM's four products at m = 900 went from ~175 to
// ~205 GOP/s, short texts +10%).
constexpr std::size_t kRowBlock = 24;

std::size_t padded_k(std::size_t k) { return (k + 3) / 4 * 4; }

// The VNNI path's quantized rows, kTileRows to a tile: quads 4j..4j+3 of a
// tile's row r at (tile start) + j · kChunkBytes + 16 · r, so that one
// pointer with constant offsets reaches all the tile's rows (with a pointer
// per row the loop spilled them; +7% on the tile alone with data in L1), and
// the quantizer still writes 16 bytes at a time.
constexpr std::size_t kTileRows = 12;
constexpr std::size_t kChunkBytes = 16 * kTileRows;

// bias + activation on one finished row (the fp32 product's epilogue, as a pass).
void apply_epilogue(const Epilogue& e, float* y, std::size_t n) {
  if (e.bias || e.activation != Activation::Identity) kernels::bias_activation(y, 1, n, e.bias, e.activation);
}

// Per-thread scratch of one product: the quantized block of x and its rows.
struct Scratch {
  std::vector<std::uint8_t> q;
  std::vector<QuantizedRow> rows;
  std::vector<float> zero_point, scale;   // the rows' own, contiguous for the tiles
};

Scratch& scratch(std::size_t rows, std::size_t q_bytes) {
  thread_local Scratch s;
  if (s.q.size() < q_bytes) s.q.resize(q_bytes);
  if (s.rows.size() < rows) s.rows.resize(rows);
  if (s.scale.size() < rows) {
    s.zero_point.resize(rows);
    s.scale.resize(rows);
  }
  return s;
}

// The outlier threshold from the row's squares: fused multiply-adds into 64
// float lanes (lane = i mod 64, the AVX-512 path's four vectors), folded to
// 16 as (l[j] + l[16 + j]) + (l[32 + j] + l[48 + j]) (two vector adds), then
// added in double one by one: the same order on both paths.
float outlier_threshold(const float* lanes16, std::size_t k) {
  double sum_of_squares = 0.0;
  for (int j = 0; j < 16; ++j) sum_of_squares += static_cast<double>(lanes16[j]);
  return static_cast<float>(std::sqrt(kOutlierRms * kOutlierRms * sum_of_squares / static_cast<double>(k)));
}

// Scale and zero point from the range of the kept values (0 always inside,
// so that a zero, and an outlier's slot, is exactly the zero point).
void set_range(float lo, float hi, QuantizedRow& row, float& inverse) {
  float scale = (hi - lo) / 255.0f;
  if (!(scale > 0.0f)) scale = 1.0f;
  inverse = 1.0f / scale;
  row.scale = scale;
  // Through int: a −0 from −lo would otherwise become a −0 zero point.
  row.zero_point = static_cast<float>(std::clamp(static_cast<int>(std::nearbyint(-lo * inverse)), 0, 255));
}

// The float steps after the integer products, shared by both paths: per
// group F = fma(acc, scale, F); then y = fma(−zero_point, zero_sum, F) ·
// row scale; then each outlier in input order: y = fma(x, W[c, i], y).
void finish_row_generic(const QuantizedWeights& w, const QuantizedRow& row, float* y) {
  const std::size_t n = w.n();
  const float* zs = w.zero_point_sums();
  for (std::size_t c = 0; c < n; ++c) {
    float v = std::fma(-row.zero_point, zs[c], y[c]) * row.scale;
    for (std::size_t o = 0; o < row.outlier_index.size(); ++o)
      v = std::fma(row.outlier_value[o], w.columns()[row.outlier_index[o] * n + c], v);
    y[c] = v;
  }
}

void gemm_generic(const float* x, std::size_t ldx, std::size_t m, const QuantizedWeights& w, float* y,
                  std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook) {
  const std::size_t k = w.k(), n = w.n(), lda = padded_k(k);
  for (std::size_t m0 = 0; m0 < m; m0 += kRowBlock) {
    const std::size_t mb = std::min(kRowBlock, m - m0);
    Scratch& s = scratch(mb, mb * lda);
    for (std::size_t r = 0; r < mb; ++r) {
      const std::uint8_t* q = s.q.data() + r * lda;
      quantize_row(x + (m0 + r) * ldx, k, s.q.data() + r * lda, s.rows[r]);
      float* yr = y + (m0 + r) * ldy;
      for (std::size_t c = 0; c < n; ++c) {
        float f = 0.0f;
        for (std::size_t g = 0; g < w.groups(); ++g) {
          std::int32_t acc = 0;
          const std::size_t end = std::min(k, (g + 1) * QuantizedWeights::kGroup);
          for (std::size_t i = g * QuantizedWeights::kGroup; i < end; ++i)
            acc += static_cast<std::int32_t>(q[i]) * w.value(c, i);
          f = std::fma(static_cast<float>(acc), w.scale(c, g), f);
        }
        yr[c] = f;
      }
      finish_row_generic(w, s.rows[r], yr);
      apply_epilogue(epilogue, yr, n);
    }
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

#if EMB_X86_DISPATCH
#define EMB_VNNI __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx512vnni,avx2,fma,prfchw")))

bool cpu_has_vnni() {
  static const bool yes = cpu::has_avx512() && __builtin_cpu_supports("avx512vnni");
  return yes;
}

// Writes 16 bytes (4 quads) of q at a time, chunk j at q + j · chunk_stride.
EMB_VNNI void quantize_row_avx512(const float* x, std::size_t k, std::uint8_t* q, std::size_t chunk_stride,
                                  QuantizedRow& row) {
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
  const __m512 limit = _mm512_set1_ps(outlier_threshold(lanes, k));
  const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  row.outlier_index.clear();
  row.outlier_value.clear();
  for (std::size_t i = 0; i < k; i += 16) {
    const __mmask16 mask = k - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (k - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
    const __mmask16 out = _mm512_cmp_ps_mask(_mm512_and_ps(v, abs_mask), limit, _CMP_GT_OQ);
    const __mmask16 keep = static_cast<__mmask16>(mask & ~out);
    lo = _mm512_mask_min_ps(lo, keep, lo, v);
    hi = _mm512_mask_max_ps(hi, keep, hi, v);
    for (unsigned bits = out; bits; bits &= bits - 1) {
      const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(bits));
      row.outlier_index.push_back(static_cast<std::uint32_t>(at));
      row.outlier_value.push_back(x[at]);
    }
  }
  float inverse;
  set_range(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), row, inverse);
  const __m512 inv = _mm512_set1_ps(inverse);
  const __m512i zp = _mm512_set1_epi32(static_cast<int>(row.zero_point));
  const __m512i zero = _mm512_setzero_si512(), top = _mm512_set1_epi32(255);
  const std::size_t kp = padded_k(k);
  for (std::size_t i = 0; i < kp; i += 16) {
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
EMB_VNNI inline void dpbusd(__m512i& acc, __m512i u8, __m512i s8) {
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
EMB_VNNI __attribute__((always_inline)) inline void group_vnni(const std::uint8_t* a, const std::int8_t* b,
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
EMB_VNNI void tile_vnni(const std::uint8_t* a, const std::int8_t* b, std::size_t panel_stride,
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
// operations in the same order as the portable path's finish_row_generic and
// kernels::bias_activation.
template <bool Gelu>
EMB_VNNI void finish_row_avx512(const QuantizedWeights& w, const QuantizedRow& row, const float* bias, float* y) {
  const std::size_t n = w.n(), outliers = row.outlier_index.size();
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
      const __m512 xo = _mm512_set1_ps(row.outlier_value[o]);
      const float* col = w.columns() + row.outlier_index[o] * n + c0;
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) v[j] = _mm512_fmadd_ps(xo, _mm512_maskz_loadu_ps(mask[j], col + 16 * j), v[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      if (bias) v[j] = _mm512_add_ps(v[j], _mm512_maskz_loadu_ps(mask[j], bias + c0 + 16 * j));
      if constexpr (Gelu) v[j] = simd::gelu_erf16(v[j]);
      _mm512_mask_storeu_ps(y + c0 + 16 * j, mask[j], v[j]);
    }
  }
}

EMB_VNNI void gemm_vnni(const float* x, std::size_t ldx, std::size_t m, const QuantizedWeights& w, float* y,
                        std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook) {
  const std::size_t k = w.k(), n = w.n(), quads = w.quads(), tile_bytes = (quads + 3) / 4 * kChunkBytes;
  const std::size_t panels = w.panels(), panel_stride = quads * 64, pn = w.padded_n();
  for (std::size_t m0 = 0; m0 < m; m0 += kRowBlock) {
    const std::size_t mb = std::min(kRowBlock, m - m0);
    Scratch& s = scratch(mb, (mb + kTileRows - 1) / kTileRows * tile_bytes);
    for (std::size_t r = 0; r < mb; ++r) {
      quantize_row_avx512(x + (m0 + r) * ldx, k, s.q.data() + r / kTileRows * tile_bytes + r % kTileRows * 16,
                          kChunkBytes, s.rows[r]);
      s.zero_point[r] = s.rows[r].zero_point;
      s.scale[r] = s.rows[r].scale;
    }
    for (std::size_t p = 0; p < panels; p += 2) {
      const int np = panels - p >= 2 ? 2 : 1;
      const std::size_t last_cols = n - (p + np - 1) * kPanel;
      const __mmask16 last = last_cols >= kPanel ? __mmask16(0xFFFF) : __mmask16((1u << last_cols) - 1);
      const std::int8_t* b = w.packed() + p * panel_stride;
      for (std::size_t r0 = 0; r0 < mb; r0 += kTileRows) {
        const std::size_t rows = std::min<std::size_t>(kTileRows, mb - r0);
        const Finish finish{w.zero_point_sums() + p * kPanel, s.zero_point.data() + r0, s.scale.data() + r0};
        kTiles[rows - 1][np - 1](s.q.data() + r0 / kTileRows * tile_bytes, b, panel_stride, quads,
                                 w.scales() + p * kPanel, pn,
                                 y + (m0 + r0) * ldy + p * kPanel, ldy, last, finish);
      }
    }
    for (std::size_t r = 0; r < mb; ++r) {
      float* yr = y + (m0 + r) * ldy;
      if (epilogue.activation == Activation::GeluErf) {
        finish_row_avx512<true>(w, s.rows[r], epilogue.bias, yr);
      } else if (epilogue.activation == Activation::Identity) {
        finish_row_avx512<false>(w, s.rows[r], epilogue.bias, yr);
      } else {   // other activations: their own pass (kernels::bias_activation)
        finish_row_avx512<false>(w, s.rows[r], nullptr, yr);
        apply_epilogue(epilogue, yr, n);
      }
    }
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}
#else
bool cpu_has_vnni() { return false; }
#endif

}  // namespace

bool int8_vnni_available() noexcept { return cpu_isa() == Isa::Avx512 && cpu_has_vnni(); }

QuantizedWeights::QuantizedWeights(const float* w, std::size_t n, std::size_t k) : n_(n), k_(k) {
  const std::size_t pn = padded_n(), quads = this->quads();
  // 64 bytes per panel and quad; the vector is over-allocated so that the
  // panels can start on a cache line (aligned loads in the kernel).
  packed_.assign(panels() * quads * 64 + 64, 0);
  scales_.assign(groups() * pn, 0.0f);
  zero_sums_.assign(pn, 0.0f);
  columns_.assign(n * k, 0.0f);
  std::int8_t* base = packed_base();
  std::vector<std::int8_t> values(k);
  for (std::size_t c = 0; c < n; ++c) {
    const float* row = w + c * k;
    double zero_sum = 0.0;
    for (std::size_t g = 0; g < groups(); ++g) {
      const std::size_t begin = g * kGroup, end = std::min(k, begin + kGroup);
      float amax = 0.0f;
      for (std::size_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(row[i]));
      const float scale = amax / 127.0f;
      scales_[g * pn + c] = scale;
      std::int32_t sum = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const float v = scale > 0.0f ? std::clamp(std::nearbyint(row[i] / scale), -127.0f, 127.0f) : 0.0f;
        values[i] = static_cast<std::int8_t>(v);
        columns_[i * n + c] = row[i];
        sum += static_cast<std::int32_t>(v);
      }
      zero_sum += static_cast<double>(scale) * sum;
    }
    zero_sums_[c] = static_cast<float>(zero_sum);
    for (std::size_t i = 0; i < k; ++i) base[((c / kPanel * quads + i / 4) * kPanel + c % kPanel) * 4 + i % 4] = values[i];
  }
}

std::int8_t* QuantizedWeights::packed_base() noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(packed_.data());
  return packed_.data() + ((64 - address % 64) % 64);
}

const std::int8_t* QuantizedWeights::packed() const noexcept {
  return const_cast<QuantizedWeights*>(this)->packed_base();
}

void quantize_row(const float* x, std::size_t k, std::uint8_t* q, QuantizedRow& row) {
  float lanes[64] = {};
  for (std::size_t i = 0; i < k; ++i) lanes[i % 64] = std::fma(x[i], x[i], lanes[i % 64]);
  float lanes16[16];
  for (int j = 0; j < 16; ++j) lanes16[j] = (lanes[j] + lanes[16 + j]) + (lanes[32 + j] + lanes[48 + j]);
  const float limit = outlier_threshold(lanes16, k);
  float lo = 0.0f, hi = 0.0f;
  row.outlier_index.clear();
  row.outlier_value.clear();
  for (std::size_t i = 0; i < k; ++i) {
    if (std::fabs(x[i]) > limit) {
      row.outlier_index.push_back(static_cast<std::uint32_t>(i));
      row.outlier_value.push_back(x[i]);
    } else {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
  }
  float inverse;
  set_range(lo, hi, row, inverse);
  const auto zp = static_cast<int>(row.zero_point);
  for (std::size_t i = 0; i < padded_k(k); ++i) {
    int v = zp;
    if (i < k && !(std::fabs(x[i]) > limit)) v = std::clamp(static_cast<int>(std::nearbyint(x[i] * inverse)) + zp, 0, 255);
    q[i] = static_cast<std::uint8_t>(v);
  }
}

void gemm_quantized(const float* x, std::size_t ldx, std::size_t m, const QuantizedWeights& w, float* y,
                    std::size_t ldy, const Epilogue& epilogue, RowBlockHook hook, Isa isa) {
  if (m == 0 || w.n() == 0) return;
  if (w.k() == 0) {
    for (std::size_t r = 0; r < m; ++r) {
      std::memset(y + r * ldy, 0, w.n() * sizeof(float));
      apply_epilogue(epilogue, y + r * ldy, w.n());
    }
    if (hook.fn) hook.fn(hook.context, 0, m);
    return;
  }
#if EMB_X86_DISPATCH
  if (isa == Isa::Avx512 && cpu_has_vnni()) return gemm_vnni(x, ldx, m, w, y, ldy, epilogue, hook);
#endif
  (void)isa;
  gemm_generic(x, ldx, m, w, y, ldy, epilogue, hook);
}

}  // namespace emb::nn
