#include "nn/kernels.h"

#include <algorithm>
#include <cmath>

namespace emb::nn::kernels {
namespace {

// The erf form is transformers' "gelu"; the tanh form is "gelu_new" /
// "gelu_pytorch_tanh". Constants as in transformers/activations.py.
inline float gelu_erf(float x) noexcept { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752440f)); }
inline float gelu_tanh(float x) noexcept {
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

}  // namespace

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) noexcept {
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
  }
}

void layer_norm(float* x, std::size_t rows, std::size_t cols, const float* gamma, const float* beta,
                float eps) noexcept {
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    // Two passes in double: the mean and variance stay accurate for any
    // width, so only the final float rounding differs from torch.
    double sum = 0.0;
    for (std::size_t c = 0; c < cols; ++c) sum += row[c];
    const double mean = sum / static_cast<double>(cols);
    double sq = 0.0;
    for (std::size_t c = 0; c < cols; ++c) {
      const double d = row[c] - mean;
      sq += d * d;
    }
    const double var = sq / static_cast<double>(cols);
    const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
    const float m = static_cast<float>(mean);
    for (std::size_t c = 0; c < cols; ++c) row[c] = (row[c] - m) * inv * gamma[c] + beta[c];
  }
}

void add(float* y, const float* x, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) noexcept {
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

}  // namespace emb::nn::kernels
