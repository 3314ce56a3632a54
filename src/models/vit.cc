// timm's Vision Transformer (models/vit.h).
#include "models/vit.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::models {
namespace {

using Json = nlohmann::json;

// timm 1.0.31's registered plain ViTs: VisionTransformer with only
// patch_size, embed_dim, depth, num_heads (and mlp_ratio) set by the entrypoint.
constexpr std::string_view kVitNames[] = {
    "vit_tiny_patch16_224",  "vit_tiny_patch16_384",  "vit_small_patch32_224", "vit_small_patch32_384",
    "vit_small_patch16_224", "vit_small_patch16_384", "vit_small_patch8_224",  "vit_base_patch32_224",
    "vit_base_patch32_384",  "vit_base_patch16_224",  "vit_base_patch16_384",  "vit_base_patch8_224",
    "vit_large_patch32_224", "vit_large_patch32_384", "vit_large_patch16_224", "vit_large_patch16_384",
    "vit_large_patch14_224", "vit_huge_patch14_224",  "vit_giant_patch14_224",
};

// The entrypoints' num_heads.
std::size_t heads_of(const std::string& architecture) {
  const std::string size = architecture.substr(4, architecture.find('_', 4) - 4);
  if (size == "tiny") return 3;
  if (size == "small") return 6;
  if (size == "base") return 12;
  return 16;  // large, huge, giant
}

std::string excerpt(const Json& j) { return io::json_excerpt(j); }

// model_args keys that do not change what the eval forward pass computes
// (dropout rates, initialisation) or whose value the weights' shapes give.
constexpr std::string_view kIgnoredArgs[] = {
    "embed_dim", "depth", "patch_size", "mlp_ratio", "num_classes", "in_chans", "drop_rate", "pos_drop_rate",
    "patch_drop_rate", "proj_drop_rate", "attn_drop_rate", "drop_path_rate", "weight_init", "fix_init",
    "pool_include_prefix", "init_values"};

struct ConfigReader {
  const std::filesystem::path& file;
  std::string where(const std::string& key) const { return file.string() + ": model_args." + key; }
  bool boolean(const Json& v, const std::string& key) const {
    EMB_CHECK_AS(ModelLoadError, v.is_boolean(), where(key), " must be true or false, got ", excerpt(v));
    return v.get<bool>();
  }
  // A switch whose only value we build: NotSupportedError naming what the value means.
  void require(const Json& v, const std::string& key, const Json& built, const char* what) const {
    EMB_CHECK_AS(NotSupportedError, v == built, where(key), " is ", excerpt(v), " (", what,
                 "); TimmEncoder builds ViTs with ", key, "=", excerpt(built), " only");
  }
  // `location`: the key's path in config.json, e.g. "model_args.num_heads".
  std::size_t positive(const Json& v, const std::string& location) const {
    EMB_CHECK_AS(ModelLoadError, v.is_number_integer() && v.get<std::int64_t>() > 0 && v.get<std::int64_t>() <= 65536,
                 file.string(), ": ", location, " must be a positive integer, got ", excerpt(v));
    return v.get<std::size_t>();
  }
};

}  // namespace

bool is_timm_vit(const std::string& architecture) {
  return std::ranges::find(kVitNames, std::string_view(architecture)) != std::end(kVitNames);
}

