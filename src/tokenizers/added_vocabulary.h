#pragma once
// Added tokens (tokenizer/added_vocabulary.rs): strings matched in the text
// before the model sees it, leftmost-longest, with lstrip/rstrip/single_word.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/components.h"

namespace emb::tokenizers {

struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool single_word = false, lstrip = false, rstrip = false, normalized = false, special = false;
};

/// A section of the text after added-token extraction: either an added token
/// (`token` set, `text` = the matched text, spaces absorbed by lstrip/rstrip
/// included) or text still to tokenize.
struct Section {
  std::string text;
  std::optional<std::int32_t> token;
  bool at_origin = false;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  /// `normalizer` (may be null) gives the form that `normalized` tokens are matched in.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  /// Splits raw `text` into sections, normalizing the non-token ones with `normalizer`.
  void extract_and_normalize(std::string_view text, const Normalizer* normalizer, std::vector<Section>& out) const;

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  const std::string* id_to_token(std::int32_t id) const;
  std::size_t id_bound() const;
  bool empty() const { return tokens_.empty(); }

 private:
  /// Patterns grouped by first byte, longest first, for leftmost-longest search.
  struct Matcher {
    struct Entry {
      std::string pattern;
      std::size_t token;  // index into tokens_
    };
    std::vector<std::vector<Entry>> by_first_byte = std::vector<std::vector<Entry>>(256);
    std::array<bool, 256> first_byte{};  // some pattern starts with this byte
    bool empty = true;
  };
  void split(Section&& section, const Matcher& matcher, std::vector<Section>& out) const;

  std::vector<AddedToken> tokens_;
  Matcher raw_, normalized_;
};

}  // namespace emb::tokenizers
