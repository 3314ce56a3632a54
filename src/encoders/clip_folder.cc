#include "encoders/clip_folder.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "embetter/error.h"
#include "encoders/sentence_model.h"
#include "io/json_input.h"
#include "models/clip.h"
#include "models/config_json.h"

namespace emb::encoders {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string class_name(const std::string& type) { return type.substr(type.rfind('.') + 1); }

std::size_t configured_max_length(const fs::path& folder, const fs::path& module_folder) {
  // sentence-transformers passes sentence_bert_config.json's max_seq_length
  // to the tokenizer as model_max_length.
  for (const fs::path& dir : {module_folder, folder}) {
    if (const fs::path f = dir / "sentence_bert_config.json"; fs::exists(f)) {
      const json c = io::read_json_file(f);
      const long long v = c.is_object() ? models::int_or(c, "max_seq_length", 0, f) : 0;
      EMB_CHECK_AS(ModelLoadError, v >= 0, f.string(), ": max_seq_length ", v, " is negative");
      if (v > 0) return static_cast<std::size_t>(v);
    }
  }
  if (const fs::path f = module_folder / "tokenizer_config.json"; fs::exists(f)) {
    const json c = io::read_json_file(f);
    // transformers writes 1e30 (VERY_LARGE_INTEGER) when there is no limit.
    const double v = c.is_object() ? models::number_or(c, "model_max_length", 0.0, f) : 0.0;
    if (v > 0 && v < 1e9) return static_cast<std::size_t>(v);
  }
  return 0;
}

ClipFolder model_folder_parts(const fs::path& folder, const fs::path& module_folder) {
  ClipFolder f;
  f.model_folder = module_folder;
  f.config = module_folder / "config.json";
  EMB_CHECK_AS(ModelLoadError, fs::exists(f.config), module_folder.string(), ": no config.json (a CLIPModel config)");
  EMB_CHECK_AS(NotSupportedError, models::is_clip_config(f.config), f.config.string(),
               ": not a CLIP model (model_type 'clip'); for a text-only sentence-transformers model use "
               "SentenceEncoder");
  f.weights = find_weights(module_folder, "CLIP");
  f.configured_max_length = configured_max_length(folder, module_folder);
  for (const char* name : {"preprocessor_config.json", "processor_config.json"})
    if (fs::exists(module_folder / name)) {
      f.preprocessor = module_folder / name;
      break;
    }
  return f;
}

// A special token of tokenizer_config.json / special_tokens_map.json: a
// string, or an AddedToken written as {"content": ...}.
std::string special_token(const json& c, const char* key, const std::string& fallback, const fs::path& file) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  throw ModelLoadError(file.string() + ": key '" + key + "' should be a token string, found " + io::json_excerpt(*it));
}

}  // namespace

ClipFolder read_clip_folder(const fs::path& folder) {
  EMB_CHECK_AS(ModelLoadError, fs::is_directory(folder), folder.string(), ": not a model folder");
  const fs::path modules = folder / "modules.json";
  if (!fs::exists(modules)) return model_folder_parts(folder, folder);

  const json list = io::read_json_file(modules);
  EMB_CHECK_AS(ModelLoadError, list.is_array() && !list.empty(), modules.string(),
               ": expected a non-empty list of modules");
  std::optional<ClipFolder> clip;
  bool normalize = false;
  for (const auto& e : list) {
    EMB_CHECK_AS(ModelLoadError, e.is_object() && e.contains("type") && e["type"].is_string(), modules.string(),
                 ": every module needs a string 'type'");
    EMB_CHECK_AS(ModelLoadError, !e.contains("path") || e["path"].is_string(), modules.string(),
                 ": module 'path' must be a string; got ", io::json_excerpt(e["path"]));
    const std::string type = e["type"].get<std::string>();
    EMB_CHECK_AS(NotSupportedError, type.rfind("sentence_transformers.", 0) == 0, modules.string(), ": module type '",
                 io::text_excerpt(type), "' is not a sentence-transformers module (custom code is not supported)");
    const std::string cls = class_name(type);
    std::string path = e.value("path", std::string());
    if (path == ".") path.clear();
    if (cls == "CLIPModel" || cls == "Transformer") {
      EMB_CHECK_AS(NotSupportedError, !clip, modules.string(), ": more than one CLIPModel/Transformer module");
      clip = model_folder_parts(folder, path.empty() ? folder : folder / path);
    } else if (cls == "Normalize") {
      EMB_CHECK_AS(ModelLoadError, clip.has_value(), modules.string(), ": Normalize before the CLIP module");
      normalize = true;
    } else {
      throw NotSupportedError(modules.string() + ": module '" + io::text_excerpt(cls) +
                              "' is not supported in a CLIP model (supported: CLIPModel or Transformer, then "
                              "Normalize)");
    }
  }
  EMB_CHECK_AS(ModelLoadError, clip.has_value(), modules.string(), ": no CLIPModel or Transformer module");
  clip->normalize = normalize;
  return *clip;
}

