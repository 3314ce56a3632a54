#pragma once
// timm's MobileNet (timm/models/mobilenetv3.py, timm 1.0.31) for inference:
// conv_stem → bn1 + act → blocks → global average pool → conv_head (1×1, with
// bias) + act → (features) → classifier (logits). timm's EfficientNet class
// (timm/models/efficientnet.py: MobileNetV2 and EfficientNet-B0..B3) is the
// same network with conv_head + bn2 + act before the pooling.
//
// The blocks come from the architecture string of timm's _gen_mobilenet_v3,
// _gen_mobilenet_v2 or _gen_efficientnet for the model's `architecture`
// (mobilenetv3_{large,small}_*, their tf_ variants and the tf_ minimal ones;
// mobilenetv2_*; [tf_]efficientnet_b0..b3, depth scaled as timm does): per
// block its type (ds: DepthwiseSeparableConv, ir: InvertedResidual, cn:
// ConvBnAct), stride, activation, whether it has a squeeze-excite and a skip
// connection. Channel counts and kernel sizes are read from the weights'
// shapes, so every width (channel) multiplier loads.
//
// BatchNorm (eval: running statistics; eps 1e-5, 1e-3 for tf_ models) is folded
// into the preceding convolution at load; convolutions run through oneDNN
// (nn::Conv2d), channels-last.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "models/image_model.h"
#include "nn/conv2d.h"
#include "nn/weight_reader.h"

namespace emb::models {

/// One block of the architecture string, e.g. "ir_r3_k5_s2_e3_c40_se0.25_nre".
struct MobileNetBlockDef {
  enum class Type { DepthwiseSeparable, InvertedResidual, ConvBnAct } type = Type::InvertedResidual;
  std::size_t kernel = 3, stride = 1;
  bool squeeze_excite = false;
  bool noskip = false;
  nn::ConvActivation activation = nn::ConvActivation::HardSwish;
};

struct MobileNetArch {
  std::string name;
  /// Stages of blocks (repeats expanded), as timm's blocks.S.B.
  std::vector<std::vector<MobileNetBlockDef>> stages;
  nn::ConvActivation activation = nn::ConvActivation::HardSwish;  ///< the model's default (stem, head)
  nn::Padding padding = nn::Padding::Symmetric;
  double bn_eps = 1e-5;
  /// MobileNetV2 (EfficientNet's head): conv_head + bn2 + act before the pooling.
  bool head_before_pool = false;
  /// The squeeze-excite: the activation after its reduction and its gate
  /// (MobileNetV3: ReLU and hard_sigmoid; EfficientNet: SiLU and sigmoid).
  nn::ConvActivation se_activation = nn::ConvActivation::ReLU;
  enum class Gate { HardSigmoid, Sigmoid } se_gate = Gate::HardSigmoid;
};

/// Whether `architecture` (config.json's) is a MobileNet we build.
bool is_timm_mobilenet(const std::string& architecture);
/// The architecture of a timm model name; NotSupportedError naming it (and
/// what is supported) otherwise.
MobileNetArch timm_mobilenet_arch(const std::string& architecture);

/// Whether `architecture` is an EfficientNet we build: efficientnet_b0..b3
/// and tf_efficientnet_b0..b3 (TensorFlow 'SAME' padding, BatchNorm eps 1e-3).
bool is_timm_efficientnet(const std::string& architecture);
/// Its architecture (SiLU; squeeze-excites of SiLU and sigmoid; the stages'
/// repeats scaled by timm's depth multiplier, 'ceil'); NotSupportedError otherwise.
MobileNetArch timm_efficientnet_arch(const std::string& architecture);

class MobileNet final : public ImageModel {
 public:
  /// Reads every weight by timm's state-dict name, shapes checked (ModelLoadError
  /// naming the file and the tensor). With `classifier`, the 1000-way (or
  /// num_classes) head too.
  MobileNet(const nn::WeightReader& w, const MobileNetArch& arch, bool classifier);

  /// The features timm's num_classes=0 model gives (MobileNetV3: pooled, then
  /// conv_head + act; MobileNetV2, EfficientNet: conv_head + bn2 + act, then pooled) of n images of 3 × height × width
  /// float32 (channels first, as timm's transform gives them), one after
  /// another: n × num_features().
  Matrix features(std::span<const float> pixels, std::size_t n, std::size_t height,
                  std::size_t width) const override;
  /// The classifier's logits of features: n × num_classes().
  Matrix logits(const Matrix& features) const override;

  std::size_t num_features() const noexcept override { return head_out_; }
  std::size_t num_classes() const noexcept override { return num_classes_; }

 private:
  struct SqueezeExcite {
    std::size_t channels = 0, reduced = 0;
    nn::ConvActivation activation = nn::ConvActivation::ReLU;
    MobileNetArch::Gate gate = MobileNetArch::Gate::HardSigmoid;
    std::vector<float> reduce_w, reduce_b, expand_w, expand_b;  // rd × c, rd, c × rd, c
    void apply(float* x, std::size_t pixels) const;
  };
  struct Block {
    MobileNetBlockDef def;
    std::vector<nn::Conv2d> convs;  // in order; the last one projects (no activation)
    std::size_t se_after = 0;       // the squeeze-excite runs after convs[se_after - 1]
    bool has_se = false, skip = false;
    SqueezeExcite se;
  };
  // One image through the stem, the blocks (and MobileNetV2's head conv),
  // averaged over the pixels: one value per channel.
  std::vector<float> pooled(const float* image, std::size_t height, std::size_t width) const;

  MobileNetArch arch_;
  nn::Conv2d stem_;
  std::vector<Block> blocks_;
  std::size_t head_in_ = 0, head_out_ = 0, num_classes_ = 0;
  std::optional<nn::Conv2d> head_conv_;  // MobileNetV2: conv_head + bn2 + act, before the pooling
  Matrix head_w_, classifier_w_;         // out × in
  std::vector<float> head_b_, classifier_b_;
};

}  // namespace emb::models
