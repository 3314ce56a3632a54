#include "encode_models.h"

#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "embetter/clip_encoder.h"
#include "embetter/error.h"
#include "embetter/hub.h"
#include "embetter/sentence_encoder.h"
#include "embetter/timm_encoder.h"
#include "io/json_input.h"

namespace emb::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

enum class ModelKind { Text, Clip, Timm };

/// What a model folder holds, from its files as each loader recognises them:
/// a CLIP model (modules.json whose first module is CLIPModel, or a
/// Transformer module over a CLIP config.json; else a config.json of
/// model_type "clip"), a timm model (no modules.json, a config.json with a
/// string "architecture"), else a text model, left to SentenceEncoder (which
/// names what is wrong with a folder that is none of these).
ModelKind kind_of_folder(const fs::path& root) {
  std::error_code ec;
  fs::path module = root;
  const bool sentence_transformers = fs::is_regular_file(root / "modules.json", ec);
  if (sentence_transformers) {
    const Json modules = io::read_json_file(root / "modules.json");
    if (!modules.is_array() || modules.empty() || !modules[0].is_object()) return ModelKind::Text;
    const Json& first = modules[0];
    const std::string type = first.contains("type") && first["type"].is_string() ? first["type"].get<std::string>() : "";
    const std::string class_name = type.substr(type.rfind('.') + 1);
    if (class_name == "CLIPModel") return ModelKind::Clip;
    if (class_name != "Transformer") return ModelKind::Text;
    if (first.contains("path") && first["path"].is_string()) module = root / first["path"].get<std::string>();
  }
  const fs::path config_file = module / "config.json";
  if (!fs::is_regular_file(config_file, ec)) return ModelKind::Text;
  const Json config = io::read_json_file(config_file);
  if (!config.is_object()) return ModelKind::Text;
  if (!sentence_transformers && config.contains("architecture") && config["architecture"].is_string())
    return ModelKind::Timm;
  // transformers' CLIPModel: model_type "clip" (older configs: only architectures).
  if (config.contains("model_type") && config["model_type"].is_string())
    return config["model_type"] == "clip" ? ModelKind::Clip : ModelKind::Text;
  const bool clip_architecture = config.contains("architectures") && config["architectures"].is_array() &&
                                 !config["architectures"].empty() && config["architectures"][0] == "CLIPModel";
  return clip_architecture ? ModelKind::Clip : ModelKind::Text;
}

/// timm's hub ids ("timm/NAME", "hf-hub:ORG/NAME"), which TimmEncoder resolves itself.
bool is_timm_hub_id(const std::string& model) {
  return model.starts_with("timm/") || model.starts_with("hf-hub:") || model.starts_with("hf_hub:");
}

std::string what_the_model_is(ModelKind kind) {
  switch (kind) {
    case ModelKind::Clip: return "a CLIP model";
    case ModelKind::Timm: return "a timm image model";
    case ModelKind::Text: break;
  }
  return "a text model (sentence-transformers)";
}

/// Refuses what the model cannot do, before it loads (seconds).
void check_model_fits(const EncodeOptions& o, ModelKind kind, Input input) {
  const std::string model = "--model " + o.model + " is " + what_the_model_is(kind);
  EMB_CHECK(!(input == Input::Texts && kind == ModelKind::Timm), "--in: ", model,
            ", which has no text tower; texts need a CLIP or sentence-transformers model, images go in with --images");
  EMB_CHECK(!(input == Input::Images && kind == ModelKind::Text), "--images: ", model,
            ", which takes no images; images need a CLIP model (e.g. clip-ViT-B-32) or a timm model");
  if (kind != ModelKind::Timm) return;
  EMB_CHECK(o.precision == "fp32", "--precision ", o.precision, ": ", model,
            ", which runs in float32 only; leave --precision out");
  EMB_CHECK(!o.normalize, "--normalize: ", model,
            ", whose features are written as timm gives them; normalise the rows of the .npy instead");
}

