#pragma once
// PRIVATE header of src/image: the steps the CLIP and timm preprocessings
// share, reached by the tests.
#include <array>
#include <cstddef>
#include <cstdint>

#include "embetter/image.h"

namespace emb::image {

/// Pillow's alpha_composite of the image over opaque white, then
/// convert("RGB"), as transformers' convert_to_rgb does with an image that has
/// alpha (LA is first converted to RGBA). Grey and RGB become RGB unchanged.
Image composite_on_white(const Image& image);

/// The output size (height, width) of a shortest-edge resize, as transformers'
/// get_resize_output_image_size(default_to_square=False) and torchvision's
/// _compute_resized_output_size compute it: the short side becomes `size`, the
/// long one int(size * long / short).
std::array<std::size_t, 2> shortest_edge_size(std::size_t height, std::size_t width, std::size_t size);

/// A window of `crop` samples over an axis of `size`: output index i reads
/// input index i + offset, and indices outside [0, size) read the fill value.
/// transformers' center_crop: offset = floor((size - crop) / 2).
std::ptrdiff_t transformers_crop_offset(std::size_t size, std::size_t crop);
/// torchvision's center_crop (pads (crop - size) // 2 before when the image is
/// smaller, else crops at round((size - crop) / 2), halves to even).
std::ptrdiff_t torchvision_crop_offset(std::size_t size, std::size_t crop);

/// The (height, width) of preprocess_clip's output for an image of this size:
/// the crop size, or without a crop the resized (or original) size.
std::array<std::size_t, 2> clip_output_size(std::size_t height, std::size_t width, const ClipPreprocessConfig& config);

}  // namespace emb::image
