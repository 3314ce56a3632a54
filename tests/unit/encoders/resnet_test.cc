// timm's ResNet beyond the parity of tests/oracles/timm_oracle.py's folders
// (timm_encoder_test.cc): the stem's max-pool and the residual sum + ReLU
// against direct loops at odd sizes, the architectures built, and the errors
// of weights that do not fit the architecture named.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/timm_encoder.h"
#include "models/resnet.h"
#include "nn/conv2d.h"
#include "nn/pool2d.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;

// Values of both signs, so that a border padded with 0 instead of -inf shows.
std::vector<float> signed_ramp(std::size_t n, std::size_t seed) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = float(int((i * 29 + seed * 7) % 23) - 15) / 4;
  return x;
}

TEST(MaxPool2d, MatchesADirectLoopAtOddSizes) {
  struct Case {
    std::size_t kernel, stride, padding;
  };
  const std::size_t channels = 5;
  for (const Case k : {Case{3, 2, 1}, Case{3, 1, 1}, Case{2, 2, 0}, Case{3, 2, 0}}) {
    for (const auto& [h, w] : {std::pair<std::size_t, std::size_t>{34, 29}, {17, 16}, {7, 9}, {3, 2}, {1, 1}}) {
      if (h + 2 * k.padding < k.kernel || w + 2 * k.padding < k.kernel) continue;
      const nn::MaxPool2d pool(nn::MaxPool2dSpec{channels, k.kernel, k.stride, k.padding});
      const auto [oh, ow] = pool.output_size(h, w);
      EXPECT_EQ(oh, (h + 2 * k.padding - k.kernel) / k.stride + 1);  // PyTorch's, ceil_mode=False
      EXPECT_EQ(ow, (w + 2 * k.padding - k.kernel) / k.stride + 1);
      const auto x = signed_ramp(h * w * channels, h + w);
      std::vector<float> got(oh * ow * channels, 1e9f);
      pool.forward(x.data(), h, w, got.data());
      for (std::size_t oy = 0; oy < oh; ++oy)
        for (std::size_t ox = 0; ox < ow; ++ox)
          for (std::size_t c = 0; c < channels; ++c) {
            float want = -std::numeric_limits<float>::infinity();
            for (std::size_t ky = 0; ky < k.kernel; ++ky)
              for (std::size_t kx = 0; kx < k.kernel; ++kx) {
                const long y = long(oy * k.stride + ky) - long(k.padding);
                const long xx = long(ox * k.stride + kx) - long(k.padding);
                if (y < 0 || xx < 0 || y >= long(h) || xx >= long(w)) continue;
                want = std::max(want, x[(std::size_t(y) * w + std::size_t(xx)) * channels + c]);
              }
            ASSERT_EQ(got[(oy * ow + ox) * channels + c], want)
                << "k" << k.kernel << " s" << k.stride << " p" << k.padding << " " << h << "×" << w << " at " << oy
                << "," << ox << "," << c;
          }
    }
  }
  EMB_EXPECT_THROW_WITH(nn::MaxPool2d(nn::MaxPool2dSpec{4, 3, 2, 2}), InvalidArgument, "more than half the kernel");
  const nn::MaxPool2d pool(nn::MaxPool2dSpec{4, 3, 2, 0});
  EMB_EXPECT_THROW_WITH(pool.output_size(2, 5), InvalidArgument, "smaller than the 3-pixel window");
}

// ResNet's block ends: conv + folded BatchNorm summed into the shortcut, then ReLU.
TEST(Conv2d, SumsIntoTheShortcutBeforeTheActivation) {
  for (const std::size_t kernel : {1u, 3u}) {
    nn::Conv2dSpec s;
    s.in_channels = 6;
    s.out_channels = 10;
    s.kernel = kernel;
    s.activation = nn::ConvActivation::ReLU;
    s.accumulate = true;
    const std::size_t h = 7, w = 5;
    std::vector<float> weights(s.out_channels * s.in_channels * kernel * kernel), bias(s.out_channels);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = float(int(i * 37 % 11) - 5) / 8;
    for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = float(i % 5) / 4 - 0.5f;
    const auto x = signed_ramp(h * w * s.in_channels, 1);
    const auto shortcut = signed_ramp(h * w * s.out_channels, 2);
    const nn::Conv2d conv(s, weights, bias);
    std::vector<float> got = shortcut;
    conv.forward(x.data(), h, w, got.data());
    const long pad = long(kernel - 1) / 2;
    std::size_t negative_sums = 0;
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t xx = 0; xx < w; ++xx)
        for (std::size_t o = 0; o < s.out_channels; ++o) {
          double acc = bias[o];
          for (std::size_t ci = 0; ci < s.in_channels; ++ci)
            for (std::size_t ky = 0; ky < kernel; ++ky)
              for (std::size_t kx = 0; kx < kernel; ++kx) {
                const long sy = long(y + ky) - pad, sx = long(xx + kx) - pad;
                if (sy < 0 || sx < 0 || sy >= long(h) || sx >= long(w)) continue;
                acc += double(weights[((o * s.in_channels + ci) * kernel + ky) * kernel + kx]) *
                       x[(std::size_t(sy) * w + std::size_t(sx)) * s.in_channels + ci];
              }
          const std::size_t at = (y * w + xx) * s.out_channels + o;
          acc += shortcut[at];
          negative_sums += acc < 0;
          ASSERT_NEAR(got[at], std::max(acc, 0.0), 1e-4) << "k" << kernel << " at " << y << "," << xx << "," << o;
        }
    EXPECT_GT(negative_sums, 10u);  // the ReLU is exercised
  }
}

