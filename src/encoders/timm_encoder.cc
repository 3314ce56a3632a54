#include "embetter/timm_encoder.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <memory>

#include "core/blas_threads.h"
#include "core/parallel.h"
#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/threads.h"
#include "encoders/sentence_batches.h"
#include "io/json_input.h"
#include "linalg/omp_threads.h"
#include "models/timm_families.h"
#include "nn/weight_reader.h"

namespace emb {
namespace fs = std::filesystem;
using Json = nlohmann::json;

struct TimmEncoder::Impl {
  TimmEncoderOptions options;
  std::string path;
  std::string architecture;
  TimmPreprocessConfig preprocess;
  std::unique_ptr<const models::ImageModel> model;
};

namespace {

// The hub repository of a timm model name: timm's default pretrained tag for
// it (timm 1.0.31's first default_cfgs entry), as create_model(name,
// pretrained=True) downloads it.
std::string timm_repo(const std::string& name) {
  std::string n = name;
  if (n.starts_with("hf-hub:")) return n.substr(7);
  if (n.starts_with("hf_hub:")) return n.substr(7);
  if (n.starts_with("timm/")) n = n.substr(5);
  if (n.find('/') != std::string::npos) return n;
  if (n.find('.') == std::string::npos) {
    const std::string tag = models::timm_default_tag(n);
    if (!tag.empty()) return "timm/" + n + "." + tag;
  }
  return "timm/" + n;
}

// resolve_data_config({}, model=model) from pretrained_cfg, timm's defaults
// where a key is missing.
TimmPreprocessConfig read_preprocess(const Json& config, const fs::path& file) {
  TimmPreprocessConfig p;
  const std::string where = file.string() + ": pretrained_cfg.";
  if (!config.contains("pretrained_cfg")) return p;
  const Json& c = config["pretrained_cfg"];
  EMB_CHECK_AS(ModelLoadError, c.is_object(), file.string(), ": pretrained_cfg must be an object, got ",
               io::json_excerpt(c));
  if (c.contains("input_size") && !c["input_size"].is_null()) {
    const Json& s = c["input_size"];
    EMB_CHECK_AS(ModelLoadError,
                 s.is_array() && s.size() == 3 && s[0].is_number_integer() && s[1].is_number_integer() &&
                     s[2].is_number_integer() && s[1].get<long long>() > 0 && s[2].get<long long>() > 0 &&
                     s[1].get<long long>() <= 65536 && s[2].get<long long>() <= 65536,
                 where, "input_size must be [channels, height, width], got ", io::json_excerpt(s));
    EMB_CHECK_AS(NotSupportedError, s[0].get<long long>() == 3, where, "input_size has ", s[0].get<long long>(),
                 " channels; only RGB (3) images are supported");
    p.input_height = s[1].get<int>();
    p.input_width = s[2].get<int>();
  }
  const auto str = [&](const char* key, std::string& out) {
    if (!c.contains(key) || c[key].is_null()) return;
    EMB_CHECK_AS(ModelLoadError, c[key].is_string(), where, key, " must be a string, got ", io::json_excerpt(c[key]));
    out = c[key].get<std::string>();
  };
  str("interpolation", p.interpolation);
  str("crop_mode", p.crop_mode);
  if (p.interpolation.empty()) p.interpolation = "bicubic";
  if (c.contains("crop_pct") && !c["crop_pct"].is_null()) {
    EMB_CHECK_AS(ModelLoadError, c["crop_pct"].is_number() && c["crop_pct"].get<double>() > 0, where,
                 "crop_pct must be a positive number, got ", io::json_excerpt(c["crop_pct"]));
    p.crop_pct = c["crop_pct"].get<double>();
  }
  const auto triple = [&](const char* key, std::vector<double>& out) {
    if (!c.contains(key) || c[key].is_null()) return;
    const Json& v = c[key];
    const bool numbers = v.is_array() && v.size() == 3 && v[0].is_number() && v[1].is_number() && v[2].is_number();
    EMB_CHECK_AS(ModelLoadError, numbers, where, key, " must be three numbers, got ", io::json_excerpt(v));
    out = {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
  };
  triple("mean", p.mean);
  triple("std", p.std);
  for (double s : p.std) EMB_CHECK_AS(ModelLoadError, s != 0.0, where, "std has a zero");
  try {  // an unknown interpolation or crop_mode: said now, not at the first image
    Image probe;
    probe.width = probe.height = 1;
    probe.channels = 3;
    probe.pixels.assign(3, 0);
    (void)preprocess_timm(probe, p);
  } catch (const InvalidArgument& e) {
    throw ModelLoadError(file.string() + ": pretrained_cfg: " + e.what());
  }
  return p;
}

std::size_t thread_count(const TimmEncoderOptions& o) {
  const int wanted = o.num_threads > 0 ? o.num_threads : num_threads();
  return static_cast<std::size_t>(std::max(1, std::min(wanted, o.batch_size)));
}

// Images [0, n) in batches; each batch cut into one contiguous run per thread,
// run(begin, end) computing rows [begin, end) of `out`. Progress after each
// batch, on the calling thread.
void run_batches(std::size_t n, const TimmEncoderOptions& o,
                 const std::function<void(std::size_t, std::size_t)>& run) {
  const auto batch = static_cast<std::size_t>(o.batch_size);
  const std::size_t batches = (n + batch - 1) / batch, threads = thread_count(o);
  const SingleThreadedBlas blas;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t begin = b * batch, end = std::min(n, begin + batch), count = end - begin;
    const std::size_t runs = std::min(threads, count);
    for_each_index(runs, runs, [&](std::size_t w, std::size_t) {
      // The convolutions' OpenMP team: this worker's share of the threads.
      const linalg::OmpThreadsCap cap(static_cast<int>(threads / runs));
      run(begin + count * w / runs, begin + count * (w + 1) / runs);
    });
    if (o.show_progress_bar) encoders::draw_batches_bar(b + 1, batches);
    report_progress(o.progress, end, n, "TimmEncoder.encode");
  }
}

}  // namespace

TimmEncoder::TimmEncoder(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

TimmEncoder TimmEncoder::load(const std::string& name_or_path, TimmEncoderOptions opts) {
  EMB_CHECK(opts.batch_size > 0, "TimmEncoder: batch_size must be positive, got ", opts.batch_size);
  EMB_CHECK(opts.num_threads >= 0, "TimmEncoder: num_threads must be >= 0, got ", opts.num_threads);
  std::error_code ec;
  const bool local = fs::is_directory(name_or_path, ec);
  if (!local && name_or_path.find('/') == std::string::npos && name_or_path.find(':') == std::string::npos) {
    // A timm model name: say it is not built before looking for its weights.
    const std::string architecture = name_or_path.substr(0, name_or_path.find('.'));
    models::check_timm_architecture(architecture);
  }
  const fs::path root = resolve_model(local ? name_or_path : timm_repo(name_or_path),
                                      HubOptions{.show_progress = opts.show_progress_bar});
  auto impl = std::make_shared<Impl>();
  impl->path = root.string();
  const fs::path config_file = root / "config.json";
  EMB_CHECK_AS(ModelLoadError, fs::is_regular_file(config_file, ec), root.string(),
               ": no config.json; expected a timm model folder (config.json with 'architecture' and "
               "'pretrained_cfg', model.safetensors)");
  const Json config = io::read_json_file(config_file);
  const bool named = config.is_object() && config.contains("architecture") && config["architecture"].is_string();
  EMB_CHECK_AS(ModelLoadError, named, config_file.string(),
               ": no string 'architecture'; expected a timm config (as timm's save_for_hf writes)");
  impl->architecture = config["architecture"].get<std::string>();
  if (config.contains("model_args") && config["model_args"].is_object()) {
    const Json& args = config["model_args"];
    EMB_CHECK_AS(NotSupportedError, !args.contains("in_chans") || args["in_chans"] == 3, config_file.string(),
                 ": model_args.in_chans is ", io::json_excerpt(args["in_chans"]), "; only 3 (RGB) is supported");
  }
  impl->preprocess = read_preprocess(config, config_file);
  models::check_timm_architecture(impl->architecture);
  const fs::path weights = root / "model.safetensors";
  EMB_CHECK_AS(ModelLoadError, fs::is_regular_file(weights, ec), root.string(),
               ": no model.safetensors (timm's hub folders ship it next to config.json)");
  const nn::WeightReader reader(weights);
  impl->model = models::load_timm_model(reader, {config, config_file}, impl->architecture, opts.encode_predictions);
  impl->options = std::move(opts);
  return TimmEncoder(std::move(impl));
}

Matrix TimmEncoder::encode_pixels(std::span<const float> pixel_values, std::size_t n) const {
  const auto& im = *impl_;
  const std::size_t h = input_height(), w = input_width(), per = 3 * h * w;
  EMB_CHECK(pixel_values.size() == n * per, "TimmEncoder: ", pixel_values.size(), " pixel values for ", n,
            " images; the model takes 3 x ", h, " x ", w, " = ", per, " per image");
  for (std::size_t i = 0; i < pixel_values.size(); ++i)
    EMB_CHECK(std::isfinite(pixel_values[i]), "TimmEncoder: image ", i / per, " has a pixel value that is not finite");
  Matrix out(n, dim());
  run_batches(n, im.options, [&](std::size_t begin, std::size_t end) {
    Matrix rows = im.model->features(pixel_values.subspan(begin * per, (end - begin) * per), end - begin, h, w);
    if (im.options.encode_predictions) rows = im.model->logits(rows);
    for (std::size_t i = begin; i < end; ++i) std::ranges::copy(rows.row(i - begin), out.row(i).begin());
  });
  return out;
}

std::vector<float> TimmEncoder::preprocess(const Image& image) const {
  return preprocess_timm(image, impl_->preprocess);
}

namespace {
Matrix encode_source(const TimmEncoder& e, const TimmEncoder::Impl& im, std::size_t n,
                     const std::function<std::vector<float>(std::size_t)>& pixels_of) {
  const std::size_t h = e.input_height(), w = e.input_width(), per = 3 * h * w;
  Matrix out(n, e.dim());
  run_batches(n, im.options, [&](std::size_t begin, std::size_t end) {
    std::vector<float> pixels((end - begin) * per);
    for (std::size_t i = begin; i < end; ++i) {
      const std::vector<float> one = pixels_of(i);
      EMB_ASSERT(one.size() == per);
      std::ranges::copy(one, pixels.begin() + static_cast<std::ptrdiff_t>((i - begin) * per));
    }
    Matrix rows = im.model->features(pixels, end - begin, h, w);
    if (im.options.encode_predictions) rows = im.model->logits(rows);
    for (std::size_t i = begin; i < end; ++i) std::ranges::copy(rows.row(i - begin), out.row(i).begin());
  });
  return out;
}
}  // namespace

Matrix TimmEncoder::encode_images(std::span<const Image> images) const {
  return encode_source(*this, *impl_, images.size(), [&](std::size_t i) {
    try {
      return preprocess(images[i]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("TimmEncoder.encode: image " + std::to_string(i) + ": " + e.what());
    }
  });
}

Matrix TimmEncoder::encode_image_files(const std::vector<std::string>& paths, const ImageReadOptions& read) const {
  return encode_source(*this, *impl_, paths.size(), [&](std::size_t i) {
    const Image image = read_image(paths[i], read);
    try {
      return preprocess(image);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("TimmEncoder.encode: " + paths[i] + ": " + e.what());
    }
  });
}

std::size_t TimmEncoder::dim() const {
  return impl_->options.encode_predictions ? impl_->model->num_classes() : impl_->model->num_features();
}
std::size_t TimmEncoder::input_height() const { return static_cast<std::size_t>(impl_->preprocess.input_height); }
std::size_t TimmEncoder::input_width() const { return static_cast<std::size_t>(impl_->preprocess.input_width); }
const std::string& TimmEncoder::architecture() const { return impl_->architecture; }
const TimmPreprocessConfig& TimmEncoder::preprocess_config() const { return impl_->preprocess; }
const TimmEncoderOptions& TimmEncoder::options() const { return impl_->options; }
const std::string& TimmEncoder::model_path() const { return impl_->path; }

}  // namespace emb
