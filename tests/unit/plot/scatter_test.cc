#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "embetter/error.h"
#include "embetter/plot.h"
#include "embetter/random.h"
#include "support/test_support.h"

namespace emb {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Two blobs: "left" around (-2, 0) and "right" around (+2, 0).
struct Blobs {
  Matrix points{200, 2};
  std::vector<std::string> labels;
  Blobs() {
    Rng rng(7);
    for (std::size_t i = 0; i < points.rows(); ++i) {
      const bool right = i % 2 == 1;
      points(i, 0) = static_cast<float>((right ? 2.0 : -2.0) + 0.4 * rng.normal());
      points(i, 1) = static_cast<float>(0.4 * rng.normal());
      labels.push_back(right ? "right" : "left");
    }
  }
};

struct Pixel {
  int r, g, b;
};

class Png {
 public:
  explicit Png(const fs::path& path) : surface_(cairo_image_surface_create_from_png(path.c_str()), cairo_surface_destroy) {}
  bool ok() const { return cairo_surface_status(surface_.get()) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(surface_.get()); }
  int height() const { return cairo_image_surface_get_height(surface_.get()); }
  Pixel at(int x, int y) const {
    cairo_surface_flush(surface_.get());
    const unsigned char* row = cairo_image_surface_get_data(surface_.get()) + y * cairo_image_surface_get_stride(surface_.get());
    std::uint32_t argb;
    std::memcpy(&argb, row + 4 * x, 4);
    return {static_cast<int>((argb >> 16) & 0xff), static_cast<int>((argb >> 8) & 0xff), static_cast<int>(argb & 0xff)};
  }

 private:
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_;
};

bool bluish(Pixel p) { return p.b > p.r + 60; }    // tab10 blue #1f77b4 over white
bool orangish(Pixel p) { return p.r > p.b + 60; }  // tab10 orange #ff7f0e over white

TEST(WriteScatter, PngHasTheSizeAWhiteBackgroundAndTab10ClassColours) {
  const Blobs blobs;
  const fs::path path = test::temp_dir() / "chart.png";
  ScatterOptions opts;
  opts.title = "Two blobs";
  opts.width = 640;
  opts.height = 480;
  write_scatter(path, blobs.points, blobs.labels, opts);

  EXPECT_EQ(slurp(path).substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const Png png(path);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png.width(), 640);
  EXPECT_EQ(png.height(), 480);
  const Pixel corner = png.at(2, 2);
  EXPECT_EQ(corner.r + corner.g + corner.b, 3 * 255);

  // Classes sort as LabelEncoder sorts them: "left" is the first colour (blue),
  // "right" the second (orange). Look at the middle band, away from the legend.
  int blue_left = 0, orange_left = 0, blue_right = 0, orange_right = 0;
  for (int y = 200; y < 280; ++y) {
    for (int x = 0; x < 640; ++x) {
      const Pixel p = png.at(x, y);
      const bool left_half = x < 330;
      if (bluish(p)) (left_half ? blue_left : blue_right)++;
      if (orangish(p)) (left_half ? orange_left : orange_right)++;
    }
  }
  EXPECT_GT(blue_left, 200);
  EXPECT_GT(orange_right, 200);
  EXPECT_EQ(orange_left, 0);
  EXPECT_EQ(blue_right, 0);
}

TEST(WriteScatter, SvgNamesTheTitleAndTheClasses) {
  const Blobs blobs;
  const fs::path path = test::temp_dir() / "chart.svg";
  ScatterOptions opts;
  opts.title = "Reviews <PCA> & more";
  write_scatter(path, blobs.points, blobs.labels, opts);
  const std::string svg = slurp(path);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("width=\"800px\""), std::string::npos) << svg.substr(0, 400);
  EXPECT_NE(svg.find("<title>Reviews &lt;PCA&gt; &amp; more</title>"), std::string::npos);
  EXPECT_NE(svg.find("Classes: left, right."), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // The dots are drawn in tab10 colours.
  EXPECT_NE(svg.find("rgb(12.156863%,46.666667%,70.588235%)"), std::string::npos);
}

TEST(WriteScatter, ReplacesAnExistingFileAndLeavesNoTemporaryFile) {
  const Blobs blobs;
  const fs::path dir = test::temp_dir() / "replace";
  fs::create_directories(dir);
  const fs::path path = dir / "chart.png";
  { std::ofstream(path) << "old"; }
  write_scatter(path, blobs.points, blobs.labels);
  EXPECT_TRUE(Png(path).ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(WriteScatter, ManyClassesSingleClassAndConstantPointsStillDraw) {
  Matrix points(30, 2);
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < 30; ++i) {
    points(i, 0) = 1.0f;  // zero width on x
    points(i, 1) = static_cast<float>(i);
    labels.push_back("class " + std::to_string(i));
  }
  const fs::path path = test::temp_dir() / "many.png";
  ScatterOptions small;
  small.width = 300;
  small.height = 200;
  write_scatter(path, points, labels, small);
  EXPECT_TRUE(Png(path).ok());
  write_scatter(path, points, std::vector<std::string>(30, "only"));
  EXPECT_TRUE(Png(path).ok());
}

TEST(WriteScatter, BadInputThrowsAndWritesNothing) {
  const Blobs blobs;
  const fs::path dir = test::temp_dir() / "bad";
  fs::create_directories(dir);
  auto expect_error = [&](const fs::path& path, const Matrix& points, const std::vector<std::string>& labels,
                          const std::string& expected, ScatterOptions opts = {}) {
    try {
      write_scatter(path, points, labels, opts);
      ADD_FAILURE() << "no error for " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  expect_error(dir / "a.jpg", blobs.points, blobs.labels, "a.jpg: unsupported extension '.jpg'; expected .png or .svg");
  expect_error(dir / "a.png", Matrix(4, 3), std::vector<std::string>(4, "x"), "has shape [4, 3]; expected [n, 2]");
  expect_error(dir / "a.png", blobs.points, {"x", "y"}, "points has 200 rows but labels has 2 entries");
  Matrix nan = blobs.points;
  nan(3, 1) = std::nanf("");
  expect_error(dir / "a.png", nan, blobs.labels, "points");
  expect_error(dir / "a.png", Matrix(0, 2), {}, "points");
  ScatterOptions tiny;
  tiny.width = 5;
  expect_error(dir / "a.png", blobs.points, blobs.labels, "outside 100..10000", tiny);
  expect_error(dir / "no-such-folder" / "a.png", blobs.points, blobs.labels, "no-such-folder");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 0);
}

}  // namespace
}  // namespace emb
