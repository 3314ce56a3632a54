// CLIP's vision tower (transformers' CLIPVisionTransformer + visual_projection).
#include <algorithm>

#include "embetter/error.h"
#include "models/clip.h"

namespace emb::models {

namespace {
nn::PreNormEncoderConfig with_precision(nn::PreNormEncoderConfig c, nn::Precision p) {
  c.precision = p;
  return c;
}
std::string vision_why(const ClipConfig& c) {
  return c.file.string() + " vision_config hidden_size " + std::to_string(c.vision.encoder.hidden_size);
}
}  // namespace

ClipVisionTower::ClipVisionTower(const nn::WeightReader& w, const ClipConfig& config, nn::Precision precision)
    : config_(config.vision),
      encoder_(with_precision(config.vision.encoder, precision),
               read_clip_layers(w, "vision_model.encoder.layers.", config.vision.encoder, vision_why(config))) {
  const auto& v = config_;
  const std::size_t h = v.encoder.hidden_size, p = v.patch_size;
  const std::string why = vision_why(config);
  const auto kernel = w.tensor(
      "vision_model.embeddings.patch_embedding.weight",
      {static_cast<std::int64_t>(h), static_cast<std::int64_t>(v.num_channels), static_cast<std::int64_t>(p),
       static_cast<std::int64_t>(p)},
      why + ", num_channels " + std::to_string(v.num_channels) + ", patch_size " + std::to_string(p));
  // Conv2d's out × in × kh × kw is already the product's out × (c, y, x).
  patch_embedding_ = nn::PackedWeights(kernel.data(), h, v.num_channels * p * p);
  class_embedding_ = w.vector("vision_model.embeddings.class_embedding", h, why);
  position_embedding_ = w.matrix("vision_model.embeddings.position_embedding.weight", v.num_patches() + 1, h,
                                 why + ", (image_size " + std::to_string(v.image_size) + " / patch_size " +
                                     std::to_string(p) + ")² + 1 positions");
  // (sic) transformers' name for the LayerNorm before the layers.
  pre_norm_ = {w.vector("vision_model.pre_layrnorm.weight", h, why),
               w.vector("vision_model.pre_layrnorm.bias", h, why)};
  post_norm_ = {w.vector("vision_model.post_layernorm.weight", h, why),
                w.vector("vision_model.post_layernorm.bias", h, why)};
  const Matrix projection = w.matrix("visual_projection.weight", config.projection_dim, h,
                                     why + ", projection_dim " + std::to_string(config.projection_dim));
  projection_ = nn::PackedWeights(projection.data(), projection.rows(), projection.cols());
}

void ClipVisionTower::embed_batch(const float* pixels, std::size_t n, Workspace& ws,
                                  std::span<float* const> outputs) const {
  EMB_CHECK(outputs.size() == n, "ClipVisionTower: ", outputs.size(), " outputs for ", n, " images");
  if (n == 0) return;
  const auto& v = config_;
  const std::size_t h = v.encoder.hidden_size, p = v.patch_size, s = v.image_size, g = v.grid();
  const std::size_t patches = v.num_patches(), patch_len = v.num_channels * p * p, tokens = patches + 1;
  // Each patch as one row of C·p·p values in the kernel's (c, y, x) order; a
  // remainder of the image past the last whole patch is not seen (stride p).
  ws.patches.resize(n * patches, patch_len);
  for (std::size_t i = 0; i < n; ++i) {
    const float* image = pixels + i * pixels_per_image();
    for (std::size_t gy = 0; gy < g; ++gy)
      for (std::size_t gx = 0; gx < g; ++gx) {
        float* row = ws.patches.data() + ((i * g + gy) * g + gx) * patch_len;
        for (std::size_t c = 0; c < v.num_channels; ++c)
          for (std::size_t y = 0; y < p; ++y)
            std::copy_n(image + (c * s + gy * p + y) * s + gx * p, p, row + (c * p + y) * p);
      }
  }
  ws.patch_states.resize(n * patches, h);
  nn::gemm_packed(ws.patches.data(), patch_len, n * patches, patch_embedding_, ws.patch_states.data(), h);
  ws.hidden.resize(n * tokens, h);
  ws.offsets.resize(n + 1);
  for (std::size_t i = 0; i <= n; ++i) ws.offsets[i] = i * tokens;
  for (std::size_t i = 0; i < n; ++i) {
    float* x = ws.hidden.data() + i * tokens * h;
    const float* pos = position_embedding_.data();
    for (std::size_t j = 0; j < h; ++j) x[j] = class_embedding_[j] + pos[j];
    for (std::size_t t = 1; t < tokens; ++t) {
      const float* patch = ws.patch_states.data() + (i * patches + t - 1) * h;
      for (std::size_t j = 0; j < h; ++j) x[t * h + j] = patch[j] + pos[t * h + j];
    }
  }
  nn::layer_norm(ws.hidden, pre_norm_, v.encoder.layer_norm_eps);
  encoder_.forward(ws.hidden, ws.offsets, ws.encoder);
  ws.pooled.resize(n, h);
  for (std::size_t i = 0; i < n; ++i) std::copy_n(ws.hidden.data() + i * tokens * h, h, ws.pooled.data() + i * h);
  nn::layer_norm(ws.pooled, post_norm_, v.encoder.layer_norm_eps);
  ws.projected.resize(n, dim());
  nn::gemm_packed(ws.pooled.data(), h, n, projection_, ws.projected.data(), dim());
  for (std::size_t i = 0; i < n; ++i) std::copy_n(ws.projected.data() + i * dim(), dim(), outputs[i]);
}

}  // namespace emb::models
