#pragma once
// One parametrised transformer encoder for every BERT-like family (STYLE.md
// convention 8): BERT, RoBERTa, MPNet and DistilBERT differ only in the
// fields of EncoderConfig and in the weight names used to fill
// EncoderWeights (src/models/). The forward pass never asks which family it
// runs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/quantized_gemm.h"

namespace emb::nn {

/// How the four products of each layer run (attention, LayerNorm and the
/// activations stay float32 either way).
enum class Precision {
  Float32,   ///< bitwise batch-independent, within 1e-4 of PyTorch
  Int8,      ///< quantized_gemm.h: int8 weights, uint8 rows (VNNI); still batch-independent. The first
             ///< layer's query/key/value product stays float32 (FirstProjection: no product per token).
};

struct EncoderConfig {
  std::size_t vocab_size = 0;
  std::size_t hidden_size = 0;
  std::size_t num_layers = 0;
  std::size_t num_heads = 0;
  std::size_t intermediate_size = 0;
  std::size_t max_position_embeddings = 0;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::GeluErf;
  /// < 0: positions 0, 1, … (BERT, DistilBERT). ≥ 0: positions counted from
  /// padding_idx + 1, and a token whose id is padding_idx gets position
  /// padding_idx (RoBERTa's create_position_ids_from_input_ids, MPNet).
  int padding_idx = -1;
  /// BERT and RoBERTa add token-type embedding 0 to every token (single texts).
  bool token_type_embeddings = false;
  /// MPNet: relative-position buckets shared by all layers (0 = none).
  std::size_t relative_attention_buckets = 0;
  std::size_t relative_attention_max_distance = 128;
  /// Chosen by the caller (not config.json): the products' precision.
  Precision precision = Precision::Float32;

  /// Positions a sequence may use: max_position_embeddings less the offset.
  std::size_t max_tokens() const noexcept {
    const std::size_t offset = padding_idx >= 0 ? static_cast<std::size_t>(padding_idx) + 1 : 0;
    return max_position_embeddings > offset ? max_position_embeddings - offset : 0;
  }
};

struct EncoderLayerWeights {
  Linear qkv;                 ///< query, key and value stacked: 3H × H
  Linear attention_output;    ///< H × H
  LayerNormWeights attention_norm;
  Linear intermediate;        ///< I × H, followed by the activation
  Linear output;              ///< H × I
  LayerNormWeights output_norm;
};

struct EncoderWeights {
  Matrix word_embeddings;       ///< vocab × H
  Matrix position_embeddings;   ///< max_position_embeddings × H
  std::vector<float> token_type_embedding;   ///< type 0's row (H values) or empty
  LayerNormWeights embedding_norm;
  std::vector<EncoderLayerWeights> layers;
  Matrix relative_attention_bias;   ///< buckets × heads, or empty
};

/// Scratch buffers of one forward pass; reuse one per thread so that the
/// steady state allocates nothing.
struct Workspace {
  Matrix qkv, context, projected, intermediate, scores, position_bias;
  std::vector<std::int32_t> positions;
  std::vector<std::size_t> offsets;
  /// Mean and 1/σ of each token's embedding sum, before its LayerNorm.
  std::vector<float> token_stats;
  /// The first layer's query/key/value products of words (see
  /// TransformerEncoder::FirstProjection), kept while the workspace lives
  /// (SentenceEncoder makes one per thread and encode() call) and dropped
  /// whole when they would pass word_cache_bytes or when another encoder
  /// uses the workspace: word_row[id] is the row of word_products holding
  /// word id's, or −1; cached_words lists the ids with a row.
  std::uint64_t word_cache_encoder = 0;
  std::vector<std::int32_t> word_row, cached_words, new_words;
  std::vector<float> word_products;
  Matrix gathered_words;
  std::size_t word_cache_bytes = std::size_t{16} << 20;
};

/// MPNet's bucket for a key at `relative = key − query` (transformers'
/// MPNetEncoder.relative_position_bucket).
std::size_t relative_position_bucket(std::int64_t relative, std::size_t num_buckets, std::size_t max_distance);

/// DistilBERT's sinusoidal position table (create_sinusoidal_embeddings).
Matrix sinusoidal_position_table(std::size_t positions, std::size_t dim);

class TransformerEncoder {
 public:
  /// Checks every weight's shape against the config (InvalidArgument).
  TransformerEncoder(EncoderConfig config, EncoderWeights weights);

