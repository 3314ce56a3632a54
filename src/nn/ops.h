#pragma once
// Ops of the transformer forward pass (STYLE.md convention 4): each checks
// shapes once, sizes its output and hands raw pointers to kernels.h or to the
// BLAS (through Eigen with EIGEN_USE_BLAS). Layers call these, never kernels.
// Outputs are resized in place: a workspace reused across calls keeps its
// capacity, so the steady state does not allocate.
#include <cstddef>
#include <vector>

#include "embetter/matrix.h"
#include "nn/kernels.h"

namespace emb::nn {

/// A PyTorch nn.Linear: weight is out × in (PyTorch's layout), bias has `out`
/// values or none. y = x · weightᵀ + bias.
struct Linear {
  Matrix weight;
  std::vector<float> bias;
  std::size_t in_features() const noexcept { return weight.cols(); }
  std::size_t out_features() const noexcept { return weight.rows(); }
};

/// torch.nn.LayerNorm's affine parameters.
struct LayerNormWeights {
  std::vector<float> gamma, beta;
};

/// One token's input row: word + position embeddings, plus the token-type
/// embedding when `type` is not null, summed in transformers' order
/// ((word + type) + position) so that inference and training agree bitwise.
inline void embedding_row(float* row, const float* word, const float* type, const float* pos, std::size_t h) noexcept {
  if (type) {
    for (std::size_t j = 0; j < h; ++j) row[j] = (word[j] + type[j]) + pos[j];
  } else {
    for (std::size_t j = 0; j < h; ++j) row[j] = word[j] + pos[j];
  }
}

/// y = act(x · weightᵀ + bias); y becomes x.rows() × out_features.
void linear(const Matrix& x, const Linear& layer, Activation act, Matrix& y);

/// In place LayerNorm over each row of x.
void layer_norm(Matrix& x, const LayerNormWeights& norm, float eps);

/// y += x (same shape).
void add_inplace(Matrix& y, const Matrix& x);

/// Multi-head self-attention over one sequence without padding.
/// qkv: T × 3H, the query, key and value projections side by side.
/// position_bias: null, or heads × T × T values added to the scaled scores
/// (MPNet's relative position bias). scores: scratch, resized to T × T.
/// context: resized to T × H, heads side by side (as transformers reshapes).
void self_attention(const Matrix& qkv, std::size_t heads, const float* position_bias, Matrix& scores,
                    Matrix& context);

/// The same over raw rows: qkv is t × 3·hidden (row stride 3·hidden),
/// context t × hidden (row stride hidden), both already sized.
void self_attention(const float* qkv, std::size_t t, std::size_t heads, std::size_t hidden,
                    const float* position_bias, Matrix& scores, float* context);

}  // namespace emb::nn
