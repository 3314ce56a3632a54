#pragma once
// A timm image model for inference, whatever its family (MobileNet, ResNet,
// EfficientNet, ViT): what TimmEncoder runs. Each family's class reads its
// weights by timm's state-dict names and implements these four.
#include <cstddef>
#include <span>

#include "embetter/matrix.h"

namespace emb::models {

class ImageModel {
 public:
  virtual ~ImageModel() = default;
  /// The features timm's num_classes=0 model gives of n images of 3 × height ×
  /// width float32 (channels first, as timm's transform gives them), one after
  /// another: n × num_features(). Thread-safe.
  virtual Matrix features(std::span<const float> pixels, std::size_t n, std::size_t height,
                          std::size_t width) const = 0;
  /// The classifier's logits of features: n × num_classes() (loaded with the classifier only).
  virtual Matrix logits(const Matrix& features) const = 0;
  virtual std::size_t num_features() const noexcept = 0;
  virtual std::size_t num_classes() const noexcept = 0;
};

}  // namespace emb::models
