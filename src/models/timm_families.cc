#include "models/timm_families.h"

#include <algorithm>
#include <initializer_list>
#include <span>
#include <string_view>
#include <utility>

#include "embetter/error.h"
#include "io/json_input.h"
#include "models/mobilenet.h"
#include "models/resnet.h"
#include "models/vit.h"

namespace emb::models {
namespace {

using Tag = std::pair<const char*, const char*>;  // model name, timm's default pretrained tag

struct TimmFamily {
  const char* names;  // what the family builds, for the error listing what is supported
  bool (*builds)(const std::string& architecture);
  std::unique_ptr<ImageModel> (*load)(const nn::WeightReader&, const TimmConfig&, const std::string& architecture,
                                      bool classifier);
  const char* classifier_weight;
  std::span<const Tag> default_tags;
};

// ---- MobileNetV3 and MobileNetV2 (src/models/mobilenet.*)
constexpr Tag kMobileNetTags[] = {
    {"mobilenetv3_large_100", "ra_in1k"},         {"mobilenetv3_small_050", "lamb_in1k"},
    {"mobilenetv3_small_075", "lamb_in1k"},       {"mobilenetv3_small_100", "lamb_in1k"},
    {"tf_mobilenetv3_large_075", "in1k"},         {"tf_mobilenetv3_large_100", "in1k"},
    {"tf_mobilenetv3_large_minimal_100", "in1k"}, {"tf_mobilenetv3_small_075", "in1k"},
    {"tf_mobilenetv3_small_100", "in1k"},         {"tf_mobilenetv3_small_minimal_100", "in1k"},
    {"mobilenetv2_050", "lamb_in1k"},             {"mobilenetv2_100", "ra_in1k"},
    {"mobilenetv2_110d", "ra_in1k"},              {"mobilenetv2_120d", "ra_in1k"},
    {"mobilenetv2_140", "ra_in1k"},
};
// model_args that the convolutional families honour: widths (the classes'
// count too), which they read from the weights' shapes, average pooling, and
// what eval mode does not run. Anything else could change the computation
// without changing the weights (ResNet's output_stride dilates its last
// stages), so it is refused rather than ignored.
void check_shape_only_model_args(const TimmConfig& c, std::initializer_list<std::string_view> widths) {
  if (!c.json.contains("model_args")) return;
  const auto& args = c.json["model_args"];
  EMB_CHECK_AS(ModelLoadError, args.is_object(), c.file.string(), ": model_args must be an object, got ",
               io::json_excerpt(args));
  for (const auto& item : args.items()) {
    const std::string& key = item.key();
    if (key == "global_pool")  // save_for_hf records it; these models average
      EMB_CHECK_AS(NotSupportedError, item.value() == "avg", c.file.string(), ": model_args.global_pool is ",
                   io::json_excerpt(item.value()), "; TimmEncoder builds 'avg' pooling only for this architecture");
    const bool eval_no_op = key == "drop_rate" || key == "drop_path_rate" || key == "pretrained_cfg";
    const bool checked = key == "in_chans" || key == "global_pool";  // in_chans: TimmEncoder::load, 3 only
    const bool width = key == "num_classes" || std::ranges::find(widths, key) != widths.end();
    EMB_CHECK_AS(NotSupportedError, eval_no_op || checked || width, c.file.string(), ": model_args.", key,
                 " (", io::json_excerpt(item.value()), ") is a setting TimmEncoder does not build; it reads ",
                 widths.size() ? "the widths from the weights and " : "", "no other model_args here");
  }
}

std::unique_ptr<ImageModel> load_mobilenet(const nn::WeightReader& w, const TimmConfig& c,
                                           const std::string& architecture, bool classifier) {
  check_shape_only_model_args(c, {});
  return std::make_unique<MobileNet>(w, timm_mobilenet_arch(architecture), classifier);
}

// ---- EfficientNet B0..B3 (src/models/mobilenet.*: timm's EfficientNet class, as MobileNetV2)
constexpr Tag kEfficientNetTags[] = {
    {"efficientnet_b0", "ra_in1k"},        {"efficientnet_b1", "ra4_e3600_r240_in1k"},
    {"efficientnet_b2", "ra_in1k"},        {"efficientnet_b3", "ra2_in1k"},
    {"tf_efficientnet_b0", "ns_jft_in1k"}, {"tf_efficientnet_b1", "ns_jft_in1k"},
    {"tf_efficientnet_b2", "ns_jft_in1k"}, {"tf_efficientnet_b3", "ns_jft_in1k"},
};
std::unique_ptr<ImageModel> load_efficientnet(const nn::WeightReader& w, const TimmConfig& c,
                                              const std::string& architecture, bool classifier) {
  check_shape_only_model_args(c, {});
  return std::make_unique<MobileNet>(w, timm_efficientnet_arch(architecture), classifier);
}

// ---- ResNet, the plain variants (src/models/resnet.*)
constexpr Tag kResNetTags[] = {
    {"resnet18", "a1_in1k"},         {"resnet34", "a1_in1k"},          {"resnet26", "bt_in1k"},
    {"resnet50", "a1_in1k"},         {"resnet101", "a1h_in1k"},        {"resnet152", "a1h_in1k"},
    {"wide_resnet50_2", "racm_in1k"}, {"wide_resnet101_2", "tv_in1k"},
};
std::unique_ptr<ImageModel> load_resnet(const nn::WeightReader& w, const TimmConfig& c,
                                        const std::string& architecture, bool classifier) {
  check_shape_only_model_args(c, {"channels", "base_width"});
  return std::make_unique<ResNet>(w, timm_resnet_arch(architecture), classifier);
}

// ---- Vision Transformer, the plain variants (src/models/vit.*)
constexpr Tag kVitTags[] = {
    {"vit_tiny_patch16_224", "augreg_in21k_ft_in1k"},  {"vit_tiny_patch16_384", "augreg_in21k_ft_in1k"},
    {"vit_small_patch32_224", "augreg_in21k_ft_in1k"}, {"vit_small_patch32_384", "augreg_in21k_ft_in1k"},
    {"vit_small_patch16_224", "augreg_in21k_ft_in1k"}, {"vit_small_patch16_384", "augreg_in21k_ft_in1k"},
    {"vit_small_patch8_224", "dino"},                  {"vit_base_patch32_224", "augreg_in21k_ft_in1k"},
    {"vit_base_patch32_384", "augreg_in21k_ft_in1k"},  {"vit_base_patch16_224", "augreg2_in21k_ft_in1k"},
    {"vit_base_patch16_384", "augreg_in21k_ft_in1k"},  {"vit_base_patch8_224", "augreg2_in21k_ft_in1k"},
    {"vit_large_patch32_224", "orig_in21k"},           {"vit_large_patch32_384", "orig_in21k_ft_in1k"},
    {"vit_large_patch16_224", "augreg_in21k_ft_in1k"}, {"vit_large_patch16_384", "augreg_in21k_ft_in1k"},
    {"vit_huge_patch14_224", "orig_in21k"},
    // vit_large_patch14_224 and vit_giant_patch14_224: timm has no weights ('untrained').
};
// The number of heads, img_size and the switches are constructor arguments
// that the weights do not show: config.json's model_args, as timm's
// local-dir/hf-hub loaders read them.
std::unique_ptr<ImageModel> load_vit(const nn::WeightReader& w, const TimmConfig& c, const std::string& architecture,
                                     bool classifier) {
  return std::make_unique<Vit>(w, read_timm_vit_config(c.json, c.file, architecture), classifier);
}

const TimmFamily kFamilies[] = {
    {"mobilenetv3_large_*, mobilenetv3_small_*, their tf_ variants (tf_mobilenetv3_{large,small}[_minimal]_*), "
     "mobilenetv2_* (035, 050, 075, 100, 140, 110d, 120d)",
     is_timm_mobilenet, load_mobilenet, "classifier.weight", kMobileNetTags},
    {"resnet18, resnet34, resnet26, resnet50, resnet101, resnet152, wide_resnet50_2, wide_resnet101_2",
     is_timm_resnet, load_resnet, "fc.weight", kResNetTags},
    {"efficientnet_b0..b3, tf_efficientnet_b0..b3", is_timm_efficientnet, load_efficientnet, "classifier.weight",
     kEfficientNetTags},
    {"vit_{tiny,small,base,large}_patch{8,16,32}_{224,384}, vit_{large,huge,giant}_patch14_224 (timm's "
     "VisionTransformer with class-token pooling)",
     is_timm_vit, load_vit, "head.weight", kVitTags},
};

const TimmFamily* family_of(const std::string& architecture) {
  for (const auto& f : kFamilies)
    if (f.builds(architecture)) return &f;
  return nullptr;
}

}  // namespace

void check_timm_architecture(const std::string& architecture) {
  if (family_of(architecture)) return;
  std::string supported;
  for (const auto& f : kFamilies) supported += (supported.empty() ? "" : "; ") + std::string(f.names);
  throw NotSupportedError("TimmEncoder: architecture '" + architecture + "' is not supported; supported: " +
                          supported);
}

std::unique_ptr<ImageModel> load_timm_model(const nn::WeightReader& weights, const TimmConfig& config,
                                            const std::string& architecture, bool classifier) {
  check_timm_architecture(architecture);
  const TimmFamily& f = *family_of(architecture);
  if (classifier)
    EMB_CHECK_AS(ModelLoadError, weights.contains(f.classifier_weight), weights.path().string(), ": no '",
                 f.classifier_weight,
                 "', so encode_predictions=True has no predictions to give (a checkpoint saved with num_classes=0)");
  return f.load(weights, config, architecture, classifier);
}

std::string timm_default_tag(const std::string& architecture) {
  for (const auto& f : kFamilies)
    for (const auto& [name, tag] : f.default_tags)
      if (architecture == name) return tag;
  return {};
}

}  // namespace emb::models
