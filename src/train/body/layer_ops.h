#pragma once
// The element- and row-wise operations of the encoder layers in training:
// each forward keeps what its backward needs, each backward adds to the
// parameter gradients and returns the input's. Raw row-major pointers, rows
// × cols, sizes checked by the caller (sentence_body.cc); no allocation.
#include <cstddef>

#include "nn/kernels.h"

namespace emb::train::body {

/// C (m × n, row stride ldc) = beta · C + op(A) · op(B) through the BLAS;
/// op(A) is m × k, op(B) k × n, op(X) = Xᵀ where trans_x (row-major
/// storage with row strides lda, ldb as stored).
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

/// y[r, c] += bias[c].
void add_bias(float* y, std::size_t rows, std::size_t cols, const float* bias) noexcept;

/// grad[c] += Σ_r dy[r, c], rows in order.
void add_column_sums(const float* dy, std::size_t rows, std::size_t cols, float* grad) noexcept;

/// torch.nn.LayerNorm over each row of x, in place: x becomes x̂ = (x − mean)
/// · rstd (mean and biased variance in double, as the inference kernel),
/// rstd[r] = 1 / sqrt(var + eps). The affine part is separate (affine()) so
/// that x̂ is what the tape keeps.
void normalize_rows(float* x, std::size_t rows, std::size_t cols, float eps, float* rstd) noexcept;

/// y = x̂ · gamma + beta, row by row (y may be x̂ only if the caller no longer needs x̂).
void affine(const float* x_hat, std::size_t rows, std::size_t cols, const float* gamma, const float* beta,
            float* y) noexcept;

/// LayerNorm's backward: given dy (d loss / d y, y = x̂·γ + β), adds to
/// d_gamma and d_beta and writes dx (may alias dy).
void layer_norm_backward(const float* dy, const float* x_hat, const float* rstd, std::size_t rows, std::size_t cols,
                         const float* gamma, float* d_gamma, float* d_beta, float* dx) noexcept;

/// y = act(x), element-wise over n values (the inference kernels' functions).
void activate(const float* x, std::size_t n, nn::Activation act, float* y) noexcept;

/// dy[i] *= act'(x[i]) for i < n: from d loss / d act(x) to d loss / d x.
void activation_backward(const float* x, std::size_t n, nn::Activation act, float* dy) noexcept;

}  // namespace emb::train::body
