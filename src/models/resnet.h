#pragma once
// timm's ResNet (timm/models/resnet.py, timm 1.0.31) for inference, the plain
// variants: conv1 (7×7, stride 2) + bn1 + ReLU → max-pool (3×3, stride 2,
// padding 1) → layer1..layer4 of BasicBlocks (resnet18, resnet34) or
// Bottlenecks (resnet26, 50, 101, 152; wide_resnet50_2, wide_resnet101_2) →
// global average pool (features) → fc (logits).
//
// A block's residual branch ends in a convolution that sums into the shortcut
// (the input, or downsample: 1×1 conv with the stage's stride + BatchNorm)
// before the ReLU; the stride is on the first 3×3 convolution (BasicBlock's
// conv1, Bottleneck's conv2). The architecture gives the block type and the
// blocks per stage; channel counts come from the weights' shapes, so narrow
// models (timm's `channels=` argument) and the wide ones load.
//
// BatchNorm (eval: running statistics, eps 1e-5) is folded into the preceding
// convolution at load; convolutions run through oneDNN (nn::Conv2d),
// channels-last.
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "models/image_model.h"
#include "models/timm_layers.h"
#include "nn/conv2d.h"
#include "nn/pool2d.h"
#include "nn/weight_reader.h"

namespace emb::models {

struct ResNetArch {
  enum class Block { Basic, Bottleneck };
  std::string name;
  Block block = Block::Bottleneck;
  std::array<std::size_t, 4> layers{};  ///< blocks in layer1..layer4
};

/// Whether `architecture` (config.json's) is a ResNet we build.
bool is_timm_resnet(const std::string& architecture);
/// The architecture of a timm model name; NotSupportedError naming it (and
/// what is supported) otherwise.
ResNetArch timm_resnet_arch(const std::string& architecture);

class ResNet final : public ImageModel {
 public:
  /// Reads every weight by timm's state-dict name, shapes checked (ModelLoadError
  /// naming the file and the tensor). With `classifier`, fc too.
  ResNet(const nn::WeightReader& w, const ResNetArch& arch, bool classifier);

  // ImageModel: features are layer4's output, globally average-pooled; logits are fc's.
  Matrix features(std::span<const float> pixels, std::size_t n, std::size_t height,
                  std::size_t width) const override;
  Matrix logits(const Matrix& features) const override;
  std::size_t num_features() const noexcept override { return num_features_; }
  std::size_t num_classes() const noexcept override { return fc_.weight.rows(); }

 private:
  struct Block {
    std::vector<nn::Conv2d> convs;          // in order; the last sums into the shortcut, then ReLU
    std::optional<nn::Conv2d> downsample;  // the shortcut when the shape changes
  };
  std::vector<float> pooled(const float* image, std::size_t height, std::size_t width) const;

  ResNetArch arch_;
  nn::Conv2d stem_;
  nn::MaxPool2d maxpool_;
  std::vector<Block> blocks_;
  std::size_t num_features_ = 0;
  LinearWeights fc_;  // num_classes × num_features; empty without the classifier
};

}  // namespace emb::models
