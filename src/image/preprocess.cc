// The image preprocessing of CLIP models (transformers' CLIPImageProcessor,
// its Pillow backend) and of timm models (timm's eval transform on a PIL
// image), equal to theirs within float32 rounding: the same resize (Pillow's,
// resample.cc), the same output-size and crop-offset rounding, and the same
// float operations in the same order for rescale and normalise. Those depend
// only on the channel and the 8-bit sample, so each preprocessing fills a
// 3 x 256 table once and the output is a lookup per sample.
#include "preprocess.h"

#include <cmath>
#include <algorithm>
#include <filesystem>

#include "io/json_input.h"

namespace emb {
namespace image {

Image composite_on_white(const Image& in) {
  if (!in.has_alpha()) return in.channels == 3 ? in : to_rgb(in);
  // AlphaComposite.c with an opaque white destination: its weights reduce to
  // alpha * 128 and (255 - alpha) * 128 (7 bits of precision), then a rounded
  // division by 255 done with shifts.
  Image out;
  out.width = in.width;
  out.height = in.height;
  out.channels = 3;
  out.pixels.resize(in.pixel_count() * 3);
  const std::size_t c = static_cast<std::size_t>(in.channels);
  const std::uint8_t* s = in.pixels.data();
  std::uint8_t* d = out.pixels.data();
  for (std::size_t i = 0, n = in.pixel_count(); i < n; ++i, s += c, d += 3) {
    const std::uint32_t alpha = s[c - 1];
    for (std::size_t k = 0; k < 3; ++k) {
      const std::uint32_t v = s[c == 2 ? 0 : k];
      if (alpha == 0) {
        d[k] = 255;
        continue;
      }
      const std::uint32_t coef1 = alpha * 128, coef2 = 255 * 128 - coef1;
      const std::uint32_t t = v * coef1 + 255 * coef2 + (0x80 << 7);
      d[k] = static_cast<std::uint8_t>((((t >> 8) + t) >> 8) >> 7);
    }
  }
  return out;
}

std::array<std::size_t, 2> shortest_edge_size(std::size_t height, std::size_t width, std::size_t size) {
  const bool portrait = width <= height;
  const std::size_t short_side = portrait ? width : height, long_side = portrait ? height : width;
  // Python's int(size * long / short): an exact product, one rounded division, truncation.
  const double exact = static_cast<double>(static_cast<std::uint64_t>(size) * long_side);
  const auto new_long = static_cast<std::size_t>(exact / static_cast<double>(short_side));
  return portrait ? std::array<std::size_t, 2>{new_long, size} : std::array<std::size_t, 2>{size, new_long};
}

std::ptrdiff_t transformers_crop_offset(std::size_t size, std::size_t crop) {
  const auto d = static_cast<std::ptrdiff_t>(size) - static_cast<std::ptrdiff_t>(crop);
  return d >= 0 ? d / 2 : -((-d + 1) / 2);  // Python's floor division
}

std::ptrdiff_t torchvision_crop_offset(std::size_t size, std::size_t crop) {
  if (crop > size) return -static_cast<std::ptrdiff_t>((crop - size) / 2);
  return static_cast<std::ptrdiff_t>(std::nearbyint(static_cast<double>(size - crop) / 2.0));
}

}  // namespace image

namespace {

constexpr int kMaxSide = 1 << 16;

void check_side(int v, const char* who, const char* what) {
  EMB_CHECK(v > 0 && v <= kMaxSide, who, ": ", what, " ", v, " is out of range (expected 1 to ", kMaxSide, ")");
}

// The size preprocess_clip resizes to, (height, width).
std::array<std::size_t, 2> clip_resize_size(std::size_t height, std::size_t width,
                                            const ClipPreprocessConfig& config) {
  constexpr const char* kWho = "preprocess_clip";
  if (!config.do_resize) return {height, width};
  if (config.shortest_edge > 0) {
    check_side(config.shortest_edge, kWho, "shortest_edge");
    return image::shortest_edge_size(height, width, static_cast<std::size_t>(config.shortest_edge));
  }
  check_side(config.resize_height, kWho, "resize_height");
  check_side(config.resize_width, kWho, "resize_width");
  return {static_cast<std::size_t>(config.resize_height), static_cast<std::size_t>(config.resize_width)};
}

void check_image(const Image& image, const char* who) {
  EMB_CHECK(image.channels >= 1 && image.channels <= 4, who, ": an image with ", image.channels,
            " channels (expected 1 grey, 2 grey+alpha, 3 RGB or 4 RGBA)");
  EMB_CHECK(image.width > 0 && image.height > 0, who, ": the image is empty (", image.width, "x", image.height,
            "); there is nothing to preprocess");
  EMB_CHECK(image.pixels.size() == image.pixel_count() * static_cast<std::size_t>(image.channels), who,
            ": the image holds ", image.pixels.size(), " samples, but ", image.width, "x", image.height, "x",
            image.channels, " needs ", image.pixel_count() * static_cast<std::size_t>(image.channels));
}

// 3 x out_h x out_w, channels first: sample (c, y, x) is lut[c][rgb(y + oy, x + ox, c)],
// or lut[c][fill[c]] outside the image.
std::vector<float> lookup_chw(const Image& rgb, std::size_t out_h, std::size_t out_w, std::ptrdiff_t oy,
                              std::ptrdiff_t ox, const std::array<std::uint8_t, 3>& fill,
                              const std::array<std::array<float, 256>, 3>& lut) {
  std::vector<float> out(3 * out_h * out_w);
  const auto h = static_cast<std::ptrdiff_t>(rgb.height), w = static_cast<std::ptrdiff_t>(rgb.width);
  // The output columns that fall inside the image.
  const std::ptrdiff_t x0 = std::clamp<std::ptrdiff_t>(-ox, 0, static_cast<std::ptrdiff_t>(out_w));
  const std::ptrdiff_t x1 = std::clamp<std::ptrdiff_t>(w - ox, x0, static_cast<std::ptrdiff_t>(out_w));
  for (std::size_t c = 0; c < 3; ++c) {
    const float pad = lut[c][fill[c]];
    for (std::size_t y = 0; y < out_h; ++y) {
      float* dst = out.data() + (c * out_h + y) * out_w;
      const std::ptrdiff_t sy = static_cast<std::ptrdiff_t>(y) + oy;
      if (sy < 0 || sy >= h) {
        std::fill(dst, dst + out_w, pad);
        continue;
      }
      std::fill(dst, dst + x0, pad);
      const std::uint8_t* src = rgb.pixels.data() + (static_cast<std::size_t>(sy) * rgb.width) * 3 + c;
      for (std::ptrdiff_t x = x0; x < x1; ++x) dst[x] = lut[c][src[(x + ox) * 3]];
      std::fill(dst + x1, dst + out_w, pad);
    }
  }
  return out;
}

Resample timm_filter(const std::string& name) {
  if (name == "nearest") return Resample::Nearest;
  if (name == "bilinear") return Resample::Bilinear;
  if (name == "bicubic") return Resample::Bicubic;
  if (name == "box") return Resample::Box;
  if (name == "hamming") return Resample::Hamming;
  if (name == "lanczos") return Resample::Lanczos;
  throw InvalidArgument("preprocess_timm: interpolation '" + name +
                        "' is not one of nearest, bilinear, bicubic, box, hamming, lanczos");
}

// --- preprocessor_config.json -------------------------------------------------

[[noreturn]] void bad_key(const std::string& file, const std::string& key, const std::string& expected,
                          const nlohmann::json& found) {
  throw ModelLoadError(file + ": key '" + key + "' should be " + expected + ", found " + io::json_excerpt(found));
}

bool bool_key(const nlohmann::json& j, const char* key, bool fallback, const std::string& file) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) bad_key(file, key, "true or false", *it);
  return it->get<bool>();
}