VitConfig read_timm_vit_config(const Json& config, const std::filesystem::path& config_json,
                                const std::string& architecture) {
  EMB_CHECK_AS(NotSupportedError, is_timm_vit(architecture), "ViT: architecture '", architecture,
               "' is not one of timm's plain ViTs (models/timm_families.cc lists what TimmEncoder builds)");
  VitConfig c;
  c.architecture = architecture;
  c.file = config_json;
  c.num_heads = heads_of(architecture);
  EMB_CHECK_AS(ModelLoadError, config.is_object(), config_json.string(), ": expected a JSON object");
  const ConfigReader r{config_json};
  const Json no_args = Json::object();
  const Json& args = config.contains("model_args") ? config["model_args"] : no_args;
  EMB_CHECK_AS(ModelLoadError, args.is_object(), config_json.string(), ": model_args must be an object, got ",
               excerpt(args));
  const Json no_cfg = Json::object();
  const Json& pretrained = config.contains("pretrained_cfg") ? config["pretrained_cfg"] : no_cfg;
  EMB_CHECK_AS(ModelLoadError, pretrained.is_object(), config_json.string(), ": pretrained_cfg must be an object");

  // img_size: model_args', else pretrained_cfg's input_size when fixed_input_size
  // (timm's _update_default_model_kwargs), else VisionTransformer's 224.
  const auto size_of = [&](const Json& v, const std::string& where) {
    if (v.is_number_integer()) {
      const std::size_t s = r.positive(v, where);
      return std::pair{s, s};
    }
    EMB_CHECK_AS(ModelLoadError, v.is_array() && v.size() == 2, config_json.string(), ": ", where,
                 " must be an integer or [height, width], got ", excerpt(v));
    return std::pair{r.positive(v[0], where), r.positive(v[1], where)};
  };
  std::pair<std::size_t, std::size_t> img{224, 224};
  const bool fixed = pretrained.contains("fixed_input_size") && pretrained["fixed_input_size"] == true;
  const bool has_input_size = pretrained.contains("input_size") && pretrained["input_size"].is_array() &&
                              pretrained["input_size"].size() == 3;
  if (args.contains("img_size") && !args["img_size"].is_null())
    img = size_of(args["img_size"], "model_args.img_size");
  else if (fixed && has_input_size)
    img = {r.positive(pretrained["input_size"][1], "pretrained_cfg.input_size"),
           r.positive(pretrained["input_size"][2], "pretrained_cfg.input_size")};
  c.img_height = img.first;
  c.img_width = img.second;
  if (has_input_size) {
    // What TimmEncoder feeds the model; position embeddings are not resampled here.
    const Json& s = pretrained["input_size"];
    EMB_CHECK_AS(NotSupportedError, s[1] == c.img_height && s[2] == c.img_width, config_json.string(),
                 ": pretrained_cfg.input_size is ", excerpt(s), " but the model's img_size is ", c.img_height, "x",
                 c.img_width, "; resampling the position embeddings (timm's dynamic_img_size) is not supported");
  }

  // global_pool: model_args', else pretrained_cfg's (a default kwarg in timm),
  // else 'token'; the top-level one save_for_hf writes is the saved model's.
  for (const Json* pool : {args.contains("global_pool") ? &args["global_pool"] : nullptr,
                           pretrained.contains("global_pool") ? &pretrained["global_pool"] : nullptr,
                           config.contains("global_pool") ? &config["global_pool"] : nullptr})
    if (pool)
      EMB_CHECK_AS(NotSupportedError, *pool == "token", config_json.string(), ": global_pool is ", excerpt(*pool),
                   "; TimmEncoder builds ViTs with class-token pooling ('token') only");

  for (const auto& [key, v] : args.items()) {
    if (key == "img_size" || key == "global_pool" ||
        std::ranges::find(kIgnoredArgs, std::string_view(key)) != std::end(kIgnoredArgs))
      continue;
    if (key == "num_heads") c.num_heads = r.positive(v, "model_args.num_heads");
    else if (key == "qkv_bias") c.qkv_bias = r.boolean(v, key);
    else if (key == "proj_bias") c.proj_bias = r.boolean(v, key);
    else if (key == "pre_norm") c.pre_norm = r.boolean(v, key);
    else if (key == "final_norm") c.final_norm = r.boolean(v, key);
    else if (key == "fc_norm") c.fc_norm = !v.is_null() && r.boolean(v, key);
    else if (key == "class_token") r.require(v, key, true, "no class token");
    else if (key == "reg_tokens") r.require(v, key, 0, "register tokens");
    else if (key == "no_embed_class") r.require(v, key, false, "no position embedding for the class token");
    else if (key == "pos_embed") r.require(v, key, "learn", "position embeddings");
    else if (key == "qk_norm") r.require(v, key, false, "LayerNorm on queries and keys");
    else if (key == "scale_attn_norm") r.require(v, key, false, "LayerNorm before attn.proj");
    else if (key == "scale_mlp_norm") r.require(v, key, false, "LayerNorm inside the MLP");
    else if (key == "dynamic_img_size") r.require(v, key, false, "position embeddings resampled to the input");
    else if (key == "dynamic_img_pad") r.require(v, key, false, "inputs padded to whole patches");
    else if (key == "use_naflex") r.require(v, key, false, "NaFlexVit");
    else if (key == "act_layer" || key == "norm_layer" || key == "embed_norm_layer") {
      EMB_CHECK_AS(NotSupportedError, v.is_null(), r.where(key), " is ", excerpt(v),
                   "; TimmEncoder builds ViTs with timm's defaults only (GELU, LayerNorm eps 1e-6, no patch norm)");
    } else {
      throw NotSupportedError(r.where(key) + " is not supported by TimmEncoder's ViT (a VisionTransformer argument "
                              "it does not build); value " + excerpt(v));
    }
  }
  return c;
}

