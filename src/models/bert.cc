// BERT (transformers' BertModel; MiniLM and BERT-base checkpoints): absolute
// positions from 0, token-type embedding 0 added to every token.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "models/config_json.h"
#include "models/model_spec.h"

namespace emb::models {

namespace {
WeightNames bert_names() {
  WeightNames n;
  n.word_embeddings = "embeddings.word_embeddings.weight";
  n.position_embeddings = "embeddings.position_embeddings.weight";
  n.token_type_embeddings = "embeddings.token_type_embeddings.weight";
  n.embedding_norm = "embeddings.LayerNorm";
  n.layer = "encoder.layer.{}.";
  n.query = "attention.self.query";
  n.key = "attention.self.key";
  n.value = "attention.self.value";
  n.attention_output = "attention.output.dense";
  n.attention_norm = "attention.output.LayerNorm";
  n.intermediate = "intermediate.dense";
  n.output = "output.dense";
  n.output_norm = "output.LayerNorm";
  n.prefixes = {"", "bert.", "model."};
  return n;
}
}  // namespace

// Shared with RoBERTa, which is BERT with other positions.
nn::EncoderConfig bert_like_config(const nlohmann::json& c, const std::filesystem::path& file) {
  nn::EncoderConfig e;
  e.vocab_size = require_size(c, "vocab_size", file);
  e.hidden_size = require_size(c, "hidden_size", file);
  e.num_layers = require_size(c, "num_hidden_layers", file);
  e.num_heads = require_size(c, "num_attention_heads", file);
  e.intermediate_size = require_size(c, "intermediate_size", file);
  e.max_position_embeddings = require_size(c, "max_position_embeddings", file);
  e.layer_norm_eps = static_cast<float>(number_or(c, "layer_norm_eps", 1e-12, file));
  e.activation = parse_activation(string_or(c, "hidden_act", "gelu", file), "hidden_act", file);
  const std::string positions = string_or(c, "position_embedding_type", "absolute", file);
  EMB_CHECK_AS(NotSupportedError, positions == "absolute", file.string(), ": position_embedding_type '", positions,
               "' is not supported (only 'absolute')");
  EMB_CHECK_AS(ModelLoadError, e.hidden_size % e.num_heads == 0, file.string(), ": hidden_size ", e.hidden_size,
               " is not a multiple of num_attention_heads ", e.num_heads);
  return e;
}

ModelSpec bert_spec(const nlohmann::json& config, const std::filesystem::path& file) {
  ModelSpec s;
  s.model_type = "bert";
  s.config = bert_like_config(config, file);
  s.type_vocab_size = static_cast<std::size_t>(std::max(0LL, int_or(config, "type_vocab_size", 2, file)));
  s.config.token_type_embeddings = s.type_vocab_size > 0;
  s.names = bert_names();
  return s;
}

ModelSpec roberta_spec(const nlohmann::json& config, const std::filesystem::path& file) {
  ModelSpec s = bert_spec(config, file);
  s.model_type = "roberta";
  // RobertaEmbeddings: positions count from padding_idx = pad_token_id.
  s.config.padding_idx = static_cast<int>(int_or(config, "pad_token_id", 1, file));
  s.type_vocab_size = static_cast<std::size_t>(std::max(0LL, int_or(config, "type_vocab_size", 1, file)));
  s.config.token_type_embeddings = s.type_vocab_size > 0;
  s.names.prefixes = {"", "roberta.", "model."};
  return s;
}

}  // namespace emb::models
