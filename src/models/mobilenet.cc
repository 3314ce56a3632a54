// timm's MobileNets (models/mobilenet.h).
#include "models/mobilenet.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <regex>
#include <string_view>

#include "embetter/error.h"
#include "models/timm_layers.h"

namespace emb::models {
namespace {

using Act = nn::ConvActivation;

// timm's _gen_mobilenet_v3 architecture strings (timm 1.0.31).
const std::vector<std::vector<std::string>> kLarge = {
    {"ds_r1_k3_s1_e1_c16_nre"},
    {"ir_r1_k3_s2_e4_c24_nre", "ir_r1_k3_s1_e3_c24_nre"},
    {"ir_r3_k5_s2_e3_c40_se0.25_nre"},
    {"ir_r1_k3_s2_e6_c80", "ir_r1_k3_s1_e2.5_c80", "ir_r2_k3_s1_e2.3_c80"},
    {"ir_r2_k3_s1_e6_c112_se0.25"},
    {"ir_r3_k5_s2_e6_c160_se0.25"},
    {"cn_r1_k1_s1_c960"},
};
const std::vector<std::vector<std::string>> kLargeMinimal = {
    {"ds_r1_k3_s1_e1_c16"},
    {"ir_r1_k3_s2_e4_c24", "ir_r1_k3_s1_e3_c24"},
    {"ir_r3_k3_s2_e3_c40"},
    {"ir_r1_k3_s2_e6_c80", "ir_r1_k3_s1_e2.5_c80", "ir_r2_k3_s1_e2.3_c80"},
    {"ir_r2_k3_s1_e6_c112"},
    {"ir_r3_k3_s2_e6_c160"},
    {"cn_r1_k1_s1_c960"},
};
const std::vector<std::vector<std::string>> kSmall = {
    {"ds_r1_k3_s2_e1_c16_se0.25_nre"},
    {"ir_r1_k3_s2_e4.5_c24_nre", "ir_r1_k3_s1_e3.67_c24_nre"},
    {"ir_r1_k5_s2_e4_c40_se0.25", "ir_r2_k5_s1_e6_c40_se0.25"},
    {"ir_r2_k5_s1_e3_c48_se0.25"},
    {"ir_r3_k5_s2_e6_c96_se0.25"},
    {"cn_r1_k1_s1_c576"},
};
const std::vector<std::vector<std::string>> kSmallMinimal = {
    {"ds_r1_k3_s2_e1_c16"},
    {"ir_r1_k3_s2_e4.5_c24", "ir_r1_k3_s1_e3.67_c24"},
    {"ir_r1_k3_s2_e4_c40", "ir_r2_k3_s1_e6_c40"},
    {"ir_r2_k3_s1_e3_c48"},
    {"ir_r3_k3_s2_e6_c96"},
    {"cn_r1_k1_s1_c576"},
};

// timm's _gen_mobilenet_v2.
const std::vector<std::vector<std::string>> kMobileNetV2 = {
    {"ds_r1_k3_s1_c16"},     {"ir_r2_k3_s2_e6_c24"},  {"ir_r3_k3_s2_e6_c32"},   {"ir_r4_k3_s2_e6_c64"},
    {"ir_r3_k3_s1_e6_c96"},  {"ir_r3_k3_s2_e6_c160"}, {"ir_r1_k3_s1_e6_c320"},
};

// timm's _gen_efficientnet: one definition per stage, scaled by the model's
// depth multiplier.
const std::vector<std::string> kEfficientNet = {
    "ds_r1_k3_s1_e1_c16_se0.25",  "ir_r2_k3_s2_e6_c24_se0.25",  "ir_r2_k5_s2_e6_c40_se0.25",
    "ir_r3_k3_s2_e6_c80_se0.25",  "ir_r3_k5_s1_e6_c112_se0.25", "ir_r4_k5_s2_e6_c192_se0.25",
    "ir_r1_k3_s1_e6_c320_se0.25",
};

// timm's _decode_block_str for the options these architectures use.
std::vector<MobileNetBlockDef> decode_block(const std::string& text, Act default_act, double depth) {
  std::vector<std::string> ops;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('_', start), text.size());
    ops.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  MobileNetBlockDef def;
  def.activation = default_act;
  const std::string& type = ops[0];
  if (type == "ds") def.type = MobileNetBlockDef::Type::DepthwiseSeparable;
  else if (type == "ir") def.type = MobileNetBlockDef::Type::InvertedResidual;
  else if (type == "cn") def.type = MobileNetBlockDef::Type::ConvBnAct;
  else throw NotSupportedError("MobileNet: block type '" + type + "' is not supported");
  std::size_t repeats = 1;
  bool skip = false;
  for (std::size_t i = 1; i < ops.size(); ++i) {
    const std::string& op = ops[i];
    if (op == "noskip") {
      def.noskip = true;
    } else if (op == "skip") {
      skip = true;
    } else if (op == "nre") {
      def.activation = Act::ReLU;
    } else if (op == "nhs") {
      def.activation = Act::HardSwish;
    } else {
      const std::size_t digit = op.find_first_of("0123456789");
      const std::string key = op.substr(0, digit), value = digit == std::string::npos ? "" : op.substr(digit);
      if (key == "r") repeats = std::stoul(value);
      else if (key == "k") def.kernel = std::stoul(value);
      else if (key == "s") def.stride = std::stoul(value);
      else if (key == "se") def.squeeze_excite = std::stod(value) > 0.0;
    }
  }
  // ConvBnAct has a skip only when asked; the others unless told not to.
  if (def.type == MobileNetBlockDef::Type::ConvBnAct) def.noskip = !skip;
  // timm's _scale_stage_depth ('ceil') for a stage of one definition.
  repeats = static_cast<std::size_t>(std::ceil(static_cast<double>(repeats) * depth));
  return std::vector<MobileNetBlockDef>(repeats, def);
}

// A stage of one definition: EfficientNetBuilder strides its first block only.
std::vector<MobileNetBlockDef> decode_stage(const std::string& text, Act default_act, double depth) {
  auto blocks = decode_block(text, default_act, depth);
  for (std::size_t b = 1; b < blocks.size(); ++b) blocks[b].stride = 1;
  return blocks;
}

void activate(std::span<float> x, Act act) {
  if (act == Act::HardSwish)
    for (float& v : x) v = v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f;
  else if (act == Act::ReLU)
    for (float& v : x) v = std::max(v, 0.0f);
  else if (act == Act::ReLU6)
    for (float& v : x) v = std::min(std::max(v, 0.0f), 6.0f);
  else if (act == Act::SiLU)
    for (float& v : x) v = static_cast<float>(v / (1.0 + std::exp(-static_cast<double>(v))));
}

std::string tensor_why(const MobileNetArch& arch) { return "timm " + arch.name; }

std::int64_t i64(std::size_t v) { return static_cast<std::int64_t>(v); }

// A convolution followed by its BatchNorm (`bn` the prefix, e.g. "blocks.1.0.bn1"), folded.
nn::Conv2d folded_conv(const nn::WeightReader& w, const MobileNetArch& arch, const std::string& conv,
                       const std::string& bn, std::size_t in, std::size_t out, std::size_t kernel, std::size_t stride,
                       bool depthwise, Act act, bool accumulate) {
  nn::Conv2dSpec spec;
  spec.in_channels = in;
  spec.out_channels = out;
  spec.kernel = kernel;
  spec.stride = stride;
  spec.groups = depthwise ? in : 1;
  spec.padding = arch.padding;
  spec.activation = act;
  spec.accumulate = accumulate;
  return conv_bn(w, conv, bn, spec, arch.bn_eps, tensor_why(arch));
}

// Output channels of a convolution, from its weight's shape.
std::size_t out_channels(const nn::WeightReader& w, const std::string& conv, const MobileNetArch& arch) {
  return conv_out_channels(w, conv, tensor_why(arch));
}

}  // namespace

