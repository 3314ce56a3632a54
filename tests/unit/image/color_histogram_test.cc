// ColorHistogram against numpy.histogram's rules, worked by hand: linspace
// edges, half-open bins with the last one closed, values on edges.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "embetter/image.h"
#include "support/test_support.h"

namespace emb {
namespace {

TEST(ColorHistogram, EdgesAreLinspace) {
  const ColorHistogram h(5);
  EXPECT_EQ(h.edges(), (std::vector<double>{0, 51, 102, 153, 204, 255}));
  const ColorHistogram h3(3);
  EXPECT_EQ(h3.edges()[1], 85.0);
  EXPECT_EQ(ColorHistogram(7).edges()[3], 3 * (255.0 / 7));
  EMB_EXPECT_THROW_WITH(ColorHistogram(0), InvalidArgument, "n_buckets=0");
}

TEST(ColorHistogram, ValuesOnEdgesGoUpExceptTheLast) {
  const ColorHistogram h(5);
  // One RGB pixel per row: R takes the value, G and B are 0.
  const std::vector<std::uint8_t> px = {0, 0, 0, 50, 0, 0, 51, 0, 0, 203, 0, 0, 204, 0, 0, 254, 0, 0, 255, 0, 0};
  std::vector<double> out(h.dim());
  h.count(px.data(), 7, 3, out.data());
  EXPECT_EQ(std::vector<double>(out.begin(), out.begin() + 5), (std::vector<double>{2, 1, 0, 1, 3}));
  EXPECT_EQ(std::vector<double>(out.begin() + 5, out.begin() + 10), (std::vector<double>{7, 0, 0, 0, 0}));
}

TEST(ColorHistogram, GreyCountsAsRGBAndAlphaIsIgnored) {
  const ColorHistogram h(4);
  const std::vector<std::uint8_t> grey = {0, 100, 255};
  const std::vector<std::uint8_t> rgb = {0, 0, 0, 100, 100, 100, 255, 255, 255};
  const std::vector<std::uint8_t> la = {0, 9, 100, 9, 255, 9};
  const std::vector<std::uint8_t> rgba = {0, 0, 0, 1, 100, 100, 100, 2, 255, 255, 255, 3};
  std::vector<double> a(h.dim()), b(h.dim()), c(h.dim()), d(h.dim());
  h.count(grey.data(), 3, 1, a.data());
  h.count(rgb.data(), 3, 3, b.data());
  h.count(la.data(), 3, 2, c.data());
  h.count(rgba.data(), 3, 4, d.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(c, b);
  EXPECT_EQ(d, b);
}

TEST(ColorHistogram, FloatSamplesFollowTheSameBinsAndDropOutOfRange) {
  for (int n : {1, 2, 5, 7, 10, 25, 100, 128, 255, 256, 300, 1000}) {
    const ColorHistogram h(n);
    std::vector<std::uint8_t> bytes(256 * 3);
    std::vector<double> doubles(256 * 3);
    for (int v = 0; v < 256; ++v)
      for (int k = 0; k < 3; ++k) bytes[v * 3 + k] = static_cast<std::uint8_t>((v + 85 * k) % 256);
    for (std::size_t i = 0; i < bytes.size(); ++i) doubles[i] = bytes[i];
    std::vector<double> a(h.dim()), b(h.dim());
    h.count(bytes.data(), 256, 3, a.data());
    h.count(doubles.data(), 256, 3, b.data());
    EXPECT_EQ(a, b) << n;
    double total = 0;
    for (double x : a) total += x;
    EXPECT_EQ(total, 3 * 256.0) << n;
  }
  const ColorHistogram h(5);
  const std::vector<double> odd = {-0.5, 255.5, std::numeric_limits<double>::quiet_NaN(), 255.0, 50.9999, 51.0};
  std::vector<double> out(h.dim());
  h.count(odd.data(), odd.size(), 1, out.data());
  EXPECT_EQ(std::vector<double>(out.begin(), out.begin() + 5), (std::vector<double>{1, 1, 0, 0, 1}));
}

}  // namespace
}  // namespace emb