namespace {

// LayerScale (timm's ls1 / ls2: x + γ ⊙ f(x)) folded into the last product of
// f: γ ⊙ (W y + b) = (diag(γ) W) y + γ ⊙ b.
void fold_layer_scale(nn::Linear& l, const std::vector<float>& gamma) {
  for (std::size_t o = 0; o < l.weight.rows(); ++o) {
    for (std::size_t i = 0; i < l.weight.cols(); ++i) l.weight(o, i) *= gamma[o];
    l.bias[o] *= gamma[o];
  }
}

// Weights of variants we do not build, which model_args may not say (older exports).
void reject_other_variants(const nn::WeightReader& w) {
  const std::pair<const char*, const char*> others[] = {
      {"reg_token", "register tokens"},
      {"attn_pool.latent", "attention pooling (global_pool 'map')"},
      {"attn_pool.q.weight", "attention pooling (global_pool 'prr')"},
      {"blocks.0.attn.q_norm.weight", "qk_norm"},
      {"blocks.0.attn.norm.weight", "scale_attn_norm"},
      {"blocks.0.attn.gate.weight", "gated attention"},
      {"blocks.0.mlp.norm.weight", "scale_mlp_norm"},
      {"blocks.0.mlp.fc1_g.weight", "a gated MLP (SwiGLU)"},
      {"blocks.0.mlp.fc1_x.weight", "a gated MLP (SwiGLU)"},
      {"patch_embed.norm.weight", "a LayerNorm in the patch embedding"},
  };
  for (const auto& [name, what] : others)
    EMB_CHECK_AS(NotSupportedError, !w.contains(name), w.path().string(), ": has '", name, "' (", what,
                 "), which TimmEncoder's ViT does not build");
  EMB_CHECK_AS(NotSupportedError, w.contains("cls_token"), w.path().string(),
               ": no 'cls_token' (a ViT without a class token), which TimmEncoder's ViT does not build");
}

struct Shapes {
  std::size_t hidden = 0, depth = 0, inter = 0, patch = 0;
};

Shapes shapes_of(const nn::WeightReader& w) {
  reject_other_variants(w);
  Shapes s;
  const auto proj = w.shape("patch_embed.proj.weight", "timm's PatchEmbed: embed_dim x 3 x patch x patch");
  EMB_CHECK_AS(ModelLoadError, proj.size() == 4 && proj[0] > 0 && proj[1] == 3 && proj[2] > 0 && proj[2] == proj[3],
               w.path().string(), ": 'patch_embed.proj.weight' should be embed_dim x 3 x patch x patch");
  s.hidden = static_cast<std::size_t>(proj[0]);
  s.patch = static_cast<std::size_t>(proj[2]);
  while (w.contains("blocks." + std::to_string(s.depth) + ".norm1.weight")) ++s.depth;
  EMB_CHECK_AS(ModelLoadError, s.depth > 0, w.path().string(), ": no 'blocks.0.norm1.weight'; not a timm ViT");
  const auto fc1 = w.shape("blocks.0.mlp.fc1.weight", "timm's Mlp: hidden x embed_dim");
  EMB_CHECK_AS(ModelLoadError, fc1.size() == 2 && fc1[0] > 0, w.path().string(),
               ": 'blocks.0.mlp.fc1.weight' should be 2-D");
  s.inter = static_cast<std::size_t>(fc1[0]);
  return s;
}

nn::PreNormEncoder read_blocks(const nn::WeightReader& w, const VitConfig& c) {
  const Shapes s = shapes_of(w);
  const std::size_t h = s.hidden, inter = s.inter;
  const std::string why = "patch_embed.proj.weight's embed_dim " + std::to_string(h);
  const std::string ffn = why + ", blocks.0.mlp.fc1.weight's hidden size " + std::to_string(inter);
  EMB_CHECK_AS(ModelLoadError, c.num_heads > 0 && h % c.num_heads == 0, w.path().string(), ": embed_dim ", h,
               " is not a multiple of num_heads ", c.num_heads, " (", c.file.string(),
               " model_args.num_heads, else the architecture name's)");
  const bool layer_scale = w.contains("blocks.0.ls1.gamma");
  auto linear = [&](const std::string& name, std::size_t out, std::size_t in, bool bias, const std::string& e) {
    nn::Linear l{w.matrix(name + ".weight", out, in, e), std::vector<float>(out, 0.0f)};
    if (bias) l.bias = w.vector(name + ".bias", out, e);
    return l;
  };
  auto norm = [&](const std::string& name) {
    return nn::LayerNormWeights{w.vector(name + ".weight", h, why), w.vector(name + ".bias", h, why)};
  };
  std::vector<nn::PreNormLayerWeights> layers(s.depth);
  for (std::size_t i = 0; i < s.depth; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    auto& l = layers[i];
    l.norm1 = norm(p + "norm1");
    // timm's qkv rows are q, k, v, each heads × head_dim: PreNormEncoder's layout.
    l.qkv = linear(p + "attn.qkv", 3 * h, h, c.qkv_bias, why);
    l.attention_output = linear(p + "attn.proj", h, h, c.proj_bias, why);
    l.norm2 = norm(p + "norm2");
    l.fc1 = linear(p + "mlp.fc1", inter, h, c.proj_bias, ffn);
    l.fc2 = linear(p + "mlp.fc2", h, inter, c.proj_bias, ffn);
    if (layer_scale) {
      fold_layer_scale(l.attention_output, w.vector(p + "ls1.gamma", h, why + " (LayerScale)"));
      fold_layer_scale(l.fc2, w.vector(p + "ls2.gamma", h, why + " (LayerScale)"));
    }
  }
  nn::PreNormEncoderConfig ec;
  ec.hidden_size = h;
  ec.num_layers = s.depth;
  ec.num_heads = c.num_heads;
  ec.intermediate_size = inter;
  ec.layer_norm_eps = 1e-6f;  // timm.layers.LayerNorm's default
  ec.activation = nn::Activation::GeluErf;  // nn.GELU()
  return nn::PreNormEncoder(ec, std::move(layers));
}

}  // namespace

