#pragma once
// LayerNorm's statistics of one row, shared by the portable inference kernel
// (cpu/generic) and training (train/body): the mean and the biased variance
// in two passes of double, so that both stay accurate for any width and only
// the final float rounding differs from torch.
#include <cmath>
#include <cstddef>

namespace emb {

struct LayerNormStats {
  float mean;
  float rstd;   ///< 1 / sqrt(variance + eps)
};

inline LayerNormStats layer_norm_stats(const float* row, std::size_t n, float eps) noexcept {
  double sum = 0.0;
  for (std::size_t c = 0; c < n; ++c) sum += row[c];
  const double mean = sum / static_cast<double>(n);
  double sq = 0.0;
  for (std::size_t c = 0; c < n; ++c) {
    const double d = row[c] - mean;
    sq += d * d;
  }
  const double var = sq / static_cast<double>(n);
  return {static_cast<float>(mean), static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)))};
}

}  // namespace emb
