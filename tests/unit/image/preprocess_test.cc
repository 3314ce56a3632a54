// The CLIP and timm preprocessing against transformers' CLIPImageProcessor
// (its Pillow backend) and timm's eval transform, within 1e-6 on every golden;
// the output-size and crop-offset rounding by hand; preprocessor_config.json
// errors that name the file and the key; empty images and absurd sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include "embetter/image.h"
#include "image/preprocess.h"
#include "preprocess_goldens.h"

namespace emb {
namespace {

namespace fs = std::filesystem;
using test::PreprocessGoldens;

constexpr float kTolerance = 1e-6f;

// Largest |ours - theirs| over a golden record; fails on a size mismatch.
float max_diff(const std::vector<float>& ours, const std::vector<char>& blob, std::size_t offset, std::size_t n) {
  EXPECT_EQ(ours.size(), n);
  if (ours.size() != n || offset + n * sizeof(float) > blob.size()) return INFINITY;
  float worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    float theirs;
    std::memcpy(&theirs, blob.data() + offset + i * sizeof(float), sizeof theirs);
    worst = std::max(worst, std::abs(ours[i] - theirs));
  }
  return worst;
}

// The cat is decoded by us from the shared JPEG (equal to Pillow's decode).
Image input(const std::string& name) {
  if (name == "cat") return read_image((test::shared_dir() / "data" / "thiscatdoesnotexist.jpeg").string());
  return PreprocessGoldens::get().images.at(name);
}

TEST(ClipMatchesTransformers, EveryConfigAndImage) {
  EMB_REQUIRE_FIXTURE(test::preprocess_oracle() / "manifest.json");
  const auto& g = PreprocessGoldens::get();
  std::map<std::string, ClipPreprocessConfig> configs;
  float worst = 0;
  int cases = 0;
  for (const auto& c : g.manifest["clip"]) {
    const std::string cname = c["config"], name = c["input"];
    SCOPED_TRACE(cname + " " + name);
    const auto file = test::preprocess_oracle() / cname / "preprocessor_config.json";
    if (!configs.count(cname)) configs[cname] = read_clip_preprocess_config(file.string());
    const Image img = input(name);
    const auto out = preprocess_clip(img, configs[cname]);
    const std::size_t h = c["height"], w = c["width"];
    EXPECT_EQ((image::clip_output_size(img.height, img.width, configs[cname])), (std::array<std::size_t, 2>{h, w}));
    const float d = max_diff(out, g.clip, c["offset"], 3 * h * w);
    EXPECT_LE(d, kTolerance);
    worst = std::max(worst, d);
    ++cases;
  }
  EXPECT_GE(cases, 80);
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("CLIPImageProcessor: %d cases, max |diff| %g\n", cases, static_cast<double>(worst));
}

TEST(ClipMatchesTransformers, DefaultsAreClipVitB32s) {
  EMB_REQUIRE_FIXTURE(test::preprocess_oracle() / "manifest.json");
  const auto file = read_clip_preprocess_config(
      (test::preprocess_oracle() / "clip-vit-base-patch32" / "preprocessor_config.json").string());
  const ClipPreprocessConfig defaults;
  EXPECT_EQ(file.shortest_edge, defaults.shortest_edge);
  EXPECT_EQ(file.crop_height, defaults.crop_height);
  EXPECT_EQ(file.resample, defaults.resample);
  EXPECT_EQ(file.image_mean, defaults.image_mean);
  EXPECT_EQ(file.image_std, defaults.image_std);
  EXPECT_EQ(file.rescale_factor, defaults.rescale_factor);
}

TEST(TimmMatchesTimm, EveryConfigAndImage) {
  EMB_REQUIRE_FIXTURE(test::preprocess_oracle() / "timm.bin");
  const auto& g = PreprocessGoldens::get();
  float worst = 0;
  int cases = 0;
  for (const auto& c : g.manifest["timm"]) {
    const std::string cname = c["config"], name = c["input"];
    SCOPED_TRACE(cname + " " + name);
    const auto& j = g.manifest["timm_configs"][cname];
    TimmPreprocessConfig cfg;
    cfg.input_height = j["input_size"][1];
    cfg.input_width = j["input_size"][2];
    cfg.interpolation = j["interpolation"];
    cfg.crop_pct = j["crop_pct"];
    cfg.crop_mode = j["crop_mode"];
    cfg.mean = j["mean"].get<std::vector<double>>();
    cfg.std = j["std"].get<std::vector<double>>();
    const auto out = preprocess_timm(input(name), cfg);
    const auto n = 3 * static_cast<std::size_t>(cfg.input_height) * static_cast<std::size_t>(cfg.input_width);
    const float d = max_diff(out, g.timm, c["offset"], n);
    EXPECT_LE(d, kTolerance);
    worst = std::max(worst, d);
    ++cases;
  }
  EXPECT_GE(cases, 60);
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("timm %s: %d cases, max |diff| %g\n", g.manifest.value("timm_version", "?").c_str(), cases,
              static_cast<double>(worst));
}

TEST(PreprocessRounding, OutputSizesAndCropOffsets) {
  using image::shortest_edge_size;
  EXPECT_EQ(shortest_edge_size(480, 640, 224), (std::array<std::size_t, 2>{224, 298}));  // 298.67 truncated
  EXPECT_EQ(shortest_edge_size(640, 480, 224), (std::array<std::size_t, 2>{298, 224}));
  EXPECT_EQ(shortest_edge_size(5, 5, 224), (std::array<std::size_t, 2>{224, 224}));
  EXPECT_EQ(shortest_edge_size(1, 3, 2), (std::array<std::size_t, 2>{2, 6}));
  // transformers floors (size - crop) / 2; torchvision pads (crop - size) // 2
  // before, or rounds half to even.
  EXPECT_EQ(image::transformers_crop_offset(298, 224), 37);
  EXPECT_EQ(image::transformers_crop_offset(257, 224), 16);
  EXPECT_EQ(image::transformers_crop_offset(223, 224), -1);
  EXPECT_EQ(image::transformers_crop_offset(1, 224), -112);
  EXPECT_EQ(image::torchvision_crop_offset(257, 224), 16);  // round(16.5)
  EXPECT_EQ(image::torchvision_crop_offset(259, 224), 18);  // round(17.5)
  EXPECT_EQ(image::torchvision_crop_offset(223, 224), 0);
  EXPECT_EQ(image::torchvision_crop_offset(1, 224), -111);
}

TEST(PreprocessRounding, AlphaIsCompositedOntoWhite) {
  const Image la{3, 1, 2, {200, 0, 200, 255, 200, 128}};
  const Image rgb = image::composite_on_white(la);
  EXPECT_EQ(rgb.channels, 3);
  // alpha 0: white; alpha 255: the value; alpha 128: Pillow's 7-bit blend (227.5 rounded).
  EXPECT_EQ(rgb.pixels, (std::vector<std::uint8_t>{255, 255, 255, 200, 200, 200, 227, 227, 227}));
}

// --- preprocessor_config.json errors ------------------------------------------

std::string write_config(const std::string& name, const std::string& text) {
  const fs::path dir = test::temp_dir() / name;
  fs::create_directories(dir);
  std::ofstream(dir / "preprocessor_config.json") << text;
  return (dir / "preprocessor_config.json").string();
}

TEST(ClipConfigErrors, NameTheFileAndTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"size": "big"})", "'size'"},
      {R"({"size": {"shortest_edge": 0}})", "'size.shortest_edge'"},
      {R"({"size": {"shortest_edge": 224, "longest_edge": 300}})", "'size'"},
      {R"({"size": {"width": 3}})", "'size'"},
      {R"({"crop_size": {"height": 224}})", "'crop_size'"},
      {R"({"crop_size": {"height": -1, "width": 3}})", "'crop_size.height'"},
      {R"({"crop_size": 1e12})", "'crop_size'"},
      {R"({"do_resize": "yes"})", "'do_resize'"},
      {R"({"resample": 9})", "'resample'"},
      {R"({"resample": "bicubic"})", "'resample'"},
      {R"({"rescale_factor": "1/255"})", "'rescale_factor'"},
      {R"({"image_mean": [0.5, 0.5]})", "'image_mean'"},
      {R"({"image_mean": ["a", 0.5, 0.5]})", "'image_mean'"},
      {R"({"image_std": [0.5, 0, 0.5]})", "'image_std'"},
      {R"({"size": 100000})", "'size'"},
  };
  int i = 0;
  for (const auto& [text, key] : cases) {
    const std::string path = write_config("bad" + std::to_string(i++), text);
    SCOPED_TRACE(text);
    const std::string msg = test::message_of<ModelLoadError>([&] { read_clip_preprocess_config(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
  }
  const std::string syntax = write_config("syntax", R"({"size": 224,)");
  EMB_EXPECT_THROW_WITH(read_clip_preprocess_config(syntax), ModelLoadError, syntax);
  EMB_EXPECT_THROW_WITH(read_clip_preprocess_config((test::temp_dir() / "missing.json").string()), ModelLoadError,
                        "missing.json");
  const std::string array = write_config("array", "[1, 2]");
  EMB_EXPECT_THROW_WITH(read_clip_preprocess_config(array), ModelLoadError, "JSON object");
}

TEST(ClipConfig, ReadsEveryForm) {
  const auto c = read_clip_preprocess_config(write_config("forms", R"({
    "image_processor": {"size": {"height": 30, "width": 50}, "crop_size": 20, "resample": 2,
                        "do_center_crop": false, "image_mean": 0.5, "image_std": [1, 2, 3],
                        "rescale_factor": 0.5, "do_convert_rgb": null}})"));
  EXPECT_EQ(c.shortest_edge, 0);
  EXPECT_EQ(c.resize_height, 30);
  EXPECT_EQ(c.resize_width, 50);
  EXPECT_EQ(c.crop_height, 20);
  EXPECT_EQ(c.crop_width, 20);
  EXPECT_EQ(c.resample, Resample::Bilinear);
  EXPECT_FALSE(c.do_center_crop);
  EXPECT_TRUE(c.do_convert_rgb);
  EXPECT_EQ(c.image_mean, (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(c.image_std, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(c.rescale_factor, 0.5);
  EXPECT_EQ(image::clip_output_size(7, 9, c), (std::array<std::size_t, 2>{30, 50}));
}

// --- images and settings the preprocessing refuses ------------------------------

TEST(PreprocessErrors, EmptyImagesAndAbsurdSizes) {
  const Image empty{4, 0, 3, {}};
  EMB_EXPECT_THROW_WITH(preprocess_clip(empty, {}), InvalidArgument, "empty (4x0)");
  EMB_EXPECT_THROW_WITH(preprocess_timm(empty, {}), InvalidArgument, "empty (4x0)");
  // 1 x 20000: the short side to 224 makes the long one 4.48 million pixels.
  const Image thin{20000, 1, 1, std::vector<std::uint8_t>(20000, 7)};
  EMB_EXPECT_THROW_WITH(preprocess_clip(thin, {}), InvalidArgument, "over the limit");
  const Image one{1, 1, 3, {1, 2, 3}};
  ClipPreprocessConfig clip;
  clip.shortest_edge = 1 << 20;
  EMB_EXPECT_THROW_WITH(preprocess_clip(one, clip), InvalidArgument, "shortest_edge 1048576 is out of range");
  clip = {};
  clip.crop_width = 0;
  EMB_EXPECT_THROW_WITH(preprocess_clip(one, clip), InvalidArgument, "crop_width 0");
  clip = {};
  clip.image_std = {1, 2};
  EMB_EXPECT_THROW_WITH(preprocess_clip(one, clip), InvalidArgument, "3 values");
  clip = {};
  clip.do_convert_rgb = false;
  const Image grey{1, 1, 1, {9}};
  EMB_EXPECT_THROW_WITH(preprocess_clip(grey, clip), InvalidArgument, "do_convert_rgb");
  TimmPreprocessConfig timm;
  timm.crop_pct = 1e-6;
  EMB_EXPECT_THROW_WITH(preprocess_timm(one, timm), InvalidArgument, "crop_pct");
  timm = {};
  timm.crop_pct = 0;
  EMB_EXPECT_THROW_WITH(preprocess_timm(one, timm), InvalidArgument, "crop_pct 0");
  timm = {};
  timm.interpolation = "cubic";
  EMB_EXPECT_THROW_WITH(preprocess_timm(one, timm), InvalidArgument, "interpolation 'cubic'");
  timm = {};
  timm.crop_mode = "random";
  EMB_EXPECT_THROW_WITH(preprocess_timm(one, timm), InvalidArgument, "crop_mode 'random'");
  timm = {};
  timm.input_height = -3;
  EMB_EXPECT_THROW_WITH(preprocess_timm(one, timm), InvalidArgument, "input height -3");
}

}  // namespace
}  // namespace emb