int side_value(const nlohmann::json& v, const std::string& key, const std::string& file) {
  if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > kMaxSide)
    bad_key(file, key, "an integer from 1 to " + std::to_string(kMaxSide), v);
  return v.get<int>();
}

std::vector<float> channel_values(const nlohmann::json& j, const char* key, const std::vector<float>& fallback,
                                  const std::string& file, bool nonzero) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  const char* expected = nonzero ? "a non-zero number or a list of 3 (one per RGB channel)"
                                 : "a number or a list of 3 (one per RGB channel)";
  std::vector<float> out;
  if (it->is_number()) {
    out.assign(3, static_cast<float>(it->get<double>()));
  } else if (it->is_array() && it->size() == 3) {
    for (const auto& v : *it) {
      if (!v.is_number()) bad_key(file, key, expected, *it);
      out.push_back(static_cast<float>(v.get<double>()));
    }
  } else {
    bad_key(file, key, expected, *it);
  }
  for (float v : out)
    if (!std::isfinite(v) || (nonzero && v == 0.0f)) bad_key(file, key, expected, *it);
  return out;
}

}  // namespace

std::array<std::size_t, 2> image::clip_output_size(std::size_t height, std::size_t width,
                                                   const ClipPreprocessConfig& config) {
  if (!config.do_center_crop) return clip_resize_size(height, width, config);
  check_side(config.crop_height, "preprocess_clip", "crop_height");
  check_side(config.crop_width, "preprocess_clip", "crop_width");
  return {static_cast<std::size_t>(config.crop_height), static_cast<std::size_t>(config.crop_width)};
}

