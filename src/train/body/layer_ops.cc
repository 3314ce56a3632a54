#include "train/body/layer_ops.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/layer_norm_stats.h"

namespace emb::train::body {

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a, static_cast<int>(lda), b,
              static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void add_bias(float* y, std::size_t rows, std::size_t cols, const float* bias) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (std::size_t c = 0; c < cols; ++c) row[c] += bias[c];
  }
}

void add_column_sums(const float* dy, std::size_t rows, std::size_t cols, float* grad) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* row = dy + r * cols;
    for (std::size_t c = 0; c < cols; ++c) grad[c] += row[c];
  }
}

void normalize_rows(float* x, std::size_t rows, std::size_t cols, float eps, float* rstd) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    const auto [m, inv] = layer_norm_stats(row, cols, eps);
    for (std::size_t c = 0; c < cols; ++c) row[c] = (row[c] - m) * inv;
    rstd[r] = inv;
  }
}

void affine(const float* x_hat, std::size_t rows, std::size_t cols, const float* gamma, const float* beta,
            float* y) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x_hat + r * cols;
    float* yr = y + r * cols;
    for (std::size_t c = 0; c < cols; ++c) yr[c] = xr[c] * gamma[c] + beta[c];
  }
}

void layer_norm_backward(const float* dy, const float* x_hat, const float* rstd, std::size_t rows, std::size_t cols,
                         const float* gamma, float* d_gamma, float* d_beta, float* dx) noexcept {
  const double inv_cols = 1.0 / static_cast<double>(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* g = dy + r * cols;
    const float* xh = x_hat + r * cols;
    float* out = dx + r * cols;
    // dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) with ĝ = dy ⊙ γ.
    double sum = 0.0, dot = 0.0;
    for (std::size_t c = 0; c < cols; ++c) {
      const float gh = g[c] * gamma[c];
      sum += gh;
      dot += static_cast<double>(gh) * xh[c];
      d_gamma[c] += g[c] * xh[c];
      d_beta[c] += g[c];
    }
    const auto mean_g = static_cast<float>(sum * inv_cols), mean_gx = static_cast<float>(dot * inv_cols);
    const float s = rstd[r];
    for (std::size_t c = 0; c < cols; ++c) out[c] = s * (g[c] * gamma[c] - mean_g - xh[c] * mean_gx);
  }
}

void activate(const float* x, std::size_t n, nn::Activation act, float* y) noexcept {
  if (y != x) std::copy_n(x, n, y);
  nn::kernels::bias_activation(y, 1, n, nullptr, act);
}

namespace {

// Derivatives of transformers' activations (transformers/activations.py),
// with the constants the forward kernels use.
float gelu_erf_grad(float x) noexcept {
  constexpr float kInvSqrt2 = 0.70710678118654752440f, kInvSqrt2Pi = 0.39894228040143267794f;
  return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}
float gelu_tanh_grad(float x) noexcept {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f, kCubic = 0.044715f;
  const float t = std::tanh(kSqrt2OverPi * (x + kCubic * x * x * x));
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kCubic * x * x);
}
float sigmoid(float x) noexcept { return 1.0f / (1.0f + std::exp(-x)); }

template <class F>
void scale_by(const float* x, std::size_t n, float* dy, F f) noexcept {
  for (std::size_t i = 0; i < n; ++i) dy[i] *= f(x[i]);
}

}  // namespace

void activation_backward(const float* x, std::size_t n, nn::Activation act, float* dy) noexcept {
  using nn::Activation;
  switch (act) {
    case Activation::Identity: return;
    case Activation::GeluErf: return scale_by(x, n, dy, gelu_erf_grad);
    case Activation::GeluTanh: return scale_by(x, n, dy, gelu_tanh_grad);
    // PyTorch's relu passes no gradient at 0.
    case Activation::Relu: return scale_by(x, n, dy, [](float v) { return v > 0.0f ? 1.0f : 0.0f; });
    case Activation::Tanh:
      return scale_by(x, n, dy, [](float v) {
        const float t = std::tanh(v);
        return 1.0f - t * t;
      });
    case Activation::Silu:
      return scale_by(x, n, dy, [](float v) {
        const float s = sigmoid(v);
        return s * (1.0f + v * (1.0f - s));
      });
    case Activation::Sigmoid:
      return scale_by(x, n, dy, [](float v) {
        const float s = sigmoid(v);
        return s * (1.0f - s);
      });
    case Activation::QuickGelu:
      return scale_by(x, n, dy, [](float v) {
        const float s = sigmoid(1.702f * v);
        return s * (1.0f + 1.702f * v * (1.0f - s));
      });
  }
}

}  // namespace emb::train::body
