#pragma once
// Shared helpers of the tokenizer tests.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/test_support.h"

namespace emb::test {

inline nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

/// sentence-transformers' max_seq_length: sentence_bert_config.json, else
/// tokenizer_config.json's model_max_length.
inline std::size_t max_seq_length(const std::filesystem::path& folder) {
  if (auto p = folder / "sentence_bert_config.json"; std::filesystem::exists(p)) {
    const auto j = read_json(p);
    if (j.contains("max_seq_length") && j["max_seq_length"].is_number()) return j["max_seq_length"].get<std::size_t>();
  }
  const auto j = read_json(folder / "tokenizer_config.json");
  return j.at("model_max_length").get<std::size_t>();
}

/// Escapes a text so that control characters show in failure messages.
inline std::string show(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace emb::test
