// DistilBERT (transformers' DistilBertModel): its own config keys, no token
// types, LayerNorm eps fixed at 1e-12, optional sinusoidal positions.
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "models/config_json.h"
#include "models/model_spec.h"

namespace emb::models {

ModelSpec distilbert_spec(const nlohmann::json& c, const std::filesystem::path& file) {
  ModelSpec s;
  s.model_type = "distilbert";
  auto& e = s.config;
  e.vocab_size = require_size(c, "vocab_size", file);
  e.hidden_size = require_size(c, "dim", file);
  e.num_layers = require_size(c, "n_layers", file);
  e.num_heads = require_size(c, "n_heads", file);
  e.intermediate_size = require_size(c, "hidden_dim", file);
  e.max_position_embeddings = require_size(c, "max_position_embeddings", file);
  e.layer_norm_eps = 1e-12f;
  e.activation = parse_activation(string_or(c, "activation", "gelu", file), "activation", file);
  EMB_CHECK_AS(ModelLoadError, e.hidden_size % e.num_heads == 0, file.string(), ": dim ", e.hidden_size,
               " is not a multiple of n_heads ", e.num_heads);
  s.sinusoidal_positions = bool_or(c, "sinusoidal_pos_embds", false, file);
  s.hidden_dropout = probability_or(c, "dropout", 0.1, file);
  s.attention_dropout = probability_or(c, "attention_dropout", 0.1, file);
  s.attention_output_dropout = false;   // MultiHeadSelfAttention: out_lin, then no dropout
  auto& n = s.names;
  n.word_embeddings = "embeddings.word_embeddings.weight";
  n.position_embeddings = "embeddings.position_embeddings.weight";
  n.embedding_norm = "embeddings.LayerNorm";
  n.layer = "transformer.layer.{}.";
  n.query = "attention.q_lin";
  n.key = "attention.k_lin";
  n.value = "attention.v_lin";
  n.attention_output = "attention.out_lin";
  n.attention_norm = "sa_layer_norm";
  n.intermediate = "ffn.lin1";
  n.output = "ffn.lin2";
  n.output_norm = "output_layer_norm";
  n.prefixes = {"", "distilbert.", "model."};
  return s;
}

}  // namespace emb::models
