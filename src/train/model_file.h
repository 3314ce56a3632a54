#pragma once
// The safetensors layout shared by every model src/train saves: float32 tensors
// under PyTorch-style names, plus metadata
//   "embetter.kind"    the class that wrote it ("FeedForwardTuner", ...)
//   "embetter.format"  layout version of that class's file ("1")
//   "params"           the constructor parameters as a JSON object
// and whatever else the class adds (classes as a JSON list, optimizer state).
// Reading checks all of it and throws ModelLoadError naming the file.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embetter/random.h"
#include "io/safetensors.h"

namespace emb::train {

inline constexpr const char* kKindKey = "embetter.kind";
inline constexpr const char* kFormatKey = "embetter.format";
inline constexpr const char* kFormatVersion = "1";

/// Starts a writer for a model of `kind` with its parameters.
io::SafetensorsWriter model_writer(const std::string& kind, const nlohmann::json& params);

/// nullopt → JSON null, a seed → the number.
nlohmann::json random_state_json(const RandomState& state);

/// A model file opened and checked to be of the expected kind.
class ModelReader {
 public:
  static ModelReader open(const std::filesystem::path& path, const std::string& kind);
  static ModelReader from_bytes(std::string bytes, const std::string& kind);

  const io::SafetensorsFile& file() const { return file_; }
  /// Throws ModelLoadError "FILE: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  /// A metadata value that must be there.
  const std::string& metadata(const std::string& key) const;
  /// Members of the "params" object, type- and range-checked.
  int param_int(const std::string& name, int min_value) const;
  float param_positive_float(const std::string& name) const;
  RandomState param_random_state(const std::string& name) const;
  /// A string member, or `absent` when the file has none (written before the
  /// parameter existed).
  std::string param_string_or(const std::string& name, const std::string& absent) const;
  /// A metadata value holding a JSON list of strings.
  std::vector<std::string> string_list(const std::string& key) const;
  /// A metadata value holding a non-negative integer.
  std::int64_t count(const std::string& key) const;

  /// The shape of a tensor that must be there with `rank` dimensions.
  std::vector<std::int64_t> shape(const std::string& name, std::size_t rank) const;
  /// A float32 tensor of exactly `shape`, all values finite.
  std::vector<float> tensor(const std::string& name, std::vector<std::int64_t> shape) const;

 private:
  ModelReader(io::SafetensorsFile file, const std::string& kind);
  const nlohmann::json& param(const std::string& name) const;

  io::SafetensorsFile file_;
  nlohmann::json params_;
};

}  // namespace emb::train
