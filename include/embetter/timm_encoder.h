#pragma once
/// @file timm_encoder.h
/// TimmEncoder: image embeddings from a timm model run natively (no PyTorch):
/// what the original embetter's TimmEncoder returns, i.e. timm's
/// `create_model(name, pretrained=True, num_classes=0)(x)` (the pooled
/// features) or, with encode_predictions, `create_model(name, pretrained=True)(x)`
/// (the classifier's logits, no softmax), x being timm's eval transform of the
/// image (`create_transform(**resolve_data_config({}, model=model))`).
///
/// Models: timm's Hugging Face folders (config.json with `architecture` and
/// `pretrained_cfg`, weights in model.safetensors): a local folder, a hub id
/// ("timm/mobilenetv3_large_100.ra_in1k"; "hf-hub:" in front is accepted) or a
/// timm model name ("mobilenetv3_large_100" means timm's default weights for it,
/// "timm/mobilenetv3_large_100.ra_in1k"), found in (or downloaded into) the
/// Hugging Face cache as hub.h describes.
///
/// Architectures: timm's MobileNetV3 (mobilenetv3_large_*, mobilenetv3_small_*
/// and the tf_ variants, tf_ minimal ones included), MobileNetV2
/// (mobilenetv2_*, 110d and 120d included), EfficientNet B0-B3
/// (efficientnet_b0..b3, tf_efficientnet_b0..b3) and ResNet's plain variants
/// (resnet18, resnet34, resnet26, resnet50, resnet101, resnet152,
/// wide_resnet50_2, wide_resnet101_2), and the Vision Transformer
/// (vit_{tiny,small,base,large}_patch{8,16,32}_{224,384},
/// vit_{large,huge,giant}_patch14_224: class-token pooling, the model's
/// img_size only; other ViT variants, e.g. global_pool 'avg' or register
/// tokens, raise NotSupportedError); others raise NotSupportedError
/// naming them. Preprocessing: pretrained_cfg's input_size,
/// interpolation, crop_pct, crop_mode, mean and std (timm's defaults where
/// missing), as preprocess_timm (image.h) computes them.
///
/// Each image is computed on its own, so its embedding does not depend on the
/// rest of the call, the batch size or the thread count. Thread-safe.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "embetter/image.h"
#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb {

struct TimmEncoderOptions {
  /// The classifier's logits (num_classes columns) instead of the pooled features.
  bool encode_predictions = false;
  /// Images per batch (the unit of progress reports).
  int batch_size = 32;
  /// Threads over the images of a batch; 0 = emb::num_threads().
  int num_threads = 0;
  /// A progress bar on stderr ("Batches: [###...] k/n").
  bool show_progress_bar = false;
  /// Called after each batch with (images done, total); returning false stops with Interrupted.
  ProgressFn progress;
};

class TimmEncoder {
 public:
  /// A local folder, a hub id or a timm model name (see above). ModelLoadError
  /// naming the file and the key or tensor; NotSupportedError for another
  /// architecture.
  static TimmEncoder load(const std::string& name_or_path, TimmEncoderOptions opts = {});

  /// n × dim() from pixel values: n images of 3 × input_height() ×
  /// input_width() float32, channels first, one after another (InvalidArgument
  /// otherwise, or for a value that is not finite).
  Matrix encode_pixels(std::span<const float> pixel_values, std::size_t n) const;
  /// n × dim() of decoded images (any of image.h's four layouts, converted to
  /// RGB as Pillow's convert("RGB")), preprocessed as timm's eval transform.
  Matrix encode_images(std::span<const Image> images) const;
  /// The same for image files (JPEG, PNG, WebP), decoded in C++ (ImageError
  /// naming the file when one cannot be read).
  Matrix encode_image_files(const std::vector<std::string>& paths, const ImageReadOptions& read = {}) const;
  /// The pixel values encode_images() computes for one image (3 × H × W).
  std::vector<float> preprocess(const Image& image) const;

  /// Columns of the output: num_classes with encode_predictions, else the features.
  std::size_t dim() const;
  std::size_t input_height() const;
  std::size_t input_width() const;
  /// config.json's architecture, e.g. "mobilenetv3_large_100".
  const std::string& architecture() const;
  const TimmPreprocessConfig& preprocess_config() const;
  const TimmEncoderOptions& options() const;
  /// The folder the model was loaded from.
  const std::string& model_path() const;

  struct Impl;

 private:
  explicit TimmEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace emb
