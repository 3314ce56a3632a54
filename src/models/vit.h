#pragma once
// timm's VisionTransformer (timm/models/vision_transformer.py, timm 1.0.31)
// for inference, the standard configuration of vit_{tiny,small,base,large,
// huge,giant}_patch*_{224,384}: patch_embed (a patch_size × patch_size
// convolution with stride patch_size, i.e. a product over each patch's C·p·p
// values) → the class token before the patches → + pos_embed (one per token,
// the class token's included) → [norm_pre] → blocks (pre-LayerNorm, eps 1e-6,
// exact-erf GELU, fused qkv; LayerScale ls1/ls2 folded into attn.proj and
// mlp.fc2 at load) → norm → the class token (global_pool 'token') → features
// → head (logits).
//
// The blocks run on nn::PreNormEncoder, as CLIP's vision tower does. Widths
// come from the weights' shapes; the number of heads, img_size and the
// switches (qkv_bias, proj_bias, pre_norm, fc_norm) from config.json's
// model_args (timm's create_model kwargs, saved by save_for_hf), else the
// architecture name and timm's defaults. What is not built (another
// global_pool, no class token, register tokens, no_embed_class, qk_norm,
// dynamic_img_size, another act_layer or norm_layer, an unknown model_args
// key) is a NotSupportedError naming it.
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "models/image_model.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/pre_norm_encoder.h"
#include "nn/weight_reader.h"

namespace emb::models {

/// What VisionTransformer's constructor arguments say, beyond the widths.
struct VitConfig {
  std::string architecture;
  std::filesystem::path file;        ///< the config.json read (for messages)
  std::size_t img_height = 224, img_width = 224;
  std::size_t num_heads = 12;
  bool qkv_bias = true;              ///< blocks.N.attn.qkv.bias
  bool proj_bias = true;             ///< attn.proj, mlp.fc1 and mlp.fc2 biases
  bool pre_norm = false;             ///< norm_pre before the blocks; patch_embed then has no bias
  bool fc_norm = false;              ///< the final LayerNorm is fc_norm (after the pooling), not norm
  bool final_norm = true;            ///< a final LayerNorm at all
};

/// Whether `architecture` (config.json's) is a ViT we build.
bool is_timm_vit(const std::string& architecture);

/// The config of `architecture` from a timm config.json (model_args,
/// pretrained_cfg, global_pool): ModelLoadError naming the file and key for a
/// malformed value, NotSupportedError naming the variant we do not build.
VitConfig read_timm_vit_config(const nlohmann::json& config, const std::filesystem::path& config_json,
                                const std::string& architecture);

class Vit final : public ImageModel {
 public:
  /// Reads every weight by timm's state-dict name, shapes checked (ModelLoadError
  /// naming the file and the tensor); NotSupportedError for weights of a
  /// variant we do not build (reg_token, attn_pool, q_norm, ...). With
  /// `classifier`, head too.
  Vit(const nn::WeightReader& w, const VitConfig& config, bool classifier);

  /// norm(blocks(embed(x)))[:, 0] of n images of 3 × height × width float32,
  /// channels first, one after another: n × num_features(). height × width
  /// must be the model's img_size (InvalidArgument naming both). Each row is
  /// bitwise what the image alone gives. Thread-safe.
  Matrix features(std::span<const float> pixels, std::size_t n, std::size_t height,
                  std::size_t width) const override;
  /// head(features): n × num_classes().
  Matrix logits(const Matrix& features) const override;

  std::size_t num_features() const noexcept override { return encoder_.config().hidden_size; }
  std::size_t num_classes() const noexcept override { return head_.n(); }
  const VitConfig& config() const noexcept { return config_; }

 private:
  std::size_t grid_height() const noexcept { return config_.img_height / patch_size_; }
  std::size_t grid_width() const noexcept { return config_.img_width / patch_size_; }

  VitConfig config_;
  std::size_t patch_size_ = 16;
  nn::PackedWeights patch_embedding_;   ///< hidden × (C·p·p), PyTorch's (c, y, x) order
  std::vector<float> patch_bias_;       ///< zeros with pre_norm (timm's bias=not pre_norm)
  std::vector<float> class_token_;
  Matrix position_embedding_;           ///< tokens × hidden, the class token's first
  nn::PreNormEncoder encoder_;
  nn::LayerNormWeights pre_norm_, final_norm_;
  nn::PackedWeights head_;              ///< num_classes × hidden
  std::vector<float> head_bias_;
};

}  // namespace emb::models
