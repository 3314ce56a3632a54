#pragma once
// Pieces timm's convolutional families (MobileNet, ResNet) share: a
// convolution with its BatchNorm folded in at load, widths read from the
// weights, the classifier, and the layout changes around the convolutions
// (timm gives channels first; nn::Conv2d runs channels last).
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "nn/conv2d.h"
#include "nn/weight_reader.h"

namespace emb::models {

/// A convolution followed by its BatchNorm (eval: running statistics), folded
/// at load: w · γ/√(σ² + ε), β − μ · γ/√(σ² + ε). `conv` and `bn` are the
/// prefixes of their weights (e.g. "layer1.0.conv1", "layer1.0.bn1"), the
/// kernel's shape is checked against `spec`; `why` names the model in errors.
nn::Conv2d conv_bn(const nn::WeightReader& w, const std::string& conv, const std::string& bn,
                   const nn::Conv2dSpec& spec, double bn_eps, const std::string& why);

/// Output channels of a convolution, from its kernel's shape (ModelLoadError
/// naming the tensor unless it is a 4-D kernel).
std::size_t conv_out_channels(const nn::WeightReader& w, const std::string& conv, const std::string& why);

/// A linear layer's weights: out × in and out values.
struct LinearWeights {
  Matrix weight;
  std::vector<float> bias;
};
/// `name`.weight (num_classes × in, num_classes from its shape) and
/// `name`.bias: timm's classifier.
LinearWeights read_linear(const nn::WeightReader& w, const std::string& name, std::size_t in,
                          const std::string& why);

/// out = W · x + b for one image (W out × in): one product per image, so a
/// row never depends on the rest of the batch.
void linear(std::span<const float> x, const Matrix& w, const std::vector<float>& b, std::span<float> out);

/// One image of 3 × height × width values (channels first) as height × width × 3.
std::vector<float> to_channels_last(const float* image, std::size_t height, std::size_t width);

/// The mean over the pixels of pixels × channels values (channels last), per channel.
std::vector<float> global_average_pool(std::span<const float> x, std::size_t channels);

}  // namespace emb::models
