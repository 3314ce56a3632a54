// numpy.histogram(channel, bins=numpy.linspace(0, 255, n + 1)), exactly: the
// edges are computed as linspace does (i * (255 / n), the last set to 255),
// a value v falls in bin i when edges[i] <= v < edges[i + 1], the last bin
// also takes v == 255, and values outside [0, 255] (or NaN) fall in none.
// 8-bit pixels are first counted per value, then the 256 counts are summed
// into buckets through a table built with that same rule.
#include <algorithm>
#include <array>
#include <cstring>

#include "embetter/image.h"

namespace emb {

ColorHistogram::ColorHistogram(int n_buckets) : n_buckets_(n_buckets) {
  EMB_CHECK(n_buckets >= 1, "ColorHistogramEncoder: n_buckets=", n_buckets, "; expected an integer >= 1");
  edges_.resize(static_cast<std::size_t>(n_buckets) + 1);
  const double step = 255.0 / n_buckets;
  for (int i = 0; i <= n_buckets; ++i) edges_[i] = static_cast<double>(i) * step;
  edges_.back() = 255.0;
  bucket_of_byte_.resize(256);
  for (int v = 0; v < 256; ++v) bucket_of_byte_[v] = bucket_of(v);
}

int ColorHistogram::bucket_of(double v) const {
  if (!(v >= edges_.front() && v <= edges_.back())) return -1;  // NaN too
  const auto i = std::upper_bound(edges_.begin(), edges_.end(), v) - edges_.begin() - 1;
  return static_cast<int>(std::min<std::ptrdiff_t>(i, n_buckets_ - 1));
}

void ColorHistogram::count(const std::uint8_t* pixels, std::size_t n_pixels, int channels, double* out) const {
  EMB_CHECK(channels >= 1 && channels <= 4, "ColorHistogramEncoder: ", channels,
            " channels per pixel (expected 1 = grey, 2 = grey+alpha, 3 = RGB or 4 = RGBA)");
  const int counted = channels >= 3 ? 3 : 1;
  // Two tables per channel, alternating pixels, so that runs of one value do
  // not serialise on a single counter.
  std::array<std::array<std::uint64_t, 256>, 6> by_value{};
  const std::size_t c = static_cast<std::size_t>(channels);
  std::size_t i = 0;
  for (; i + 1 < n_pixels; i += 2) {
    const std::uint8_t* p = pixels + i * c;
    for (int k = 0; k < counted; ++k) {
      ++by_value[2 * k][p[k]];
      ++by_value[2 * k + 1][p[c + k]];
    }
  }
  for (; i < n_pixels; ++i)
    for (int k = 0; k < counted; ++k) ++by_value[2 * k][pixels[i * c + k]];
  const std::size_t n = static_cast<std::size_t>(n_buckets_);
  std::fill(out, out + 3 * n, 0.0);
  for (int k = 0; k < 3; ++k) {
    const int src = counted == 3 ? k : 0;
    double* row = out + k * n;
    for (int v = 0; v < 256; ++v) {
      const std::int32_t b = bucket_of_byte_[v];
      if (b >= 0) row[b] += static_cast<double>(by_value[2 * src][v] + by_value[2 * src + 1][v]);
    }
  }
}

void ColorHistogram::count(const double* pixels, std::size_t n_pixels, int channels, double* out) const {
  EMB_CHECK(channels >= 1 && channels <= 4, "ColorHistogramEncoder: ", channels,
            " channels per pixel (expected 1 = grey, 2 = grey+alpha, 3 = RGB or 4 = RGBA)");
  const std::size_t n = static_cast<std::size_t>(n_buckets_), c = static_cast<std::size_t>(channels);
  std::fill(out, out + 3 * n, 0.0);
  for (std::size_t i = 0; i < n_pixels; ++i) {
    const double* p = pixels + i * c;
    if (channels >= 3) {
      for (std::size_t k = 0; k < 3; ++k)
        if (const int b = bucket_of(p[k]); b >= 0) out[k * n + b] += 1.0;
    } else if (const int b = bucket_of(p[0]); b >= 0) {
      out[b] += 1.0, out[n + b] += 1.0, out[2 * n + b] += 1.0;
    }
  }
}

std::vector<double> ColorHistogram::encode(const Image& image) const {
  std::vector<double> out(dim());
  count(image.pixels.data(), image.pixel_count(), image.channels, out.data());
  return out;
}

}  // namespace emb
