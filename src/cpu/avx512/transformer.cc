// The AVX-512 kernels of the transformer layers: GELU, softmax, LayerNorm
// (sums in double) and one head of self-attention with its scores kept in L1.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "cpu/avx512/math.h"
#include "cpu/generic/generic.h"

// GCC 12 warns about the unset upper lanes inside its own _mm512_reduce_* and
// unpack helpers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace emb::cpu::avx512 {
namespace {

constexpr std::size_t kAttentionQueryBlock = 12;

void bias_gelu_erf_avx512(float* y, std::size_t rows, std::size_t cols, const float* bias) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      __m512 v = _mm512_maskz_loadu_ps(m, row + c);
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + c));
      _mm512_mask_storeu_ps(row + c, m, gelu_erf16(v));
    }
  }
}

// x · σ(1.702 x): CLIP's quick_gelu (transformers' QuickGELUActivation).
void bias_quick_gelu_avx512(float* y, std::size_t rows, std::size_t cols, const float* bias) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      __m512 v = _mm512_maskz_loadu_ps(m, row + c);
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + c));
      _mm512_mask_storeu_ps(row + c, m, _mm512_mul_ps(v, sigmoid16(_mm512_mul_ps(v, _mm512_set1_ps(1.702f)))));
    }
  }
}

// Softmax numerators of N score rows (row stride tp) in place, e = exp(s −
// max) over t columns, and one over each row's sum in inv; top: each row's
// maximum. N rows side by side give the out-of-order core independent
// exponentials to overlap (one row's are a long chain of dependent steps).
// Whole vectors, then the masked tail: no mask is formed per vector.
template <int N>
void softmax_numerators_rows(float* s, std::size_t t, std::size_t tp, const float* top, float* inv) {
  __m512 mx[N], sum[N];
#pragma GCC unroll 4
  for (int r = 0; r < N; ++r) mx[r] = _mm512_set1_ps(top[r]), sum[r] = _mm512_setzero_ps();
  std::size_t c = 0;
  for (; c + 16 <= t; c += 16) {
#pragma GCC unroll 4
    for (int r = 0; r < N; ++r) {
      float* p = s + r * tp + c;
      const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(p), mx[r]));
      sum[r] = _mm512_add_ps(sum[r], e);
      _mm512_storeu_ps(p, e);
    }
  }
  if (c < t) {
    const __mmask16 m = tail_mask(t - c);
#pragma GCC unroll 4
    for (int r = 0; r < N; ++r) {
      float* p = s + r * tp + c;
      const __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, p), mx[r])));
      sum[r] = _mm512_add_ps(sum[r], e);
      _mm512_mask_storeu_ps(p, m, e);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < N; ++r) inv[r] = 1.0f / _mm512_reduce_add_ps(sum[r]);
}

// Softmax numerators of `rows` score rows in place (e = exp(s − max), t
// columns) and one over each row's sum in inv; rowmax: each row's maximum
// spread over 16 lanes, or null to find it here.
void softmax_numerators(float* s, std::size_t rows, std::size_t t, std::size_t tp, const float* rowmax,
                                   float* inv) {
  const __m512 lowest = _mm512_set1_ps(-INFINITY);
  float top[kAttentionQueryBlock];
  for (std::size_t r0 = 0; r0 < rows; r0 += kAttentionQueryBlock) {
    const std::size_t n = std::min(rows - r0, kAttentionQueryBlock);
    for (std::size_t r = 0; r < n; ++r) {
      __m512 mx = lowest;
      if (rowmax) {
        mx = _mm512_loadu_ps(rowmax + (r0 + r) * 16);
      } else {
        const float* row = s + (r0 + r) * tp;
        for (std::size_t c = 0; c < t; c += 16)
          mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(lowest, tail_mask(t - c), row + c));
      }
      top[r] = _mm512_reduce_max_ps(mx);
    }
    std::size_t r = 0;
    for (; r + 2 <= n; r += 2) softmax_numerators_rows<2>(s + (r0 + r) * tp, t, tp, top + r, inv + r0 + r);
    if (r < n) softmax_numerators_rows<1>(s + (r0 + r) * tp, t, tp, top + r, inv + r0 + r);
  }
}

// Softmax of each row in place: the numerators, then times one over their sum.
void softmax_rows_avx512(float* x, std::size_t rows, std::size_t cols, std::size_t ld) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    float inv_sum;
    softmax_numerators(row, 1, cols, ld, nullptr, &inv_sum);
    const __m512 inv = _mm512_set1_ps(inv_sum);
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      _mm512_mask_storeu_ps(row + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + c), inv));
    }
  }
}

