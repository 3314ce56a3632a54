#include "models/model_spec.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::models {
namespace {

std::string family_of(const nlohmann::json& c) {
  if (auto it = c.find("model_type"); it != c.end() && it->is_string()) return it->get<std::string>();
  // Very old configs carry only the class names.
  if (auto it = c.find("architectures"); it != c.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    const auto arch = (*it)[0].get<std::string>();
    for (const char* family : {"DistilBert", "XLMRoberta", "Roberta", "MPNet", "Bert"})
      if (arch.rfind(family, 0) == 0) {
        std::string f = family;
        for (auto& ch : f) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        return f == "xlmroberta" ? "xlm-roberta" : f;
      }
    return arch;
  }
  return "";
}

std::string layer_name(const WeightNames& n, std::size_t i, const std::string& module, const char* suffix) {
  std::string prefix = n.layer;
  const auto at = prefix.find("{}");
  prefix.replace(at, 2, std::to_string(i));
  return prefix + module + suffix;
}

// Checkpoints converted from TensorFlow may still say gamma/beta;
// transformers renames them on load, and so do we.
LinearNames norm_names(const nn::WeightReader& w, const std::string& module) {
  const bool old = !w.contains(module + ".weight") && w.contains(module + ".gamma");
  return {module + (old ? ".gamma" : ".weight"), module + (old ? ".beta" : ".bias")};
}

LinearNames linear_names(const std::string& module) { return {module + ".weight", module + ".bias"}; }

nn::LayerNormWeights read_norm(const nn::WeightReader& w, const LinearNames& n, std::size_t h,
                               const std::string& why) {
  return {w.vector(n.weight, h, why), w.vector(n.bias, h, why)};
}

nn::Linear read_linear(const nn::WeightReader& w, const LinearNames& n, std::size_t out, std::size_t in,
                       const std::string& why) {
  return {w.matrix(n.weight, out, in, why), w.vector(n.bias, out, why)};
}

// The reader's prefix before every name: what the checkpoint calls them.
void add_prefix(EncoderWeightNames& names, const std::string& prefix) {
  auto fix = [&](std::string& s) {
    if (!s.empty()) s = prefix + s;
  };
  auto fix_pair = [&](LinearNames& n) {
    fix(n.weight);
    fix(n.bias);
  };
  fix(names.word_embeddings);
  fix(names.position_embeddings);
  fix(names.token_type_embeddings);
  fix_pair(names.embedding_norm);
  for (auto& l : names.layers)
    for (LinearNames* n : {&l.query, &l.key, &l.value, &l.attention_output, &l.attention_norm, &l.intermediate,
                           &l.output, &l.output_norm})
      fix_pair(*n);
  fix(names.relative_attention_bias);
}

}  // namespace

ModelSpec read_model_spec(const std::filesystem::path& config_json) {
  const nlohmann::json c = io::read_json_file(config_json);
  EMB_CHECK_AS(ModelLoadError, c.is_object(), config_json.string(), ": expected a JSON object");
  const std::string family = family_of(c);
  EMB_CHECK_AS(ModelLoadError, !family.empty(), config_json.string(),
               ": missing key 'model_type' (and no 'architectures' to infer it from)");
  if (family == "bert") return bert_spec(c, config_json);
  if (family == "roberta" || family == "xlm-roberta" || family == "camembert") {
    ModelSpec s = roberta_spec(c, config_json);
    s.model_type = family;
    return s;
  }
  if (family == "mpnet") return mpnet_spec(c, config_json);
  if (family == "distilbert") return distilbert_spec(c, config_json);
  throw NotSupportedError(config_json.string() + ": model_type '" + io::text_excerpt(family) +
                          "' is not supported (supported: bert, roberta, xlm-roberta, camembert, mpnet, distilbert)");
}

