#pragma once
// The transformer's raw-pointer kernels as the layers call them: each
// forwards to the kernel table of the level the library runs at
// (cpu/kernel_table.h, core/isa.h). No allocation, no exceptions; callers
// (ops.h) validate shapes first. Row-major data, element (r, c) of a
// rows × cols block at x[r * cols + c].
#include <cstddef>

#include "cpu/kernel_table.h"

namespace emb::nn {

/// Element-wise functions applied after a linear layer (cpu::Activation).
using Activation = cpu::Activation;

namespace kernels {

/// y[r, c] = act(y[r, c] + bias[c]); `bias` may be null (no bias).
void bias_activation(float* y, std::size_t rows, std::size_t cols, const float* bias, Activation act) noexcept;

/// In place: each row normalised to zero mean and unit variance (biased
/// variance, as torch.nn.LayerNorm), then scaled by gamma and shifted by beta.
/// When stats is not null, stats[2r] and stats[2r + 1] get row r's mean and
/// 1/σ as the row used them.
void layer_norm(float* x, std::size_t rows, std::size_t cols, const float* gamma, const float* beta, float eps,
                float* stats = nullptr) noexcept;

/// In place, row by row: x = LayerNorm(x + (y + bias)), BERT's residual
/// connection; `bias` may be null.
void residual_layer_norm(float* x, const float* y, const float* bias, std::size_t rows, std::size_t cols,
                         const float* gamma, const float* beta, float eps) noexcept;

/// Whether attention_head() runs a kernel for heads of this width here
/// (false: the caller uses its BLAS path).
bool attention_head_supported(std::size_t head_dim) noexcept;

/// The scratch attention_head() needs for t tokens.
std::size_t attention_scratch_floats(std::size_t t, std::size_t head_dim) noexcept;

/// One head of self-attention over one sequence of t tokens:
/// context[i] = Σ_j softmax_j(scale · q_i·k_j + bias[i·t + j]) · v_j.
/// q, k, v: rows of head_dim values with row stride ld; context: row stride
/// ldc; bias: t × t or null. scratch: attention_scratch_floats(t, head_dim)
/// floats.
void attention_head(const float* q, const float* k, const float* v, std::size_t ld, std::size_t t,
                    std::size_t head_dim, float scale, const float* bias, float* scratch, float* context,
                    std::size_t ldc) noexcept;

/// y[i] += x[i] for i < n.
void add(float* y, const float* x, std::size_t n) noexcept;

/// In place: each row of a rows × cols block (row stride `ld`) becomes its softmax.
void softmax_rows(float* x, std::size_t rows, std::size_t cols, std::size_t ld) noexcept;

}  // namespace kernels
}  // namespace emb::nn