// LayerNorm of each row, after x += y + bias when y is given: sums in double
// as the portable path does, eight lanes at a time.
void residual_layer_norm_avx512(float* x, const float* y, const float* bias, std::size_t rows,
                                           std::size_t cols, const float* gamma, const float* beta, float eps,
                                           float* stats) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* xr = x + r * cols;
    __m512d sum = _mm512_setzero_pd();
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      __m512 v = _mm512_maskz_loadu_ps(m, xr + c);
      if (y) {
        __m512 t = _mm512_maskz_loadu_ps(m, y + r * cols + c);
        if (bias) t = _mm512_add_ps(t, _mm512_maskz_loadu_ps(m, bias + c));
        v = _mm512_add_ps(v, t);
        _mm512_mask_storeu_ps(xr + c, m, v);
      }
      sum = _mm512_add_pd(sum, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
      sum = _mm512_add_pd(sum, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
    }
    const double mean = _mm512_reduce_add_pd(sum) / static_cast<double>(cols);
    const __m512d mean_d = _mm512_set1_pd(mean);
    __m512d sq = _mm512_setzero_pd();
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      const __m512 v = _mm512_maskz_loadu_ps(m, xr + c);
      // Masked-off lanes are 0 here; their (0 − mean)² is masked out too.
      const __m512d lo = _mm512_maskz_sub_pd(__mmask8(m), _mm512_cvtps_pd(_mm512_castps512_ps256(v)), mean_d);
      const __m512d hi = _mm512_maskz_sub_pd(__mmask8(m >> 8), _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)), mean_d);
      sq = _mm512_fmadd_pd(lo, lo, sq);
      sq = _mm512_fmadd_pd(hi, hi, sq);
    }
    const double var = _mm512_reduce_add_pd(sq) / static_cast<double>(cols);
    const float inv_f = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float mean_f = static_cast<float>(mean);
    if (stats) stats[2 * r] = mean_f, stats[2 * r + 1] = inv_f;
    const __m512 inv = _mm512_set1_ps(inv_f);
    const __m512 mf = _mm512_set1_ps(mean_f);
    for (std::size_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      const __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, xr + c), mf), inv);
      _mm512_mask_storeu_ps(xr + c, m, _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m, gamma + c),
                                                       _mm512_maskz_loadu_ps(m, beta + c)));
    }
  }
}

// Scores of R query rows against the NV·16 keys from c0 on (kt: those keys
// transposed, row stride ldk), scaled, plus the bias rows when given, into
// columns c0… of scores (row stride tp); rowmax[r·16…] keeps the lanes of
// each row's running maximum over its real keys (columns < t), started at
// c0 = 0, so that the softmax needs no pass of its own to find it. The keys
// of the next tile follow this tile's (ldk·dh floats on): they are fetched
// into L1 meanwhile, the key and value blocks of a head together being
// larger than L1.
template <int R, int NV>
void attention_scores_tile(const float* q, std::size_t ld, const float* kt, std::size_t ldk,
                                      std::size_t tp, std::size_t dh, std::size_t t, std::size_t c0, float scale,
                                      const float* bias, float* scores, float* rowmax) {
  __m512 acc[R][NV];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_setzero_ps();
  const float* next = kt + dh * ldk;
  for (std::size_t d = 0; d < dh; ++d) {
    __m512 kv[NV];
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) {
      _mm_prefetch(reinterpret_cast<const char*>(next + d * ldk + c * 16), _MM_HINT_T0);
      kv[c] = _mm512_loadu_ps(kt + d * ldk + c * 16);
    }
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 bq = _mm512_set1_ps(q[r * ld + d]);
#pragma GCC unroll 4
      for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_fmadd_ps(bq, kv[c], acc[r][c]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
  __mmask16 real[NV];
#pragma GCC unroll 4
  for (int c = 0; c < NV; ++c) real[c] = tail_mask(t - std::min(t, c0 + c * 16));
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    __m512 mx = c0 == 0 ? _mm512_set1_ps(-INFINITY) : _mm512_loadu_ps(rowmax + r * 16);
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) {
      __m512 v = _mm512_mul_ps(acc[r][c], s);
      const std::size_t col = c0 + c * 16;
      if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(real[c], bias + r * t + col));
      _mm512_storeu_ps(scores + r * tp + col, v);
      mx = _mm512_mask_max_ps(mx, real[c], mx, v);
    }
    _mm512_storeu_ps(rowmax + r * 16, mx);
  }
}

