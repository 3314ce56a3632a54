#pragma once
// Raw-pointer kernels of the transformer forward pass (STYLE.md convention 3):
// no allocation, no exceptions, no knowledge of models. Data is row-major,
// element (r, c) of a rows × cols block at x[r * cols + c]. Callers (ops.h)
// validate shapes first.
#include <cstddef>

namespace emb::nn {

/// Element-wise functions applied after a linear layer, named as in
/// transformers' ACT2FN / sentence-transformers' Dense.
enum class Activation { Identity, GeluErf, GeluTanh, Relu, Tanh, Silu, Sigmoid };

namespace kernels {

/// y[r, c] = act(y[r, c] + bias[c]); `bias` may be null (no bias).
void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) noexcept;

/// In place: each row normalised to zero mean and unit variance (biased
/// variance, as torch.nn.LayerNorm), then scaled by gamma and shifted by beta.
void layer_norm(float* x, std::size_t rows, std::size_t cols, const float* gamma, const float* beta,
                float eps) noexcept;

/// In place, row by row: x = LayerNorm(x + (y + bias)), BERT's residual
/// connection; `bias` may be null.
void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps) noexcept;

/// y[i] += x[i] for i < n.
void add(float* y, const float* x, std::size_t n) noexcept;

/// In place: each row of a rows × cols block (row stride `ld`) becomes its softmax.
void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) noexcept;

}  // namespace kernels
}  // namespace emb::nn
