// The int8 product on AVX2, which has no VNNI (vpdpbusd): the rows'
// uint8 values are kept as int16, the weights' int8 are sign-extended to
// int16 as they are loaded, and vpmaddwd multiplies 16 pairs into 8 exact
// int32 sums per instruction. (vpmaddubsw would take the bytes as they are,
// but it saturates its int16 pair sums, 2 · 255 · 127 > 32767, and keeping
// the products below that costs a bit of the rows' or weights' precision,
// which the quality gate does not leave.) The integer sums are exact, and the
// float steps after them are the generic ones in the same order, so the
// result is bitwise the generic level's (cpu/generic/int8.cc).
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "cpu/avx2/avx2.h"
#include "cpu/generic/generic.h"

namespace emb::cpu::avx2 {
namespace {

constexpr std::size_t kGroupQuads = kInt8Group / 4;
// Tiles of 5 rows × 8 columns (half a panel): 10 int32 accumulators (each
// holds 4 columns × 2 halves of a quad), two weight vectors, a broadcast of a
// row's quad and vpmaddwd's product (it cannot accumulate in place) in
// AVX2's 16 registers; 6 rows spilled accumulators to the stack.
constexpr int kTileRows = 5;

std::size_t padded_k(std::size_t k) { return (k + 3) / 4 * 4; }

inline __m256i lane_mask(std::size_t n) {
  static constexpr std::int32_t kBits[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kBits + 8 - (n < 8 ? n : 8)));
}

// The generic quantizer's values (cpu/generic/int8.cc), written as int16:
// the squares in 64 lanes (eight vectors, lane = i mod 64) folded to 16 in
// the generic order, the outliers, the range, then nearest-even rounding.
void quantize_row(const float* x, std::size_t k, std::int16_t* q, float& scale, float& zero_point,
                  std::uint32_t* outlier_index, float* outlier_value, std::uint32_t& outlier_count) {
  __m256 acc[8];
  for (auto& a : acc) a = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 64 <= k; i += 64)
    for (int j = 0; j < 8; ++j) {
      const __m256 v = _mm256_loadu_ps(x + i + 8 * static_cast<std::size_t>(j));
      acc[j] = _mm256_fmadd_ps(v, v, acc[j]);
    }
  for (int j = 0; i < k; i += 8, ++j) {
    const __m256 v = _mm256_maskload_ps(x + i, lane_mask(k - i));
    acc[j] = _mm256_fmadd_ps(v, v, acc[j]);
  }
  alignas(32) float lanes16[16];
  _mm256_store_ps(lanes16, _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[4], acc[6])));
  _mm256_store_ps(lanes16 + 8, _mm256_add_ps(_mm256_add_ps(acc[1], acc[3]), _mm256_add_ps(acc[5], acc[7])));
  const float limit_f = generic::outlier_threshold(lanes16, k);
  const __m256 limit = _mm256_set1_ps(limit_f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  outlier_count = 0;
  for (i = 0; i < k; i += 8) {
    const __m256 v = _mm256_maskload_ps(x + i, lane_mask(k - i));   // zeros past k: inside the range
    const int out = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_GT_OQ));
    const __m256 kept = _mm256_blendv_ps(v, _mm256_setzero_ps(), _mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_GT_OQ));
    lo = _mm256_min_ps(lo, kept);
    hi = _mm256_max_ps(hi, kept);
    for (unsigned bits = static_cast<unsigned>(out); bits; bits &= bits - 1) {
      const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(bits));
      outlier_index[outlier_count] = static_cast<std::uint32_t>(at);
      outlier_value[outlier_count++] = x[at];
    }
  }
  alignas(32) float lo8[8], hi8[8];
  _mm256_store_ps(lo8, lo);
  _mm256_store_ps(hi8, hi);
  float lo_f = 0.0f, hi_f = 0.0f;
  for (int j = 0; j < 8; ++j) lo_f = std::min(lo_f, lo8[j]), hi_f = std::max(hi_f, hi8[j]);
  const float inverse = generic::set_range(lo_f, hi_f, scale, zero_point);
  const __m256 inv = _mm256_set1_ps(inverse);
  const __m256i zp = _mm256_set1_epi32(static_cast<int>(zero_point));
  const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(255);
  const std::size_t kp = padded_k(k);
  for (i = 0; i < kp; i += 8) {
    const __m256i live = lane_mask(k > i ? k - i : 0);
    const __m256 v = _mm256_maskload_ps(x + i, live);
    const __m256 out = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_GT_OQ);
    __m256i qi = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v, inv)), zp);
    qi = _mm256_min_epi32(_mm256_max_epi32(qi, zero), top);
    // Outliers and the padding past k hold the zero point.
    const __m256i keep = _mm256_andnot_si256(_mm256_castps_si256(out), live);
    qi = _mm256_blendv_epi8(zp, qi, keep);
    // 8 int32 → 8 int16 (values 0…255: packs keeps them), lanes in order.
    const __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
    if (kp - i >= 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), packed);
    } else {
      alignas(16) std::int16_t tail[8];
      _mm_store_si128(reinterpret_cast<__m128i*>(tail), packed);
      std::memcpy(q + i, tail, (kp - i) * sizeof(std::int16_t));
    }
  }
}

