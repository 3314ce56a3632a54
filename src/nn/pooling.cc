#include "nn/pooling.h"

#include <algorithm>
#include <cmath>

#include "cpu/kernel_table.h"
#include "embetter/error.h"

namespace emb::nn {

bool parse_pooling_mode(std::string_view name, PoolingMode& mode) {
  static constexpr std::pair<std::string_view, PoolingMode> kNames[] = {
      {"cls", PoolingMode::Cls},
      {"max", PoolingMode::Max},
      {"mean", PoolingMode::Mean},
      {"mean_sqrt_len_tokens", PoolingMode::MeanSqrtLen},
      {"weightedmean", PoolingMode::WeightedMean},
      {"lasttoken", PoolingMode::LastToken}};
  for (const auto& [n, m] : kNames)
    if (n == name) {
      mode = m;
      return true;
    }
  return false;
}

void pool(const Matrix& tokens, std::span<const PoolingMode> modes, std::span<float> out) {
  pool(tokens.data(), tokens.rows(), tokens.cols(), modes, out);
}

void pool(const float* data, std::size_t t, std::size_t h, std::span<const PoolingMode> modes, std::span<float> out) {
  EMB_CHECK(t > 0, "pool: no tokens");
  EMB_CHECK(out.size() == modes.size() * h, "pool: output has ", out.size(), " values, expected ",
            modes.size() * h);
  for (std::size_t m = 0; m < modes.size(); ++m) {
    float* o = out.data() + m * h;
    switch (modes[m]) {
      case PoolingMode::Cls: std::copy_n(data, h, o); break;
      case PoolingMode::LastToken: std::copy_n(data + (t - 1) * h, h, o); break;
      case PoolingMode::Max: cpu::kernels().max_rows(data, t, h, h, o); break;
      case PoolingMode::Mean:
      case PoolingMode::MeanSqrtLen: {
        cpu::kernels().sum_rows(data, t, h, h, false, o);
        const float count = static_cast<float>(t);
        const float denom = modes[m] == PoolingMode::Mean ? count : std::sqrt(count);
        for (std::size_t j = 0; j < h; ++j) o[j] /= denom;
        break;
      }
      case PoolingMode::WeightedMean: {
        // Token i (from 0) weighs i + 1.
        cpu::kernels().sum_rows(data, t, h, h, true, o);
        const float total = static_cast<float>(t * (t + 1) / 2);
        for (std::size_t j = 0; j < h; ++j) o[j] /= total;
        break;
      }
    }
  }
}

}  // namespace emb::nn
