// Files that are not decodable images: each is an emb::ImageError naming the
// file, never a crash or an exit() from inside libjpeg/libpng.
#include <gtest/gtest.h>

#include <fstream>

#include "embetter/image.h"
#include "support/test_support.h"

namespace emb {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

fs::path oracle() { return test::oracle_dir() / "images"; }

Bytes slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string write(const std::string& name, const Bytes& bytes) {
  const fs::path p = test::temp_dir() / name;
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                          static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// A PNG whose IHDR claims width x height (CRC recomputed, so only the size is wrong).
Bytes png_claiming(std::uint32_t width, std::uint32_t height) {
  Bytes b = slurp(oracle() / "png_RGB_17x33.png");
  put_be32(b, 16, width);
  put_be32(b, 20, height);
  put_be32(b, 29, crc32(b.data() + 12, 17));
  return b;
}

// A JPEG whose SOF claims width x height.
Bytes jpeg_claiming(std::uint16_t width, std::uint16_t height) {
  Bytes b = slurp(oracle() / "jpeg_RGB_64x48_s0.jpg");
  for (std::size_t i = 2; i + 9 < b.size(); ++i) {
    if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
      b[i + 5] = height >> 8, b[i + 6] = height & 0xFF, b[i + 7] = width >> 8, b[i + 8] = width & 0xFF;
      return b;
    }
  }
  ADD_FAILURE() << "no SOF marker";
  return b;
}

Bytes head(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + std::min(n, b.size())); }

class ImageErrors : public ::testing::Test {
 protected:
  void SetUp() override { EMB_REQUIRE_FIXTURE(oracle() / "manifest.json"); }
};

TEST_F(ImageErrors, MissingEmptyDirectoryAndNonImageFiles) {
  const std::string missing = (test::temp_dir() / "no_such.jpg").string();
  EMB_EXPECT_THROW_WITH(read_image(missing), ImageError, missing + ": cannot open it");
  const std::string empty = write("empty.png", {});
  EMB_EXPECT_THROW_WITH(read_image(empty), ImageError, empty + ": the file is empty");
  EMB_EXPECT_THROW_WITH(read_image(test::temp_dir().string()), ImageError, "is a directory");
  const std::string text = write("notes.jpg", Bytes{'h', 'e', 'l', 'l', 'o', '\n'});
  EMB_EXPECT_THROW_WITH(read_image(text), ImageError, text + ": not a JPEG, PNG or WebP image");
  const std::string gif = write("anim.gif", Bytes{'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0});
  EMB_EXPECT_THROW_WITH(read_image(gif), ImageError, gif + ": GIF images are not supported");
}

TEST_F(ImageErrors, TruncatedFilesOfEachFormat) {
  for (const char* name : {"jpeg_RGB_64x48_s2.jpg", "jpeg_RGB_64x48_progressive.jpg", "png_RGB_64x48.png",
                           "png_interlaced.png", "webp_RGB_64x48_lossy.webp", "webp_RGBA_64x48_lossless.webp"}) {
    const Bytes full = slurp(oracle() / name);
    for (std::size_t keep : {std::size_t{4}, std::size_t{40}, full.size() / 2, full.size() - 20}) {
      SCOPED_TRACE(std::string(name) + " cut to " + std::to_string(keep));
      const std::string p = write(std::string("cut_") + name, head(full, keep));
      EMB_EXPECT_THROW_WITH(read_image(p), ImageError, p);
    }
  }
}

TEST_F(ImageErrors, CorruptData) {
  Bytes jpeg = slurp(oracle() / "jpeg_RGB_64x48_s0.jpg");
  for (std::size_t i = 6; i < 200 && i < jpeg.size(); ++i) jpeg[i] = 0xA5;  // headers destroyed
  const std::string j = write("corrupt.jpg", jpeg);
  EMB_EXPECT_THROW_WITH(read_image(j), ImageError, j + ": JPEG image: corrupt");
  Bytes png = slurp(oracle() / "png_RGB_64x48.png");
  for (std::size_t i = 41; i < 80; ++i) png[i] ^= 0x5A;  // inside IDAT: CRC and zlib errors
  const std::string p = write("corrupt.png", png);
  EMB_EXPECT_THROW_WITH(read_image(p), ImageError, p + ": PNG image: corrupt");
  Bytes webp = slurp(oracle() / "webp_RGB_64x48_lossy.webp");
  for (std::size_t i = 30; i < webp.size(); ++i) webp[i] ^= 0x5A;
  const std::string w = write("corrupt.webp", webp);
  EMB_EXPECT_THROW_WITH(read_image(w), ImageError, w + ": WebP image: corrupt");
}

TEST_F(ImageErrors, ZeroSizedImages) {
  const std::string p = write("zero.png", png_claiming(0, 33));
  EMB_EXPECT_THROW_WITH(read_image(p), ImageError, p + ": PNG image:");
  const std::string j = write("zero.jpg", jpeg_claiming(64, 0));
  EMB_EXPECT_THROW_WITH(read_image(j), ImageError, j + ": JPEG image:");
}

TEST_F(ImageErrors, DecompressionBombsAreRefusedBeforeDecoding) {
  const std::string p = write("bomb.png", png_claiming(100000, 100000));
  EMB_EXPECT_THROW_WITH(read_image(p), ImageError, "10000000000 pixels is over the limit of 178956970");
  const std::string j = write("bomb.jpg", jpeg_claiming(65000, 65000));
  EMB_EXPECT_THROW_WITH(read_image(j), ImageError, j + ": JPEG image: 65000x65000");
  ImageReadOptions small;
  small.max_pixels = 64 * 48 - 1;
  for (const char* name : {"jpeg_RGB_64x48_s0.jpg", "png_RGB_64x48.png", "webp_RGB_64x48_lossy.webp"})
    EMB_EXPECT_THROW_WITH(read_image((oracle() / name).string(), small), ImageError, "over the limit of 3071");
  small.max_pixels = 64 * 48;
  EXPECT_EQ(read_image((oracle() / "png_RGB_64x48.png").string(), small).pixel_count(), 64u * 48u);
}

TEST(ExifParser, MalformedBlocksMeanNoRotation) {
  const Bytes good = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0};
  EXPECT_EQ(exif_orientation(good), 6);
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_EQ(exif_orientation(head(good, n)), 1) << n;
  Bytes far = good;
  far[4] = 0xFF, far[5] = 0xFF, far[6] = 0xFF, far[7] = 0xFF;  // IFD0 beyond the block
  EXPECT_EQ(exif_orientation(far), 1);
  Bytes many = good;
  many[8] = 0xFF, many[9] = 0xFF;  // 65535 entries claimed
  EXPECT_EQ(exif_orientation(many), 6);  // the first entry is still in bounds and read
  many[10] = 0;
  EXPECT_EQ(exif_orientation(many), 1);
  Bytes nine = good;
  nine[18] = 9;
  EXPECT_EQ(exif_orientation(nine), 1);
}

}  // namespace
}  // namespace emb