// W's values for 4 columns × one quad as 16 int16: loaded as they are from
// the int16 copy (Int8Matrix::wide, laid out as the bytes), or the 16 bytes
// sign-extended as they are loaded (~15% slower on the tile alone).
template <bool Wide>
inline __m256i weights16(const std::int8_t* bytes, const std::int16_t* wide, std::size_t at) {
  if constexpr (Wide) return _mm256_load_si256(reinterpret_cast<const __m256i*>(wide + at));
  return _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes + at)));
}

// 8 columns' sums from two accumulators of 4 columns × 2 quad halves each:
// hadd gives columns 0 1 4 5 | 2 3 6 7, the 64-bit permute puts them in order.
inline __m256 column_sums(__m256i a, __m256i b) {
  return _mm256_cvtepi32_ps(_mm256_permute4x64_epi64(_mm256_hadd_epi32(a, b), 0xD8));
}

// R rows × 8 columns (half `half` of a panel) over all of k, one weight
// group at a time: exact int32 sums, folded into y as F = fma(sum, scale, F).
template <int R, bool Wide>
void tile(const std::int16_t* q, std::size_t ldq, const std::int8_t* panel, const std::int16_t* wide,
          std::size_t quads, std::size_t half, const float* scales, std::size_t scale_stride, float* y,
          std::size_t ldy, std::size_t cols) {
  const std::size_t b = half * 32;   // the half panel's first value, in panel and wide
  for (std::size_t q0 = 0, g = 0; q0 < quads; q0 += kGroupQuads, ++g) {
    const std::size_t q1 = std::min(quads, q0 + kGroupQuads);
    __m256i acc[R][2];
#pragma GCC unroll 5
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (std::size_t qd = q0; qd < q1; ++qd) {
      const __m256i w0 = weights16<Wide>(panel, wide, b + qd * 64), w1 = weights16<Wide>(panel, wide, b + qd * 64 + 16);
#pragma GCC unroll 5
      for (int r = 0; r < R; ++r) {
        std::int64_t four;
        std::memcpy(&four, q + r * ldq + 4 * qd, 8);
        const __m256i a = _mm256_set1_epi64x(four);
        acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, w0));
        acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, w1));
      }
    }
    // Masked loads and stores only where W ends inside the 8 columns: AMD's
    // vmaskmovps store is microcoded and far slower than a plain one.
    const __m256 s = _mm256_loadu_ps(scales + g * scale_stride + half * 8);
    const __m256i live = lane_mask(cols);
#pragma GCC unroll 5
    for (int r = 0; r < R; ++r) {
      float* out = y + r * ldy;
      if (cols == 8) {
        const __m256 prev = g == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out);
        _mm256_storeu_ps(out, _mm256_fmadd_ps(column_sums(acc[r][0], acc[r][1]), s, prev));
      } else {
        const __m256 prev = g == 0 ? _mm256_setzero_ps() : _mm256_maskload_ps(out, live);
        _mm256_maskstore_ps(out, live, _mm256_fmadd_ps(column_sums(acc[r][0], acc[r][1]), s, prev));
      }
    }
  }
}

