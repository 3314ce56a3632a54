#pragma once
// CLIP (transformers' CLIPModel) as two towers over nn::PreNormEncoder:
//  - text: token + position embeddings → causal pre-LN layers → the state at
//    the pooled token (the end-of-text token) → final LayerNorm →
//    text_projection (no bias): get_text_features;
//  - vision: a patch_size × patch_size convolution with stride patch_size (a
//    product over each patch's C·p·p values), the class embedding before the
//    patches, position embeddings → pre_layrnorm → pre-LN layers → the class
//    token's state → post_layernorm → visual_projection (no bias):
//    get_image_features.
// config.json: a CLIPConfig (model_type "clip") with text_config and
// vision_config, missing keys taking CLIPTextConfig's / CLIPVisionConfig's
// defaults (openai/clip-vit-base-patch32's), text_config_dict and
// vision_config_dict (old files) overriding them as transformers does.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "nn/encoder.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/pre_norm_encoder.h"
#include "nn/weight_reader.h"

namespace emb::models {

struct ClipTextConfig {
  nn::PreNormEncoderConfig encoder;   ///< causal
  std::size_t vocab_size = 49408;
  std::size_t max_position_embeddings = 77;
  std::int64_t eos_token_id = 49407;
  /// eos_token_id == 2 (configs written before transformers PR #24773): the
  /// pooled token is the one with the largest id (argmax of input_ids), else
  /// the first eos_token_id.
  bool legacy_eos = false;
};

struct ClipVisionConfig {
  nn::PreNormEncoderConfig encoder;
  std::size_t image_size = 224;
  std::size_t patch_size = 32;
  std::size_t num_channels = 3;
  std::size_t grid() const noexcept { return image_size / patch_size; }
  std::size_t num_patches() const noexcept { return grid() * grid(); }
};

struct ClipConfig {
  std::filesystem::path file;   ///< the config.json read (for messages)
  ClipTextConfig text;
  ClipVisionConfig vision;
  std::size_t projection_dim = 512;
};

/// Reads a CLIPModel config.json. ModelLoadError naming the file, the
/// sub-config and the key; NotSupportedError for another model_type or an
/// unsupported hidden_act.
ClipConfig read_clip_config(const std::filesystem::path& config_json);

/// Whether config.json names a CLIP model (model_type "clip", or a first
/// architecture "CLIPModel"). ModelLoadError when it cannot be read or parsed.
bool is_clip_config(const std::filesystem::path& config_json);

/// The pre-LN layers under `prefix` ("text_model.encoder.layers." or the
/// vision one), q, k and v stacked; `why` says where the expected shapes come
/// from. ModelLoadError naming the file and the tensor.
std::vector<nn::PreNormLayerWeights> read_clip_layers(const nn::WeightReader& weights, const std::string& prefix,
                                                      const nn::PreNormEncoderConfig& config, const std::string& why);

class ClipTextTower {
 public:
  struct Workspace {
    nn::PreNormEncoder::Workspace encoder;
    Matrix hidden, pooled, projected;
    std::vector<std::size_t> offsets;
  };

  /// Fetches and checks every text weight (ModelLoadError naming the file and tensor).
  ClipTextTower(const nn::WeightReader& weights, const ClipConfig& config, nn::Precision precision);

  /// The position whose final state is the text's embedding (legacy_eos: the
  /// first largest id; else the first eos_token_id, 0 when there is none).
  std::size_t pooled_position(std::span<const std::int32_t> ids) const;

  /// outputs[i] receives the projection_dim values of sequences[i]. Only the
  /// tokens up to each pooled position run (causal attention: later tokens
  /// cannot change it). Each output is bitwise what the sequence alone gives.
  void embed_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws,
                   std::span<float* const> outputs) const;

  std::size_t dim() const noexcept { return projection_.n(); }
  std::size_t max_positions() const noexcept { return config_.max_position_embeddings; }
  std::size_t vocab_size() const noexcept { return config_.vocab_size; }

 private:
  ClipTextConfig config_;
  Matrix token_embedding_, position_embedding_;
  nn::PreNormEncoder encoder_;
  nn::LayerNormWeights final_norm_;
  nn::PackedWeights projection_;   ///< projection_dim × hidden, no bias
};

class ClipVisionTower {
 public:
  struct Workspace {
    nn::PreNormEncoder::Workspace encoder;
    Matrix patches, patch_states, hidden, pooled, projected;
    std::vector<std::size_t> offsets;
  };

  ClipVisionTower(const nn::WeightReader& weights, const ClipConfig& config, nn::Precision precision);

  /// pixels: n images of channels() × image_size() × image_size() float32,
  /// channels first (CLIPImageProcessor's pixel_values), one after another.
  /// outputs[i] receives image i's projection_dim values, bitwise what the
  /// image alone gives.
  void embed_batch(const float* pixels, std::size_t n, Workspace& ws, std::span<float* const> outputs) const;

  std::size_t dim() const noexcept { return projection_.n(); }
  std::size_t image_size() const noexcept { return config_.image_size; }
  std::size_t channels() const noexcept { return config_.num_channels; }
  /// Floats of one image's pixel values.
  std::size_t pixels_per_image() const noexcept { return channels() * image_size() * image_size(); }

 private:
  ClipVisionConfig config_;
  nn::PackedWeights patch_embedding_;   ///< hidden × (C·p·p), PyTorch's (c, y, x) order
  std::vector<float> class_embedding_;
  Matrix position_embedding_;
  nn::LayerNormWeights pre_norm_, post_norm_;
  nn::PreNormEncoder encoder_;
  nn::PackedWeights projection_;   ///< projection_dim × hidden, no bias
};

}  // namespace emb::models
