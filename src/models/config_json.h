#pragma once
// Typed reads of config.json keys with errors that name the file and the key.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/kernels.h"

namespace emb::models {

/// A required positive integer; ModelLoadError when missing or not one.
std::size_t require_size(const nlohmann::json& config, const char* key, const std::filesystem::path& file);
/// An optional integer with a default (transformers' config class default).
long long int_or(const nlohmann::json& config, const char* key, long long fallback,
                 const std::filesystem::path& file);
double number_or(const nlohmann::json& config, const char* key, double fallback, const std::filesystem::path& file);
std::string string_or(const nlohmann::json& config, const char* key, const std::string& fallback,
                      const std::filesystem::path& file);
bool bool_or(const nlohmann::json& config, const char* key, bool fallback, const std::filesystem::path& file);
/// An optional dropout probability in [0, 1]; ModelLoadError outside it.
float probability_or(const nlohmann::json& config, const char* key, double fallback,
                     const std::filesystem::path& file);

/// transformers' ACT2FN names for the supported activations; NotSupportedError
/// naming the file, key and value otherwise.
nn::Activation parse_activation(const std::string& name, const char* key, const std::filesystem::path& file);

}  // namespace emb::models