bool is_timm_mobilenet(const std::string& architecture) {
  static const std::regex v3("(tf_)?mobilenetv3_(large|small)(_minimal)?_[0-9]+");
  static const std::regex v2("mobilenetv2_([0-9]+|110d|120d)");
  return std::regex_match(architecture, v3) || std::regex_match(architecture, v2);
}

MobileNetArch timm_mobilenet_arch(const std::string& architecture) {
  EMB_CHECK_AS(NotSupportedError, is_timm_mobilenet(architecture), "MobileNet: architecture '", architecture,
               "' is not a timm MobileNetV3 or MobileNetV2 (models/timm_families.cc lists what TimmEncoder builds)");
  MobileNetArch arch;
  arch.name = architecture;
  if (architecture.starts_with("mobilenetv2_")) {
    // _gen_mobilenet_v2: ReLU6; 110d and 120d scale the depth (stem and last stage fixed).
    arch.activation = Act::ReLU6;
    arch.head_before_pool = true;
    const double depth = architecture == "mobilenetv2_110d" ? 1.2 : architecture == "mobilenetv2_120d" ? 1.4 : 1.0;
    for (std::size_t s = 0; s < kMobileNetV2.size(); ++s) {
      const bool fixed = s == 0 || s + 1 == kMobileNetV2.size();
      arch.stages.push_back(decode_stage(kMobileNetV2[s][0], arch.activation, fixed ? 1.0 : depth));
    }
    return arch;
  }
  const bool tf = architecture.starts_with("tf_");
  const bool small = architecture.find("_small") != std::string::npos;
  const bool minimal = architecture.find("_minimal") != std::string::npos;
  if (tf) {
    arch.padding = nn::Padding::TfSame;  // timm: pad_type='same', bn_eps=BN_EPS_TF_DEFAULT
    arch.bn_eps = 1e-3;
  }
  arch.activation = minimal ? Act::ReLU : Act::HardSwish;
  const auto& strings = small ? (minimal ? kSmallMinimal : kSmall) : (minimal ? kLargeMinimal : kLarge);
  for (const auto& stage : strings) {
    auto& blocks = arch.stages.emplace_back();
    for (const auto& s : stage) {
      const auto decoded = decode_block(s, arch.activation, 1.0);
      blocks.insert(blocks.end(), decoded.begin(), decoded.end());
    }
    // EfficientNetBuilder: only a stage's first block strides.
    for (std::size_t b = 1; b < blocks.size(); ++b) blocks[b].stride = 1;
  }
  return arch;
}