TEST(ResNetArch, TimmsPlainEntryPoints) {
  using Block = models::ResNetArch::Block;
  const auto r18 = models::timm_resnet_arch("resnet18");
  EXPECT_EQ(r18.block, Block::Basic);
  EXPECT_EQ(r18.layers, (std::array<std::size_t, 4>{2, 2, 2, 2}));
  EXPECT_EQ(models::timm_resnet_arch("resnet34").layers, (std::array<std::size_t, 4>{3, 4, 6, 3}));
  EXPECT_EQ(models::timm_resnet_arch("resnet26").block, Block::Bottleneck);
  EXPECT_EQ(models::timm_resnet_arch("resnet101").layers, (std::array<std::size_t, 4>{3, 4, 23, 3}));
  EXPECT_EQ(models::timm_resnet_arch("resnet152").layers, (std::array<std::size_t, 4>{3, 8, 36, 3}));
  EXPECT_EQ(models::timm_resnet_arch("wide_resnet101_2").layers, (std::array<std::size_t, 4>{3, 4, 23, 3}));
  // Deep stems, average-pool downsampling, grouped convolutions, attention: not built.
  for (const char* name : {"resnet50d", "resnet18d", "resnet26t", "resnet50c", "resnext50_32x4d", "seresnet50",
                           "ecaresnet50d", "resnetv2_50", "resnet200", "resnet50x"}) {
    EXPECT_FALSE(models::is_timm_resnet(name)) << name;
    EMB_EXPECT_THROW_WITH(models::timm_resnet_arch(name), NotSupportedError, std::string("'") + name + "'");
  }
}

void write_architecture(const fs::path& folder, const std::string& architecture) {
  nlohmann::json c;
  {
    std::ifstream in(folder / "config.json");
    c = nlohmann::json::parse(in);
  }
  c["architecture"] = architecture;
  std::ofstream(folder / "config.json", std::ios::binary) << c.dump();
}

TEST(ResNet, WeightsOfAnotherDepthOrBlockAreNamed) {
  const fs::path r50 = test::oracle_dir() / "timm" / "resnet50_narrow_75x61";
  EMB_REQUIRE_FIXTURE(r50 / "golden.json");
  const fs::path d = test::writable_copy(r50, "timm_resnet_depth");
  write_architecture(d, "resnet26");  // 2 Bottlenecks per stage: layer1.2 is one too many
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "more than the 2 blocks of layer1");
  write_architecture(d, "resnet101");  // layer3.6 is missing
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "layer3.6.conv1.weight");
  write_architecture(d, "resnet34");  // BasicBlocks: conv1 is 3×3 there
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "layer1.0.conv1.weight");
  write_architecture(d, "resnet50");
  const auto enc = TimmEncoder::load(d.string());
  EXPECT_EQ(enc.dim(), 256u);  // channels=(8, 16, 32, 64) × Bottleneck's 4
  TimmEncoderOptions predictions;
  predictions.encode_predictions = true;
  EXPECT_EQ(TimmEncoder::load(d.string(), predictions).dim(), 1000u);
}

// A create_model argument that changes the computation but not the weights
// (output_stride dilates the last stages) would give other numbers silently.
TEST(ResNet, ModelArgsItDoesNotBuildAreRefused) {
  const fs::path r50 = test::oracle_dir() / "timm" / "resnet50_narrow_75x61";
  EMB_REQUIRE_FIXTURE(r50 / "golden.json");
  const fs::path d = test::writable_copy(r50, "timm_resnet_args");
  nlohmann::json c = nlohmann::json::parse(std::ifstream(d / "config.json"));
  c["model_args"]["output_stride"] = 16;
  c["model_args"]["drop_path_rate"] = 0.1;  // eval mode: nothing
  std::ofstream(d / "config.json", std::ios::binary) << c.dump();
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "model_args.output_stride (16)");
  c["model_args"].erase("output_stride");
  std::ofstream(d / "config.json", std::ios::binary) << c.dump();
  EXPECT_EQ(TimmEncoder::load(d.string()).dim(), 256u);
}

}  // namespace
}  // namespace emb