  /// Token states of one sequence (no padding): out becomes T × hidden.
  /// The result depends only on `ids`, never on other sequences.
  /// Thread-safe for distinct workspaces.
  void forward(std::span<const std::int32_t> ids, Workspace& ws, Matrix& out) const;

  /// Token states of several sequences, rows concatenated in order (no
  /// padding): out becomes (Σ Tᵢ) × hidden, sequence i's rows starting at
  /// ws.offsets[i]. The linear layers run once over all rows (larger
  /// products), attention per sequence; each row is bitwise what forward()
  /// gives for its sequence alone.
  void forward_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws, Matrix& out) const;

  const EncoderConfig& config() const noexcept { return config_; }

  /// The first layer's query/key/value product runs once per word
  /// (FirstProjection) where its position table takes at most this: every
  /// 512-position model, not XLM-R's 8,194 positions, whose table would
  /// take ~100 MB and a product over every position at load. Other models
  /// run it per token, as the other layers.
  static constexpr std::size_t kFirstProjectionBytes = std::size_t{16} << 20;

 private:
  /// One product's weights, packed at load: float32 (gemm.h) or int8
  /// (quantized_gemm.h), as config().precision says.
  struct Product {
    PackedWeights f32;
    QuantizedWeights i8;
    void run(const float* x, std::size_t ldx, std::size_t m, float* y, std::size_t ldy, const Epilogue& epilogue,
             RowBlockHook hook = {}) const;
  };
  struct PackedLayer {
    Product qkv, attention_output, intermediate, output;
  };

  /// The first layer's query/key/value product without the product per
  /// token. Its input is LayerNorm(e), e = word + type + position, so that
  /// with μ and r = 1/σ of e, and W' = W·diag(γ):
  ///   qkv = r·(W'·word + W'·(type + position) − μ·W'·1) + (W·β + bias).
  /// W'·(type + position) is a table made at load, one row per position;
  /// W'·word is computed once per distinct word of a workspace's batches
  /// (the benchmark's 640 short texts: 18,192 tokens, 2,706 distinct
  /// words). Each token's row is a function of its word, position and e
  /// alone, so an embedding still never depends on its batch.
  /// Only where the position table takes at most kFirstProjectionBytes.
  struct FirstProjection {
    PackedWeights words;               ///< W', packed
    Matrix positions;                  ///< positions × 3H: W'·(type + position)
    std::vector<float> column_sums;    ///< W'·1
    std::vector<float> offsets;        ///< W·β + bias
  };
  static FirstProjection first_projection(const EncoderWeights& weights, std::size_t positions,
                                          PackedArena* arena);
  void first_qkv(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws) const;
  void positions_of(std::span<const std::int32_t> ids, std::vector<std::int32_t>& positions) const;
  /// Also writes each token's mean and 1/σ before the LayerNorm to stats.
  void embed(std::span<const std::int32_t> ids, Workspace& ws, float* out, float* stats) const;
  void fill_position_bias(std::size_t tokens, Workspace& ws) const;
  /// Self-attention of sequence i of forward_batch's, from ws.qkv into
  /// ws.context.
  void attend(std::span<const std::span<const std::int32_t>> sequences, std::size_t i, Workspace& ws) const;
  struct AttentionHook;

  EncoderConfig config_;
  EncoderWeights weights_;   ///< the layers' weight matrices are released once packed
  std::vector<PackedLayer> packed_;   ///< the first layer's qkv left empty where first_ does its work
  FirstProjection first_;            ///< empty (words.empty()) where the table would be too large
  std::uint64_t instance_;   ///< tells the encoders apart in a workspace's word cache
  /// bucket_of_offset_[(key − query) + max_tokens − 1], precomputed at load.
  std::vector<std::uint32_t> bucket_of_offset_;
};

}  // namespace emb::nn
