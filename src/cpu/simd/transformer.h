#pragma once
// GELU, LayerNorm (mean and variance summed in double), softmax and pooling
// on eight-float vectors, for the AVX2 and NEON levels. Include after vec8.h.
#include <cmath>

#include "cpu/generic/generic.h"

namespace emb::cpu::EMB_SIMD_NAMESPACE {

// x · σ(1.702 x): CLIP's quick_gelu (transformers' QuickGELUActivation).
EMB_INLINE F8 quick_gelu8(F8 x) { return x * sigmoid8(x * set8(1.702f)); }

template <F8 (*Act)(F8)>
void bias_activation_rows(float* y, std::size_t rows, std::size_t cols, const float* bias) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    std::size_t c = 0;
    for (; c + 8 <= cols; c += 8) {
      F8 v = load8(row + c);
      if (bias) v = v + load8(bias + c);
      store8(row + c, Act(v));
    }
    if (c < cols) {
      F8 v = load_first8(row + c, cols - c);
      if (bias) v = v + load_first8(bias + c, cols - c);
      store_first8(row + c, Act(v), cols - c);
    }
  }
}

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) {
  if (act == Activation::GeluErf) return bias_activation_rows<gelu_erf8>(y, rows, cols, bias);
  if (act == Activation::QuickGelu) return bias_activation_rows<quick_gelu8>(y, rows, cols, bias);
  generic::bias_activation(y, rows, cols, bias, act);
}

// Whole vectors in double (four lanes from each half), then the tail one by
// one; the same order for every row. The residual, the sum and the sum of
// squares in one pass over the row: LayerNorm's share of short texts at
// EMB_ISA=avx2 went from 1.21% to 0.99% in perf. The values are shifted by
// the row's first one so that a mean far larger than the spread does not
// cancel the variance (the test's rows at 1e6 ± 3 match the two-pass
// generic kernel within its 2e-6 relative tolerance; unshifted, 1e5 failed).
void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps, float* stats) {
  const std::size_t whole = cols / 8 * 8;
  for (std::size_t r = 0; r < rows; ++r) {
    float* xr = x + r * cols;
    const float* yr = y ? y + r * cols : nullptr;
    // The row's first value (as the loop below computes it) as the shift.
    const double shift = yr ? xr[0] + (bias ? yr[0] + bias[0] : yr[0]) : xr[0];
    const D4 shift_d = set4d(shift);
    D4 sum_lo = zero4d(), sum_hi = zero4d(), sq_lo = zero4d(), sq_hi = zero4d();
    std::size_t c = 0;
    for (; c < whole; c += 8) {
      F8 v = load8(xr + c);
      if (yr) {
        F8 t = load8(yr + c);
        if (bias) t = t + load8(bias + c);
        v = v + t;
        store8(xr + c, v);
      }
      const D4 lo = widen_low(v) - shift_d, hi = widen_high(v) - shift_d;
      sum_lo = sum_lo + lo;
      sum_hi = sum_hi + hi;
      sq_lo = fma4d(lo, lo, sq_lo);
      sq_hi = fma4d(hi, hi, sq_hi);
    }
    double sum = reduce_add4d(sum_lo + sum_hi), sq = reduce_add4d(sq_lo + sq_hi);
    for (; c < cols; ++c) {
      if (yr) xr[c] = xr[c] + (bias ? yr[c] + bias[c] : yr[c]);
      const double d = xr[c] - shift;
      sum += d;
      sq += d * d;
    }
    const double mean = shift + sum / static_cast<double>(cols);
    sq = std::max(0.0, sq - sum * sum / static_cast<double>(cols));
    const double var = sq / static_cast<double>(cols);
    const float inv_f = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float mean_f = static_cast<float>(mean);
    if (stats) stats[2 * r] = mean_f, stats[2 * r + 1] = inv_f;
    const F8 inv = set8(inv_f), mf = set8(mean_f);
    for (c = 0; c < whole; c += 8)
      store8(xr + c, fma8((load8(xr + c) - mf) * inv, load8(gamma + c), load8(beta + c)));
    for (; c < cols; ++c) xr[c] = std::fma((xr[c] - mean_f) * inv_f, gamma[c], beta[c]);
  }
}

// One row's softmax numerators e = exp(s − max) over t values in place;
// returns one over their sum. Lanes past t do not count; they are written as
// 0 up to the next multiple of 8 when the row has room there (Room), else
// left alone.
template <bool Room>
EMB_INLINE float softmax_numerators(float* s, std::size_t t, float max) {
  const F8 mx = set8(max);
  F8 sum = zero8();
  std::size_t c = 0;
  for (; c + 8 <= t; c += 8) {
    const F8 e = exp8(load8(s + c) - mx);
    sum = sum + e;
    store8(s + c, e);
  }
  if (c < t) {
    const F8 e = select_first8(t - c, exp8(load_first8(s + c, t - c) - mx), zero8());
    sum = sum + e;
    if constexpr (Room) {
      store8(s + c, e);
    } else {
      store_first8(s + c, e, t - c);
    }
  }
  return 1.0f / reduce_add8(sum);
}

EMB_INLINE float row_max(const float* s, std::size_t t) {
  F8 mx = set8(-INFINITY);
  std::size_t c = 0;
  for (; c + 8 <= t; c += 8) mx = max8(mx, load8(s + c));
  if (c < t) mx = max8(mx, select_first8(t - c, load_first8(s + c, t - c), set8(-INFINITY)));
  return reduce_max8(mx);
}

void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) {
  if (cols == 0) return;
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    const F8 inv = set8(softmax_numerators<false>(row, cols, row_max(row, cols)));
    std::size_t c = 0;
    for (; c + 8 <= cols; c += 8) store8(row + c, load8(row + c) * inv);
    if (c < cols) store_first8(row + c, load_first8(row + c, cols - c) * inv, cols - c);
  }
}

void sum_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, bool weighted, float* out) {
  std::size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    F8 acc = zero8();
    for (std::size_t r = 0; r < rows; ++r)
      acc = weighted ? acc + load8(x + r * ld + c) * set8(static_cast<float>(r + 1)) : acc + load8(x + r * ld + c);
    store8(out + c, acc);
  }
  for (; c < cols; ++c) {
    float acc = 0.0f;
    for (std::size_t r = 0; r < rows; ++r) acc += weighted ? x[r * ld + c] * static_cast<float>(r + 1) : x[r * ld + c];
    out[c] = acc;
  }
}

void max_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, float* out) {
  std::size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    F8 acc = load8(x + c);
    for (std::size_t r = 1; r < rows; ++r) acc = max8(acc, load8(x + r * ld + c));
    store8(out + c, acc);
  }
  for (; c < cols; ++c) {
    float acc = x[c];
    for (std::size_t r = 1; r < rows; ++r) acc = acc > x[r * ld + c] ? acc : x[r * ld + c];
    out[c] = acc;
  }
}

void round_to_half(float* v, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(v + i, round_to_half8(load8(v + i)));
  if (i < n) store_first8(v + i, round_to_half8(load_first8(v + i, n - i)), n - i);
}

}  // namespace emb::cpu::EMB_SIMD_NAMESPACE
