// Every file the oracle wrote decodes to exactly Pillow's pixels: JPEG (grey,
// RGB, 4:2:0, progressive, CMYK), PNG (grey, grey+alpha, RGB, RGBA, palette,
// tRNS, 1/2/4/16 bits, interlaced), WebP (lossy, lossless, alpha), and EXIF
// orientations 1-8 in each format with and without exif_transpose.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/image.h"
#include "support/test_support.h"

namespace emb {
namespace {

std::filesystem::path oracle() { return test::oracle_dir() / "images"; }

std::vector<std::uint8_t> slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Checks every manifest case whose file name starts with `prefix`; returns how many.
int check_cases(const std::string& prefix) {
  const auto manifest = nlohmann::json::parse(std::ifstream(oracle() / "manifest.json"));
  int checked = 0;
  for (const auto& c : manifest) {
    const std::string file = c["file"];
    if (file.rfind(prefix, 0) != 0) continue;
    SCOPED_TRACE(file);
    ImageReadOptions options;
    options.exif_transpose = c["exif_transpose"];
    const Image img = read_image((oracle() / file).string(), options);
    EXPECT_EQ(img.height, c["height"].get<std::size_t>());
    EXPECT_EQ(img.width, c["width"].get<std::size_t>());
    EXPECT_EQ(img.channels, c["channels"].get<int>());
    const auto expected = slurp(oracle() / (file + ".pixels"));
    if (img.pixels.size() != expected.size()) {
      ADD_FAILURE() << "size " << img.pixels.size() << " vs Pillow's " << expected.size();
      continue;
    }
    std::size_t differ = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) differ += img.pixels[i] != expected[i];
    EXPECT_EQ(differ, 0u) << "samples differing from Pillow's";
    ++checked;
  }
  return checked;
}

class DecodeMatchesPillow : public ::testing::Test {
 protected:
  void SetUp() override { EMB_REQUIRE_FIXTURE(oracle() / "manifest.json"); }
};

TEST_F(DecodeMatchesPillow, Jpeg) { EXPECT_GE(check_cases("jpeg_"), 25); }
TEST_F(DecodeMatchesPillow, Png) { EXPECT_GE(check_cases("png_"), 20); }
TEST_F(DecodeMatchesPillow, Webp) { EXPECT_GE(check_cases("webp_"), 16); }
TEST_F(DecodeMatchesPillow, ExifOrientationsAsExifTranspose) { EXPECT_EQ(check_cases("exif_"), 25); }
TEST_F(DecodeMatchesPillow, ExifIgnoredUnlessAsked) { EXPECT_EQ(check_cases("raw_exif_"), 24); }

TEST_F(DecodeMatchesPillow, FormatComesFromTheBytesNotTheName) {
  const auto png = oracle() / "png_RGB_17x33.png";
  const auto renamed = test::temp_dir() / "actually_a_png.jpg";
  std::filesystem::copy_file(png, renamed, std::filesystem::copy_options::overwrite_existing);
  const auto bytes = slurp(png);
  EXPECT_EQ(sniff_image_format(bytes), ImageFormat::Png);
  EXPECT_EQ(read_image(renamed.string()).pixels, read_image(png.string()).pixels);
}

TEST(ImageConvert, ToRgbAsPillow) {
  Image la{2, 1, 2, {10, 200, 30, 0}};
  EXPECT_EQ(to_rgb(la).pixels, (std::vector<std::uint8_t>{10, 10, 10, 30, 30, 30}));
  Image rgba{1, 1, 4, {1, 2, 3, 4}};
  EXPECT_EQ(to_rgb(rgba).pixels, (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST(ImageConvert, OrientationsOnATinyImage) {
  // 3 wide, 2 high, grey values a..f:  a b c / d e f
  const Image in{3, 2, 1, {'a', 'b', 'c', 'd', 'e', 'f'}};
  const std::vector<std::string> expected = {"abcdef", "cbafed", "fedcba", "defabc",
                                             "adbecf", "daebfc", "fcebda", "cfbead"};
  for (int o = 1; o <= 8; ++o) {
    const Image out = apply_exif_orientation(in, o);
    EXPECT_EQ(std::string(out.pixels.begin(), out.pixels.end()), expected[o - 1]) << "orientation " << o;
    EXPECT_EQ(out.width, o >= 5 ? 2u : 3u);
  }
}

}  // namespace
}  // namespace emb