ClipPreprocessConfig read_clip_preprocess_config(const std::string& path) {
  const nlohmann::json root = io::read_json_file(path);
  EMB_CHECK_AS(ModelLoadError, root.is_object(), path, ": expected a JSON object (a preprocessor_config.json)");
  // transformers 5's processor_config.json nests the image processor's settings.
  const auto nested = root.find("image_processor");
  const nlohmann::json& j = nested != root.end() && nested->is_object() ? *nested : root;
  ClipPreprocessConfig c;
  c.do_resize = bool_key(j, "do_resize", c.do_resize, path);
  c.do_center_crop = bool_key(j, "do_center_crop", c.do_center_crop, path);
  c.do_rescale = bool_key(j, "do_rescale", c.do_rescale, path);
  c.do_normalize = bool_key(j, "do_normalize", c.do_normalize, path);
  c.do_convert_rgb = bool_key(j, "do_convert_rgb", c.do_convert_rgb, path);

  if (const auto it = j.find("size"); it != j.end() && !it->is_null()) {
    if (it->is_number()) {
      c.shortest_edge = side_value(*it, "size", path);  // an int means the shortest edge for CLIP
    } else if (it->is_object() && it->contains("shortest_edge")) {
      if (it->contains("longest_edge") && !(*it)["longest_edge"].is_null())
        throw ModelLoadError(path + ": key 'size' has both shortest_edge and longest_edge, which is not supported "
                                    "(expected {\"shortest_edge\": N} or {\"height\": H, \"width\": W})");
      c.shortest_edge = side_value((*it)["shortest_edge"], "size.shortest_edge", path);
    } else if (it->is_object() && it->contains("height") && it->contains("width")) {
      c.shortest_edge = 0;
      c.resize_height = side_value((*it)["height"], "size.height", path);
      c.resize_width = side_value((*it)["width"], "size.width", path);
    } else {
      bad_key(path, "size", "an integer, {\"shortest_edge\": N} or {\"height\": H, \"width\": W}", *it);
    }
  }
  if (const auto it = j.find("crop_size"); it != j.end() && !it->is_null()) {
    if (it->is_number()) {
      c.crop_height = c.crop_width = side_value(*it, "crop_size", path);
    } else if (it->is_object() && it->contains("height") && it->contains("width")) {
      c.crop_height = side_value((*it)["height"], "crop_size.height", path);
      c.crop_width = side_value((*it)["width"], "crop_size.width", path);
    } else {
      bad_key(path, "crop_size", "an integer or {\"height\": H, \"width\": W}", *it);
    }
  }
  if (const auto it = j.find("resample"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 5)
      bad_key(path, "resample",
              "a Pillow filter number (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)", *it);
    c.resample = static_cast<Resample>(it->get<int>());
  }
  if (const auto it = j.find("rescale_factor"); it != j.end() && !it->is_null()) {
    if (!it->is_number() || !std::isfinite(it->get<double>())) bad_key(path, "rescale_factor", "a number", *it);
    c.rescale_factor = it->get<double>();
  }
  c.image_mean = channel_values(j, "image_mean", c.image_mean, path, false);
  c.image_std = channel_values(j, "image_std", c.image_std, path, true);
  return c;
}

std::vector<float> preprocess_clip(const Image& image, const ClipPreprocessConfig& config) {
  constexpr const char* kWho = "preprocess_clip";
  check_image(image, kWho);
  EMB_CHECK(config.image_mean.size() == 3 && config.image_std.size() == 3, kWho,
            ": image_mean and image_std need 3 values (one per RGB channel), not ", config.image_mean.size(),
            " and ", config.image_std.size());
  EMB_CHECK(config.do_convert_rgb || image.channels == 3, kWho, ": an image with ", image.channels,
            " channels and do_convert_rgb false; the model expects RGB (set do_convert_rgb)");
  Image rgb = image::composite_on_white(image);
  if (config.do_resize) {
    const auto hw = clip_resize_size(rgb.height, rgb.width, config);
    rgb = resize(rgb, hw[1], hw[0], config.resample);
  }
  std::size_t out_h = rgb.height, out_w = rgb.width;
  if (config.do_center_crop) {
    const auto crop = image::clip_output_size(rgb.height, rgb.width, config);
    out_h = crop[0];
    out_w = crop[1];
  }
  const std::ptrdiff_t oy = image::transformers_crop_offset(rgb.height, out_h);
  const std::ptrdiff_t ox = image::transformers_crop_offset(rgb.width, out_w);
  // numpy: uint8 * rescale_factor in float64, cast to float32; then
  // (x - mean) / std in float32.
  std::array<std::array<float, 256>, 3> lut;
  for (std::size_t c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = config.do_rescale ? static_cast<float>(v * config.rescale_factor) : static_cast<float>(v);
      if (config.do_normalize) x = (x - config.image_mean[c]) / config.image_std[c];
      lut[c][static_cast<std::size_t>(v)] = x;
    }
  }
  return lookup_chw(rgb, out_h, out_w, oy, ox, {0, 0, 0}, lut);
}

