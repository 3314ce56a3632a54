// WebP through libwebp's simple decoding API (errors are return codes). The
// EXIF chunk of an extended (VP8X) file is found by walking the RIFF chunks.
#include <webp/decode.h>

#include <cstring>

#include "decoders.h"

namespace emb::image {
namespace {

std::string_view status_text(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "the file is truncated";
    default: return "error";
  }
}

std::vector<std::uint8_t> find_exif(std::span<const std::uint8_t> b) {
  std::size_t pos = 12;  // "RIFF" size "WEBP"
  while (pos <= b.size() && b.size() - pos >= 8) {
    const std::uint8_t* h = b.data() + pos;
    const std::uint64_t len = h[4] | (h[5] << 8) | (h[6] << 16) | (std::uint64_t(h[7]) << 24);
    if (len > b.size() - pos - 8) break;
    if (std::memcmp(h, "EXIF", 4) == 0) return {h + 8, h + 8 + len};
    pos += 8 + len + (len & 1);
  }
  return {};
}

}  // namespace

Decoded decode_webp(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status != VP8_STATUS_OK)
    fail(name, "WebP", std::string("corrupt or unreadable (") + std::string(status_text(status)) + ")");
  if (features.has_animation)
    fail(name, "WebP", "animated WebP is not supported (only still images are)");
  const std::string size_error = size_problem(static_cast<std::uint64_t>(features.width),
                                              static_cast<std::uint64_t>(features.height), options);
  if (!size_error.empty()) fail(name, "WebP", size_error);
  Decoded out;
  Image& img = out.image;
  img.width = static_cast<std::size_t>(features.width);
  img.height = static_cast<std::size_t>(features.height);
  img.channels = features.has_alpha ? 4 : 3;
  const std::size_t stride = img.width * static_cast<std::size_t>(img.channels);
  img.pixels.resize(stride * img.height);
  const int s = static_cast<int>(stride);
  const std::uint8_t* done =
      features.has_alpha
          ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), img.pixels.data(), img.pixels.size(), s)
          : WebPDecodeRGBInto(bytes.data(), bytes.size(), img.pixels.data(), img.pixels.size(), s);
  if (done == nullptr) fail(name, "WebP", "corrupt or truncated image data");
  out.exif = find_exif(bytes);
  return out;
}

}  // namespace emb::image