nn::EncoderWeights read_encoder_weights(nn::WeightReader& w, const ModelSpec& spec, EncoderWeightNames* names) {
  const auto& c = spec.config;
  const auto& n = spec.names;
  const std::size_t h = c.hidden_size;
  w.choose_prefix(n.word_embeddings, n.prefixes);
  const std::string hidden = "config.json hidden size " + std::to_string(h);
  const std::string ffn = hidden + ", intermediate size " + std::to_string(c.intermediate_size);

  EncoderWeightNames read;
  nn::EncoderWeights weights;
  read.word_embeddings = n.word_embeddings;
  weights.word_embeddings = w.matrix(n.word_embeddings, c.vocab_size, h,
                                     "config.json vocab_size " + std::to_string(c.vocab_size) + ", " + hidden);
  const std::string positions =
      "config.json max_position_embeddings " + std::to_string(c.max_position_embeddings) + ", " + hidden;
  if (spec.sinusoidal_positions && !w.contains(n.position_embeddings)) {
    weights.position_embeddings = nn::sinusoidal_position_table(c.max_position_embeddings, h);
  } else {
    read.position_embeddings = n.position_embeddings;
    weights.position_embeddings = w.matrix(n.position_embeddings, c.max_position_embeddings, h, positions);
  }
  if (c.token_type_embeddings) {
    // Only type 0 is used: sentence-transformers encodes single texts.
    read.token_type_embeddings = n.token_type_embeddings;
    const Matrix types = w.matrix(n.token_type_embeddings, spec.type_vocab_size, h,
                                  "config.json type_vocab_size " + std::to_string(spec.type_vocab_size) + ", " + hidden);
    weights.token_type_embedding.assign(types.data(), types.data() + h);
  }
  read.embedding_norm = norm_names(w, n.embedding_norm);
  weights.embedding_norm = read_norm(w, read.embedding_norm, h, hidden);
  for (std::size_t i = 0; i < c.num_layers; ++i) {
    nn::EncoderLayerWeights l;
    EncoderLayerNames ln;
    const auto name = [&](const std::string& module) { return layer_name(n, i, module, ""); };
    ln.query = linear_names(name(n.query));
    ln.key = linear_names(name(n.key));
    ln.value = linear_names(name(n.value));
    const nn::Linear q = read_linear(w, ln.query, h, h, hidden);
    const nn::Linear k = read_linear(w, ln.key, h, h, hidden);
    const nn::Linear v = read_linear(w, ln.value, h, h, hidden);
    // One GEMM for the three projections: stack the rows.
    l.qkv.weight.resize(3 * h, h);
    l.qkv.bias.resize(3 * h);
    for (std::size_t p = 0; p < 3; ++p) {
      const nn::Linear& src = p == 0 ? q : (p == 1 ? k : v);
      std::copy_n(src.weight.data(), h * h, l.qkv.weight.data() + p * h * h);
      std::copy_n(src.bias.data(), h, l.qkv.bias.data() + p * h);
    }
    ln.attention_output = linear_names(name(n.attention_output));
    l.attention_output = read_linear(w, ln.attention_output, h, h, hidden);
    ln.attention_norm = norm_names(w, name(n.attention_norm));
    l.attention_norm = read_norm(w, ln.attention_norm, h, hidden);
    ln.intermediate = linear_names(name(n.intermediate));
    l.intermediate = read_linear(w, ln.intermediate, c.intermediate_size, h, ffn);
    ln.output = linear_names(name(n.output));
    l.output = read_linear(w, ln.output, h, c.intermediate_size, ffn);
    ln.output_norm = norm_names(w, name(n.output_norm));
    l.output_norm = read_norm(w, ln.output_norm, h, hidden);
    weights.layers.push_back(std::move(l));
    read.layers.push_back(std::move(ln));
  }
  if (c.relative_attention_buckets > 0) {
    read.relative_attention_bias = n.relative_attention_bias;
    weights.relative_attention_bias =
        w.matrix(n.relative_attention_bias, c.relative_attention_buckets, c.num_heads,
                 "config.json relative_attention_num_buckets " + std::to_string(c.relative_attention_buckets) +
                     ", num_attention_heads " + std::to_string(c.num_heads));
  }
  if (names) {
    add_prefix(read, w.prefix());
    *names = std::move(read);
  }
  return weights;
}

nn::TransformerEncoder load_encoder(nn::WeightReader& w, const ModelSpec& spec) {
  return nn::TransformerEncoder(spec.config, read_encoder_weights(w, spec));
}

}  // namespace emb::models
