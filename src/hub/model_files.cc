#include "hub/model_files.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::hub {
namespace {

using Json = nlohmann::json;

// model.safetensors, else pytorch_model.bin (torch.save's format; older
// repos such as sentence-transformers/clip-ViT-B-32 have nothing else): the
// order find_weights (encoders/sentence_model.h) reads them in, so a repo
// with both never downloads the pickle. Neither: model.safetensors is what
// the error names.
void weight_files(FileSource& src, const std::string& dir) {
  if (src.get(dir + "model.safetensors", Need::Optional) || src.get(dir + "pytorch_model.bin", Need::Optional)) return;
  src.get(dir + "model.safetensors", Need::Required);
}

// A CLIP checkpoint (embetter/clip_encoder.h): its tokenizer may be
// vocab.json + merges.txt, and its images need the preprocessor settings.
void clip_files(FileSource& src, const std::string& dir) {
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json"})
    src.get(dir + name, Need::Optional);
  if (!src.get(dir + "tokenizer.json", Need::Optional)) {
    src.get(dir + "vocab.json", Need::Required);
    src.get(dir + "merges.txt", Need::Required);
  }
  if (!src.get(dir + "preprocessor_config.json", Need::Optional))
    src.get(dir + "processor_config.json", Need::Optional);
  weight_files(src, dir);
}

bool is_clip(const std::optional<std::filesystem::path>& config) {
  if (!config) return false;
  try {
    const Json c = io::read_json_file(*config);
    if (!c.is_object()) return false;
    const auto it = c.find("model_type");
    return it != c.end() && it->is_string() && *it == "clip";
  } catch (const std::exception&) {
    return false;
  }
}

// A timm checkpoint (embetter/timm_encoder.h): config.json names an
// "architecture"; the weights are model.safetensors.
bool is_timm(const std::optional<std::filesystem::path>& config) {
  if (!config) return false;
  try {
    const Json c = io::read_json_file(*config);
    return c.is_object() && c.contains("architecture") && c["architecture"].is_string() && !c.contains("model_type");
  } catch (const std::exception&) {
    return false;
  }
}

void transformer_files(FileSource& src, const std::string& dir) {
  const auto config = src.get(dir + "config.json", Need::Required);
  if (is_clip(config)) return clip_files(src, dir);
  if (is_timm(config)) {
    src.get(dir + "model.safetensors", Need::Required);
    return;
  }
  for (const char* name : {"tokenizer_config.json", "special_tokens_map.json", "sentence_bert_config.json"})
    src.get(dir + name, Need::Optional);
  // Old BERT repos ship only a WordPiece vocabulary.
  if (!src.get(dir + "tokenizer.json", Need::Optional)) src.get(dir + "vocab.txt", Need::Required);
  weight_files(src, dir);
}

// "sentence_transformers.models.Pooling" and
// "sentence_transformers.sentence_transformer.modules.pooling.Pooling" → "Pooling".
std::string module_kind(const std::string& type) {
  const auto dot = type.rfind('.');
  return dot == std::string::npos ? type : type.substr(dot + 1);
}

}  // namespace

void collect_model_files(FileSource& src) {
  const auto modules_path = src.get("modules.json", Need::Optional);
  src.get("config_sentence_transformers.json", Need::Optional);
  if (!modules_path) {
    transformer_files(src, "");
    return;
  }
  const Json modules = io::read_json_file(*modules_path);
  EMB_CHECK_AS(ModelLoadError, modules.is_array(), modules_path->string(), ": expected a list of modules");
  src.get("sentence_bert_config.json", Need::Optional);
  for (const Json& m : modules) {
    EMB_CHECK_AS(ModelLoadError, m.is_object() && m.contains("type") && m["type"].is_string(), modules_path->string(),
                 ": every module needs a string 'type'; got ", io::json_excerpt(m));
    EMB_CHECK_AS(ModelLoadError, !m.contains("path") || m["path"].is_string(), modules_path->string(),
                 ": module 'path' must be a string; got ", io::json_excerpt(m["path"]));
    std::string path = m.value("path", std::string());
    if (path == ".") path.clear();
    const std::string dir = path.empty() ? "" : path + "/";
    const std::string kind = module_kind(m["type"].get<std::string>());
    if (kind == "Transformer") {
      transformer_files(src, dir);
    } else if (kind == "CLIPModel") {
      src.get(dir + "config.json", Need::Required);
      clip_files(src, dir);
    } else if (kind == "StaticEmbedding") {
      src.get(dir + "model.safetensors", Need::Required);
      src.get(dir + "tokenizer.json", Need::Required);
      src.get(dir + "config.json", Need::Optional);
    } else if (kind == "Dense") {
      src.get(dir + "config.json", Need::Required);
      weight_files(src, dir);
    } else if (kind == "Pooling") {
      src.get(dir + "config.json", Need::Required);
    } else if (!path.empty()) {
      // Normalize has no files (its folder may be missing); others keep a config.
      src.get(dir + "config.json", Need::Optional);
    }
  }
}

}  // namespace emb::hub
