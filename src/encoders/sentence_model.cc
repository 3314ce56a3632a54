#include "encoders/sentence_model.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/json_input.h"
#include "models/config_json.h"
#include "nn/weight_reader.h"

namespace emb::encoders {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "sentence_transformers.models.Pooling" (hub folders) and
// "sentence_transformers.sentence_transformer.modules.pooling.Pooling"
// (sentence-transformers 6) both end in the class name.
std::string module_class(const std::string& type, const fs::path& file) {
  EMB_CHECK_AS(NotSupportedError, type.rfind("sentence_transformers.", 0) == 0, file.string(), ": module type '",
               type, "' is not a sentence-transformers module (custom code is not supported)");
  return type.substr(type.rfind('.') + 1);
}

std::vector<nn::PoolingMode> read_pooling(const fs::path& folder) {
  const fs::path file = folder / "config.json";
  const json c = io::read_json_file(file);
  std::vector<std::string> names;
  if (auto it = c.find("pooling_mode"); it != c.end()) {
    if (it->is_string()) {
      names.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& v : *it) {
        EMB_CHECK_AS(ModelLoadError, v.is_string(), file.string(), ": pooling_mode entries should be strings");
        names.push_back(v.get<std::string>());
      }
    } else {
      throw ModelLoadError(file.string() + ": pooling_mode should be a string or a list of strings");
    }
    EMB_CHECK_AS(ModelLoadError, !names.empty(), file.string(), ": pooling_mode is an empty list");
  } else {
    // Older folders: one flag per mode, concatenated in this order.
    static constexpr std::pair<const char*, const char*> kFlags[] = {
        {"pooling_mode_cls_token", "cls"},
        {"pooling_mode_max_tokens", "max"},
        {"pooling_mode_mean_tokens", "mean"},
        {"pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"},
        {"pooling_mode_weightedmean_tokens", "weightedmean"},
        {"pooling_mode_lasttoken", "lasttoken"}};
    for (const auto& [flag, name] : kFlags)
      if (models::bool_or(c, flag, false, file)) names.push_back(name);
    EMB_CHECK_AS(ModelLoadError, !names.empty(), file.string(),
                 ": no pooling mode (neither 'pooling_mode' nor a true 'pooling_mode_*' flag)");
  }
  std::vector<nn::PoolingMode> modes;
  for (const auto& n : names) {
    nn::PoolingMode m;
    EMB_CHECK_AS(NotSupportedError, nn::parse_pooling_mode(n, m), file.string(), ": pooling mode '", io::text_excerpt(n),
                 "' is unknown (known: cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken)");
    modes.push_back(m);
  }
  return modes;
}

nn::Activation dense_activation(const std::string& name, const fs::path& file) {
  const std::string cls = name.substr(name.rfind('.') + 1);
  if (cls == "Tanh") return nn::Activation::Tanh;
  if (cls == "Identity") return nn::Activation::Identity;
  if (cls == "ReLU") return nn::Activation::Relu;
  if (cls == "GELU") return nn::Activation::GeluErf;
  if (cls == "Sigmoid") return nn::Activation::Sigmoid;
  if (cls == "SiLU") return nn::Activation::Silu;
  throw NotSupportedError(file.string() + ": activation_function '" + io::text_excerpt(name) +
                          "' is not supported (supported: Tanh, Identity, ReLU, GELU, Sigmoid, SiLU)");
}

// The maximum as sentence-transformers finds it; 0 when no file states one.
std::size_t configured_max_length(const fs::path& folder) {
  if (const fs::path f = folder / "sentence_bert_config.json"; fs::exists(f)) {
    const json c = io::read_json_file(f);
    const long long v = models::int_or(c, "max_seq_length", 0, f);
    EMB_CHECK_AS(ModelLoadError, v >= 0, f.string(), ": max_seq_length ", v, " is negative");
    if (v > 0) return static_cast<std::size_t>(v);
  }
  if (const fs::path f = folder / "tokenizer_config.json"; fs::exists(f)) {
    const json c = io::read_json_file(f);
    // transformers writes 1e30 (VERY_LARGE_INTEGER) when there is no limit.
    const double v = models::number_or(c, "model_max_length", 0.0, f);
    if (v > 0 && v < 1e9) return static_cast<std::size_t>(v);
  }
  return 0;
}

bool configured_lower_case(const fs::path& folder) {
  const fs::path f = folder / "sentence_bert_config.json";
  if (!fs::exists(f)) return false;
  return models::bool_or(io::read_json_file(f), "do_lower_case", false, f);
}

}  // namespace

