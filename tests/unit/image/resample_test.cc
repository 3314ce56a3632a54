// Pillow 13's Image.resize, bit for bit: every filter (nearest, lanczos,
// bilinear, bicubic, box, hamming) on grey, grey+alpha, RGB and RGBA images
// of many sizes (1x1, 2x3, thin, odd, larger), up, down, along one axis or
// both, and with either pass order Pillow picks.
#include <gtest/gtest.h>

#include "embetter/image.h"
#include "image/resample.h"
#include "preprocess_goldens.h"

namespace emb {
namespace {

using test::PreprocessGoldens;

TEST(ResizeMatchesPillow, EveryFilterModeAndSize) {
  EMB_REQUIRE_FIXTURE(test::preprocess_oracle() / "manifest.json");
  const auto& g = PreprocessGoldens::get();
  std::size_t cases = 0, differing_cases = 0;
  for (const auto& c : g.manifest["resize"]) {
    const Image& in = g.images.at(c["input"].get<std::string>());
    const std::size_t w = c["width"], h = c["height"];
    const auto filter = static_cast<Resample>(c["filter"].get<int>());
    const Image out = resize(in, w, h, filter);
    ASSERT_EQ(out.width, w);
    ASSERT_EQ(out.height, h);
    ASSERT_EQ(out.channels, in.channels);
    const auto* expected = reinterpret_cast<const std::uint8_t*>(g.resized.data()) + c["offset"].get<std::size_t>();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < out.pixels.size(); ++i) differ += out.pixels[i] != expected[i];
    if (differ != 0 && ++differing_cases <= 10)
      ADD_FAILURE() << c["input"] << " -> " << w << "x" << h << " filter " << c["filter"] << ": " << differ
                    << " samples differ from Pillow's";
    ++cases;
  }
  EXPECT_EQ(differing_cases, 0u);
  EXPECT_GE(cases, 1500u);
}

TEST(ResizeMatchesPillow, SameSizeIsACopyEvenWithAlpha) {
  Image img{2, 1, 4, {10, 20, 30, 40, 50, 60, 70, 0}};
  EXPECT_EQ(resize(img, 2, 1, Resample::Bicubic).pixels, img.pixels);  // no premultiplication round trip
}

TEST(ResizeTaps, WeightsSumToOneInFixedPoint) {
  for (const Resample f : {Resample::Box, Resample::Bilinear, Resample::Hamming, Resample::Bicubic,
                           Resample::Lanczos}) {
    for (const auto& [in, out] : {std::pair{640, 224}, std::pair{7, 101}, std::pair{3, 1}}) {
      const auto taps = image::resample_taps(in, out, f);
      for (int i = 0; i < out; ++i) {
        long long sum = 0;
        for (int k = 0; k < taps.count[static_cast<std::size_t>(i)]; ++k)
          sum += taps.weights[static_cast<std::size_t>(i * taps.ksize + k)];
        EXPECT_NEAR(static_cast<double>(sum), 1 << image::kResamplePrecisionBits, taps.ksize)
            << "filter " << static_cast<int>(f) << " " << in << "->" << out << " output " << i;
      }
    }
  }
}

TEST(ResizeErrors, EmptyImagesAndAbsurdSizes) {
  const Image empty{0, 5, 3, {}};
  EMB_EXPECT_THROW_WITH(resize(empty, 4, 4, Resample::Bicubic), InvalidArgument, "empty (0x5)");
  const Image one{1, 1, 3, {1, 2, 3}};
  EMB_EXPECT_THROW_WITH(resize(one, 0, 4, Resample::Bicubic), InvalidArgument, "target size 0x4");
  EMB_EXPECT_THROW_WITH(resize(one, 100000, 100000, Resample::Bilinear), InvalidArgument, "over the limit");
  EMB_EXPECT_THROW_WITH(resize(one, 2, 2, static_cast<Resample>(7)), InvalidArgument, "unknown resampling filter 7");
  const Image five{1, 1, 5, {1, 2, 3, 4, 5}};
  EMB_EXPECT_THROW_WITH(resize(five, 2, 2, Resample::Box), InvalidArgument, "5 channels");
  const Image short_buffer{2, 2, 3, {1, 2, 3}};
  EMB_EXPECT_THROW_WITH(resize(short_buffer, 3, 3, Resample::Box), InvalidArgument, "holds 3 samples");
}

}  // namespace
}  // namespace emb
