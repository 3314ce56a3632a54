#pragma once
// The timm architectures TimmEncoder builds, one entry per family in
// timm_families.cc: which config.json `architecture` names it takes, timm's
// default pretrained tag of each name, the classifier's weight name and how
// to load it. A family is added by adding its entry there.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "models/image_model.h"
#include "nn/weight_reader.h"

namespace emb::models {

/// NotSupportedError naming `architecture` and listing what is supported
/// unless a family builds it.
void check_timm_architecture(const std::string& architecture);

/// A timm folder's config.json: its contents (an object) and where it is (for messages).
struct TimmConfig {
  const nlohmann::json& json;
  std::filesystem::path file;
};

/// The model of `architecture` from its weights and config.json's model_args
/// (create_model's arguments, which the weights do not show: a family reads
/// those it builds and refuses any other, NotSupportedError naming it); with
/// `classifier`, its classification head too (ModelLoadError naming the file
/// if the checkpoint has none).
std::unique_ptr<ImageModel> load_timm_model(const nn::WeightReader& weights, const TimmConfig& config,
                                            const std::string& architecture, bool classifier);

/// timm's default pretrained tag of a model name (timm 1.0.31's first
/// default_cfgs entry, what create_model(name, pretrained=True) downloads),
/// e.g. "ra_in1k" for "mobilenetv3_large_100"; empty when we do not know it.
std::string timm_default_tag(const std::string& architecture);

}  // namespace emb::models