bool is_clip_folder(const fs::path& folder) {
  try {
    fs::path module = folder;
    if (const fs::path modules = folder / "modules.json"; fs::exists(modules)) {
      const json list = io::read_json_file(modules);
      if (!list.is_array() || list.empty() || !list[0].is_object()) return true;
      const json& first = list[0];
      if (!first.contains("type") || !first["type"].is_string()) return true;
      if (class_name(first["type"].get<std::string>()) != "Transformer") return true;
      if (first.contains("path") && first["path"].is_string()) module = folder / first["path"].get<std::string>();
    }
    const fs::path config = module / "config.json";
    return !fs::exists(config) || models::is_clip_config(config);
  } catch (const Error&) {
    return true;
  }
}

std::string clip_tokenizer_json(const fs::path& dir) {
  const fs::path vocab_file = dir / "vocab.json", merges_file = dir / "merges.txt";
  EMB_CHECK_AS(ModelLoadError, fs::exists(vocab_file) && fs::exists(merges_file), dir.string(),
               ": no tokenizer.json, and no vocab.json + merges.txt to build CLIP's tokenizer from");
  const json vocab = io::read_json_file(vocab_file);
  EMB_CHECK_AS(ModelLoadError, vocab.is_object() && !vocab.empty(), vocab_file.string(),
               ": expected an object of token: id");
  std::int64_t next_id = 0;
  for (const auto& [token, id] : vocab.items()) {
    EMB_CHECK_AS(ModelLoadError, id.is_number_integer() && id.get<std::int64_t>() >= 0 &&
                                     id.get<std::int64_t>() <= io::kMaxTokenId,
                 vocab_file.string(), ": the id of '", io::text_excerpt(token), "' is ", io::json_excerpt(id),
                 "; expected an integer in [0, ", io::kMaxTokenId, "]");
    next_id = std::max(next_id, id.get<std::int64_t>() + 1);
  }

  // tokenizers' BPE file reader: "#version" lines skipped, every other line
  // two symbols separated by one space.
  std::ifstream in(merges_file, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), merges_file.string(), ": cannot be read");
  json merges = json::array();
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#version", 0) == 0) continue;
    if (line.empty() && in.peek() == std::ifstream::traits_type::eof()) break;
    const auto space = line.find(' ');
    EMB_CHECK_AS(ModelLoadError, space != std::string::npos && space > 0 && space + 1 < line.size() &&
                                     line.find(' ', space + 1) == std::string::npos,
                 merges_file.string(), ": line ", number, " '", io::text_excerpt(line),
                 "' is not a merge (two symbols separated by one space)");
    merges.push_back(json::array({line.substr(0, space), line.substr(space + 1)}));
  }

  // CLIPTokenizer's defaults, then the folder's settings.
  std::string unk = "<|endoftext|>", bos = "<|startoftext|>", eos = "<|endoftext|>", pad = "<|endoftext|>";
  for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
    const fs::path f = dir / name;
    if (!fs::exists(f)) continue;
    const json c = io::read_json_file(f);
    if (!c.is_object()) continue;
    unk = special_token(c, "unk_token", unk, f);
    bos = special_token(c, "bos_token", bos, f);
    eos = special_token(c, "eos_token", eos, f);
    pad = special_token(c, "pad_token", pad, f);
  }
  // Special tokens missing from the vocabulary get the next ids, as
  // transformers adds them.
  json model_vocab = vocab;
  std::map<std::string, std::int64_t> specials;
  json added = json::array();
  for (const std::string& token : {bos, eos, unk, pad}) {
    if (specials.count(token)) continue;
    std::int64_t id;
    if (auto it = model_vocab.find(token); it != model_vocab.end()) {
      id = it->get<std::int64_t>();
    } else {
      id = next_id++;
    }
    specials[token] = id;
    added.push_back({{"id", id}, {"content", token}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
  }

  json t;
  t["version"] = "1.0";
  t["truncation"] = nullptr;
  t["padding"] = nullptr;
  t["added_tokens"] = added;
  t["normalizer"] = {{"type", "Sequence"},
                     {"normalizers",
                      json::array({{{"type", "NFC"}},
                                   {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}},
                                   {{"type", "Lowercase"}}})}};
  t["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "Split"},
                     {"pattern",
                      {{"Regex",
                        "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|"
                        "[^\\s\\p{L}\\p{N}]+"}}},
                     {"behavior", "Removed"},
                     {"invert", true}},
                    {{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", true},
                     {"use_regex", true}}})}};
  t["post_processor"] = {{"type", "RobertaProcessing"},
                         {"sep", json::array({eos, specials[eos]})},
                         {"cls", json::array({bos, specials[bos]})},
                         {"trim_offsets", false},
                         {"add_prefix_space", false}};
  t["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  t["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", unk},
                {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", "</w>"},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", merges}};
  return t.dump();
}

Tokenizer load_clip_tokenizer(const fs::path& dir) {
  if (fs::exists(dir / "tokenizer.json")) return Tokenizer::from_file(dir / "tokenizer.json");
  return Tokenizer::from_json(clip_tokenizer_json(dir), (dir / "vocab.json").string() + " + merges.txt");
}

}  // namespace emb::encoders