Vit::Vit(const nn::WeightReader& w, const VitConfig& config, bool classifier)
    : config_(config), encoder_(read_blocks(w, config)) {
  const std::size_t h = num_features();
  patch_size_ = static_cast<std::size_t>(w.shape("patch_embed.proj.weight", "")[2]);
  const std::size_t p = patch_size_;
  const std::string why = "patch_embed.proj.weight's embed_dim " + std::to_string(h);
  EMB_CHECK_AS(ModelLoadError, grid_height() > 0 && grid_width() > 0, config_.file.string(), ": img_size ",
               config_.img_height, "x", config_.img_width, " is smaller than a patch (", p, " pixels)");
  const auto kernel = w.tensor("patch_embed.proj.weight",
                               {static_cast<std::int64_t>(h), 3, static_cast<std::int64_t>(p),
                                static_cast<std::int64_t>(p)},
                               why);
  // Conv2d's out × in × kh × kw is already the product's out × (c, y, x).
  patch_embedding_ = nn::PackedWeights(kernel.data(), h, 3 * p * p);
  patch_bias_ = config_.pre_norm ? std::vector<float>(h, 0.0f) : w.vector("patch_embed.proj.bias", h, why);
  class_token_ = w.tensor("cls_token", {1, 1, static_cast<std::int64_t>(h)}, why);
  const std::size_t patches = grid_height() * grid_width();
  const auto pos = w.shape("pos_embed", "1 x tokens x embed_dim");
  EMB_CHECK_AS(NotSupportedError, !(pos.size() == 3 && pos[1] == static_cast<std::int64_t>(patches)),
               w.path().string(), ": 'pos_embed' has ", patches,
               " positions, none for the class token (no_embed_class), which TimmEncoder's ViT does not build");
  const std::vector<float> positions =
      w.tensor("pos_embed", {1, static_cast<std::int64_t>(patches + 1), static_cast<std::int64_t>(h)},
               why + ", img_size " + std::to_string(config_.img_height) + "x" + std::to_string(config_.img_width) +
                   " in " + std::to_string(p) + "-pixel patches + the class token (" + config_.file.string() + ")");
  position_embedding_ = Matrix(patches + 1, h);
  std::ranges::copy(positions, position_embedding_.data());
  if (config_.pre_norm)
    pre_norm_ = {w.vector("norm_pre.weight", h, why), w.vector("norm_pre.bias", h, why)};
  else
    EMB_CHECK_AS(NotSupportedError, !w.contains("norm_pre.weight"), w.path().string(),
                 ": has 'norm_pre.weight' but ", config_.file.string(), " does not say model_args.pre_norm=true");
  // With class-token pooling, norm before the pooling and fc_norm after it
  // normalise the same row.
  const std::string final_name = config_.fc_norm ? "fc_norm" : "norm";
  EMB_CHECK_AS(NotSupportedError, config_.fc_norm || !w.contains("fc_norm.weight"), w.path().string(),
               ": has 'fc_norm.weight' (a LayerNorm after average pooling?) but ", config_.file.string(),
               " does not say model_args.fc_norm=true with global_pool 'token'");
  if (config_.final_norm)
    final_norm_ = {w.vector(final_name + ".weight", h, why), w.vector(final_name + ".bias", h, why)};
  if (classifier) {
    const auto shape = w.shape("head.weight", "num_classes x embed_dim");
    EMB_CHECK_AS(ModelLoadError, shape.size() == 2 && shape[0] > 0, w.path().string(),
                 ": 'head.weight' should be num_classes x embed_dim");
    const std::size_t classes = static_cast<std::size_t>(shape[0]);
    const Matrix head = w.matrix("head.weight", classes, h, why);
    head_ = nn::PackedWeights(head.data(), classes, h);
    head_bias_ = w.vector("head.bias", classes, why);
  }
}

