// Pieces timm's convolutional families share (models/timm_layers.h).
#include "models/timm_layers.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "embetter/error.h"
#include "linalg/gemm.h"

namespace emb::models {
namespace {
std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }
}  // namespace

nn::Conv2d conv_bn(const nn::WeightReader& w, const std::string& conv, const std::string& bn,
                   const nn::Conv2dSpec& spec, double bn_eps, const std::string& why) {
  const std::size_t out = spec.out_channels;
  std::vector<float> weights = w.tensor(
      conv + ".weight", {i64(out), i64(spec.in_channels / spec.groups), i64(spec.kernel), i64(spec.kernel)}, why);
  const auto gamma = w.vector(bn + ".weight", out, why), beta = w.vector(bn + ".bias", out, why);
  const auto mean = w.vector(bn + ".running_mean", out, why), var = w.vector(bn + ".running_var", out, why);
  std::vector<float> bias(out);
  const std::size_t per_out = weights.size() / out;
  for (std::size_t o = 0; o < out; ++o) {
    const double scale = static_cast<double>(gamma[o]) / std::sqrt(static_cast<double>(var[o]) + bn_eps);
    for (std::size_t i = 0; i < per_out; ++i)
      weights[o * per_out + i] = static_cast<float>(weights[o * per_out + i] * scale);
    bias[o] = static_cast<float>(beta[o] - mean[o] * scale);
  }
  return nn::Conv2d(spec, std::move(weights), std::move(bias));
}

std::size_t conv_out_channels(const nn::WeightReader& w, const std::string& conv, const std::string& why) {
  const auto shape = w.shape(conv + ".weight", why);
  EMB_CHECK_AS(ModelLoadError, shape.size() == 4 && shape[0] > 0, w.path().string(), ": '", w.prefix(), conv,
               ".weight' has shape ", shape.size(), "-D; expected a 4-D convolution kernel (", why, ")");
  return static_cast<std::size_t>(shape[0]);
}

LinearWeights read_linear(const nn::WeightReader& w, const std::string& name, std::size_t in,
                          const std::string& why) {
  const auto shape = w.shape(name + ".weight", why);
  EMB_CHECK_AS(ModelLoadError, shape.size() == 2 && shape[0] > 0, w.path().string(), ": '", w.prefix(), name,
               ".weight' must be 2-D (num_classes × ", in, ")");
  const auto out = static_cast<std::size_t>(shape[0]);
  return {w.matrix(name + ".weight", out, in, why), w.vector(name + ".bias", out, why)};
}

void linear(std::span<const float> x, const Matrix& w, const std::vector<float>& b, std::span<float> out) {
  const auto rows = static_cast<Eigen::Index>(w.rows()), cols = static_cast<Eigen::Index>(w.cols());
  linalg::sgemm(false, true, 1, rows, cols, 1.0f, x.data(), cols, w.data(), cols, 0.0f, out.data(), rows);
  for (std::size_t k = 0; k < out.size(); ++k) out[k] += b[k];
}

std::vector<float> to_channels_last(const float* image, std::size_t height, std::size_t width) {
  std::vector<float> out(height * width * 3);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < height * width; ++i) out[i * 3 + c] = image[c * height * width + i];
  return out;
}

std::vector<float> global_average_pool(std::span<const float> x, std::size_t channels) {
  const std::size_t pixels = x.size() / channels;
  std::vector<double> sum(channels, 0.0);
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t k = 0; k < channels; ++k) sum[k] += x[p * channels + k];
  std::vector<float> pooled(channels);
  for (std::size_t k = 0; k < channels; ++k) pooled[k] = static_cast<float>(sum[k] / static_cast<double>(pixels));
  return pooled;
}

}  // namespace emb::models