bool is_timm_efficientnet(const std::string& architecture) {
  static const std::regex re("(tf_)?efficientnet_b[0-3]");
  return std::regex_match(architecture, re);
}

MobileNetArch timm_efficientnet_arch(const std::string& architecture) {
  EMB_CHECK_AS(NotSupportedError, is_timm_efficientnet(architecture), "EfficientNet: architecture '", architecture,
               "' is not one of timm's efficientnet_b0..b3, tf_efficientnet_b0..b3 (models/timm_families.cc lists "
               "what TimmEncoder builds)");
  MobileNetArch arch;
  arch.name = architecture;
  // _gen_efficientnet: act_layer 'swish' (SiLU), also inside the squeeze-excites
  // (the block's act_layer), whose gate is a sigmoid.
  arch.activation = Act::SiLU;
  arch.se_activation = Act::SiLU;
  arch.se_gate = MobileNetArch::Gate::Sigmoid;
  arch.head_before_pool = true;
  if (architecture.starts_with("tf_")) {
    arch.padding = nn::Padding::TfSame;  // tf_efficientnet_b*: pad_type='same', bn_eps=BN_EPS_TF_DEFAULT
    arch.bn_eps = 1e-3;
  }
  // The depth multiplier of b0..b3 (their channel multipliers, 1.0, 1.0, 1.1,
  // 1.2, show in the weights' shapes).
  constexpr double kDepth[] = {1.0, 1.1, 1.2, 1.4};
  const double depth = kDepth[architecture.back() - '0'];
  for (const auto& s : kEfficientNet) arch.stages.push_back(decode_stage(s, arch.activation, depth));
  return arch;
}

