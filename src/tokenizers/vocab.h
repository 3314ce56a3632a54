#pragma once
// Token ↔ id tables shared by the models and the added vocabulary.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace emb::tokenizers {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
/// string → id with lookups by string_view (no temporary strings).
using TokenMap = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

/// A vocabulary: both directions.
class Vocab {
 public:
  /// Adds a token (the first id seen for a token, and the first token seen for an id, win).
  void add(std::string token, std::int32_t id) {
    if (id < 0) return;
    const auto i = static_cast<std::size_t>(id);
    if (i >= by_id_.size()) {
      by_id_.resize(i + 1);
      present_.resize(i + 1, false);
    }
    if (!present_[i]) {
      by_id_[i] = token;
      present_[i] = true;
    }
    by_token_.emplace(std::move(token), id);
  }
  std::optional<std::int32_t> find(std::string_view token) const {
    auto it = by_token_.find(token);
    if (it == by_token_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* token(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= by_id_.size() || !present_[static_cast<std::size_t>(id)]) return nullptr;
    return &by_id_[static_cast<std::size_t>(id)];
  }
  std::size_t id_bound() const { return by_id_.size(); }
  std::size_t size() const { return by_token_.size(); }

 private:
  TokenMap by_token_;
  std::vector<std::string> by_id_;
  std::vector<bool> present_;
};

}  // namespace emb::tokenizers
