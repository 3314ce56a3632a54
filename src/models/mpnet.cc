// MPNet (transformers' MPNetModel): RoBERTa-style positions, no token types,
// and a relative position bias (buckets × heads) shared by every layer.
#include <nlohmann/json.hpp>

#include "models/config_json.h"
#include "models/model_spec.h"

namespace emb::models {

nn::EncoderConfig bert_like_config(const nlohmann::json& c, const std::filesystem::path& file);

ModelSpec mpnet_spec(const nlohmann::json& config, const std::filesystem::path& file) {
  ModelSpec s;
  s.model_type = "mpnet";
  s.config = bert_like_config(config, file);
  s.config.padding_idx = 1;   // MPNetEmbeddings hard-codes padding_idx = 1
  s.config.relative_attention_buckets = require_size(config, "relative_attention_num_buckets", file);
  s.config.relative_attention_max_distance = 128;   // fixed in relative_position_bucket
  s.hidden_dropout = probability_or(config, "hidden_dropout_prob", 0.1, file);
  s.attention_dropout = probability_or(config, "attention_probs_dropout_prob", 0.1, file);
  auto& n = s.names;
  n.word_embeddings = "embeddings.word_embeddings.weight";
  n.position_embeddings = "embeddings.position_embeddings.weight";
  n.embedding_norm = "embeddings.LayerNorm";
  n.layer = "encoder.layer.{}.";
  n.query = "attention.attn.q";
  n.key = "attention.attn.k";
  n.value = "attention.attn.v";
  n.attention_output = "attention.attn.o";
  n.attention_norm = "attention.LayerNorm";
  n.intermediate = "intermediate.dense";
  n.output = "output.dense";
  n.output_norm = "output.LayerNorm";
  n.relative_attention_bias = "encoder.relative_attention_bias.weight";
  n.prefixes = {"", "mpnet.", "model."};
  return s;
}

}  // namespace emb::models
