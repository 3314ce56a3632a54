// TimmEncoder against timm 1.0.31 on the random-weight MobileNet folders of
// tests/oracles/timm_oracle.py (timm's save_for_hf layout): the pooled
// features and the logits from the oracle's pixel values and from the image
// files (decoded and preprocessed here), batch and thread independence, the
// architecture strings, padding and the errors of malformed folders.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "embetter/npy.h"
#include "embetter/timm_encoder.h"
#include "models/mobilenet.h"
#include "models/timm_families.h"
#include "nn/conv2d.h"
#include "support/test_support.h"

namespace emb {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path oracle(const std::string& name) { return test::oracle_dir() / "timm" / name; }

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

Matrix matrix_of(const json& rows) {
  Matrix m(rows.size(), rows.empty() ? 0 : rows[0].size());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) m(r, c) = rows[r][c].get<float>();
  return m;
}

void expect_parity(const Matrix& got, const Matrix& want, const std::string& what) {
  ASSERT_EQ(got.rows(), want.rows()) << what;
  ASSERT_EQ(got.cols(), want.cols()) << what;
  float max_abs = 0;
  double min_cosine = 1;
  for (std::size_t r = 0; r < got.rows(); ++r) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t c = 0; c < got.cols(); ++c) {
      max_abs = std::max(max_abs, std::abs(got(r, c) - want(r, c)));
      dot += double(got(r, c)) * want(r, c);
      na += double(got(r, c)) * got(r, c);
      nb += double(want(r, c)) * want(r, c);
    }
    min_cosine = std::min(min_cosine, dot / std::sqrt(na * nb));
  }
  std::printf("[parity] %s: max abs diff %.3g, min cosine %.9f\n", what.c_str(), max_abs, min_cosine);
  EXPECT_LE(max_abs, 1e-4f) << what;
  EXPECT_GE(min_cosine, 0.99999) << what;
}

TimmEncoderOptions options(bool predictions, int batch_size = 32, int threads = 1) {
  TimmEncoderOptions o;
  o.encode_predictions = predictions;
  o.batch_size = batch_size;
  o.num_threads = threads;
  return o;
}

bool equal(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.rows() * a.cols(), b.data());
}

class TimmParity : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    folder_ = oracle(GetParam());
    EMB_REQUIRE_FIXTURE(folder_ / "golden.json");
    golden_ = read_json(folder_ / "golden.json");
    for (const auto& name : golden_["images"]) paths_.push_back((folder_ / "images" / name.get<std::string>()).string());
  }
  std::vector<float> pixels() const {
    const Matrix m = read_npy(folder_ / "pixels.npy");
    return {m.data(), m.data() + m.rows() * m.cols()};
  }
  fs::path folder_;
  json golden_;
  std::vector<std::string> paths_;
};

TEST_P(TimmParity, FeaturesAndLogitsFromPixelValues) {
  const auto features = TimmEncoder::load(folder_.string(), options(false));
  EXPECT_EQ(features.architecture(), golden_["architecture"].get<std::string>());
  EXPECT_EQ(features.input_height(), golden_["input_size"][1].get<std::size_t>());
  EXPECT_EQ(features.input_width(), golden_["input_size"][2].get<std::size_t>());
  expect_parity(features.encode_pixels(pixels(), paths_.size()), matrix_of(golden_["features"]),
                std::string(GetParam()) + " features from pixels");
  const auto predictions = TimmEncoder::load(folder_.string(), options(true));
  expect_parity(predictions.encode_pixels(pixels(), paths_.size()), matrix_of(golden_["logits"]),
                std::string(GetParam()) + " logits from pixels");
}

TEST_P(TimmParity, ImageFilesDecodedAndPreprocessedHere) {
  const auto enc = TimmEncoder::load(folder_.string(), options(false));
  const auto& cfg = golden_["data_config"];
  EXPECT_EQ(enc.preprocess_config().interpolation, cfg["interpolation"].get<std::string>());
  EXPECT_EQ(enc.preprocess_config().crop_mode, cfg["crop_mode"].get<std::string>());
  EXPECT_DOUBLE_EQ(enc.preprocess_config().crop_pct, cfg["crop_pct"].get<double>());
  expect_parity(enc.encode_image_files(paths_), matrix_of(golden_["features"]),
                std::string(GetParam()) + " features from files");
  const auto predictions = TimmEncoder::load(folder_.string(), options(true));
  std::vector<Image> images;
  for (const auto& p : paths_) images.push_back(read_image(p));
  expect_parity(predictions.encode_images(images), matrix_of(golden_["logits"]),
                std::string(GetParam()) + " logits from decoded images");
}