void MobileNet::SqueezeExcite::apply(float* x, std::size_t pixels) const {
  std::vector<double> mean(channels, 0.0);
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t c = 0; c < channels; ++c) mean[c] += x[p * channels + c];
  for (double& m : mean) m /= static_cast<double>(pixels);
  std::vector<float> reduced_v(reduced);
  for (std::size_t r = 0; r < reduced; ++r) {
    double acc = reduce_b[r];
    for (std::size_t c = 0; c < channels; ++c) acc += static_cast<double>(reduce_w[r * channels + c]) * mean[c];
    reduced_v[r] = static_cast<float>(acc);
  }
  activate(reduced_v, activation);
  std::vector<float> scale(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    double acc = expand_b[c];
    for (std::size_t r = 0; r < reduced; ++r) acc += static_cast<double>(expand_w[c * reduced + r]) * reduced_v[r];
    scale[c] = gate == MobileNetArch::Gate::Sigmoid
                   ? static_cast<float>(1.0 / (1.0 + std::exp(-acc)))
                   : std::min(std::max(static_cast<float>(acc) + 3.0f, 0.0f), 6.0f) / 6.0f;  // hard_sigmoid
  }
  for (std::size_t p = 0; p < pixels; ++p)
    for (std::size_t c = 0; c < channels; ++c) x[p * channels + c] *= scale[c];
}

namespace {
nn::Conv2d make_stem(const nn::WeightReader& w, const MobileNetArch& arch) {
  const std::size_t stem = out_channels(w, "conv_stem", arch);
  return folded_conv(w, arch, "conv_stem", "bn1", 3, stem, 3, 2, false, arch.activation, false);
}
}  // namespace

MobileNet::MobileNet(const nn::WeightReader& w, const MobileNetArch& arch, bool classifier)
    : arch_(arch), stem_(make_stem(w, arch)) {
  using Type = MobileNetBlockDef::Type;
  const std::string why = tensor_why(arch);
  std::size_t channels = stem_.spec().out_channels;
  for (std::size_t s = 0; s < arch.stages.size(); ++s) {
    for (std::size_t b = 0; b < arch.stages[s].size(); ++b) {
      const auto& def = arch.stages[s][b];
      const std::string p = "blocks." + std::to_string(s) + "." + std::to_string(b) + ".";
      Block block;
      block.def = def;
      std::size_t out = 0, se_channels = 0;
      if (def.type == Type::DepthwiseSeparable) {
        out = out_channels(w, p + "conv_pw", arch);
        block.skip = def.stride == 1 && channels == out && !def.noskip;
        block.convs.push_back(folded_conv(w, arch, p + "conv_dw", p + "bn1", channels, channels, def.kernel,
                                          def.stride, true, def.activation, false));
        block.convs.push_back(
            folded_conv(w, arch, p + "conv_pw", p + "bn2", channels, out, 1, 1, false, Act::None, block.skip));
        block.se_after = 1;
        se_channels = channels;
      } else if (def.type == Type::InvertedResidual) {
        const std::size_t mid = out_channels(w, p + "conv_pw", arch);
        out = out_channels(w, p + "conv_pwl", arch);
        block.skip = def.stride == 1 && channels == out && !def.noskip;
        block.convs.push_back(
            folded_conv(w, arch, p + "conv_pw", p + "bn1", channels, mid, 1, 1, false, def.activation, false));
        block.convs.push_back(
            folded_conv(w, arch, p + "conv_dw", p + "bn2", mid, mid, def.kernel, def.stride, true, def.activation,
                        false));
        block.convs.push_back(
            folded_conv(w, arch, p + "conv_pwl", p + "bn3", mid, out, 1, 1, false, Act::None, block.skip));
        block.se_after = 2;
        se_channels = mid;
      } else {
        out = out_channels(w, p + "conv", arch);
        block.skip = def.stride == 1 && channels == out && !def.noskip;
        EMB_CHECK_AS(NotSupportedError, !block.skip, "MobileNet: a ConvBnAct block with a skip connection");
        block.convs.push_back(folded_conv(w, arch, p + "conv", p + "bn1", channels, out, def.kernel, def.stride,
                                          false, def.activation, false));
      }
      if (def.squeeze_excite) {
        const auto rd = out_channels(w, p + "se.conv_reduce", arch);
        block.has_se = true;
        block.se.channels = se_channels;
        block.se.reduced = rd;
        block.se.activation = arch.se_activation;
        block.se.gate = arch.se_gate;
        block.se.reduce_w = w.tensor(p + "se.conv_reduce.weight", {i64(rd), i64(se_channels), 1, 1}, why);
        block.se.reduce_b = w.vector(p + "se.conv_reduce.bias", rd, why);
        block.se.expand_w = w.tensor(p + "se.conv_expand.weight", {i64(se_channels), i64(rd), 1, 1}, why);
        block.se.expand_b = w.vector(p + "se.conv_expand.bias", se_channels, why);
      }
      channels = out;
      blocks_.push_back(std::move(block));
    }
  }
  EMB_CHECK_AS(ModelLoadError, !w.contains("blocks." + std::to_string(arch.stages.size()) + ".0.conv.weight") &&
                                   !w.contains("blocks." + std::to_string(arch.stages.size()) + ".0.conv_pw.weight"),
               w.path().string(), ": has more stages of blocks than timm's ", arch.name);
  head_in_ = channels;
  head_out_ = out_channels(w, "conv_head", arch);
  if (arch.head_before_pool) {
    head_conv_.emplace(folded_conv(w, arch, "conv_head", "bn2", head_in_, head_out_, 1, 1, false, arch.activation,
                                   false));
  } else {
    head_w_ = Matrix(head_out_, head_in_, w.tensor("conv_head.weight", {i64(head_out_), i64(head_in_), 1, 1}, why));
    head_b_ = w.contains("conv_head.bias") ? w.vector("conv_head.bias", head_out_, why)
                                           : std::vector<float>(head_out_, 0.0f);
  }
  if (classifier) {
    auto fc = read_linear(w, "classifier", head_out_, why + " (encode_predictions needs the classifier)");
    num_classes_ = fc.weight.rows();
    classifier_w_ = std::move(fc.weight);
    classifier_b_ = std::move(fc.bias);
  }
}

