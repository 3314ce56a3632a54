#pragma once
// PRIVATE header of src/image: one decoder per format, each returning the
// pixels in their own layout (grey, grey+alpha, RGB or RGBA) and the raw EXIF
// block when the file has one. image.cc dispatches on the sniffed format.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/image.h"

namespace emb::image {

struct Decoded {
  Image image;
  std::vector<std::uint8_t> exif;
};

Decoded decode_jpeg(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name);
Decoded decode_png(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name);
Decoded decode_webp(std::span<const std::uint8_t> bytes, const ImageReadOptions& options, std::string_view name);

/// ImageError "NAME: FORMAT image: WHAT".
[[noreturn]] void fail(std::string_view name, std::string_view format, std::string_view what);
/// Refuses zero-sized images and those over options.max_pixels, before any
/// pixel memory is allocated; returns an empty string when the size is fine.
std::string size_problem(std::uint64_t width, std::uint64_t height, const ImageReadOptions& options);

}  // namespace emb::image
