#pragma once
// sentence-transformers' Pooling over the token states of one sequence
// without padding (so the attention mask is all ones).
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"

namespace emb::nn {

enum class PoolingMode { Cls, Max, Mean, MeanSqrtLen, WeightedMean, LastToken };

/// Parses sentence-transformers' names ("cls", "max", "mean",
/// "mean_sqrt_len_tokens", "weightedmean", "lasttoken"); nullopt-like false
/// when unknown.
bool parse_pooling_mode(std::string_view name, PoolingMode& mode);

/// Writes the modes' vectors side by side into out (modes.size() × tokens.cols()
/// values), in the given order, as sentence-transformers concatenates them.
void pool(const Matrix& tokens, std::span<const PoolingMode> modes, std::span<float> out);

/// The same over t rows of h values at `tokens` (row stride h).
void pool(const float* tokens, std::size_t t, std::size_t h, std::span<const PoolingMode> modes, std::span<float> out);

}  // namespace emb::nn