// Context rows of R queries: inv[r] · Σ_j e[r][j] · v_j over DV·16 values,
// e the unnormalised softmax numerators and inv[r] one over their sum.
template <int R, int DV>
void attention_context_tile(const float* e, std::size_t tp, const float* inv, const float* v,
                                       std::size_t ld, std::size_t t, float* context, std::size_t ldc) {
  __m512 acc[R][DV];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < DV; ++c) acc[r][c] = _mm512_setzero_ps();
  for (std::size_t j = 0; j < t; ++j) {
    __m512 vv[DV];
#pragma GCC unroll 4
    for (int c = 0; c < DV; ++c) vv[c] = _mm512_loadu_ps(v + j * ld + c * 16);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 bp = _mm512_set1_ps(e[r * tp + j]);
#pragma GCC unroll 4
      for (int c = 0; c < DV; ++c) acc[r][c] = _mm512_fmadd_ps(bp, vv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    const __m512 scale = _mm512_set1_ps(inv[r]);
#pragma GCC unroll 4
    for (int c = 0; c < DV; ++c) _mm512_storeu_ps(context + r * ldc + c * 16, _mm512_mul_ps(acc[r][c], scale));
  }
}


using ScoresTile = void (*)(const float*, std::size_t, const float*, std::size_t, std::size_t, std::size_t,
                            std::size_t, std::size_t, float, const float*, float*, float*);
using ContextTile = void (*)(const float*, std::size_t, const float*, const float*, std::size_t, std::size_t, float*,
                             std::size_t);

// Query rows per block: R·(16-value vectors per row) ≈ 24 accumulators of
// the 32 registers, for the scores (R × NV keys) and the context (R × DV).
constexpr std::size_t kMaxQueryRows = kAttentionQueryBlock;
constexpr std::size_t query_rows(std::size_t dv) { return dv <= 2 ? 12 : dv == 3 ? 8 : 6; }

template <int NV, std::size_t... I>
constexpr auto scores_column(std::index_sequence<I...>) {
  return std::array<ScoresTile, sizeof...(I)>{{attention_scores_tile<int(I) + 1, NV>...}};
}
template <int DV, std::size_t... I>
constexpr auto context_column(std::index_sequence<I...>) {
  return std::array<ContextTile, sizeof...(I)>{{attention_context_tile<int(I) + 1, DV>...}};
}
using Rows = std::make_index_sequence<kMaxQueryRows>;
// [vectors − 1][rows − 1]
constexpr std::array<std::array<ScoresTile, kMaxQueryRows>, 4> kScoresTiles = {
    scores_column<1>(Rows{}), scores_column<2>(Rows{}), scores_column<3>(Rows{}), scores_column<4>(Rows{})};
constexpr std::array<std::array<ContextTile, kMaxQueryRows>, 4> kContextTiles = {
    context_column<1>(Rows{}), context_column<2>(Rows{}), context_column<3>(Rows{}), context_column<4>(Rows{})};

