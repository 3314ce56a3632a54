#pragma once
// A sentence-transformers folder without its tokenizer: the transformer, the
// Pooling, then Dense and Normalize modules in modules.json's order. It maps
// one token sequence to one sentence embedding, independently of any other
// sequence. SentenceEncoder (include/embetter/sentence_encoder.h) puts the
// tokenizer and the batching in front of it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "models/model_spec.h"
#include "nn/encoder.h"
#include "nn/pooling.h"

namespace emb::encoders {

/// A sentence-transformers folder as modules.json describes it, read and
/// checked, all but the transformer's weights (which inference packs and
/// training keeps as plain matrices: train/body/sentence_body.h).
struct SentenceModules {
  struct Step {   // one module after pooling
    bool normalize = false;
    nn::Linear dense;
    nn::Activation activation = nn::Activation::Identity;
    /// The Dense module's folder (its weights: folder / "model.safetensors").
    std::filesystem::path folder;
  };
  /// The folder holding the transformer and its tokenizer files.
  std::filesystem::path transformer_folder;
  /// Its weights file (find_weights).
  std::filesystem::path transformer_weights;
  models::ModelSpec spec;
  std::vector<nn::PoolingMode> pooling;
  std::vector<Step> steps;
  /// Values per embedding after all modules.
  std::size_t dim = 0;
  /// As SentenceModel::max_seq_length().
  std::size_t max_seq_length = 0;
  bool do_lower_case = false;
};

/// Reads modules.json (both layouts), config.json, the Pooling, Dense and
/// Normalize modules, as SentenceModel::load does (its errors too).
SentenceModules read_sentence_modules(const std::filesystem::path& folder);

class SentenceModel {
 public:
  /// Scratch buffers for one thread.
  struct Workspace {
    nn::Workspace encoder;
    Matrix tokens, vector_a, vector_b;
  };

  /// Reads modules.json (both layouts), config.json, the Pooling, Dense and
  /// Normalize modules and model.safetensors. A folder without modules.json
  /// is a plain transformers model: mean pooling, as sentence-transformers
  /// does. ModelLoadError / NotSupportedError naming the file otherwise.
  /// `precision`: how the transformer's products run (nn::Precision).
  static SentenceModel load(const std::filesystem::path& folder, nn::Precision precision = nn::Precision::Float32);

  /// Token states of one sequence (T × hidden).
  void token_embeddings(std::span<const std::int32_t> ids, Workspace& ws, Matrix& out) const;
  /// The sentence embedding of one sequence: out holds dim() values.
  void embed(std::span<const std::int32_t> ids, Workspace& ws, std::span<float> out) const;
  /// The embeddings of several sequences computed together (one product per
  /// layer over all their tokens): outputs[i] receives sequence i's dim()
  /// values, bitwise what embed() gives for it alone.
  void embed_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws,
                   std::span<float* const> outputs) const;

  std::size_t dim() const noexcept { return dim_; }
  /// Tokens per text the model accepts (sentence_bert_config.json, else
  /// tokenizer_config.json, capped by the positions the encoder has).
  std::size_t max_seq_length() const noexcept { return max_seq_length_; }
  /// The most tokens the encoder itself can take.
  std::size_t max_positions() const noexcept { return encoder_->config().max_tokens(); }
  /// Rows of the word-embedding table: token ids must stay below this.
  std::size_t vocab_rows() const noexcept { return encoder_->config().vocab_size; }
  /// sentence_bert_config.json's do_lower_case: lowercase texts before tokenizing.
  bool do_lower_case() const noexcept { return do_lower_case_; }
  /// The folder holding the transformer and its tokenizer files.
  const std::filesystem::path& transformer_folder() const noexcept { return transformer_folder_; }
  const models::ModelSpec& spec() const noexcept { return spec_; }

 private:
  void finish(const float* tokens, std::size_t t, Workspace& ws, float* out) const;

  using Step = SentenceModules::Step;

  std::filesystem::path transformer_folder_;
  models::ModelSpec spec_;
  std::shared_ptr<const nn::TransformerEncoder> encoder_;
  std::vector<nn::PoolingMode> pooling_;
  std::vector<Step> steps_;
  std::size_t dim_ = 0;
  std::size_t max_seq_length_ = 0;
  bool do_lower_case_ = false;
};

/// The weights file of a transformers folder: model.safetensors, else
/// pytorch_model.bin (torch.save's format, io/torch_checkpoint.h); a
/// ModelLoadError when it has neither or only sharded weights.
std::filesystem::path find_weights(const std::filesystem::path& folder, const char* what);

}  // namespace emb::encoders
