#pragma once
// The pre-LayerNorm transformer layers of CLIP's two towers (transformers'
// CLIPEncoderLayer): x += attention(LN₁(x)); x += fc₂(act(fc₁(LN₂(x)))),
// attention optionally causal (the text tower). TransformerEncoder
// (encoder.h) is BERT's post-LayerNorm layer, whose residual and norm are
// fused into the products' epilogues in the opposite order; the two share
// the packed products, the attention op and the kernels, not the layer.
//
// The layers run on hidden states the caller has embedded (token or patch
// embeddings): several sequences at once, their rows concatenated, the
// products over all rows and attention per sequence, so that each row is
// bitwise what the sequence alone would give.
#include <cstddef>
#include <span>
#include <vector>

#include "embetter/matrix.h"
#include "nn/encoder.h"
#include "nn/gemm.h"
#include "nn/ops.h"
#include "nn/quantized_gemm.h"

namespace emb::nn {

struct PreNormEncoderConfig {
  std::size_t hidden_size = 0;
  std::size_t num_layers = 0;
  std::size_t num_heads = 0;
  std::size_t intermediate_size = 0;
  float layer_norm_eps = 1e-5f;
  Activation activation = Activation::QuickGelu;
  /// Token i attends to tokens 0..i only (CLIP's text tower).
  bool causal = false;
  /// How the four products of each layer run (encoder.h's Precision).
  Precision precision = Precision::Float32;
};

struct PreNormLayerWeights {
  LayerNormWeights norm1;      ///< before attention
  Linear qkv;                  ///< query, key and value stacked: 3H × H
  Linear attention_output;     ///< H × H
  LayerNormWeights norm2;      ///< before the MLP
  Linear fc1;                  ///< I × H, followed by the activation
  Linear fc2;                  ///< H × I
};

class PreNormEncoder {
 public:
  /// Scratch of one forward pass; one per thread.
  struct Workspace {
    Matrix normed, qkv, context, projected, intermediate, scores, mask;
  };

  /// Checks every weight's shape against the config (InvalidArgument) and
  /// packs the products.
  PreNormEncoder(PreNormEncoderConfig config, std::vector<PreNormLayerWeights> layers);

  /// In place on x (rows × hidden): sequence i is rows [offsets[i],
  /// offsets[i + 1]) (offsets.front() = 0, offsets.back() = x.rows()).
  /// Thread-safe for distinct workspaces.
  void forward(Matrix& x, std::span<const std::size_t> offsets, Workspace& ws) const;

  const PreNormEncoderConfig& config() const noexcept { return config_; }

 private:
  struct Product {
    PackedWeights f32;
    QuantizedWeights i8;
    void run(const float* x, std::size_t ldx, std::size_t m, float* y, std::size_t ldy, const Epilogue& epilogue,
             RowBlockHook hook = {}) const;
  };
  struct Layer {
    LayerNormWeights norm1, norm2;
    std::vector<float> qkv_bias, attention_output_bias, fc1_bias, fc2_bias;
    Product qkv, attention_output, fc1, fc2;
  };

  PreNormEncoderConfig config_;
  std::vector<Layer> layers_;
};

}  // namespace emb::nn
