#pragma once
// A sentence-transformers model whose transformer is trained: forward keeps
// what backward needs, backward adds d(loss)/d(parameter) to every
// parameter's gradient (issue 17). The same families as inference (BERT,
// RoBERTa, MPNet, DistilBERT: nn::EncoderConfig) with the weights kept as
// plain row-major float32 rather than packed, then Pooling, Dense and
// Normalize as sentence-transformers runs them.
//
// Linear layers run over the rows of all sequences at once (sequences are
// unpadded and concatenated, as TransformerEncoder::forward_batch does);
// attention runs per sequence and head on emb::num_threads() threads (see
// attention.h). Memory per layer of the tape is O(tokens · (hidden +
// intermediate)): attention probabilities are recomputed in backward.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "embetter/matrix.h"
#include "models/model_spec.h"
#include "nn/encoder.h"
#include "nn/pooling.h"
#include "train/body/attention.h"
#include "train/body/parameter.h"
#include "train/body/sentence_head.h"

namespace emb::train::body {

/// Dropout as in training mode. p = 0 turns a kind off. The masks are a
/// function of (seed, which tensor, element index) only (dropout_mask.h), so
/// they do not depend on the number of threads.
struct Dropout {
  float hidden = 0.f;      ///< after the embedding LayerNorm, the attention output and the FFN output
  float attention = 0.f;   ///< on the attention probabilities
  std::uint64_t seed = 0;
};

class SentenceBody {
 public:
  /// A sentence-transformers folder (what encoders::SentenceModel::load
  /// reads: modules.json, Transformer, Pooling, Dense, Normalize), weights
  /// kept as plain row-major float32 (not packed), with zeroed gradients.
  /// ModelLoadError / NotSupportedError as SentenceModel::load.
  static SentenceBody load(const std::filesystem::path& folder);

  /// Embedding size after all modules.
  std::size_t dim() const noexcept { return dim_; }
  /// As SentenceModel::max_seq_length().
  std::size_t max_seq_length() const noexcept { return max_seq_length_; }
  const models::ModelSpec& spec() const noexcept { return spec_; }
  /// config.json's hidden_dropout_prob (DistilBERT: dropout).
  float hidden_dropout() const noexcept { return spec_.hidden_dropout; }
  /// config.json's attention_probs_dropout_prob (DistilBERT: attention_dropout).
  float attention_dropout() const noexcept { return spec_.attention_dropout; }

  /// What backward needs from one forward; reusable across steps (its
  /// buffers keep their capacity). Defined below.
  class Tape;

  /// Embeddings (rows = sequences, dim() columns) of a batch of unpadded
  /// token-id sequences, keeping what backward needs in `tape`. dropout null
  /// = off (eval mode). Equals SentenceModel::embed within ~1e-5.
  /// InvalidArgument for an empty batch or sequence, a sequence longer than
  /// the model's positions, a token id outside the vocabulary, or a dropout
  /// probability outside [0, 1].
  void forward(std::span<const std::span<const std::int32_t>> sequences, const Dropout* dropout, Tape& tape,
               Matrix& embeddings) const;

  /// Adds d(loss)/d(parameter) to every parameter's gradient given
  /// d(loss)/d(embeddings) (same shape as forward's output). The tape stays
  /// valid (a second call adds the same gradients again). InvalidArgument
  /// when the tape holds no forward of this model or d_embeddings has
  /// another shape.
  void backward(Tape& tape, const Matrix& d_embeddings);

  /// Every trainable tensor with the address of its checkpoint tensor
  /// (parameter.h). The spans stay valid as long as this object lives.
  std::vector<ParameterRef> parameters();
  void zero_grad();

 private:
  void embed(std::span<const std::span<const std::int32_t>> sequences, const Dropout* dropout, Tape& tape) const;
  void layer_forward(std::size_t l, Tape& tape) const;
  void layer_backward(std::size_t l, Tape& tape);
  void embedding_backward(Tape& tape);
  void layer_input(std::size_t l, const Tape& tape, float* out) const;
  DropoutMask hidden_mask(const Tape& tape, DropoutSite site, std::size_t layer) const;
  AttentionBatch attention_batch(std::size_t l, const Tape& tape) const;

  models::ModelSpec spec_;
  models::EncoderWeightNames names_;
  nn::EncoderWeights weights_, grads_;
  /// DistilBERT's sinusoidal table (sinusoidal_pos_embds) stays fixed, as
  /// transformers 4 froze it (requires_grad = False). transformers 5.25
  /// leaves it trainable (its init writes the table into a copy), which
  /// looks unintended; the table may not even be in the checkpoint.
  bool positions_trainable_ = true;
  std::string transformer_file_;   ///< the transformer's weights, relative to the folder
  std::vector<nn::PoolingMode> pooling_;
  std::vector<HeadStep> steps_;
  std::vector<std::string> step_files_;   ///< each Dense step's weights file, relative ("" for Normalize)
  /// MPNet: bucket of key − query + max_tokens − 1 (as nn::TransformerEncoder).
  std::vector<std::uint32_t> bucket_of_offset_;
  std::size_t dim_ = 0;
  std::size_t max_seq_length_ = 0;
};

class SentenceBody::Tape {
 public:
  /// Sequences of the last forward (0 before any).
  std::size_t sequences() const noexcept { return offsets_.empty() ? 0 : offsets_.size() - 1; }

 private:
  friend class SentenceBody;
  /// What one layer's backward reads: the rest is recomputed from these.
  struct Layer {
    Matrix qkv;                         ///< rows × 3H, bias included
    Matrix norm1, norm2;                ///< rows × H: x̂ of the attention and output LayerNorms
    std::vector<float> rstd1, rstd2;    ///< their 1 / σ per row
    Matrix inter;                       ///< rows × I: the FFN's pre-activation
  };
  std::vector<std::int32_t> ids_, positions_;   ///< all sequences, concatenated
  std::vector<std::size_t> offsets_;            ///< sequence i's rows: [offsets_[i], offsets_[i + 1])
  std::vector<std::size_t> probability_offsets_;   ///< first attention-dropout index of each sequence
  Dropout dropout_;                             ///< all zero: off
  std::size_t hidden_ = 0, layer_count_ = 0, dim_ = 0;
  Matrix norm0_;                                ///< rows × H: x̂ of the embedding LayerNorm
  std::vector<float> rstd0_;
  std::vector<Layer> layers_;
  HeadTape head_;
  // Scratch of forward and backward, kept for their capacity.
  Matrix hidden_state_, context_, projected_, ffn_;
  Matrix d_hidden_, d_residual_, d_projected_, input_, d_qkv_, d_context_;
  AttentionScratch attention_;
};

}  // namespace emb::train::body
