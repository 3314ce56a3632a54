// Format sniffing, dispatch to the decoders, reading files, Pillow's
// convert("RGB") and exif_transpose.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "decoders.h"
#include "embetter/image.h"

namespace emb {
namespace {

bool starts_with(std::span<const std::uint8_t> b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

// Formats we recognise but do not decode, so that the error says what the file is.
std::string_view unsupported_format(std::span<const std::uint8_t> b) {
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return "GIF";
  if (starts_with(b, "BM")) return "BMP";
  if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) return "TIFF";
  if (starts_with(b, "ftypavif", 4) || starts_with(b, "ftypheic", 4)) return "AVIF/HEIF";
  return {};
}

std::string hex_head(std::span<const std::uint8_t> b) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < b.size() && i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += (i ? " " : "");
    out += buf;
  }
  return out;
}

}  // namespace

std::string_view image_format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Webp: return "WebP";
  }
  return "?";
}

std::optional<ImageFormat> sniff_image_format(std::span<const std::uint8_t> head) {
  if (starts_with(head, "\xFF\xD8\xFF")) return ImageFormat::Jpeg;
  if (starts_with(head, "\x89PNG\r\n\x1A\n")) return ImageFormat::Png;
  if (starts_with(head, "RIFF") && starts_with(head, "WEBP", 8)) return ImageFormat::Webp;
  return std::nullopt;
}

Image decode_image(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name) {
  if (bytes.empty()) throw ImageError(std::string(name) + ": the file is empty (0 bytes), not an image");
  const auto format = sniff_image_format(bytes);
  if (!format) {
    const auto other = unsupported_format(bytes);
    if (!other.empty())
      throw ImageError(std::string(name) + ": " + std::string(other) +
                       " images are not supported (JPEG, PNG and WebP are); convert it first");
    throw ImageError(std::string(name) + ": not a JPEG, PNG or WebP image (it starts with bytes " +
                     hex_head(bytes) + ")");
  }
  image::Decoded d;
  switch (*format) {
    case ImageFormat::Jpeg: d = image::decode_jpeg(bytes, options, name); break;
    case ImageFormat::Png: d = image::decode_png(bytes, options, name); break;
    case ImageFormat::Webp: d = image::decode_webp(bytes, options, name); break;
  }
  if (options.exif_transpose && !d.exif.empty()) {
    const int orientation = exif_orientation(d.exif);
    if (orientation != 1) return apply_exif_orientation(d.image, orientation);
  }
  return std::move(d.image);
}

Image read_image(const std::string& path, const ImageReadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ImageError(path + ": is a directory, not an image file");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw ImageError(path + ": cannot open it (" + std::strerror(errno) + ")");
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[1 << 16];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + got);
  if (std::ferror(f.get())) throw ImageError(path + ": read error (" + std::strerror(errno) + ")");
  return decode_image(bytes, options, path);
}

Image to_rgb(const Image& in) {
  Image out;
  out.width = in.width;
  out.height = in.height;
  out.channels = 3;
  const std::size_t n = in.pixel_count();
  out.pixels.resize(n * 3);
  const std::uint8_t* s = in.pixels.data();
  std::uint8_t* d = out.pixels.data();
  const int c = in.channels;
  if (c == 3) {
    std::memcpy(d, s, n * 3);
  } else if (c == 4) {
    for (std::size_t i = 0; i < n; ++i, s += 4, d += 3) d[0] = s[0], d[1] = s[1], d[2] = s[2];
  } else {
    EMB_CHECK(c == 1 || c == 2, "to_rgb: an image with ", c, " channels (expected 1 to 4)");
    for (std::size_t i = 0; i < n; ++i, s += c, d += 3) d[0] = d[1] = d[2] = s[0];
  }
  return out;
}

Image apply_exif_orientation(const Image& in, int orientation) {
  EMB_CHECK(orientation >= 1 && orientation <= 8, "apply_exif_orientation: orientation ", orientation,
            " (expected 1 to 8)");
  const std::size_t w = in.width, h = in.height, c = static_cast<std::size_t>(in.channels);
  const bool swap = orientation >= 5;  // TRANSPOSE, ROTATE_270, TRANSVERSE, ROTATE_90
  Image out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.channels = in.channels;
  out.pixels.resize(in.pixels.size());
  const std::size_t ow = out.width, oh = out.height;
  for (std::size_t y = 0; y < oh; ++y) {
    for (std::size_t x = 0; x < ow; ++x) {
      std::size_t sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;                         // FLIP_LEFT_RIGHT
        case 3: sx = w - 1 - x, sy = h - 1 - y; break;         // ROTATE_180
        case 4: sy = h - 1 - y; break;                         // FLIP_TOP_BOTTOM
        case 5: sx = y, sy = x; break;                         // TRANSPOSE
        case 6: sx = y, sy = h - 1 - x; break;                 // ROTATE_270 (clockwise 90)
        case 7: sx = w - 1 - y, sy = h - 1 - x; break;         // TRANSVERSE
        case 8: sx = w - 1 - y, sy = x; break;                 // ROTATE_90 (counter-clockwise)
        default: break;
      }
      std::memcpy(&out.pixels[(y * ow + x) * c], &in.pixels[(sy * w + sx) * c], c);
    }
  }
  return out;
}

namespace image {

void fail(std::string_view name, std::string_view format, std::string_view what) {
  throw ImageError(std::string(name) + ": " + std::string(format) + " image: " + std::string(what));
}

std::string size_problem(std::uint64_t width, std::uint64_t height, const ImageReadOptions& options) {
  if (width == 0 || height == 0)
    return "zero-sized image (" + std::to_string(width) + "x" + std::to_string(height) + ")";
  const std::uint64_t pixels = width * height;  // both < 2^32, so this cannot overflow
  if (options.max_pixels != 0 && pixels > options.max_pixels)
    return std::to_string(width) + "x" + std::to_string(height) + " = " + std::to_string(pixels) +
           " pixels is over the limit of " + std::to_string(options.max_pixels) +
           " (a decompression bomb?); raise ImageReadOptions::max_pixels (0 = no limit) if the file is trusted";
  return {};
}

}  // namespace image
}  // namespace emb
