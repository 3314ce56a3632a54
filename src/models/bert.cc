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

// At least one token type: a model without them would need a file without
// token_type_embeddings, and a negative count used to be read as 0 silently.
std::size_t type_vocab_size(const nlohmann::json& config, long long fallback, const std::filesystem::path& file) {
  const long long n = int_or(config, "type_vocab_size", fallback, file);
  EMB_CHECK_AS(ModelLoadError, n >= 1 && n <= (1 << 20), file.string(), ": type_vocab_size ", n,
               " is not in [1, 1048576]");
  return static_cast<std::size_t>(n);
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
  const double eps = number_or(c, "layer_norm_eps", 1e-12, file);
  // A negative ε gave NaN embeddings, a huge one flattened them, both with exit 0.
  EMB_CHECK_AS(ModelLoadError, eps > 0 && eps < 1, file.string(), ": layer_norm_eps ", eps,
               " is not in (0, 1) (models use 1e-12 to 1e-5)");
  e.layer_norm_eps = static_cast<float>(eps);
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
  s.type_vocab_size = type_vocab_size(config, 2, file);
  s.config.token_type_embeddings = s.type_vocab_size > 0;
  s.names = bert_names();
  s.hidden_dropout = probability_or(config, "hidden_dropout_prob", 0.1, file);
  s.attention_dropout = probability_or(config, "attention_probs_dropout_prob", 0.1, file);
  return s;
}

ModelSpec roberta_spec(const nlohmann::json& config, const std::filesystem::path& file) {
  ModelSpec s = bert_spec(config, file);
  s.model_type = "roberta";
  // RobertaEmbeddings: positions count from padding_idx = pad_token_id.
  const long long pad = int_or(config, "pad_token_id", 1, file);
  // pad_token_id is a token id and the offset of the first position: 2³² used
  // to wrap to 0 and shift every position silently.
  EMB_CHECK_AS(ModelLoadError, pad >= 0 && static_cast<std::size_t>(pad) < s.config.vocab_size, file.string(),
               ": pad_token_id ", pad, " is not a token id of the ", s.config.vocab_size, "-token vocabulary");
  EMB_CHECK_AS(ModelLoadError, static_cast<std::size_t>(pad) + 1 < s.config.max_position_embeddings, file.string(),
               ": pad_token_id ", pad, " leaves none of the ", s.config.max_position_embeddings,
               " max_position_embeddings for tokens (RoBERTa's positions start after it)");
  s.config.padding_idx = static_cast<int>(pad);
  s.type_vocab_size = type_vocab_size(config, 1, file);
  s.config.token_type_embeddings = s.type_vocab_size > 0;
  s.names.prefixes = {"", "roberta.", "model."};
  return s;
}

}  // namespace emb::models