fs::path find_weights(const fs::path& folder, const char* what) {
  const fs::path st = folder / "model.safetensors";
  if (fs::exists(st)) return st;
  EMB_CHECK_AS(ModelLoadError, !fs::exists(folder / "model.safetensors.index.json"), folder.string(), ": ", what,
               " weights are sharded (model.safetensors.index.json), which is not supported yet");
  // torch.save's zip format, read without running the pickle (io/torch_checkpoint.h).
  const fs::path bin = folder / "pytorch_model.bin";
  if (fs::exists(bin)) return bin;
  EMB_CHECK_AS(ModelLoadError, !fs::exists(folder / "pytorch_model.bin.index.json"), folder.string(), ": ", what,
               " weights are sharded (pytorch_model.bin.index.json), which is not supported yet");
  throw ModelLoadError(folder.string() + ": no model.safetensors or pytorch_model.bin (" + what + " weights)");
}

SentenceModules read_sentence_modules(const fs::path& folder) {
  EMB_CHECK_AS(ModelLoadError, fs::is_directory(folder), folder.string(), ": not a model folder");
  SentenceModules m;
  bool pooled = false, have_transformer = false;

  struct Entry {
    std::string cls;
    fs::path path;
  };
  std::vector<Entry> entries;
  const fs::path modules = folder / "modules.json";
  if (fs::exists(modules)) {
    const json list = io::read_json_file(modules);
    EMB_CHECK_AS(ModelLoadError, list.is_array() && !list.empty(), modules.string(),
                 ": expected a non-empty list of modules");
    for (const auto& e : list) {
      EMB_CHECK_AS(ModelLoadError, e.is_object() && e.contains("type") && e["type"].is_string(), modules.string(),
                   ": every module needs a string 'type'");
      EMB_CHECK_AS(ModelLoadError, !e.contains("path") || e["path"].is_string(), modules.string(),
                   ": module 'path' must be a string; got ", io::json_excerpt(e["path"]));
      const std::string path = e.value("path", std::string());
      entries.push_back({module_class(e["type"].get<std::string>(), modules), folder / path});
    }
  } else {
    // A plain transformers folder: sentence-transformers adds mean pooling.
    entries.push_back({"Transformer", folder});
    entries.push_back({"Pooling", fs::path()});
  }

  for (const auto& [cls, path] : entries) {
    if (cls == "Transformer") {
      EMB_CHECK_AS(NotSupportedError, !have_transformer, modules.string(), ": more than one Transformer module");
      have_transformer = true;
      m.transformer_folder = path;
      m.spec = models::read_model_spec(path / "config.json");
      m.transformer_weights = find_weights(path, "transformer");
      m.dim = m.spec.config.hidden_size;
    } else if (cls == "Pooling") {
      EMB_CHECK_AS(ModelLoadError, have_transformer && !pooled, modules.string(),
                   ": Pooling must follow the Transformer module, once");
      m.pooling = path.empty() ? std::vector<nn::PoolingMode>{nn::PoolingMode::Mean} : read_pooling(path);
      m.dim *= m.pooling.size();
      pooled = true;
    } else if (cls == "Normalize") {
      // Normalize has no files; its folder may be missing (as on the hub).
      EMB_CHECK_AS(ModelLoadError, pooled, modules.string(), ": Normalize before Pooling is not supported");
      SentenceModules::Step s;
      s.normalize = true;
      m.steps.push_back(std::move(s));
    } else if (cls == "Dense") {
      EMB_CHECK_AS(ModelLoadError, pooled, modules.string(), ": Dense before Pooling is not supported");
      const fs::path cfg_file = path / "config.json";
      const json cfg = io::read_json_file(cfg_file);
      const std::size_t in = models::require_size(cfg, "in_features", cfg_file);
      const std::size_t out = models::require_size(cfg, "out_features", cfg_file);
      EMB_CHECK_AS(ModelLoadError, in == m.dim, cfg_file.string(), ": in_features ", in,
                   " does not match the ", m.dim, " values the previous module produces");
      EMB_CHECK_AS(NotSupportedError, !models::bool_or(cfg, "use_residual", false, cfg_file), cfg_file.string(),
                   ": use_residual is not supported");
      SentenceModules::Step s;
      s.activation = dense_activation(
          models::string_or(cfg, "activation_function", "torch.nn.modules.activation.Tanh", cfg_file), cfg_file);
      s.folder = path;
      nn::WeightReader weights(find_weights(path, "Dense"));
      const std::string why = cfg_file.string() + " in_features " + std::to_string(in) + ", out_features " +
                              std::to_string(out);
      s.dense.weight = weights.matrix("linear.weight", out, in, why);
      if (models::bool_or(cfg, "bias", true, cfg_file)) s.dense.bias = weights.vector("linear.bias", out, why);
      m.steps.push_back(std::move(s));
      m.dim = out;
    } else {
      throw NotSupportedError(modules.string() + ": module '" + io::text_excerpt(cls) +
                              "' is not supported (supported: Transformer, Pooling, Dense, Normalize)");
    }
  }
  EMB_CHECK_AS(ModelLoadError, have_transformer, modules.string(), ": no Transformer module");
  // sentence-transformers returns token embeddings without a Pooling module;
  // a sentence encoder needs one.
  EMB_CHECK_AS(ModelLoadError, pooled, modules.string(), ": no Pooling module");

  const std::size_t positions = m.spec.config.max_tokens();
  const std::size_t configured = configured_max_length(m.transformer_folder);
  // tokenizer_config.json's limit is often far above the positions (1e30 is
  // common) and is capped; sentence_bert_config.json's is the model's own and
  // must fit (sentence-transformers would fail on the first long text).
  if (const fs::path f = m.transformer_folder / "sentence_bert_config.json"; fs::exists(f))
    EMB_CHECK_AS(ModelLoadError, configured <= positions, f.string(), ": max_seq_length ", configured,
                 " exceeds the ", positions, " positions of the model");
  m.max_seq_length = configured > 0 ? std::min(configured, positions) : positions;
  m.do_lower_case = configured_lower_case(m.transformer_folder);
  return m;
}

