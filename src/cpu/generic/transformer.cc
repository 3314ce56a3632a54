// The portable reference of the transformer kernels: plain loops for the
// baseline of any architecture, which the compiler vectorises where it can.
// Every other level is tested against these.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/layer_norm_stats.h"
#include "cpu/generic/generic.h"

namespace emb::cpu::generic {
namespace {

// Blocking that never changes the order of an element's sums: rows in blocks
// (the hook runs on each), depth in blocks of kDepthBlock.
constexpr std::size_t kRowBlock = 192;
constexpr std::size_t kDepthBlock = 384;

// The erf form is transformers' "gelu"; the tanh form is "gelu_new" /
// "gelu_pytorch_tanh". Constants as in transformers/activations.py.
float gelu_erf(float x) noexcept { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f)); }
float gelu_tanh(float x) noexcept {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

// One loop per activation so the compiler vectorises each without a branch
// per element.
template <class F>
void apply_rows(float* y, std::size_t rows, std::size_t cols, const float* bias, F f) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    if (bias) {
      for (std::size_t c = 0; c < cols; ++c) row[c] = f(row[c] + bias[c]);
    } else {
      for (std::size_t c = 0; c < cols; ++c) row[c] = f(row[c]);
    }
  }
}

// One panel of `panel` columns (cols of them inside W).
void tile(const float* a, std::size_t lda, std::size_t rows, const float* b, std::size_t panel, std::size_t kc,
          float* c, std::size_t ldc, std::size_t cols, bool accumulate) {
  for (std::size_t r = 0; r < rows; ++r) {
    float acc[kPackedPanelWide] = {};
    if (accumulate)
      for (std::size_t j = 0; j < cols; ++j) acc[j] = c[r * ldc + j];
    const float* ar = a + r * lda;
    for (std::size_t k = 0; k < kc; ++k) {
      const float av = ar[k];
      for (std::size_t j = 0; j < panel; ++j) acc[j] += av * b[k * panel + j];
    }
    for (std::size_t j = 0; j < cols; ++j) c[r * ldc + j] = acc[j];
  }
}

}  // namespace

std::size_t balanced_row_block(std::size_t m, std::size_t limit, std::size_t unit) noexcept {
  const std::size_t blocks = (m + limit - 1) / limit;
  return ((m + blocks - 1) / blocks + unit - 1) / unit * unit;
}

NextWeightBlock next_weight_block(std::size_t g0, std::size_t g1, std::size_t groups, std::size_t k0,
                                  std::size_t kc, std::size_t k, std::size_t depth_block,
                                  bool last_row_block) noexcept {
  NextWeightBlock next{g0, k0 + kc, 0, 0};
  if (next.k0 == k) {
    next.k0 = 0;
    next.g0 = g1 < groups ? g1 : last_row_block ? groups : 0;
  }
  next.kc = std::min(depth_block, k - next.k0);
  next.lines_per_group = next.kc * kPackedPanelWide * sizeof(float) / 64;
  return next;
}

L2Share l2_share(std::size_t tile, std::size_t row_tiles, std::size_t lines) noexcept {
  if (tile == 0) return {};
  const std::size_t from = (tile - 1) * lines / (row_tiles - 1);
  return {from, tile * lines / (row_tiles - 1) - from};
}

void gemm_packed(const float* x, std::size_t ldx, std::size_t m, const PackedMatrix& w, float* y, std::size_t ldy,
                 const Epilogue& epilogue, RowBlockHook hook) {
  const std::size_t k = w.k, n = w.n, row_block = balanced_row_block(m, kRowBlock, 1);
  const bool finish = epilogue.bias || epilogue.activation != Activation::Identity;
  for (std::size_t m0 = 0; m0 < m; m0 += row_block) {
    const std::size_t mb = std::min(row_block, m - m0);
    for (std::size_t k0 = 0; k0 < k; k0 += kDepthBlock) {
      const std::size_t kc = std::min(kDepthBlock, k - k0);
      for (std::size_t p = 0; p < w.panels(); ++p) {
        const std::size_t panel = w.panel, cols = std::min(panel, n - p * panel);
        tile(x + m0 * ldx + k0, ldx, mb, w.data + (p * k + k0) * panel, panel, kc, y + m0 * ldy + p * panel, ldy,
             cols, k0 > 0);
      }
    }
    if (finish)
      for (std::size_t r = m0; r < m0 + mb; ++r) bias_activation(y + r * ldy, 1, n, epilogue.bias, epilogue.activation);
    if (hook.fn) hook.fn(hook.context, m0, m0 + mb);
  }
}

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) {
  switch (act) {
    case Activation::Identity:
      if (bias) apply_rows(y, rows, cols, bias, [](float v) { return v; });
      return;
    case Activation::GeluErf: return apply_rows(y, rows, cols, bias, gelu_erf);
    case Activation::GeluTanh: return apply_rows(y, rows, cols, bias, gelu_tanh);
    case Activation::Relu: return apply_rows(y, rows, cols, bias, [](float v) { return v > 0.0f ? v : 0.0f; });
    case Activation::Tanh: return apply_rows(y, rows, cols, bias, [](float v) { return std::tanh(v); });
    case Activation::Silu: return apply_rows(y, rows, cols, bias, [](float v) { return v / (1.0f + std::exp(-v)); });
    case Activation::Sigmoid:
      return apply_rows(y, rows, cols, bias, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    // transformers' QuickGELUActivation: x * torch.sigmoid(1.702 * x).
    case Activation::QuickGelu:
      return apply_rows(y, rows, cols, bias, [](float v) { return v / (1.0f + std::exp(-1.702f * v)); });
  }
}

void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps, float* stats) {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    if (y) {
      const float* yr = y + r * cols;
      if (bias) {
        for (std::size_t c = 0; c < cols; ++c) row[c] = row[c] + (yr[c] + bias[c]);
      } else {
        for (std::size_t c = 0; c < cols; ++c) row[c] += yr[c];
      }
    }
    const auto [m, inv] = layer_norm_stats(row, cols, eps);
    if (stats) stats[2 * r] = m, stats[2 * r + 1] = inv;
    for (std::size_t c = 0; c < cols; ++c) row[c] = (row[c] - m) * inv * gamma[c] + beta[c];
  }
}

void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) {
  if (cols == 0) return;
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    float mx = row[0];
    for (std::size_t c = 1; c < cols; ++c) mx = std::max(mx, row[c]);
    float sum = 0.0f;
    for (std::size_t c = 0; c < cols; ++c) {
      row[c] = std::exp(row[c] - mx);
      sum += row[c];
    }
    const float inv = 1.0f / sum;
    for (std::size_t c = 0; c < cols; ++c) row[c] *= inv;
  }
}

void sum_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, bool weighted, float* out) {
  std::fill_n(out, cols, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = x + r * ld;
    if (weighted) {
      const float w = static_cast<float>(r + 1);
      for (std::size_t c = 0; c < cols; ++c) out[c] += row[c] * w;
    } else {
      for (std::size_t c = 0; c < cols; ++c) out[c] += row[c];
    }
  }
}

void max_rows(const float* x, std::size_t rows, std::size_t cols, std::size_t ld, float* out) {
  std::copy_n(x, cols, out);
  for (std::size_t r = 1; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) out[c] = std::max(out[c], x[r * ld + c]);
}

}  // namespace emb::cpu::generic
