#include "models/config_json.h"

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::models {
namespace {
[[noreturn]] void wrong_type(const std::filesystem::path& file, const char* key, const char* expected,
                             const nlohmann::json& v) {
  throw ModelLoadError(file.string() + ": key '" + key + "' should be " + expected + ", found " + io::json_excerpt(v));
}
}  // namespace

std::size_t require_size(const nlohmann::json& config, const char* key, const std::filesystem::path& file) {
  auto it = config.find(key);
  EMB_CHECK_AS(ModelLoadError, it != config.end(), file.string(), ": missing key '", key,
               "' (a positive integer)");
  if (!it->is_number_integer() || it->get<long long>() <= 0) wrong_type(file, key, "a positive integer", *it);
  return it->get<std::size_t>();
}

long long int_or(const nlohmann::json& config, const char* key, long long fallback,
                 const std::filesystem::path& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) wrong_type(file, key, "an integer", *it);
  return it->get<long long>();
}

double number_or(const nlohmann::json& config, const char* key, double fallback, const std::filesystem::path& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number()) wrong_type(file, key, "a number", *it);
  return it->get<double>();
}

std::string string_or(const nlohmann::json& config, const char* key, const std::string& fallback,
                      const std::filesystem::path& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_string()) wrong_type(file, key, "a string", *it);
  return it->get<std::string>();
}

bool bool_or(const nlohmann::json& config, const char* key, bool fallback, const std::filesystem::path& file) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) wrong_type(file, key, "true or false", *it);
  return it->get<bool>();
}

float probability_or(const nlohmann::json& config, const char* key, double fallback,
                     const std::filesystem::path& file) {
  const double p = number_or(config, key, fallback, file);
  // The range torch.nn.Dropout accepts (transformers fails to build the model otherwise).
  EMB_CHECK_AS(ModelLoadError, p >= 0.0 && p <= 1.0, file.string(), ": ", key, " ", p,
               " is not a dropout probability in [0, 1]");
  return static_cast<float>(p);
}

nn::Activation parse_activation(const std::string& name, const char* key, const std::filesystem::path& file) {
  using nn::Activation;
  if (name == "gelu") return Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "quick_gelu") return Activation::QuickGelu;
  throw NotSupportedError(file.string() + ": " + key + " '" + io::text_excerpt(name) +
                          "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, tanh, silu, "
                          "quick_gelu)");
}

}  // namespace emb::models
