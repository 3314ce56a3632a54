#include "nn/kernels.h"

namespace emb::nn::kernels {

void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) noexcept {
  cpu::kernels().bias_activation(y, rows, cols, bias, act);
}

void layer_norm(float* x, std::size_t rows, std::size_t cols, const float* gamma, const float* beta, float eps,
                float* stats) noexcept {
  cpu::kernels().residual_layer_norm(x, nullptr, nullptr, rows, cols, gamma, beta, eps, stats);
}

void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps) noexcept {
  cpu::kernels().residual_layer_norm(x, y, bias, rows, cols, gamma, beta, eps, nullptr);
}

bool attention_head_supported(std::size_t head_dim) noexcept {
  const auto& k = cpu::kernels();
  return k.attention_head && k.attention_supports(head_dim);
}

std::size_t attention_scratch_floats(std::size_t t, std::size_t head_dim) noexcept {
  return cpu::kernels().attention_scratch_floats(t, head_dim);
}

void attention_head(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                    std::size_t head_dim, float scale, const float* bias, float* scratch, float* context,
                    std::size_t ldc) noexcept {
  cpu::kernels().attention_head(q, k, v, ld, t, head_dim, scale, bias, scratch, context, ldc);
}

void add(float* y, const float* x, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) noexcept {
  cpu::kernels().softmax_rows(x, rows, cols, ld);
}

}  // namespace emb::nn::kernels
