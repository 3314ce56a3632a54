#include "embetter/clip_encoder.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>

#include "core/blas_threads.h"
#include "core/parallel.h"
#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/sentence_encoder.h"
#include "embetter/threads.h"
#include "embetter/tokenizer.h"
#include "encoders/clip_folder.h"
#include "encoders/sentence_batches.h"
#include "image/preprocess.h"
#include "models/clip.h"
#include "nn/weight_reader.h"

namespace emb {
namespace fs = std::filesystem;

struct ClipEncoder::Impl {
  ClipEncoderOptions options;
  std::string path;
  std::size_t max_seq_length = 0;
  // A CLIP model: both towers.
  encoders::ClipFolder folder;
  std::optional<Tokenizer> tokenizer;
  std::optional<models::ClipTextTower> text;
  std::optional<models::ClipVisionTower> vision;
  std::optional<ClipPreprocessConfig> preprocess;
  bool normalize = false;
  // Or a multilingual CLIP text encoder (a sentence-transformers text model).
  std::optional<SentenceEncoder> text_only;

  const models::ClipVisionTower& vision_tower() const {
    EMB_CHECK_AS(NotSupportedError, vision.has_value(), path,
                 " encodes texts only (a sentence-transformers text model trained into a CLIP model's space, "
                 "such as clip-ViT-B-32-multilingual-v1): encode the images with that CLIP model, e.g. "
                 "ClipEncoder(\"clip-ViT-B-32\")");
    return *vision;
  }
};

namespace {

nn::Precision parse_precision(const std::string& name) {
  if (name == "fp32") return nn::Precision::Float32;
  if (name == "int8") return nn::Precision::Int8;
  EMB_CHECK_AS(NotSupportedError, name != "bf16",
               "ClipEncoder: precision 'bf16' is not supported by this build; use 'int8' or 'fp32'");
  throw InvalidArgument("ClipEncoder: precision '" + name + "' is unknown (accepted: 'fp32', 'int8')");
}

// Items [0, n) in batches of batch_size; a batch's items are cut into one
// contiguous run per thread, and work(worker, begin, end) computes a run.
// Progress is reported after each batch, on the calling thread (Python's
// signal check must run there). An embedding never depends on its run, so
// the cut changes no result.
void run_batches(std::size_t n, const ClipEncoderOptions& o, std::size_t threads, const char* what,
                 const std::function<void(std::size_t, std::size_t, std::size_t)>& work) {
  const auto batch = static_cast<std::size_t>(o.batch_size);
  const std::size_t batches = (n + batch - 1) / batch;
  // OpenBLAS (attention where our kernels do not run) stays on each calling
  // thread: the parallelism is ours, across items.
  const SingleThreadedBlas blas;
  for (std::size_t b = 0; b < batches; ++b) {
    const std::size_t begin = b * batch, end = std::min(n, begin + batch);
    const std::size_t runs = std::min(threads, end - begin);
    const std::size_t count = end - begin;
    for_each_index(runs, runs, [&](std::size_t w, std::size_t) {
      work(w, begin + count * w / runs, begin + count * (w + 1) / runs);
    });
    if (o.show_progress_bar) encoders::draw_batches_bar(b + 1, batches);
    report_progress(o.progress, end, n, what);
  }
}

std::size_t thread_count(const ClipEncoderOptions& o) {
  const int wanted = o.num_threads > 0 ? o.num_threads : num_threads();
  return static_cast<std::size_t>(std::max(1, std::min(wanted, o.batch_size)));
}

// torch.nn.functional.normalize: x / max(‖x‖, 1e-12).
void normalize_rows(Matrix& m) {
  for (std::size_t r = 0; r < m.rows(); ++r) {
    auto row = m.row(r);
    double sq = 0.0;
    for (float v : row) sq += static_cast<double>(v) * v;
    const float norm = std::max(static_cast<float>(std::sqrt(sq)), 1e-12f);
    for (float& v : row) v /= norm;
  }
}

}  // namespace

ClipEncoder::ClipEncoder(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

ClipEncoder ClipEncoder::load(const std::string& name_or_path, ClipEncoderOptions opts) {
  EMB_CHECK(opts.batch_size > 0, "ClipEncoder: batch_size must be positive, got ", opts.batch_size);
  EMB_CHECK(opts.num_threads >= 0, "ClipEncoder: num_threads must be >= 0, got ", opts.num_threads);
  const nn::Precision precision = parse_precision(opts.precision);
  const fs::path root = resolve_model(name_or_path, HubOptions{.show_progress = opts.show_progress_bar});
  auto impl = std::make_shared<Impl>();
  impl->path = root.string();
  if (!encoders::is_clip_folder(root)) {
    // The original's ClipEncoder runs these through sentence-transformers too:
    // texts only.
    SentenceEncoderOptions s;
    s.batch_size = opts.batch_size;
    s.normalize_embeddings = opts.normalize_embeddings;
    s.precision = opts.precision;
    s.num_threads = opts.num_threads;
    s.show_progress_bar = opts.show_progress_bar;
    s.progress = opts.progress;
    impl->text_only = SentenceEncoder::load(root.string(), std::move(s));
    impl->max_seq_length = impl->text_only->max_seq_length();
    impl->options = std::move(opts);
    return ClipEncoder(std::move(impl));
  }
  impl->folder = encoders::read_clip_folder(root);
  const auto& folder = impl->folder;
  const models::ClipConfig config = models::read_clip_config(folder.config);
  Tokenizer tokenizer = encoders::load_clip_tokenizer(folder.model_folder);
  EMB_CHECK_AS(ModelLoadError, tokenizer.vocab_size() <= config.text.vocab_size, folder.model_folder.string(),
               ": the tokenizer's ids reach ", tokenizer.vocab_size() - 1, " but the token embeddings have ",
               config.text.vocab_size,
               " rows (config.json text_config.vocab_size); tokenizer and weights do not belong together");
  const std::size_t positions = config.text.max_position_embeddings;
  impl->max_seq_length =
      folder.configured_max_length > 0 ? std::min(folder.configured_max_length, positions) : positions;
  tokenizer.set_truncation(impl->max_seq_length);
  impl->tokenizer = std::move(tokenizer);
  if (folder.preprocessor) impl->preprocess = read_clip_preprocess_config(folder.preprocessor->string());
  const nn::WeightReader weights(folder.weights);
  impl->text.emplace(weights, config, precision);
  impl->vision.emplace(weights, config, precision);
  impl->normalize = opts.normalize_embeddings || folder.normalize;
  impl->options = std::move(opts);
  return ClipEncoder(std::move(impl));
}

std::vector<std::int32_t> ClipEncoder::token_ids(std::string_view text) const {
  if (impl_->text_only) return impl_->text_only->token_ids(text);
  return std::move(impl_->tokenizer->encode(text).ids);
}

Matrix ClipEncoder::encode_texts(const std::vector<std::string>& texts) const {
  const auto& im = *impl_;
  if (im.text_only) return im.text_only->encode(texts);
  const std::size_t n = texts.size(), threads = thread_count(im.options);
  Matrix out(n, dim());
  std::vector<models::ClipTextTower::Workspace> workspaces(threads);
  run_batches(n, im.options, threads, "ClipEncoder.encode", [&](std::size_t w, std::size_t begin, std::size_t end) {
    std::vector<std::vector<std::int32_t>> ids(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      try {
        ids[i - begin] = token_ids(texts[i]);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument("ClipEncoder.encode: text " + std::to_string(i) + ": " + e.what());
      }
    }
    std::vector<std::span<const std::int32_t>> views(ids.begin(), ids.end());
    std::vector<float*> targets;
    for (std::size_t i = begin; i < end; ++i) targets.push_back(out.row(i).data());
    im.text->embed_batch(views, workspaces[w], targets);
  });
  if (im.normalize) normalize_rows(out);
  return out;
}

Matrix ClipEncoder::encode_pixels(std::span<const float> pixel_values, std::size_t n) const {
  const auto& im = *impl_;
  const auto& vision = im.vision_tower();
  const std::size_t per = pixels_per_image();
  EMB_CHECK(pixel_values.size() == n * per, "ClipEncoder: ", pixel_values.size(), " pixel values for ", n,
            " images; the model takes 3 x ", image_size(), " x ", image_size(), " = ", per, " per image");
  for (std::size_t i = 0; i < pixel_values.size(); ++i)
    EMB_CHECK(std::isfinite(pixel_values[i]), "ClipEncoder: image ", i / per, " has a pixel value that is not finite");
  const std::size_t threads = thread_count(im.options);
  Matrix out(n, dim());
  std::vector<models::ClipVisionTower::Workspace> workspaces(threads);
  run_batches(n, im.options, threads, "ClipEncoder.encode", [&](std::size_t w, std::size_t begin, std::size_t end) {
    std::vector<float*> targets;
    for (std::size_t i = begin; i < end; ++i) targets.push_back(out.row(i).data());
    vision.embed_batch(pixel_values.data() + begin * per, end - begin, workspaces[w], targets);
  });
  if (im.normalize) normalize_rows(out);
  return out;
}

std::vector<float> ClipEncoder::preprocess(const Image& image) const {
  const auto& im = *impl_;
  const auto& vision = im.vision_tower();
  EMB_CHECK_AS(ModelLoadError, im.preprocess.has_value(), im.folder.model_folder.string(),
               ": no preprocessor_config.json (or processor_config.json), so images cannot be preprocessed; "
               "pass pixel values instead");
  EMB_CHECK_AS(NotSupportedError, vision.channels() == 3, im.folder.config.string(), ": vision_config.num_channels is ",
               vision.channels(), "; images preprocess to 3 channels (pass pixel values instead)");
  const auto [h, w] = image::clip_output_size(image.height, image.width, *im.preprocess);
  // transformers' CLIPVisionEmbeddings refuses other sizes the same way.
  EMB_CHECK(h == image_size() && w == image_size(), "ClipEncoder: a ", image.width, "x", image.height,
            " image preprocesses to ", w, "x", h, " pixels, but the model takes ", image_size(), "x", image_size(),
            " (check preprocessor_config.json's size and crop_size)");
  return preprocess_clip(image, *im.preprocess);
}

namespace {

// n images through the vision tower; pixels_of(i) gives image i's pixel
// values (decoded and preprocessed on the worker threads).
using PixelSource = std::function<std::vector<float>(std::size_t index)>;

Matrix encode_image_source(const ClipEncoder& encoder, const ClipEncoder::Impl& im, std::size_t n,
                           const PixelSource& pixels_of) {
  const auto& vision = im.vision_tower();
  const std::size_t per = encoder.pixels_per_image(), threads = thread_count(im.options);
  Matrix out(n, encoder.dim());
  std::vector<models::ClipVisionTower::Workspace> workspaces(threads);
  run_batches(n, im.options, threads, "ClipEncoder.encode", [&](std::size_t w, std::size_t begin, std::size_t end) {
    std::vector<float> pixels((end - begin) * per);
    std::vector<float*> targets;
    for (std::size_t i = begin; i < end; ++i) {
      const std::vector<float> one = pixels_of(i);
      EMB_ASSERT(one.size() == per);
      std::copy(one.begin(), one.end(), pixels.begin() + static_cast<std::ptrdiff_t>((i - begin) * per));
      targets.push_back(out.row(i).data());
    }
    vision.embed_batch(pixels.data(), end - begin, workspaces[w], targets);
  });
  return out;
}

}  // namespace

Matrix ClipEncoder::encode_images(std::span<const Image> images) const {
  Matrix out = encode_image_source(*this, *impl_, images.size(), [&](std::size_t i) {
    try {
      return preprocess(images[i]);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("ClipEncoder.encode: image " + std::to_string(i) + ": " + e.what());
    }
  });
  if (impl_->normalize) normalize_rows(out);
  return out;
}

Matrix ClipEncoder::encode_image_files(const std::vector<std::string>& paths, const ImageReadOptions& read) const {
  Matrix out = encode_image_source(*this, *impl_, paths.size(), [&](std::size_t i) {
    const Image image = read_image(paths[i], read);
    try {
      return preprocess(image);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("ClipEncoder.encode: " + paths[i] + ": " + e.what());
    }
  });
  if (impl_->normalize) normalize_rows(out);
  return out;
}

std::size_t ClipEncoder::dim() const { return impl_->text_only ? impl_->text_only->dim() : impl_->text->dim(); }
std::size_t ClipEncoder::max_seq_length() const { return impl_->max_seq_length; }
std::size_t ClipEncoder::image_size() const { return impl_->vision ? impl_->vision->image_size() : 0; }
std::size_t ClipEncoder::pixels_per_image() const { return impl_->vision ? impl_->vision->pixels_per_image() : 0; }
const ClipEncoderOptions& ClipEncoder::options() const { return impl_->options; }
const std::string& ClipEncoder::model_path() const { return impl_->path; }

}  // namespace emb