TEST_P(TimmParity, EmbeddingsDoNotDependOnBatchOrThreads) {
  const auto px = pixels();
  const Matrix one = TimmEncoder::load(folder_.string(), options(false, 1, 1)).encode_pixels(px, paths_.size());
  const Matrix many = TimmEncoder::load(folder_.string(), options(false, 3, 2)).encode_pixels(px, paths_.size());
  EXPECT_TRUE(equal(one, many));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TimmParity,
                         ::testing::Values("mobilenetv3_large_100", "small_050_97x80", "tf_large_075_71",
                                           "tf_small_minimal_64x48", "mobilenetv2_120d_96",
                                           "resnet18_narrow_67x58", "resnet50_narrow_75x61",
                                           "wide_resnet50_2_narrow_45", "efficientnet_b0_narrow_83x77",
                                           "tf_efficientnet_b3_narrow_75", "vit_tiny_patch16_narrow_64",
                                           "vit_small_patch32_ls_96x64"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

TEST(MobileNetArch, BlocksOfTimmsArchitectureStrings) {
  const auto large = models::timm_mobilenet_arch("mobilenetv3_large_100");
  ASSERT_EQ(large.stages.size(), 7u);
  std::vector<std::size_t> counts;
  for (const auto& s : large.stages) counts.push_back(s.size());
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 2, 3, 4, 2, 3, 1}));
  EXPECT_EQ(large.stages[0][0].activation, nn::ConvActivation::ReLU);
  EXPECT_EQ(large.stages[2][1].kernel, 5u);
  EXPECT_TRUE(large.stages[2][0].squeeze_excite);
  EXPECT_EQ(large.stages[3][0].stride, 2u);
  EXPECT_EQ(large.stages[3][0].activation, nn::ConvActivation::HardSwish);
  EXPECT_EQ(large.stages[6][0].type, models::MobileNetBlockDef::Type::ConvBnAct);
  EXPECT_EQ(large.padding, nn::Padding::Symmetric);
  EXPECT_EQ(large.bn_eps, 1e-5);
  const auto tf = models::timm_mobilenet_arch("tf_mobilenetv3_small_minimal_100");
  EXPECT_EQ(tf.padding, nn::Padding::TfSame);
  EXPECT_EQ(tf.bn_eps, 1e-3);
  EXPECT_EQ(tf.activation, nn::ConvActivation::ReLU);
  EXPECT_FALSE(tf.stages[0][0].squeeze_excite);
  // MobileNetV2 120d: depth × 1.4 ('ceil'), the first and last stages fixed; ReLU6.
  const auto v2 = models::timm_mobilenet_arch("mobilenetv2_120d");
  counts.clear();
  for (const auto& s : v2.stages) counts.push_back(s.size());
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 3, 5, 6, 5, 5, 1}));
  EXPECT_TRUE(v2.head_before_pool);
  EXPECT_EQ(v2.stages[3][0].stride, 2u);
  EXPECT_EQ(v2.stages[3][1].stride, 1u);
  EXPECT_EQ(v2.stages[1][0].activation, nn::ConvActivation::ReLU6);
  counts.clear();
  for (const auto& s : models::timm_mobilenet_arch("mobilenetv2_110d").stages) counts.push_back(s.size());
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 3, 4, 5, 4, 4, 1}));
  // EfficientNet is timm's EfficientNet class too, but its own family (timm_efficientnet_arch).
  for (const char* name : {"resnet50", "mobilenetv3_rw", "mobilenetv3_large_150d", "efficientnet_b0", "mobilenetv2_130d"})
    EMB_EXPECT_THROW_WITH(models::timm_mobilenet_arch(name), NotSupportedError, std::string("'") + name + "'");
  // EfficientNet B0: _gen_efficientnet's strings as they are; SiLU, squeeze-excites
  // of SiLU and sigmoid in every block, the head before the pooling.
  EXPECT_TRUE(models::is_timm_efficientnet("efficientnet_b0"));
  EXPECT_FALSE(models::is_timm_mobilenet("efficientnet_b0"));
  const auto b0 = models::timm_efficientnet_arch("efficientnet_b0");
  counts.clear();
  for (const auto& s : b0.stages) counts.push_back(s.size());
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 2, 2, 3, 3, 4, 1}));
  EXPECT_EQ(b0.stages[0][0].type, models::MobileNetBlockDef::Type::DepthwiseSeparable);
  EXPECT_TRUE(b0.stages[0][0].squeeze_excite);
  EXPECT_EQ(b0.stages[2][0].kernel, 5u);
  EXPECT_EQ(b0.stages[2][0].stride, 2u);
  EXPECT_EQ(b0.stages[2][1].stride, 1u);
  EXPECT_EQ(b0.stages[4][0].stride, 1u);
  EXPECT_EQ(b0.stages[5][3].activation, nn::ConvActivation::SiLU);
  EXPECT_EQ(b0.activation, nn::ConvActivation::SiLU);
  EXPECT_EQ(b0.se_activation, nn::ConvActivation::SiLU);
  EXPECT_EQ(b0.se_gate, models::MobileNetArch::Gate::Sigmoid);
  EXPECT_TRUE(b0.head_before_pool);
  EXPECT_EQ(b0.padding, nn::Padding::Symmetric);
  EXPECT_EQ(b0.bn_eps, 1e-5);
  EXPECT_EQ(large.se_gate, models::MobileNetArch::Gate::HardSigmoid);
  // B1, B2, B3: depth × 1.1, 1.2, 1.4, 'ceil' per stage; tf_: 'SAME' padding, eps 1e-3.
  const std::pair<const char*, std::vector<std::size_t>> depths[] = {
      {"efficientnet_b1", {2, 3, 3, 4, 4, 5, 2}},
      {"tf_efficientnet_b2", {2, 3, 3, 4, 4, 5, 2}},
      {"efficientnet_b3", {2, 3, 3, 5, 5, 6, 2}},
  };
  for (const auto& [name, want] : depths) {
    counts.clear();
    for (const auto& s : models::timm_efficientnet_arch(name).stages) counts.push_back(s.size());
    EXPECT_EQ(counts, want) << name;
  }
  const auto tf_b3 = models::timm_efficientnet_arch("tf_efficientnet_b3");
  EXPECT_EQ(tf_b3.padding, nn::Padding::TfSame);
  EXPECT_EQ(tf_b3.bn_eps, 1e-3);
  EXPECT_EQ(tf_b3.stages[3][0].stride, 2u);
  EXPECT_EQ(tf_b3.stages[3][4].stride, 1u);
  for (const char* name : {"efficientnet_b4", "efficientnet_b0_gn", "efficientnetv2_rw_s", "mobilenetv2_100"})
    EMB_EXPECT_THROW_WITH(models::timm_efficientnet_arch(name), NotSupportedError, std::string("'") + name + "'");
  // timm's first default_cfgs entry of each name.
  EXPECT_EQ(models::timm_default_tag("efficientnet_b0"), "ra_in1k");
  EXPECT_EQ(models::timm_default_tag("efficientnet_b1"), "ra4_e3600_r240_in1k");
  EXPECT_EQ(models::timm_default_tag("efficientnet_b3"), "ra2_in1k");
  EXPECT_EQ(models::timm_default_tag("tf_efficientnet_b2"), "ns_jft_in1k");
}

