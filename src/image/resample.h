#pragma once
// PRIVATE header of src/image: the pieces of Pillow's Image.resize that the
// preprocessing reuses and the tests reach: the per-axis tap tables of its
// separable convolution, and its conversions to and from premultiplied alpha.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "embetter/image.h"

namespace emb::image {

/// Pillow's fixed-point scale of 8-bit resampling weights (Resample.c's
/// PRECISION_BITS): 32 bits less 8 for the sample, less 2 for overshoot.
inline constexpr int kResamplePrecisionBits = 32 - 8 - 2;

/// One axis of a separable resize: output index i reads `count[i]` input
/// samples from `first[i]` on, weighted by weights[i * ksize + 0 .. count[i]).
struct ResampleTaps {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;  // fixed point, kResamplePrecisionBits
};

/// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the whole input
/// range [0, in_size) onto out_size samples. `filter` must not be Nearest.
ResampleTaps resample_taps(int in_size, int out_size, Resample filter);

/// Pillow's RGBA → RGBa and LA → La (premultiply by alpha, rounded as its
/// MULDIV255) and back (255 * v / alpha, truncated; alpha 0 and 255 untouched),
/// in place on an image of 2 or 4 channels.
void premultiply_alpha(Image& image);
void unpremultiply_alpha(Image& image);

}  // namespace emb::image
