#pragma once
/// @file image.h
/// Image decoding (JPEG, PNG, WebP; the format is read from the bytes, never
/// from the file name) and the colour-histogram embedding of the original
/// embetter's ColorHistogramEncoder.
///
/// Pixels are row-major, height × width × channels, 8 bits per sample:
/// channels 1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA. A decoded image keeps
/// its grey/alpha layout; to_rgb() converts as Pillow's `convert("RGB")` does.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/error.h"

namespace emb {

/// A file that is not an image we can decode: unreadable, empty, corrupt,
/// truncated, of an unsupported format or over the pixel limit. The message
/// names the file. (Python: embetter._core.ImageDecodeError, an OSError.)
struct ImageError : Error {
  using Error::Error;
};

enum class ImageFormat { Jpeg, Png, Webp };

/// "JPEG", "PNG" or "WebP".
std::string_view image_format_name(ImageFormat f);

/// The format the leading bytes announce (JPEG SOI, PNG signature, RIFF/WEBP),
/// or nothing.
std::optional<ImageFormat> sniff_image_format(std::span<const std::uint8_t> head);

struct Image {
  std::size_t width = 0;
  std::size_t height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;

  std::size_t pixel_count() const { return width * height; }
  bool has_alpha() const { return channels == 2 || channels == 4; }
};

/// Pillow's Image.MAX_IMAGE_PIXELS: above it Pillow warns, above twice it
/// Pillow refuses (DecompressionBombError). We refuse above twice it, so every
/// image Pillow opens we open too.
inline constexpr std::uint64_t kPillowMaxImagePixels = 89478485;
inline constexpr std::uint64_t kDefaultMaxImagePixels = 2 * kPillowMaxImagePixels;

struct ImageReadOptions {
  /// Apply the EXIF orientation tag (JPEG APP1, PNG eXIf, WebP EXIF chunk) as
  /// Pillow's ImageOps.exif_transpose does; off by default, as Image.open.
  bool exif_transpose = false;
  /// Width × height above which decoding is refused before any pixel is
  /// decoded (ImageError); 0 means no limit.
  std::uint64_t max_pixels = kDefaultMaxImagePixels;
};

/// Decodes an encoded image held in memory; `name` (a path) appears in errors.
Image decode_image(std::span<const std::uint8_t> bytes, const ImageReadOptions& options = {},
                   std::string_view name = "<memory>");
/// Reads and decodes the file at `path`.
Image read_image(const std::string& path, const ImageReadOptions& options = {});

/// Pillow's convert("RGB"): grey is repeated into R, G and B, alpha is dropped
/// (not composited).
Image to_rgb(const Image& image);

/// Pillow's resampling filters, with the values of PIL.Image.Resampling (the
/// integers of a transformers preprocessor_config.json's "resample").
enum class Resample { Nearest = 0, Lanczos = 1, Bilinear = 2, Bicubic = 3, Box = 4, Hamming = 5 };

/// Pillow's Image.resize((width, height), filter) of an 8-bit image of any of
/// the four layouts, equal to Pillow's pixels bit for bit (its two separable
/// passes, fixed-point coefficients and rounding; RGBA is resized
/// premultiplied as Pillow does). width and height must be > 0 and the result
/// at most kDefaultMaxImagePixels (InvalidArgument otherwise).
Image resize(const Image& image, std::size_t width, std::size_t height, Resample filter);

/// A transformers CLIPImageProcessor's settings (preprocessor_config.json).
/// Defaults are those of openai/clip-vit-base-patch32.
struct ClipPreprocessConfig {
  bool do_resize = true;
  /// size {"shortest_edge": N} (or a bare int): the shorter side becomes N,
  /// the longer one keeps the aspect ratio. size {"height": H, "width": W}
  /// sets resize_height/resize_width instead (shortest_edge = 0): an exact resize.
  int shortest_edge = 224;
  int resize_height = 0;
  int resize_width = 0;
  Resample resample = Resample::Bicubic;
  bool do_center_crop = true;
  int crop_height = 224;
  int crop_width = 224;
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::vector<float> image_mean{0.48145466f, 0.4578275f, 0.40821073f};
  std::vector<float> image_std{0.26862954f, 0.26130258f, 0.27577711f};
  bool do_convert_rgb = true;
};

/// Reads a transformers preprocessor_config.json; errors (ModelLoadError) name
/// the file and the key.
ClipPreprocessConfig read_clip_preprocess_config(const std::string& path);

/// CLIPImageProcessor's pixel_values for one image (its Pillow backend, which
/// transformers 5 uses without torchvision): 3 × H × W float32, channels
/// first (H × W the crop size, or the resized size without a crop). The image
/// may have any of the four layouts: with do_convert_rgb, alpha is composited
/// onto white and grey repeated, as transformers' convert_to_rgb does (without
/// it the image must be RGB). Thread-safe.
std::vector<float> preprocess_clip(const Image& image, const ClipPreprocessConfig& config);

/// timm's evaluation transform (timm.data.create_transform of
/// resolve_data_config, is_training=False). Defaults: mobilenetv3_large_100.
struct TimmPreprocessConfig {
  int input_height = 224;  ///< input_size (3, H, W)
  int input_width = 224;
  /// "bicubic", "bilinear", "nearest", "lanczos", "box" or "hamming".
  std::string interpolation = "bicubic";
  double crop_pct = 0.875;
  /// "center", "squash" or "border".
  std::string crop_mode = "center";
  /// As timm's config holds them (Python floats); Normalize uses them as float32.
  std::vector<double> mean{0.485, 0.456, 0.406};
  std::vector<double> std{0.229, 0.224, 0.225};
};

/// timm's eval transform of one image converted to RGB as Pillow's
/// convert("RGB") (alpha dropped): 3 × input_height × input_width float32,
/// channels first. Thread-safe.
std::vector<float> preprocess_timm(const Image& image, const TimmPreprocessConfig& config);

/// The orientation tag (0x0112) of IFD0 of an EXIF block (a TIFF header, with
/// or without the leading "Exif\0\0"); 1 when absent, malformed or out of 1..8.
int exif_orientation(std::span<const std::uint8_t> exif);
/// The image turned the way Pillow's exif_transpose turns an image with this
/// orientation (1..8; 1 returns a copy).
Image apply_exif_orientation(const Image& image, int orientation);

/// The original embetter's ColorHistogramEncoder: per channel, R then G then B,
/// numpy.histogram's raw counts over bins=numpy.linspace(0, 255, n_buckets + 1)
/// (half-open bins, the last one closed). Thread-safe.
class ColorHistogram {
 public:
  explicit ColorHistogram(int n_buckets = 256);

  int n_buckets() const { return n_buckets_; }
  std::size_t dim() const { return 3 * static_cast<std::size_t>(n_buckets_); }
  /// The bin edges, as numpy.linspace computes them (n_buckets + 1 values).
  const std::vector<double>& edges() const { return edges_; }

  /// Writes dim() counts for `n_pixels` pixels of `channels` interleaved 8-bit
  /// samples. channels 1 or 2: the grey value counts as R, G and B (Pillow's
  /// L → RGB); 3 or 4: R, G, B, any fourth sample ignored.
  void count(const std::uint8_t* pixels, std::size_t n_pixels, int channels, double* out) const;
  /// The same for float64 samples (numpy arrays of other dtypes): a value
  /// outside [0, 255] or NaN is not counted, as numpy.histogram drops it.
  void count(const double* pixels, std::size_t n_pixels, int channels, double* out) const;
  /// count() of a decoded image, allocating the result.
  std::vector<double> encode(const Image& image) const;

 private:
  int bucket_of(double v) const;

  int n_buckets_;
  std::vector<double> edges_;
  std::vector<std::int32_t> bucket_of_byte_;  // 256 entries
};

}  // namespace emb