// dst[i · ldd + r] = src[r · ld + i] for a 16 × 16 block, rows r ≥ rows read
// as zeros: three rounds of in-lane unpacks and 128-bit lane shuffles (64
// shuffles for 256 values, against a load and a store each one by one).
void transpose16(const float* src, std::size_t ld, std::size_t rows, float* dst, std::size_t ldd) {
  __m512 r[16], u[16];
#pragma GCC unroll 16
  for (std::size_t i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(src + i * ld) : _mm512_setzero_ps();
  // Per 128-bit lane L (columns 4L…4L+3): pairs of rows interleaved…
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    u[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    u[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // …then r[4i + q] lane L = column 4L + q of rows 4i…4i+3…
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(u[4 * i]), b = _mm512_castps_pd(u[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(u[4 * i + 2]), d = _mm512_castps_pd(u[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // …and a 4 × 4 transpose of the 128-bit lanes gives column 4L + q whole.
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512 b0 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0x44), b1 = _mm512_shuffle_f32x4(r[q], r[4 + q], 0xEE);
    const __m512 b2 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0x44);
    const __m512 b3 = _mm512_shuffle_f32x4(r[8 + q], r[12 + q], 0xEE);
    _mm512_storeu_ps(dst + (0 + q) * ldd, _mm512_shuffle_f32x4(b0, b2, 0x88));
    _mm512_storeu_ps(dst + (4 + q) * ldd, _mm512_shuffle_f32x4(b0, b2, 0xDD));
    _mm512_storeu_ps(dst + (8 + q) * ldd, _mm512_shuffle_f32x4(b1, b3, 0x88));
    _mm512_storeu_ps(dst + (12 + q) * ldd, _mm512_shuffle_f32x4(b1, b3, 0xDD));
  }
}

// Block by block of R query rows: their scores against every key, softmax
// numerators, then their context rows, while the R × t block is in L1 (the
// t × t score matrix is never held). The normalisation is applied to the
// context (R × dh values) rather than to the numerators (R × t). Keys and
// values are first copied out of the strided projections: keys transposed
// (16 × 16 blocks in registers), chunk by chunk of the columns one scores
// tile covers, values row by row, so that each tile reads one contiguous
// block.
void attention_head_avx512(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                                      std::size_t dh, float scale, const float* bias, float* scratch, float* context,
                                      std::size_t ldc) {
  const std::size_t tp = (t + 15) / 16 * 16;
  const std::size_t dv = dh / 16, block = query_rows(dv), nv = 24 / block, chunk = nv * 16;
  const std::size_t chunks = (t + chunk - 1) / chunk;
  float* kt = scratch;                        // chunks × dh × chunk, zero past t
  float* values = kt + chunks * dh * chunk;   // t × dh
  float* scores = values + t * dh;            // block × tp
  float* rowmax = scores + block * tp;        // block × 16
  for (std::size_t c = 0; c < chunks; ++c) {
    float* dst = kt + c * dh * chunk;
    const std::size_t j0 = c * chunk;
    for (std::size_t j = 0; j < chunk; j += 16) {
      const std::size_t keys = t > j0 + j ? std::min<std::size_t>(16, t - (j0 + j)) : 0;
      const float* first = keys ? k + (j0 + j) * ld : k;   // (nothing is read when keys = 0)
      for (std::size_t d = 0; d < dh; d += 16) transpose16(first + d, ld, keys, dst + d * chunk + j, chunk);
    }
  }
  // (dh is a multiple of 16: whole vectors, no call to memmove per row)
  for (std::size_t j = 0; j < t; ++j)
    for (std::size_t d = 0; d < dh; d += 16) _mm512_storeu_ps(values + j * dh + d, _mm512_loadu_ps(v + j * ld + d));
  float inv[kMaxQueryRows];
  for (std::size_t i0 = 0; i0 < t; i0 += block) {
    const std::size_t rows = std::min(block, t - i0);
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t c0 = c * chunk, vectors = std::min(nv, (tp - c0) / 16);
      kScoresTiles[vectors - 1][rows - 1](q + i0 * ld, ld, kt + c * dh * chunk, chunk, tp, dh, t, c0, scale,
                                          bias ? bias + i0 * t : nullptr, scores, rowmax);
    }
    softmax_numerators(scores, rows, t, tp, rowmax, inv);
    kContextTiles[dv - 1][rows - 1](scores, tp, inv, values, dh, t, context + i0 * ldc, ldc);
  }
}
}  // namespace

std::size_t attention_scratch_floats(std::size_t t, std::size_t head_dim) {
  // Keys in chunks of at most 64 (see query_rows), values, one block of
  // scores and of their rows' maxima.
  const std::size_t tp = (t + 15) / 16 * 16;
  return head_dim * (t + 63) + t * head_dim + kAttentionQueryBlock * (tp + 16);
}

bool attention_supports(std::size_t head_dim) { return head_dim > 0 && head_dim % 16 == 0 && head_dim <= 64; }

void attention_head(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                    std::size_t head_dim, float scale, const float* bias, float* scratch, float* context,
                    std::size_t ldc) {
  attention_head_avx512(q, k, v, ld, t, head_dim, scale, bias, scratch, context, ldc);
}

void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps, float* stats) {
  residual_layer_norm_avx512(x, y, bias, rows, cols, gamma, beta, eps, stats);
}

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) {
  if (act == Activation::GeluErf) return bias_gelu_erf_avx512(y, rows, cols, bias);
  if (act == Activation::QuickGelu) return bias_quick_gelu_avx512(y, rows, cols, bias);
  generic::bias_activation(y, rows, cols, bias, act);
}

void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) {
  if (cols > 0) softmax_rows_avx512(x, rows, cols, ld);
}

}  // namespace emb::cpu::avx512