// Convolutions against a direct loop: full, depthwise and pointwise, strides
// 1 and 2, both paddings, odd sizes, each epilogue (ReLU, hard-swish, SiLU,
// the sum into what dst holds).
struct ConvCase {
  std::size_t in, out, kernel, stride, groups;
  nn::Padding padding;
  nn::ConvActivation act;
  bool accumulate;
};

TEST(Conv2d, MatchesADirectConvolution) {
  using P = nn::Padding;
  using A = nn::ConvActivation;
  const ConvCase cases[] = {
      {4, 6, 5, 2, 1, P::Symmetric, A::None, false},   {4, 6, 5, 2, 1, P::TfSame, A::ReLU, false},
      {4, 4, 3, 2, 4, P::Symmetric, A::HardSwish, false}, {4, 4, 3, 2, 4, P::TfSame, A::None, false},
      {24, 24, 5, 1, 24, P::Symmetric, A::HardSwish, false}, {40, 72, 1, 1, 1, P::Symmetric, A::HardSwish, false},
      {72, 40, 1, 1, 1, P::Symmetric, A::None, true},   {3, 16, 3, 2, 1, P::Symmetric, A::HardSwish, false},
      {96, 96, 5, 2, 96, P::TfSame, A::ReLU, false},    {17, 33, 1, 1, 1, P::Symmetric, A::None, true},
      {8, 48, 1, 1, 1, P::Symmetric, A::ReLU6, false},  {48, 48, 3, 2, 48, P::Symmetric, A::ReLU6, false},
      {4, 6, 3, 2, 1, P::TfSame, A::SiLU, false},       {24, 24, 5, 1, 24, P::Symmetric, A::SiLU, false},
  };
  for (const auto& k : cases) {
    nn::Conv2dSpec s;
    s.in_channels = k.in;
    s.out_channels = k.out;
    s.kernel = k.kernel;
    s.stride = k.stride;
    s.groups = k.groups;
    s.padding = k.padding;
    s.activation = k.act;
    s.accumulate = k.accumulate;
    const std::size_t per = s.in_channels / s.groups, h = 9, w = 7, ci_all = s.in_channels;
    std::vector<float> weights(s.out_channels * per * s.kernel * s.kernel), bias(s.out_channels), x(h * w * ci_all);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = float(int(i * 37 % 11) - 5) / 8;
    for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = float(i % 5) / 4 - 0.5f;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 13 % 7) - 3) / 2;
    const nn::Conv2d conv(s, weights, bias);
    const auto [oh, ow] = conv.output_size(h, w);
    std::vector<float> got(oh * ow * s.out_channels);
    for (std::size_t i = 0; i < got.size(); ++i) got[i] = k.accumulate ? float(i % 3) : 1e9f;
    const std::vector<float> before_sum = got;
    conv.forward(x.data(), h, w, got.data());
    const auto before = [&](std::size_t in) -> long {
      if (k.padding == P::Symmetric) return long((s.stride - 1) + (s.kernel - 1)) / 2;
      const long total =
          std::max<long>((long((in + s.stride - 1) / s.stride) - 1) * long(s.stride) + long(s.kernel) - long(in), 0);
      return total / 2;
    };
    if (k.padding == P::TfSame) {
      EXPECT_EQ(oh, (h + s.stride - 1) / s.stride);
    }
    const std::size_t per_group_out = s.out_channels / s.groups;
    for (std::size_t oy = 0; oy < oh; ++oy)
      for (std::size_t ox = 0; ox < ow; ++ox)
        for (std::size_t o = 0; o < s.out_channels; ++o) {
          const std::size_t g = o / per_group_out;
          double acc = bias[o];
          for (std::size_t ci = 0; ci < per; ++ci)
            for (std::size_t ky = 0; ky < s.kernel; ++ky)
              for (std::size_t kx = 0; kx < s.kernel; ++kx) {
                const long y = long(oy * s.stride + ky) - before(h), xx = long(ox * s.stride + kx) - before(w);
                if (y < 0 || xx < 0 || y >= long(h) || xx >= long(w)) continue;
                acc += double(weights[((o * per + ci) * s.kernel + ky) * s.kernel + kx]) *
                       x[(std::size_t(y) * w + std::size_t(xx)) * ci_all + g * per + ci];
              }
          const std::size_t at = (oy * ow + ox) * s.out_channels + o;
          if (k.accumulate) acc += before_sum[at];
          if (k.act == A::ReLU) acc = std::max(acc, 0.0);
          if (k.act == A::ReLU6) acc = std::min(std::max(acc, 0.0), 6.0);
          if (k.act == A::HardSwish) acc = acc * std::min(std::max(acc + 3, 0.0), 6.0) / 6;
          if (k.act == A::SiLU) acc = acc / (1 + std::exp(-acc));
          ASSERT_NEAR(got[at], acc, 1e-4) << k.in << "->" << k.out << " k" << k.kernel << " s" << k.stride << " g"
                                          << k.groups << " at " << oy << "," << ox << "," << o;
        }
  }
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

