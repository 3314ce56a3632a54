#pragma once
// One head of self-attention on eight-float vectors, for the AVX2 and NEON
// levels: pass by pass of query rows (all of a short text's), their scores
// against every key, softmax numerators, then their context rows, while the
// pass's scores are in L1 (a long text's t × t matrix is never held); the
// normalisation is applied to the context rather than the numerators.
// Include after vec8.h and transformer.h.
#include <algorithm>
#include <cmath>

namespace emb::cpu::EMB_SIMD_NAMESPACE {
namespace attention_detail {

// Query rows per block: the scores tile (3 rows × 4 vectors of keys) and the
// context tile (3 rows × 4 vectors of the head) hold 12 accumulators each.
constexpr std::size_t kQueryRows = 3;
constexpr std::size_t kKeyVectors = 4;
constexpr std::size_t kChunk = kKeyVectors * 8;   // keys per scores tile
constexpr std::size_t kHeadVectors = 4;          // head values per context pass

// Query rows per pass: a pass computes all its rows' scores, then their
// softmax, then their context, so that each row's chain of dependent steps
// (scores → maximum → exponentials → sum → reciprocal → context) overlaps
// the other rows' work instead of waiting alone between two blocks of 3.
// A pass's scores stay near 16 KiB, in L1 (short texts: one pass per head).
constexpr std::size_t kMaxPassRows = 96;
constexpr std::size_t kPassScoreFloats = 4096;
std::size_t pass_rows(std::size_t tp) {
  return std::clamp<std::size_t>(kPassScoreFloats / tp / kQueryRows * kQueryRows, kQueryRows, kMaxPassRows);
}

// Scores of R query rows against KV vectors of keys from c0 on (kt: the
// chunk's keys transposed, dh rows of kChunk), scaled, plus the bias rows
// when given, into columns c0… of scores (row stride tp); rowmax[r·8…]
// keeps the lanes of each row's running maximum over its real keys. A last
// chunk computes only the vectors that hold keys: short texts (28 tokens on
// average) had 1.42× the keys' products in whole chunks of 32, 1.10× in 8s.
template <int R, int KV>
void scores_tile(const float* q, std::size_t ld, const float* kt, std::size_t dh, std::size_t t, std::size_t tp,
                 std::size_t c0, float scale, const float* bias, float* scores, float* rowmax) {
  F8 acc[R][KV];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < KV; ++c) acc[r][c] = zero8();
  for (std::size_t d = 0; d < dh; ++d) {
    F8 kv[KV];
    for (int c = 0; c < KV; ++c) kv[c] = load8(kt + d * kChunk + c * 8);
    for (int r = 0; r < R; ++r) {
      const F8 bq = set8(q[r * ld + d]);
      for (int c = 0; c < KV; ++c) acc[r][c] = fma8(bq, kv[c], acc[r][c]);
    }
  }
  const F8 s = set8(scale), lowest = set8(-INFINITY);
  for (int r = 0; r < R; ++r) {
    F8 mx = c0 == 0 ? lowest : load8(rowmax + r * 8);
    for (int c = 0; c < KV; ++c) {
      const std::size_t col = c0 + c * 8;
      const std::size_t real = std::min<std::size_t>(8, t - col);   // ≥ 1: every vector holds keys
      F8 v = acc[r][c] * s;
      if (bias) v = v + load_first8(bias + r * t + col, real);
      store8(scores + r * tp + col, v);
      mx = max8(mx, select_first8(real, v, lowest));
    }
    store8(rowmax + r * 8, mx);
  }
}

// Context rows of R queries for head values [d0, d0 + 8·DV): inv[r] ·
// Σ_j e[r][j] · v_j, e the softmax numerators.
template <int R, int DV>
void context_tile(const float* e, std::size_t tp, const float* inv, const float* values, std::size_t dh,
                  std::size_t d0, std::size_t t, float* context, std::size_t ldc) {
  F8 acc[R][DV];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < DV; ++c) acc[r][c] = zero8();
  for (std::size_t j = 0; j < t; ++j) {
    const float* vj = values + j * dh + d0;
    F8 bp[R];
    for (int r = 0; r < R; ++r) bp[r] = set8(e[r * tp + j]);
    for (int c = 0; c < DV; ++c) {
      const F8 vv = load8(vj + c * 8);
      for (int r = 0; r < R; ++r) acc[r][c] = fma8(bp[r], vv, acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const F8 scale = set8(inv[r]);
    for (int c = 0; c < DV; ++c) store8(context + r * ldc + d0 + c * 8, acc[r][c] * scale);
  }
}

using ScoresTile = void (*)(const float*, std::size_t, const float*, std::size_t, std::size_t, std::size_t,
                            std::size_t, float, const float*, float*, float*);
using ContextTile = void (*)(const float*, std::size_t, const float*, const float*, std::size_t, std::size_t,
                             std::size_t, float*, std::size_t);
// [rows − 1][key vectors − 1]
constexpr ScoresTile kScoresTiles[kQueryRows][kKeyVectors] = {
    {scores_tile<1, 1>, scores_tile<1, 2>, scores_tile<1, 3>, scores_tile<1, 4>},
    {scores_tile<2, 1>, scores_tile<2, 2>, scores_tile<2, 3>, scores_tile<2, 4>},
    {scores_tile<3, 1>, scores_tile<3, 2>, scores_tile<3, 3>, scores_tile<3, 4>}};
// [rows − 1][vectors − 1]
constexpr ContextTile kContextTiles[kQueryRows][kHeadVectors] = {
    {context_tile<1, 1>, context_tile<1, 2>, context_tile<1, 3>, context_tile<1, 4>},
    {context_tile<2, 1>, context_tile<2, 2>, context_tile<2, 3>, context_tile<2, 4>},
    {context_tile<3, 1>, context_tile<3, 2>, context_tile<3, 3>, context_tile<3, 4>}};

}  // namespace attention_detail

bool attention_supports(std::size_t head_dim) { return head_dim > 0 && head_dim % 8 == 0 && head_dim <= 256; }

std::size_t attention_scratch_floats(std::size_t t, std::size_t head_dim) {
  using namespace attention_detail;
  // Keys in chunks (transposed, the last vector zero past t), values, one
  // block of scores and of their rows' maxima.
  const std::size_t chunks = (t + kChunk - 1) / kChunk, tp = (t + 7) / 8 * 8, rows = pass_rows(tp);
  return chunks * head_dim * kChunk + t * head_dim + rows * tp + rows * 8;
}

void attention_head(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                    std::size_t dh, float scale, const float* bias, float* scratch, float* context, std::size_t ldc) {
  using namespace attention_detail;
  const std::size_t chunks = (t + kChunk - 1) / kChunk, tp = (t + 7) / 8 * 8, pass = pass_rows(tp);
  float* kt = scratch;                          // chunks × dh × kChunk
  float* values = kt + chunks * dh * kChunk;    // t × dh
  float* scores = values + t * dh;              // pass × tp
  float* rowmax = scores + pass * tp;           // pass × 8
  // (Vectors past t's last are never read.)
  for (std::size_t c = 0; c < chunks; ++c) {
    float* dst = kt + c * dh * kChunk;
    for (std::size_t j = 0; j < kChunk && c * kChunk + j < t; j += 8) {
      const std::size_t j0 = c * kChunk + j, keys = std::min<std::size_t>(8, t - j0);
      for (std::size_t d = 0; d < dh; d += 8) transpose8(k + j0 * ld + d, ld, keys, dst + d * kChunk + j, kChunk);
    }
  }
  for (std::size_t j = 0; j < t; ++j)
    for (std::size_t d = 0; d < dh; d += 8) store8(values + j * dh + d, load8(v + j * ld + d));
  float inv[kMaxPassRows];
  for (std::size_t p0 = 0; p0 < t; p0 += pass) {
    const std::size_t p1 = std::min(t, p0 + pass);
    for (std::size_t i0 = p0; i0 < p1; i0 += kQueryRows) {
      const std::size_t rows = std::min(kQueryRows, p1 - i0);
      for (std::size_t c = 0; c < chunks; ++c) {
        const std::size_t vectors = std::min(kKeyVectors, (t - c * kChunk + 7) / 8);
        kScoresTiles[rows - 1][vectors - 1](q + i0 * ld, ld, kt + c * dh * kChunk, dh, t, tp, c * kChunk, scale,
                                            bias ? bias + i0 * t : nullptr, scores + (i0 - p0) * tp,
                                            rowmax + (i0 - p0) * 8);
      }
    }
    for (std::size_t r = 0; r < p1 - p0; ++r)
      inv[r] = softmax_numerators<true>(scores + r * tp, t, reduce_max8(load8(rowmax + r * 8)));
    for (std::size_t i0 = p0; i0 < p1; i0 += kQueryRows) {
      const std::size_t rows = std::min(kQueryRows, p1 - i0);
      for (std::size_t d0 = 0; d0 < dh; d0 += kHeadVectors * 8) {
        const std::size_t vectors = std::min(kHeadVectors, (dh - d0) / 8);
        kContextTiles[rows - 1][vectors - 1](scores + (i0 - p0) * tp, tp, inv + (i0 - p0), values, dh, d0, t,
                                             context + i0 * ldc, ldc);
      }
    }
  }
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
