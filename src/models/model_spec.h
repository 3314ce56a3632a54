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
  /// Dropout in training mode (inference ignores it), from config.json with
  /// transformers' defaults: on the hidden states (after the embedding
  /// LayerNorm, after the attention's output projection, after the FFN's
  /// output) and on the attention probabilities.
  float hidden_dropout = 0.1f;
  float attention_dropout = 0.1f;
  /// False for DistilBERT, whose attention output (out_lin) has no dropout.
  bool attention_output_dropout = true;
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

/// The checkpoint names (the reader's prefix included) that
/// read_encoder_weights took each weight from, in nn::EncoderWeights' layout;
/// training refers to its tensors by these names (train/body). A LayerNorm's
/// names may be TensorFlow's gamma/beta; q, k and v are separate tensors.
struct LinearNames {
  std::string weight, bias;
};
struct EncoderLayerNames {
  LinearNames query, key, value, attention_output;
  LinearNames attention_norm;
  LinearNames intermediate, output;
  LinearNames output_norm;
};
struct EncoderWeightNames {
  std::string word_embeddings;
  std::string position_embeddings;     ///< "" when generated (DistilBERT's sinusoidal table)
  std::string token_type_embeddings;   ///< "" when the family has none
  LinearNames embedding_norm;
  std::vector<EncoderLayerNames> layers;
  std::string relative_attention_bias;   ///< "" when the family has none
};

/// Fetches every weight the spec names from the reader (choosing its prefix),
/// checking its shape, as plain row-major float32 with q, k and v stacked.
/// `names`, when given, receives where each came from. ModelLoadError naming
/// the file and the tensor.
nn::EncoderWeights read_encoder_weights(nn::WeightReader& weights, const ModelSpec& spec,
                                        EncoderWeightNames* names = nullptr);

/// read_encoder_weights, then the (packed) inference encoder.
nn::TransformerEncoder load_encoder(nn::WeightReader& weights, const ModelSpec& spec);

}  // namespace emb::models