TEST(TimmEncoder, ErrorsNameTheFileAndTensor) {
  const fs::path src = oracle("small_050_97x80");
  EMB_REQUIRE_FIXTURE(src / "golden.json");
  {
    const fs::path d = test::writable_copy(src, "timm_arch");
    json c = read_json(d / "config.json");
    c["architecture"] = "convnext_tiny";
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "'convnext_tiny' is not supported");
    c.erase("architecture");
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "no string 'architecture'");
    c["architecture"] = "mobilenetv3_small_050";
    c["pretrained_cfg"]["input_size"] = json::array({3, 0, 5});
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "pretrained_cfg.input_size");
    c["pretrained_cfg"]["input_size"] = json::array({3, 64, 64});
    c["pretrained_cfg"]["mean"] = "x";
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "pretrained_cfg.mean");
    c["pretrained_cfg"].erase("mean");
    c["pretrained_cfg"]["interpolation"] = "cubic";
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "interpolation 'cubic'");
  }
  {
    // The weights of another width: the first mismatching tensor is named.
    const fs::path d = test::writable_copy(src, "timm_wrong_arch");
    json c = read_json(d / "config.json");
    c["architecture"] = "mobilenetv3_large_100";
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "model.safetensors");
    fs::remove(d / "model.safetensors");
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "no model.safetensors");
  }
  // A timm name of another architecture: refused before any download.
  EMB_EXPECT_THROW_WITH(TimmEncoder::load("convnext_tiny.in12k_ft_in1k"), NotSupportedError,
                        "'convnext_tiny' is not supported");
  const auto enc = TimmEncoder::load(src.string());
  const std::size_t per = 3 * enc.input_height() * enc.input_width();
  EMB_EXPECT_THROW_WITH(enc.encode_pixels(std::vector<float>(per - 1), 1), InvalidArgument, "pixel values for 1");
  std::vector<float> nan(per, 0.0f);
  nan[7] = std::nanf("");
  EMB_EXPECT_THROW_WITH(enc.encode_pixels(nan, 1), InvalidArgument, "image 0 has a pixel value that is not finite");
  EMB_EXPECT_THROW_WITH(enc.encode_image_files({(src / "config.json").string()}), ImageError, "config.json");
  EXPECT_EQ(enc.encode_pixels({}, 0).rows(), 0u);
  EXPECT_EQ(enc.dim(), 1024u);
}