using TileFn = void (*)(const std::int16_t*, std::size_t, const std::int8_t*, const std::int16_t*, std::size_t,
                        std::size_t, const float*, std::size_t, float*, std::size_t, std::size_t);
// [wide][rows − 1]
constexpr TileFn kTiles[2][kTileRows] = {
    {tile<1, false>, tile<2, false>, tile<3, false>, tile<4, false>, tile<5, false>},
    {tile<1, true>, tile<2, true>, tile<3, true>, tile<4, true>, tile<5, true>}};

// The float steps after the integer sums, as generic::finish_int8_row:
// y = fma(−zero_point, zero_sum, y) · scale, then each outlier in order.
void finish_row(const Int8Matrix& w, float scale, float zero_point, std::uint32_t outliers, const std::uint32_t* index,
                const float* value, float* y) {
  const std::size_t n = w.n;
  const __m256 zp = _mm256_set1_ps(zero_point), sc = _mm256_set1_ps(scale);
  std::size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    __m256 v = _mm256_mul_ps(_mm256_fnmadd_ps(zp, _mm256_loadu_ps(w.zero_sums + c), _mm256_loadu_ps(y + c)), sc);
    for (std::size_t o = 0; o < outliers; ++o)
      v = _mm256_fmadd_ps(_mm256_set1_ps(value[o]), _mm256_loadu_ps(w.columns + index[o] * n + c), v);
    _mm256_storeu_ps(y + c, v);
  }
  if (c < n) {
    const __m256i live = lane_mask(n - c);
    __m256 v = _mm256_mul_ps(_mm256_fnmadd_ps(zp, _mm256_maskload_ps(w.zero_sums + c, live), _mm256_maskload_ps(y + c, live)), sc);
    for (std::size_t o = 0; o < outliers; ++o)
      v = _mm256_fmadd_ps(_mm256_set1_ps(value[o]), _mm256_maskload_ps(w.columns + index[o] * n + c, live), v);
    _mm256_maskstore_ps(y + c, live, v);
  }
}

}  // namespace

std::size_t int8_q_bytes(std::size_t rows, std::size_t k) { return rows * padded_k(k) * sizeof(std::int16_t); }

void int8_block(const float* x, std::size_t ldx, std::size_t rows, const Int8Matrix& w, float* y, std::size_t ldy,
                const Epilogue& epilogue, const Int8Scratch& s) {
  const std::size_t k = w.k, n = w.n, quads = w.quads(), ldq = padded_k(k);
  auto* q = reinterpret_cast<std::int16_t*>(s.q);
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row(x + r * ldx, k, q + r * ldq, s.scale[r], s.zero_point[r], s.outlier_index + r * k,
                 s.outlier_value + r * k, s.outlier_count[r]);
  for (std::size_t p = 0; p < w.panels(); ++p) {
    const std::int8_t* panel = w.packed + p * quads * 64;
    const std::int16_t* wide = w.wide ? w.wide + p * quads * 64 : nullptr;
    for (std::size_t half = 0; half < 2; ++half) {
      const std::size_t c0 = p * kInt8Panel + half * 8;
      if (c0 >= n) break;
      const std::size_t cols = std::min<std::size_t>(8, n - c0);
      for (std::size_t r0 = 0; r0 < rows; r0 += kTileRows) {
        const std::size_t tile_rows = std::min<std::size_t>(kTileRows, rows - r0);
        kTiles[wide != nullptr][tile_rows - 1](q + r0 * ldq, ldq, panel, wide, quads, half, w.scales + p * kInt8Panel,
                                               w.padded_n(), y + r0 * ldy + c0, ldy, cols);
      }
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    finish_row(w, s.scale[r], s.zero_point[r], s.outlier_count[r], s.outlier_index + r * k, s.outlier_value + r * k,
               yr);
    if (epilogue.bias || epilogue.activation != Activation::Identity)
      bias_activation(yr, 1, n, epilogue.bias, epilogue.activation);
  }
}

}  // namespace emb::cpu::avx2