ChunkEncoder text_encoder(const EncodeOptions& o, const ProgressFn& progress) {
  SentenceEncoderOptions options;
  options.batch_size = o.batch_size;
  options.precision = o.precision;
  options.normalize_embeddings = o.normalize;
  options.progress = progress;
  SentenceEncoder encoder = SentenceEncoder::load(o.model, options);
  const std::size_t dim = encoder.dim();
  std::string path = encoder.model_path();
  return {[encoder = std::move(encoder)](const std::vector<std::string>& texts) { return encoder.encode(texts); },
          dim, std::move(path)};
}

ChunkEncoder clip_encoder(const EncodeOptions& o, Input input, const ProgressFn& progress) {
  ClipEncoderOptions options;
  options.batch_size = o.batch_size;
  options.precision = o.precision;
  options.normalize_embeddings = o.normalize;
  options.progress = progress;
  ClipEncoder encoder = ClipEncoder::load(o.model, options);
  const std::size_t dim = encoder.dim();
  std::string path = encoder.model_path();
  if (input == Input::Texts)
    return {[encoder](const std::vector<std::string>& texts) { return encoder.encode_texts(texts); }, dim,
            std::move(path)};
  return {[encoder](const std::vector<std::string>& paths) { return encoder.encode_image_files(paths); }, dim,
          std::move(path)};
}

ChunkEncoder timm_encoder(TimmEncoder encoder) {
  const std::size_t dim = encoder.dim();
  std::string path = encoder.model_path();
  return {[encoder = std::move(encoder)](const std::vector<std::string>& paths) {
            return encoder.encode_image_files(paths);
          },
          dim, std::move(path)};
}

TimmEncoderOptions timm_options(const EncodeOptions& o, const ProgressFn& progress) {
  TimmEncoderOptions options;
  options.batch_size = o.batch_size;
  options.progress = progress;
  return options;
}

/// Loads --model as what its files say it is (kind_of_folder): a local folder,
/// a timm hub id, or a name resolved through the Hugging Face cache or hub (a
/// bare NAME is sentence-transformers/NAME; when that does not exist, a timm
/// model name such as mobilenetv3_large_100, as the original's TimmEncoder takes).
ChunkEncoder load_model(const EncodeOptions& o, Input input, const ProgressFn& progress) {
  std::error_code ec;
  ModelKind kind = ModelKind::Timm;
  if (fs::is_directory(o.model, ec)) {
    kind = kind_of_folder(o.model);
  } else if (!is_timm_hub_id(o.model)) {
    fs::path root;
    try {
      root = resolve_model(o.model);
    } catch (const ModelLoadError&) {
      if (o.model.find('/') != std::string::npos) throw;
      // TimmEncoder refuses a name that is no architecture it runs before it
      // looks anything up: then the model is simply not found.
      const std::exception_ptr not_found = std::current_exception();
      std::optional<TimmEncoder> timm;
      try {
        timm = TimmEncoder::load(o.model, timm_options(o, progress));
      } catch (const NotSupportedError&) {
        std::rethrow_exception(not_found);
      }
      check_model_fits(o, ModelKind::Timm, input);
      return timm_encoder(std::move(*timm));
    }
    kind = kind_of_folder(root);
  }
  check_model_fits(o, kind, input);
  switch (kind) {
    case ModelKind::Text: return text_encoder(o, progress);
    case ModelKind::Clip: return clip_encoder(o, input, progress);
    case ModelKind::Timm: break;
  }
  return timm_encoder(TimmEncoder::load(o.model, timm_options(o, progress)));
}

}  // namespace

ChunkEncoder load_encoder(const EncodeOptions& o, Input input, const ProgressFn& progress) {
  try {
    return load_model(o, input, progress);
  } catch (const ModelLoadError& e) {
    throw InvalidArgument("--model " + o.model + ": " + e.what());
  } catch (const NotSupportedError& e) {
    throw InvalidArgument("--model " + o.model + ": " + e.what());
  }
}

}  // namespace emb::cli