SentenceModel SentenceModel::load(const fs::path& folder, nn::Precision precision) {
  SentenceModules modules = read_sentence_modules(folder);
  SentenceModel m;
  m.spec_ = std::move(modules.spec);
  m.spec_.config.precision = precision;
  nn::WeightReader weights(modules.transformer_weights);
  m.encoder_ = std::make_shared<const nn::TransformerEncoder>(models::load_encoder(weights, m.spec_));
  m.transformer_folder_ = std::move(modules.transformer_folder);
  m.pooling_ = std::move(modules.pooling);
  m.steps_ = std::move(modules.steps);
  m.dim_ = modules.dim;
  m.max_seq_length_ = modules.max_seq_length;
  m.do_lower_case_ = modules.do_lower_case;
  return m;
}

void SentenceModel::token_embeddings(std::span<const std::int32_t> ids, Workspace& ws, Matrix& out) const {
  encoder_->forward(ids, ws.encoder, out);
}

void SentenceModel::embed(std::span<const std::int32_t> ids, Workspace& ws, std::span<float> out) const {
  EMB_CHECK(out.size() == dim_, "SentenceModel::embed: output has ", out.size(), " values, expected ", dim_);
  float* const target = out.data();
  embed_batch(std::span(&ids, 1), ws, std::span(&target, 1));
}

void SentenceModel::embed_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws,
                                std::span<float* const> outputs) const {
  EMB_CHECK(outputs.size() == sequences.size(), "SentenceModel::embed_batch: ", outputs.size(), " outputs for ",
            sequences.size(), " sequences");
  if (sequences.empty()) return;
  encoder_->forward_batch(sequences, ws.encoder, ws.tokens);
  const std::size_t h = ws.tokens.cols();
  for (std::size_t i = 0; i < sequences.size(); ++i)
    finish(ws.tokens.data() + ws.encoder.offsets[i] * h, sequences[i].size(), ws, outputs[i]);
}

// Pooling, then the Dense and Normalize modules, for one sequence's tokens.
void SentenceModel::finish(const float* tokens, std::size_t t, Workspace& ws, float* out) const {
  const std::size_t h = encoder_->config().hidden_size;
  Matrix* cur = &ws.vector_a;
  Matrix* next = &ws.vector_b;
  cur->resize(1, pooling_.size() * h);
  nn::pool(tokens, t, h, pooling_, {cur->data(), cur->size()});
  for (const Step& s : steps_) {
    if (s.normalize) {
      // torch.nn.functional.normalize: x / max(‖x‖, 1e-12).
      double sq = 0.0;
      for (std::size_t j = 0; j < cur->size(); ++j) sq += static_cast<double>(cur->data()[j]) * cur->data()[j];
      const float norm = std::max(static_cast<float>(std::sqrt(sq)), 1e-12f);
      for (std::size_t j = 0; j < cur->size(); ++j) cur->data()[j] /= norm;
    } else {
      nn::linear(*cur, s.dense, s.activation, *next);
      std::swap(cur, next);
    }
  }
  std::copy_n(cur->data(), dim_, out);
}

}  // namespace emb::encoders