std::vector<float> MobileNet::pooled(const float* image, std::size_t height, std::size_t width) const {
  std::vector<float> cur = to_channels_last(image, height, width), next;
  std::size_t h = height, w = width;
  const auto run = [&](const nn::Conv2d& conv, const std::vector<float>& src, std::vector<float>& dst,
                       bool residual) {
    const auto [oh, ow] = conv.output_size(h, w);
    if (!residual) dst.assign(oh * ow * conv.spec().out_channels, 0.0f);
    conv.forward(src.data(), h, w, dst.data());
    h = oh;
    w = ow;
  };
  run(stem_, cur, next, false);
  std::swap(cur, next);
  for (const auto& block : blocks_) {
    // `cur` is the block's input, kept for the skip connection.
    std::vector<float> x;
    const std::vector<float>* src = &cur;
    for (std::size_t i = 0; i < block.convs.size(); ++i) {
      const bool residual = i + 1 == block.convs.size() && block.skip;
      std::vector<float> out;
      if (residual) out = cur;  // summed into by the convolution
      run(block.convs[i], *src, out, residual);
      if (block.has_se && i + 1 == block.se_after) block.se.apply(out.data(), h * w);
      x = std::move(out);
      src = &x;
    }
    cur = std::move(x);
  }
  if (head_conv_) {
    std::vector<float> out;
    run(*head_conv_, cur, out, false);
    cur = std::move(out);
  }
  return global_average_pool(cur, head_conv_ ? head_out_ : head_in_);
}

Matrix MobileNet::features(std::span<const float> pixels, std::size_t n, std::size_t height,
                             std::size_t width) const {
  EMB_CHECK(pixels.size() == n * 3 * height * width, "MobileNet: ", pixels.size(), " pixel values for ", n,
            " images of 3 × ", height, " × ", width);
  Matrix out(n, head_out_);
  for (std::size_t i = 0; i < n; ++i) {
    const auto p = this->pooled(pixels.data() + i * 3 * height * width, height, width);
    if (head_conv_) {
      std::ranges::copy(p, out.row(i).begin());
    } else {
      linear(p, head_w_, head_b_, out.row(i));
      activate(out.row(i), arch_.activation);
    }
  }
  return out;
}

Matrix MobileNet::logits(const Matrix& features) const {
  EMB_CHECK(num_classes_ > 0, "MobileNet: loaded without its classifier");
  EMB_CHECK(features.cols() == head_out_, "MobileNet: features of ", features.cols(), " columns; expected ",
            head_out_);
  const std::size_t n = features.rows();
  Matrix out(n, num_classes_);
  for (std::size_t i = 0; i < n; ++i) linear(features.row(i), classifier_w_, classifier_b_, out.row(i));
  return out;
}

}  // namespace emb::models
