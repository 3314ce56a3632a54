#pragma once
// Patterns of the Split pre-tokenizer and the Replace normalizer: a literal
// string, a character class, or one of the regexes common tokenizers use
// (implemented by hand over utf8proc classes; we carry no regex engine).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/components.h"

namespace emb::tokenizers {

/// A piece of the searched text: [begin, end) bytes; is_match = the pattern matched it.
struct Span {
  std::size_t begin = 0, end = 0;
  bool is_match = false;
};

class Pattern {
 public:
  virtual ~Pattern() = default;
  /// Spans covering `s` in order, like HF's Pattern::find_matches (an empty `s`
  /// gives one empty non-match).
  virtual void find_matches(std::string_view s, std::vector<Span>& out) const = 0;
};

/// {"String": "..."} or {"Regex": "..."}; NotSupportedError for a regex we do not implement.
std::shared_ptr<const Pattern> parse_pattern(const Json& j, const ParseContext& ctx);
std::shared_ptr<const Pattern> make_string_pattern(std::string literal);
/// Every character for which `pred` holds is one match (HF's `Fn(char) -> bool` pattern).
std::shared_ptr<const Pattern> make_char_pattern(bool (*pred)(char32_t));
/// The GPT-2 pre-tokenization regex.
std::shared_ptr<const Pattern> make_gpt2_pattern();
/// `\w+|[^\w\s]+` (the Whitespace pre-tokenizer).
std::shared_ptr<const Pattern> make_word_pattern();

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior parse_split_behavior(const Json& j, const ParseContext& ctx);

/// The spans of `text` that HF NormalizedString::split keeps (possibly empty
/// ones: callers drop those), in order; `out` is cleared first.
void split_spans(std::string_view text, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Span>& out);

/// Splits `piece` at the matches of `pattern` the way HF NormalizedString::split
/// does, appending the non-empty results to `out`.
void split_piece(const Piece& piece, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out);

}  // namespace emb::tokenizers
