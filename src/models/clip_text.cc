// CLIP's text tower (transformers' CLIPTextTransformer + text_projection).
#include <algorithm>

#include "embetter/error.h"
#include "models/clip.h"

namespace emb::models {

namespace {
nn::PreNormEncoderConfig with_precision(nn::PreNormEncoderConfig c, nn::Precision p) {
  c.precision = p;
  return c;
}
std::string text_why(const ClipConfig& c) {
  return c.file.string() + " text_config hidden_size " + std::to_string(c.text.encoder.hidden_size);
}
}  // namespace

ClipTextTower::ClipTextTower(const nn::WeightReader& w, const ClipConfig& config, nn::Precision precision)
    : config_(config.text),
      token_embedding_(w.matrix("text_model.embeddings.token_embedding.weight", config.text.vocab_size,
                                config.text.encoder.hidden_size,
                                text_why(config) + ", vocab_size " + std::to_string(config.text.vocab_size))),
      position_embedding_(w.matrix("text_model.embeddings.position_embedding.weight",
                                   config.text.max_position_embeddings, config.text.encoder.hidden_size,
                                   text_why(config) + ", max_position_embeddings " +
                                       std::to_string(config.text.max_position_embeddings))),
      encoder_(with_precision(config.text.encoder, precision),
               read_clip_layers(w, "text_model.encoder.layers.", config.text.encoder, text_why(config))) {
  const std::size_t h = config_.encoder.hidden_size;
  const std::string why = text_why(config);
  final_norm_ = {w.vector("text_model.final_layer_norm.weight", h, why),
                 w.vector("text_model.final_layer_norm.bias", h, why)};
  const Matrix projection = w.matrix("text_projection.weight", config.projection_dim, h,
                                     why + ", projection_dim " + std::to_string(config.projection_dim));
  projection_ = nn::PackedWeights(projection.data(), projection.rows(), projection.cols());
}

std::size_t ClipTextTower::pooled_position(std::span<const std::int32_t> ids) const {
  if (config_.legacy_eos) {
    // torch.argmax: the first of equal maxima.
    return static_cast<std::size_t>(std::max_element(ids.begin(), ids.end()) - ids.begin());
  }
  const auto it = std::find(ids.begin(), ids.end(), config_.eos_token_id);
  // (ids == eos).int().argmax(): position 0 when no token is eos.
  return it == ids.end() ? 0 : static_cast<std::size_t>(it - ids.begin());
}

void ClipTextTower::embed_batch(std::span<const std::span<const std::int32_t>> sequences, Workspace& ws,
                                std::span<float* const> outputs) const {
  EMB_CHECK(outputs.size() == sequences.size(), "ClipTextTower: ", outputs.size(), " outputs for ",
            sequences.size(), " sequences");
  const std::size_t n = sequences.size(), h = config_.encoder.hidden_size;
  if (n == 0) return;
  ws.offsets.assign(1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto ids = sequences[i];
    EMB_CHECK(!ids.empty(), "ClipTextTower: sequence ", i, " has no tokens");
    EMB_CHECK(ids.size() <= config_.max_position_embeddings, "ClipTextTower: sequence ", i, " has ", ids.size(),
              " tokens, more than the model's ", config_.max_position_embeddings, " positions; truncate it");
    ws.offsets.push_back(ws.offsets.back() + pooled_position(ids) + 1);
  }
  ws.hidden.resize(ws.offsets.back(), h);
  for (std::size_t i = 0; i < n; ++i) {
    const auto ids = sequences[i];
    for (std::size_t t = 0; t < ws.offsets[i + 1] - ws.offsets[i]; ++t) {
      const std::int32_t id = ids[t];
      EMB_CHECK(id >= 0 && static_cast<std::size_t>(id) < config_.vocab_size, "ClipTextTower: token id ", id,
                " at position ", t, " is outside the vocabulary of ", config_.vocab_size);
      nn::embedding_row(ws.hidden.data() + (ws.offsets[i] + t) * h,
                        token_embedding_.data() + static_cast<std::size_t>(id) * h, nullptr,
                        position_embedding_.data() + t * h, h);
    }
  }
  encoder_.forward(ws.hidden, ws.offsets, ws.encoder);
  // The pooled token is each sequence's last row here.
  ws.pooled.resize(n, h);
  for (std::size_t i = 0; i < n; ++i)
    std::copy_n(ws.hidden.data() + (ws.offsets[i + 1] - 1) * h, h, ws.pooled.data() + i * h);
  nn::layer_norm(ws.pooled, final_norm_, config_.encoder.layer_norm_eps);
  // The packed product: each row's sums in a fixed order, whatever n is.
  ws.projected.resize(n, dim());
  nn::gemm_packed(ws.pooled.data(), h, n, projection_, ws.projected.data(), dim());
  for (std::size_t i = 0; i < n; ++i) std::copy_n(ws.projected.data() + i * dim(), dim(), outputs[i]);
}

}  // namespace emb::models
