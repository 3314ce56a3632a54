#pragma once
// Model families as configuration (STYLE.md convention 8): each family is a
// parser from config.json to nn::EncoderConfig plus a map of weight names.
// Adding a family costs one parser, one name map and one golden test.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/encoder.h"
#include "nn/weight_reader.h"

namespace emb::models {

/// Where each weight of nn::EncoderWeights lives in the checkpoint. Norms and
/// linears name a module: ".weight" and ".bias" are appended. Per-layer names
/// are relative to `layer`, in which "{}" stands for the layer index.
struct WeightNames {
  std::string word_embeddings, position_embeddings;
  std::string token_type_embeddings;   ///< "" when the family has none
  std::string embedding_norm;
  std::string layer;
  std::string query, key, value, attention_output, attention_norm, intermediate, output, output_norm;
  std::string relative_attention_bias;   ///< "" when the family has none
  /// Prefixes a checkpoint may put before every name ("" first).
  std::vector<std::string> prefixes;
};

struct ModelSpec {
  std::string model_type;   ///< config.json's model_type, e.g. "bert"
  nn::EncoderConfig config;
  WeightNames names;
  /// DistilBERT's sinusoidal_pos_embds: the table may be absent from the
  /// checkpoint, transformers then generates it.
  bool sinusoidal_positions = false;
  /// Rows of the token-type table (config.json type_vocab_size); only row 0 is used.
  std::size_t type_vocab_size = 0;
};

/// Reads config.json and dispatches on model_type (else the architectures
/// list). ModelLoadError naming the file and key for a missing or ill-typed
/// key; NotSupportedError naming the architecture when it is not one of
/// bert, roberta, xlm-roberta, camembert, mpnet, distilbert.
ModelSpec read_model_spec(const std::filesystem::path& config_json);

/// Per-family parsers (models/bert.cc, roberta.cc, mpnet.cc, distilbert.cc).
ModelSpec bert_spec(const nlohmann::json& config, const std::filesystem::path& file);
ModelSpec roberta_spec(const nlohmann::json& config, const std::filesystem::path& file);
ModelSpec mpnet_spec(const nlohmann::json& config, const std::filesystem::path& file);
ModelSpec distilbert_spec(const nlohmann::json& config, const std::filesystem::path& file);

/// Fetches every weight the spec names from the reader, checking its shape,
/// and builds the encoder. ModelLoadError naming the file and the tensor.
nn::TransformerEncoder load_encoder(nn::WeightReader& weights, const ModelSpec& spec);

}  // namespace emb::models