std::vector<float> preprocess_timm(const Image& image, const TimmPreprocessConfig& config) {
  constexpr const char* kWho = "preprocess_timm";
  check_image(image, kWho);
  check_side(config.input_height, kWho, "input height");
  check_side(config.input_width, kWho, "input width");
  EMB_CHECK(config.mean.size() == 3 && config.std.size() == 3, kWho,
            ": mean and std need 3 values (one per RGB channel), not ", config.mean.size(), " and ",
            config.std.size());
  EMB_CHECK(std::isfinite(config.crop_pct) && config.crop_pct > 0.0, kWho, ": crop_pct ", config.crop_pct,
            " must be a positive number (timm's default is 0.875)");
  const Resample filter = timm_filter(config.interpolation);
  const Image rgb = image.channels == 3 ? image : to_rgb(image);  // PIL's convert("RGB"): alpha dropped
  const std::size_t h = rgb.height, w = rgb.width;
  const auto in_h = static_cast<std::size_t>(config.input_height);
  const auto in_w = static_cast<std::size_t>(config.input_width);
  // math.floor(img_size / crop_pct)
  const double scale_h = std::floor(static_cast<double>(in_h) / config.crop_pct);
  const double scale_w = std::floor(static_cast<double>(in_w) / config.crop_pct);
  EMB_CHECK(scale_h <= kMaxSide && scale_w <= kMaxSide, kWho, ": input size ", in_h, "x", in_w, " / crop_pct ",
            config.crop_pct, " asks for a ", scale_h, "x", scale_w, " resize (at most ", kMaxSide, " a side)");
  // timm's ResizeKeepRatio: round(size / ratio), halves to even.
  const auto keep_ratio = [&](double ratio) {
    return std::array<std::size_t, 2>{static_cast<std::size_t>(std::nearbyint(static_cast<double>(h) / ratio)),
                                      static_cast<std::size_t>(std::nearbyint(static_cast<double>(w) / ratio))};
  };
  const double ratio_h = static_cast<double>(h) / scale_h, ratio_w = static_cast<double>(w) / scale_w;
  std::array<std::size_t, 2> hw;
  std::array<std::uint8_t, 3> fill{0, 0, 0};
  if (config.crop_mode == "squash") {
    hw = {static_cast<std::size_t>(scale_h), static_cast<std::size_t>(scale_w)};
  } else if (config.crop_mode == "border") {
    hw = keep_ratio(std::max(ratio_h, ratio_w));
    for (std::size_t c = 0; c < 3; ++c)
      fill[c] = static_cast<std::uint8_t>(std::clamp(std::nearbyint(255 * config.mean[c]), 0.0, 255.0));
  } else if (config.crop_mode == "center") {
    hw = scale_h == scale_w ? image::shortest_edge_size(h, w, static_cast<std::size_t>(scale_h))
                            : keep_ratio(std::min(ratio_h, ratio_w));
  } else {
    throw InvalidArgument("preprocess_timm: crop_mode '" + config.crop_mode +
                          "' is not one of center, squash, border");
  }
  const Image resized = resize(rgb, hw[1], hw[0], filter);
  // ToTensor: float32 / 255; Normalize: (x - mean) / std, float32.
  std::array<std::array<float, 256>, 3> lut;
  for (std::size_t c = 0; c < 3; ++c) {
    const float mean = static_cast<float>(config.mean[c]), sd = static_cast<float>(config.std[c]);
    for (int v = 0; v < 256; ++v) lut[c][static_cast<std::size_t>(v)] = (static_cast<float>(v) / 255.0f - mean) / sd;
  }
  return lookup_chw(resized, in_h, in_w, image::torchvision_crop_offset(resized.height, in_h),
                    image::torchvision_crop_offset(resized.width, in_w), fill, lut);
}

}  // namespace emb
