// timm's ResNet (models/resnet.h).
#include "models/resnet.h"

#include <algorithm>
#include <utility>

#include "embetter/error.h"

namespace emb::models {
namespace {

using Act = nn::ConvActivation;
using BlockType = ResNetArch::Block;

// The plain entry points of timm's resnet.py: block and blocks per stage.
struct KnownResNet {
  const char* name;
  BlockType block;
  std::array<std::size_t, 4> layers;
};
constexpr KnownResNet kResNets[] = {
    {"resnet18", BlockType::Basic, {2, 2, 2, 2}},
    {"resnet34", BlockType::Basic, {3, 4, 6, 3}},
    {"resnet26", BlockType::Bottleneck, {2, 2, 2, 2}},
    {"resnet50", BlockType::Bottleneck, {3, 4, 6, 3}},
    {"resnet101", BlockType::Bottleneck, {3, 4, 23, 3}},
    {"resnet152", BlockType::Bottleneck, {3, 8, 36, 3}},
    // base_width=128: twice the Bottleneck's inner width, read from the weights.
    {"wide_resnet50_2", BlockType::Bottleneck, {3, 4, 6, 3}},
    {"wide_resnet101_2", BlockType::Bottleneck, {3, 4, 23, 3}},
};

constexpr double kBnEps = 1e-5;  // nn.BatchNorm2d's default

std::string tensor_why(const ResNetArch& arch) { return "timm " + arch.name; }

nn::Conv2dSpec conv_spec(std::size_t in, std::size_t out, std::size_t kernel, std::size_t stride, Act act,
                         bool accumulate) {
  nn::Conv2dSpec spec;
  spec.in_channels = in;
  spec.out_channels = out;
  spec.kernel = kernel;
  spec.stride = stride;
  spec.activation = act;
  spec.accumulate = accumulate;
  return spec;  // Symmetric padding: timm's get_padding(kernel, stride)
}

nn::Conv2d make_stem(const nn::WeightReader& w, const ResNetArch& arch) {
  const std::string why = tensor_why(arch);
  EMB_CHECK_AS(NotSupportedError, !w.contains("conv1.0.weight"), w.path().string(),
               ": has a deep stem (conv1.0, timm's stem_type='deep'); only the plain 7×7 stem of ", arch.name,
               " is supported");
  return conv_bn(w, "conv1", "bn1", conv_spec(3, conv_out_channels(w, "conv1", why), 7, 2, Act::ReLU, false),
                 kBnEps, why);
}

nn::MaxPool2dSpec stem_pool(const nn::Conv2d& stem) {
  nn::MaxPool2dSpec spec;
  spec.channels = stem.spec().out_channels;
  spec.kernel = 3;
  spec.stride = 2;
  spec.padding = 1;
  return spec;
}

// dst = conv(src) for src of h × w pixels; h and w become the output's.
void run(const nn::Conv2d& conv, const std::vector<float>& src, std::size_t& h, std::size_t& w,
         std::vector<float>& dst) {
  const auto size = conv.output_size(h, w);
  dst.assign(size.first * size.second * conv.spec().out_channels, 0.0f);
  conv.forward(src.data(), h, w, dst.data());
  h = size.first;
  w = size.second;
}

}  // namespace

bool is_timm_resnet(const std::string& architecture) {
  return std::ranges::any_of(kResNets, [&](const KnownResNet& k) { return architecture == k.name; });
}

ResNetArch timm_resnet_arch(const std::string& architecture) {
  const auto* known = std::ranges::find_if(kResNets, [&](const KnownResNet& k) { return architecture == k.name; });
  EMB_CHECK_AS(NotSupportedError, known != std::ranges::end(kResNets), "ResNet: architecture '", architecture,
               "' is not one of timm's plain ResNets (models/timm_families.cc lists what TimmEncoder builds)");
  return ResNetArch{known->name, known->block, known->layers};
}

ResNet::ResNet(const nn::WeightReader& w, const ResNetArch& arch, bool classifier)
    : arch_(arch), stem_(make_stem(w, arch)), maxpool_(stem_pool(stem_)) {
  const std::string why = tensor_why(arch);
  const bool bottleneck = arch.block == BlockType::Bottleneck;
  std::size_t channels = stem_.spec().out_channels;
  for (std::size_t s = 0; s < arch.layers.size(); ++s) {
    const std::string layer = "layer" + std::to_string(s + 1) + ".";
    for (std::size_t b = 0; b < arch.layers[s]; ++b) {
      // make_blocks: a stage's first block strides (all but layer1's).
      const std::size_t stride = s > 0 && b == 0 ? 2 : 1;
      const std::string p = layer + std::to_string(b) + ".";
      Block block;
      const std::size_t mid = conv_out_channels(w, p + "conv1", why);
      const std::string last = bottleneck ? "conv3" : "conv2";
      const std::size_t out = conv_out_channels(w, p + last, why);
      if (bottleneck) {
        block.convs.push_back(conv_bn(w, p + "conv1", p + "bn1", conv_spec(channels, mid, 1, 1, Act::ReLU, false),
                                      kBnEps, why));
        block.convs.push_back(conv_bn(w, p + "conv2", p + "bn2",
                                      conv_spec(mid, mid, 3, stride, Act::ReLU, false), kBnEps, why));
      } else {
        block.convs.push_back(conv_bn(w, p + "conv1", p + "bn1",
                                      conv_spec(channels, mid, 3, stride, Act::ReLU, false), kBnEps, why));
      }
      const std::string last_bn = bottleneck ? "bn3" : "bn2";
      block.convs.push_back(
          conv_bn(w, p + last, p + last_bn, conv_spec(mid, out, bottleneck ? 1 : 3, 1, Act::ReLU, true), kBnEps, why));
      if (stride != 1 || channels != out)
        block.downsample.emplace(conv_bn(w, p + "downsample.0", p + "downsample.1",
                                         conv_spec(channels, out, 1, stride, Act::None, false), kBnEps, why));
      channels = out;
      blocks_.push_back(std::move(block));
    }
    EMB_CHECK_AS(ModelLoadError, !w.contains(layer + std::to_string(arch.layers[s]) + ".conv1.weight"),
                 w.path().string(), ": has more than the ", arch.layers[s], " blocks of ", layer.substr(0, 6),
                 " in timm's ", arch.name);
  }
  num_features_ = channels;
  if (classifier) fc_ = read_linear(w, "fc", num_features_, why + " (encode_predictions needs the classifier)");
}

std::vector<float> ResNet::pooled(const float* image, std::size_t height, std::size_t width) const {
  std::size_t h = height, w = width;
  std::vector<float> stem;
  run(stem_, to_channels_last(image, height, width), h, w, stem);
  const auto [ph, pw] = maxpool_.output_size(h, w);
  std::vector<float> cur(ph * pw * maxpool_.spec().channels);
  maxpool_.forward(stem.data(), h, w, cur.data());
  h = ph;
  w = pw;
  std::vector<float> x, y;
  for (const auto& block : blocks_) {
    // The shortcut, which the block's last convolution sums into.
    std::vector<float> sum;
    std::size_t sh = h, sw = w;
    if (block.downsample) run(*block.downsample, cur, sh, sw, sum);
    else sum = cur;
    std::size_t bh = h, bw = w;
    const std::vector<float>* src = &cur;
    for (std::size_t i = 0; i + 1 < block.convs.size(); ++i) {
      run(block.convs[i], *src, bh, bw, y);
      std::swap(x, y);
      src = &x;
    }
    const nn::Conv2d& last = block.convs.back();
    EMB_ASSERT(last.output_size(bh, bw) == std::make_pair(sh, sw) && sum.size() == sh * sw * last.spec().out_channels);
    last.forward(src->data(), bh, bw, sum.data());
    cur = std::move(sum);
    h = sh;
    w = sw;
  }
  return global_average_pool(cur, num_features_);
}

Matrix ResNet::features(std::span<const float> pixels, std::size_t n, std::size_t height, std::size_t width) const {
  EMB_CHECK(pixels.size() == n * 3 * height * width, "ResNet: ", pixels.size(), " pixel values for ", n,
            " images of 3 × ", height, " × ", width);
  Matrix out(n, num_features_);
  for (std::size_t i = 0; i < n; ++i)
    std::ranges::copy(pooled(pixels.data() + i * 3 * height * width, height, width), out.row(i).begin());
  return out;
}

Matrix ResNet::logits(const Matrix& features) const {
  EMB_CHECK(num_classes() > 0, "ResNet: loaded without its classifier");
  EMB_CHECK(features.cols() == num_features_, "ResNet: features of ", features.cols(), " columns; expected ",
            num_features_);
  Matrix out(features.rows(), num_classes());
  for (std::size_t i = 0; i < features.rows(); ++i) linear(features.row(i), fc_.weight, fc_.bias, out.row(i));
  return out;
}

}  // namespace emb::models