Matrix Vit::features(std::span<const float> pixels, std::size_t n, std::size_t height, std::size_t width) const {
  const auto& c = config_;
  EMB_CHECK(height == c.img_height && width == c.img_width, "ViT: the images are ", height, "x", width,
            "; the model's img_size is ", c.img_height, "x", c.img_width,
            " (resampling the position embeddings, timm's dynamic_img_size, is not supported)");
  EMB_CHECK(pixels.size() == n * 3 * height * width, "ViT: ", pixels.size(), " pixel values for ", n,
            " images of 3 x ", height, " x ", width);
  const std::size_t h = num_features(), p = patch_size_, gh = grid_height(), gw = grid_width();
  const std::size_t patches = gh * gw, patch_len = 3 * p * p, tokens = patches + 1;
  Matrix out(n, h);
  if (n == 0) return out;
  // Each patch as one row of 3·p·p values in the kernel's (c, y, x) order; a
  // remainder of the image past the last whole patch is not seen (stride p).
  Matrix rows(n * patches, patch_len);
  for (std::size_t i = 0; i < n; ++i) {
    const float* image = pixels.data() + i * 3 * height * width;
    for (std::size_t gy = 0; gy < gh; ++gy)
      for (std::size_t gx = 0; gx < gw; ++gx) {
        float* row = rows.data() + ((i * gh + gy) * gw + gx) * patch_len;
        for (std::size_t ch = 0; ch < 3; ++ch)
          for (std::size_t y = 0; y < p; ++y)
            std::copy_n(image + (ch * height + gy * p + y) * width + gx * p, p, row + (ch * p + y) * p);
      }
  }
  Matrix patch_states(n * patches, h);
  nn::gemm_packed(rows.data(), patch_len, n * patches, patch_embedding_, patch_states.data(), h,
                  nn::Epilogue{patch_bias_.data()});
  // timm's _pos_embed: the class token before the patches, then + pos_embed.
  Matrix hidden(n * tokens, h);
  std::vector<std::size_t> offsets(n + 1);
  for (std::size_t i = 0; i <= n; ++i) offsets[i] = i * tokens;
  const float* pos = position_embedding_.data();
  for (std::size_t i = 0; i < n; ++i) {
    float* x = hidden.data() + i * tokens * h;
    for (std::size_t j = 0; j < h; ++j) x[j] = class_token_[j] + pos[j];
    for (std::size_t t = 1; t < tokens; ++t) {
      const float* patch = patch_states.data() + (i * patches + t - 1) * h;
      for (std::size_t j = 0; j < h; ++j) x[t * h + j] = patch[j] + pos[t * h + j];
    }
  }
  if (c.pre_norm) nn::layer_norm(hidden, pre_norm_, 1e-6f);
  nn::PreNormEncoder::Workspace ws;
  encoder_.forward(hidden, offsets, ws);
  for (std::size_t i = 0; i < n; ++i) std::copy_n(hidden.data() + i * tokens * h, h, out.data() + i * h);
  if (c.final_norm) nn::layer_norm(out, final_norm_, 1e-6f);
  return out;
}

Matrix Vit::logits(const Matrix& features) const {
  EMB_CHECK(num_classes() > 0, "ViT: loaded without its classifier");
  EMB_CHECK(features.cols() == num_features(), "ViT: features of ", features.cols(), " columns; expected ",
            num_features());
  Matrix out(features.rows(), num_classes());
  if (features.rows() == 0) return out;
  nn::gemm_packed(features.data(), features.cols(), features.rows(), head_, out.data(), num_classes(),
                  nn::Epilogue{head_bias_.data()});
  return out;
}

}  // namespace emb::models
