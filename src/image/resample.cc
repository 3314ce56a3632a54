// Pillow's Image.resize for 8-bit images, equal to its pixels bit for bit:
//  - Nearest is its affine "scale" transform: source positions accumulated in
//    double, step by step, as Geometry.c does;
//  - the other filters are Resample.c's two separable passes, horizontal
//    first (over only the rows the vertical pass reads) unless the height
//    shrinks much more than the width, each with weights computed in double,
//    normalised to sum 1, rounded to 22-bit fixed point and accumulated in
//    int32 from a half-unit bias;
//  - LA and RGBA are resized premultiplied (Pillow converts to La/RGBa and
//    back), except by Nearest; a same-size resize is a copy.
// The filter formulas keep Pillow's operation order and constants (the float
// 0.54f/0.46f of its Hamming window included): the weights are rounded to
// fixed point, so a different last bit in a double can move a pixel.
#include "resample.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <numbers>

namespace emb {
namespace image {
namespace {

using Kernel = double (*)(double);

double box_kernel(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double bilinear_kernel(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double hamming_kernel(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * std::numbers::pi;
  return std::sin(x) / x * (0.54f + 0.46f * std::cos(x));
}

// Keys' cubic convolution with a = -0.5.
double bicubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * std::numbers::pi;
  return std::sin(x) / x;
}

double lanczos_kernel(double x) { return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0; }

struct Filter {
  Kernel kernel;
  double support;
};

Filter filter_of(Resample f) {
  switch (f) {
    case Resample::Box: return {box_kernel, 0.5};
    case Resample::Bilinear: return {bilinear_kernel, 1.0};
    case Resample::Hamming: return {hamming_kernel, 1.0};
    case Resample::Bicubic: return {bicubic_kernel, 2.0};
    case Resample::Lanczos: return {lanczos_kernel, 3.0};
    case Resample::Nearest: break;
  }
  throw InvalidArgument(detail::concat("resize: resampling filter ", static_cast<int>(f),
                                       " has no convolution kernel (expected Box, Bilinear, Hamming, Bicubic or "
                                       "Lanczos here)"));
}

inline std::uint8_t clip8(std::int32_t acc) {
  const std::int32_t v = acc >> kResamplePrecisionBits;
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

constexpr std::int32_t kHalf = std::int32_t{1} << (kResamplePrecisionBits - 1);

// Horizontal pass over `rows` rows of `in` starting at `row0`. The tables are
// read through local pointers: the uint8 stores may alias anything, which
// would otherwise make the compiler reload them after every pixel.
template <int C>
void resample_rows(const std::uint8_t* in, std::size_t in_width, std::size_t row0, std::size_t rows,
                   const ResampleTaps& taps, std::uint8_t* out, std::size_t out_width) {
  const std::size_t ksize = static_cast<std::size_t>(taps.ksize);
  const std::int32_t* const weights = taps.weights.data();
  const int* const first = taps.first.data();
  const int* const count = taps.count.data();
  for (std::size_t y = 0; y < rows; ++y) {
    const std::uint8_t* src = in + (row0 + y) * in_width * C;
    std::uint8_t* dst = out + y * out_width * C;
    for (std::size_t xx = 0; xx < out_width; ++xx, dst += C) {
      const std::int32_t* k = weights + xx * ksize;
      const std::uint8_t* s = src + static_cast<std::size_t>(first[xx]) * C;
      const int n = count[xx];
      std::int32_t acc[C];
      for (int c = 0; c < C; ++c) acc[c] = kHalf;
      for (int x = 0; x < n; ++x, s += C) {
        const std::int32_t w = k[x];
        for (int c = 0; c < C; ++c) acc[c] += static_cast<std::int32_t>(s[c]) * w;
      }
      for (int c = 0; c < C; ++c) dst[c] = clip8(acc[c]);
    }
  }
}

// Vertical pass: each output row is a weighted sum of whole input rows.
void resample_columns(const std::uint8_t* in, std::size_t row_bytes, const ResampleTaps& taps, int first_shift,
                      std::uint8_t* out, std::size_t out_height) {
  const std::size_t ksize = static_cast<std::size_t>(taps.ksize);
  std::vector<std::int32_t> acc(row_bytes);
  std::int32_t* const a = acc.data();
  for (std::size_t yy = 0; yy < out_height; ++yy) {
    const std::int32_t* k = taps.weights.data() + yy * ksize;
    std::fill(a, a + row_bytes, kHalf);
    const std::uint8_t* src = in + static_cast<std::size_t>(taps.first[yy] - first_shift) * row_bytes;
    for (int y = 0, n = taps.count[yy]; y < n; ++y, src += row_bytes) {
      const std::int32_t w = k[y];
      for (std::size_t i = 0; i < row_bytes; ++i) a[i] += static_cast<std::int32_t>(src[i]) * w;
    }
    std::uint8_t* dst = out + yy * row_bytes;
    for (std::size_t i = 0; i < row_bytes; ++i) dst[i] = clip8(acc[i]);
  }
}

void resample_rows_any(const Image& in, std::size_t row0, std::size_t rows, const ResampleTaps& taps, Image& out) {
  switch (in.channels) {
    case 1: resample_rows<1>(in.pixels.data(), in.width, row0, rows, taps, out.pixels.data(), out.width); break;
    case 2: resample_rows<2>(in.pixels.data(), in.width, row0, rows, taps, out.pixels.data(), out.width); break;
    case 3: resample_rows<3>(in.pixels.data(), in.width, row0, rows, taps, out.pixels.data(), out.width); break;
    default: resample_rows<4>(in.pixels.data(), in.width, row0, rows, taps, out.pixels.data(), out.width); break;
  }
}

Image blank(std::size_t width, std::size_t height, int channels) {
  Image out;
  out.width = width;
  out.height = height;
  out.channels = channels;
  out.pixels.resize(width * height * static_cast<std::size_t>(channels));
  return out;
}

Image vertical_pass(const Image& in, std::size_t height, const ResampleTaps& taps, int first_shift) {
  Image out = blank(in.width, height, in.channels);
  resample_columns(in.pixels.data(), in.width * static_cast<std::size_t>(in.channels), taps, first_shift,
                   out.pixels.data(), height);
  return out;
}

Image horizontal_pass(const Image& in, std::size_t width, std::size_t row0, std::size_t rows, Resample filter) {
  const ResampleTaps taps = resample_taps(static_cast<int>(in.width), static_cast<int>(width), filter);
  Image out = blank(width, rows, in.channels);
  resample_rows_any(in, row0, rows, taps, out);
  return out;
}

// Resample.c's ImagingResampleInner with the whole image as the box. Pillow
// 13 runs the vertical pass first when the height shrinks by more than twice
// as many pixels as the width; the order changes the rounding in between.
Image resample_separable(const Image& in, std::size_t width, std::size_t height, Resample filter) {
  const bool need_horizontal = width != in.width;
  const bool need_vertical = height != in.height;
  const auto dh = static_cast<std::ptrdiff_t>(in.height) - static_cast<std::ptrdiff_t>(height);
  const auto dw = static_cast<std::ptrdiff_t>(in.width) - static_cast<std::ptrdiff_t>(width);
  const bool horizontal_first = !(dh > 0 && dh > dw * 2);
  if (!horizontal_first) {
    const ResampleTaps vertical = resample_taps(static_cast<int>(in.height), static_cast<int>(height), filter);
    Image mid = vertical_pass(in, height, vertical, 0);
    return need_horizontal ? horizontal_pass(mid, width, 0, height, filter) : mid;
  }
  if (!need_vertical) return horizontal_pass(in, width, 0, in.height, filter);
  const ResampleTaps vertical = resample_taps(static_cast<int>(in.height), static_cast<int>(height), filter);
  if (!need_horizontal) return vertical_pass(in, height, vertical, 0);
  // The horizontal pass covers only the rows the vertical pass reads.
  const int row_first = vertical.first.front();
  const int row_last = vertical.first.back() + vertical.count.back();
  const Image mid = horizontal_pass(in, width, static_cast<std::size_t>(row_first),
                                    static_cast<std::size_t>(row_last - row_first), filter);
  return vertical_pass(mid, height, vertical, row_first);
}

// Geometry.c's ImagingScaleAffine, as _imaging.c's resize calls it for NEAREST.
Image resize_nearest(const Image& in, std::size_t width, std::size_t height) {
  const std::size_t c = static_cast<std::size_t>(in.channels);
  const double ax = static_cast<double>(static_cast<float>(in.width)) / static_cast<double>(width);
  const double ay = static_cast<double>(static_cast<float>(in.height)) / static_cast<double>(height);
  const auto source_index = [](double v, std::size_t size) -> std::ptrdiff_t {
    const std::ptrdiff_t i = v < 0.0 ? -1 : static_cast<std::ptrdiff_t>(v);
    return i < static_cast<std::ptrdiff_t>(size) ? i : -1;
  };
  std::vector<std::ptrdiff_t> xs(width);
  double xo = ax * 0.5;
  for (std::size_t x = 0; x < width; ++x, xo += ax) xs[x] = source_index(xo, in.width);
  Image out = blank(width, height, in.channels);  // zero where the source is out of range
  double yo = ay * 0.5;
  for (std::size_t y = 0; y < height; ++y, yo += ay) {
    const std::ptrdiff_t sy = source_index(yo, in.height);
    if (sy < 0) continue;
    const std::uint8_t* src = in.pixels.data() + static_cast<std::size_t>(sy) * in.width * c;
    std::uint8_t* dst = out.pixels.data() + y * width * c;
    for (std::size_t x = 0; x < width; ++x)
      if (xs[x] >= 0) std::copy_n(src + static_cast<std::size_t>(xs[x]) * c, c, dst + x * c);
  }
  return out;
}

}  // namespace

ResampleTaps resample_taps(int in_size, int out_size, Resample filter) {
  const Filter f = filter_of(filter);
  // Pillow's box is float: (0, 0, width, height).
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = f.support * filterscale;
  ResampleTaps taps;
  taps.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  const std::size_t ksize = static_cast<std::size_t>(taps.ksize);
  taps.first.resize(static_cast<std::size_t>(out_size));
  taps.count.resize(static_cast<std::size_t>(out_size));
  taps.weights.assign(static_cast<std::size_t>(out_size) * ksize, 0);
  std::vector<double> k(ksize);
  const double ss = 1.0 / filterscale;
  constexpr double kOne = static_cast<double>(1 << kResamplePrecisionBits);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = f.kernel((x + xmin - center + 0.5) * ss);
      k[static_cast<std::size_t>(x)] = w;
      ww += w;
    }
    std::int32_t* out = taps.weights.data() + static_cast<std::size_t>(xx) * ksize;
    for (int x = 0; x < xmax; ++x) {
      double w = k[static_cast<std::size_t>(x)];
      if (ww != 0.0) w /= ww;
      out[x] = static_cast<std::int32_t>(w < 0 ? -0.5 + w * kOne : 0.5 + w * kOne);
    }
    taps.first[static_cast<std::size_t>(xx)] = xmin;
    taps.count[static_cast<std::size_t>(xx)] = xmax;
  }
  return taps;
}

void premultiply_alpha(Image& image) {
  EMB_ASSERT(image.has_alpha());
  const std::size_t c = static_cast<std::size_t>(image.channels);
  for (std::uint8_t* p = image.pixels.data(), *end = p + image.pixels.size(); p != end; p += c) {
    const unsigned alpha = p[c - 1];
    for (std::size_t i = 0; i + 1 < c; ++i) {
      const unsigned t = p[i] * alpha + 128;
      p[i] = static_cast<std::uint8_t>(((t >> 8) + t) >> 8);
    }
  }
}

void unpremultiply_alpha(Image& image) {
  EMB_ASSERT(image.has_alpha());
  const std::size_t c = static_cast<std::size_t>(image.channels);
  for (std::uint8_t* p = image.pixels.data(), *end = p + image.pixels.size(); p != end; p += c) {
    const unsigned alpha = p[c - 1];
    if (alpha == 0 || alpha == 255) continue;
    for (std::size_t i = 0; i + 1 < c; ++i) {
      const unsigned v = 255 * p[i] / alpha;
      p[i] = static_cast<std::uint8_t>(v > 255 ? 255 : v);
    }
  }
}

}  // namespace image

Image resize(const Image& image, std::size_t width, std::size_t height, Resample filter) {
  EMB_CHECK(image.channels >= 1 && image.channels <= 4, "resize: an image with ", image.channels,
            " channels (expected 1 grey, 2 grey+alpha, 3 RGB or 4 RGBA)");
  EMB_CHECK(image.width > 0 && image.height > 0, "resize: the image is empty (", image.width, "x", image.height,
            ")");
  EMB_CHECK(image.pixels.size() == image.pixel_count() * static_cast<std::size_t>(image.channels),
            "resize: the image holds ", image.pixels.size(), " samples, but ", image.width, "x", image.height, "x",
            image.channels, " needs ", image.pixel_count() * static_cast<std::size_t>(image.channels));
  EMB_CHECK(width > 0 && height > 0, "resize: the target size ", width, "x", height,
            " is empty (width and height must be at least 1)");
  EMB_CHECK(width <= INT_MAX && height <= INT_MAX && image.width <= INT_MAX && image.height <= INT_MAX &&
                static_cast<std::uint64_t>(width) * height <= kDefaultMaxImagePixels,
            "resize: a ", width, "x", height, " result is over the limit of ", kDefaultMaxImagePixels,
            " pixels (twice Pillow's MAX_IMAGE_PIXELS); is the size what you meant?");
  const int f = static_cast<int>(filter);
  EMB_CHECK(f >= 0 && f <= 5, "resize: unknown resampling filter ", f,
            " (expected 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box or 5 hamming)");
  if (width == image.width && height == image.height) return image;
  if (filter == Resample::Nearest) return image::resize_nearest(image, width, height);
  if (!image.has_alpha()) return image::resample_separable(image, width, height, filter);
  Image premultiplied = image;
  image::premultiply_alpha(premultiplied);
  Image out = image::resample_separable(premultiplied, width, height, filter);
  image::unpremultiply_alpha(out);
  return out;
}

}  // namespace emb
