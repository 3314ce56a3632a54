// CLIPConfig from config.json, with transformers 5's defaults for the keys a
// file leaves out (configuration_clip.py: CLIPTextConfig, CLIPVisionConfig).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "embetter/error.h"
#include "io/json_input.h"
#include "models/clip.h"
#include "models/config_json.h"

namespace emb::models {
namespace {
using nlohmann::json;
namespace fs = std::filesystem;

std::size_t size_or(const json& c, const char* key, long long fallback, const fs::path& where) {
  const long long v = int_or(c, key, fallback, where);
  EMB_CHECK_AS(ModelLoadError, v > 0 && v <= (1LL << 30), where.string(), ": key '", key, "' is ", v,
               "; expected a positive integer");
  return static_cast<std::size_t>(v);
}

// text_config (or vision_config). An old file's text_config_dict, when not
// null, wins whole: transformers builds a CLIPTextConfig from it (its
// defaults included) and writes every value of that over text_config.
json sub_config(const json& c, const std::string& name, const fs::path& file) {
  for (const std::string& key : {name + "_dict", name}) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) continue;
    EMB_CHECK_AS(ModelLoadError, it->is_object(), file.string(), ": key '", key, "' should be an object, found ",
                 io::json_excerpt(*it));
    return *it;
  }
  return json::object();
}

nn::PreNormEncoderConfig tower_encoder(const json& c, const fs::path& where, long long hidden, long long inter,
                                       long long layers, long long heads) {
  nn::PreNormEncoderConfig e;
  e.hidden_size = size_or(c, "hidden_size", hidden, where);
  e.intermediate_size = size_or(c, "intermediate_size", inter, where);
  e.num_layers = size_or(c, "num_hidden_layers", layers, where);
  e.num_heads = size_or(c, "num_attention_heads", heads, where);
  EMB_CHECK_AS(ModelLoadError, e.hidden_size % e.num_heads == 0, where.string(), ": hidden_size ", e.hidden_size,
               " is not a multiple of num_attention_heads ", e.num_heads);
  const double eps = number_or(c, "layer_norm_eps", 1e-5, where);
  EMB_CHECK_AS(ModelLoadError, eps > 0 && eps < 1, where.string(), ": layer_norm_eps ", eps, " is not in (0, 1)");
  e.layer_norm_eps = static_cast<float>(eps);
  e.activation = parse_activation(string_or(c, "hidden_act", "quick_gelu", where), "hidden_act", where);
  return e;
}

std::string family_of(const json& c) {
  if (auto it = c.find("model_type"); it != c.end() && it->is_string()) return it->get<std::string>();
  if (auto it = c.find("architectures"); it != c.end() && it->is_array() && !it->empty() && (*it)[0].is_string())
    return (*it)[0].get<std::string>() == "CLIPModel" ? "clip" : (*it)[0].get<std::string>();
  return "";
}

}  // namespace

bool is_clip_config(const fs::path& config_json) {
  const json c = io::read_json_file(config_json);
  return c.is_object() && family_of(c) == "clip";
}

ClipConfig read_clip_config(const fs::path& file) {
  const json c = io::read_json_file(file);
  EMB_CHECK_AS(ModelLoadError, c.is_object(), file.string(), ": expected a JSON object");
  const std::string family = family_of(c);
  EMB_CHECK_AS(NotSupportedError, family == "clip", file.string(), ": model_type '", io::text_excerpt(family),
               "' is not a CLIP model (expected 'clip', a transformers CLIPModel)");
  ClipConfig config;
  config.file = file;
  config.projection_dim = size_or(c, "projection_dim", 512, file);

  const fs::path text_where = file.string() + " (text_config)";
  const json text = sub_config(c, "text_config", file);
  auto& t = config.text;
  t.encoder = tower_encoder(text, text_where, 512, 2048, 12, 8);
  t.encoder.causal = true;
  t.vocab_size = size_or(text, "vocab_size", 49408, text_where);
  t.max_position_embeddings = size_or(text, "max_position_embeddings", 77, text_where);
  if (auto it = text.find("eos_token_id"); it != text.end() && !it->is_null() && !it->is_number_integer())
    throw NotSupportedError(text_where.string() + ": eos_token_id " + io::json_excerpt(*it) +
                            " is not supported (a single token id is)");
  t.eos_token_id = int_or(text, "eos_token_id", 49407, text_where);
  t.legacy_eos = t.eos_token_id == 2;

  const fs::path vision_where = file.string() + " (vision_config)";
  const json vision = sub_config(c, "vision_config", file);
  auto& v = config.vision;
  v.encoder = tower_encoder(vision, vision_where, 768, 3072, 12, 12);
  if (auto it = vision.find("image_size"); it != vision.end() && it->is_array())
    throw NotSupportedError(vision_where.string() + ": image_size " + io::json_excerpt(*it) +
                            " is not supported (a single side length is, as transformers' CLIPVisionEmbeddings)");
  v.image_size = size_or(vision, "image_size", 224, vision_where);
  v.patch_size = size_or(vision, "patch_size", 32, vision_where);
  v.num_channels = size_or(vision, "num_channels", 3, vision_where);
  EMB_CHECK_AS(ModelLoadError, v.patch_size <= v.image_size, vision_where.string(), ": patch_size ", v.patch_size,
               " is larger than image_size ", v.image_size);
  return config;
}

std::vector<nn::PreNormLayerWeights> read_clip_layers(const nn::WeightReader& w, const std::string& prefix,
                                                      const nn::PreNormEncoderConfig& c, const std::string& why) {
  const std::size_t h = c.hidden_size, inter = c.intermediate_size;
  const std::string ffn = why + ", intermediate_size " + std::to_string(inter);
  auto norm = [&](const std::string& name) {
    return nn::LayerNormWeights{w.vector(name + ".weight", h, why), w.vector(name + ".bias", h, why)};
  };
  auto linear = [&](const std::string& name, std::size_t out, std::size_t in, const std::string& expected) {
    return nn::Linear{w.matrix(name + ".weight", out, in, expected), w.vector(name + ".bias", out, expected)};
  };
  std::vector<nn::PreNormLayerWeights> layers(c.num_layers);
  for (std::size_t i = 0; i < c.num_layers; ++i) {
    const std::string p = prefix + std::to_string(i) + ".";
    auto& l = layers[i];
    l.norm1 = norm(p + "layer_norm1");
    // One product for the three projections: their rows stacked.
    l.qkv.weight = Matrix(3 * h, h);
    l.qkv.bias.resize(3 * h);
    const char* names[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"};
    for (std::size_t j = 0; j < 3; ++j) {
      const nn::Linear part = linear(p + names[j], h, h, why);
      std::copy_n(part.weight.data(), h * h, l.qkv.weight.data() + j * h * h);
      std::copy_n(part.bias.data(), h, l.qkv.bias.data() + j * h);
    }
    l.attention_output = linear(p + "self_attn.out_proj", h, h, why);
    l.norm2 = norm(p + "layer_norm2");
    l.fc1 = linear(p + "mlp.fc1", inter, h, ffn);
    l.fc2 = linear(p + "mlp.fc2", h, inter, ffn);
  }
  return layers;
}

}  // namespace emb::models
