#include "models/timm_families.h"

#include <span>
#include <utility>

#include "embetter/error.h"
#include "models/mobilenet.h"

namespace emb::models {
namespace {

using Tag = std::pair<const char*, const char*>;  // model name, timm's default pretrained tag

struct TimmFamily {
  const char* names;  // what the family builds, for the error listing what is supported
  bool (*builds)(const std::string& architecture);
  std::unique_ptr<ImageModel> (*load)(const nn::WeightReader&, const std::string& architecture, bool classifier);
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
std::unique_ptr<ImageModel> load_mobilenet(const nn::WeightReader& w, const std::string& architecture,
                                           bool classifier) {
  return std::make_unique<MobileNet>(w, timm_mobilenet_arch(architecture), classifier);
}

const TimmFamily kFamilies[] = {
    {"mobilenetv3_large_*, mobilenetv3_small_*, their tf_ variants (tf_mobilenetv3_{large,small}[_minimal]_*), "
     "mobilenetv2_* (035, 050, 075, 100, 140, 110d, 120d)",
     is_timm_mobilenet, load_mobilenet, "classifier.weight", kMobileNetTags},
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

std::unique_ptr<ImageModel> load_timm_model(const nn::WeightReader& weights, const std::string& architecture,
                                            bool classifier) {
  check_timm_architecture(architecture);
  const TimmFamily& f = *family_of(architecture);
  if (classifier)
    EMB_CHECK_AS(ModelLoadError, weights.contains(f.classifier_weight), weights.path().string(), ": no '",
                 f.classifier_weight,
                 "', so encode_predictions=True has no predictions to give (a checkpoint saved with num_classes=0)");
  return f.load(weights, architecture, classifier);
}

std::string timm_default_tag(const std::string& architecture) {
  for (const auto& f : kFamilies)
    for (const auto& [name, tag] : f.default_tags)
      if (architecture == name) return tag;
  return {};
}

}  // namespace emb::models