TEST(TimmEncoder, VitVariantsNotBuiltAreNotSupported) {
  const fs::path src = oracle("vit_tiny_patch16_narrow_64");
  EMB_REQUIRE_FIXTURE(src / "golden.json");
  const fs::path d = test::writable_copy(src, "timm_vit_variants");
  const json original = read_json(d / "config.json");
  const auto with = [&](const std::string& key, const json& value) {
    json c = original;
    c["model_args"][key] = value;
    write_text(d / "config.json", c.dump());
  };
  with("global_pool", "avg");
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "global_pool is \"avg\"");
  with("reg_tokens", 4);
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "model_args.reg_tokens is 4");
  with("class_token", false);
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "no class token");
  with("dynamic_img_size", true);
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "model_args.dynamic_img_size");
  with("act_layer", "gelu_tanh");
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "model_args.act_layer");
  with("block_fn", "ParallelScalingBlock");
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError, "model_args.block_fn is not supported");
  with("pre_norm", true);  // the weights have no norm_pre
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "norm_pre.weight");
  with("num_heads", 5);
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "not a multiple of num_heads 5");
  // The input size is the model's img_size: its position embeddings are not resampled.
  with("img_size", json::array({64, 80}));
  EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), NotSupportedError,
                        "input_size is [3,64,64] but the model's img_size is 64x80");
  {
    json c = original;
    c["model_args"].erase("img_size");  // then pretrained_cfg's input_size, as timm's builder does
    c["pretrained_cfg"]["input_size"] = json::array({3, 80, 80});
    write_text(d / "config.json", c.dump());
    EMB_EXPECT_THROW_WITH(TimmEncoder::load(d.string()), ModelLoadError, "'pos_embed'");
  }
  write_text(d / "config.json", original.dump());
  const auto enc = TimmEncoder::load(d.string());
  EXPECT_EQ(enc.dim(), 48u);
  EXPECT_EQ(models::timm_default_tag("vit_base_patch16_224"), "augreg2_in21k_ft_in1k");
  EXPECT_EQ(models::timm_default_tag("vit_small_patch8_224"), "dino");
}

}  // namespace
}  // namespace emb
