#include "tokenizers/patterns.h"

#include <algorithm>

#include "embetter/error.h"
#include "io/json_input.h"
#include "tokenizers/unicode.h"

namespace emb::tokenizers {
namespace {

// ---- literal strings ----------------------------------------------------

class StringPattern final : public Pattern {
 public:
  explicit StringPattern(std::string literal) : literal_(std::move(literal)) {}
  void find_matches(std::string_view s, std::vector<Span>& out) const override {
    if (s.empty() || literal_.empty()) {
      out.push_back({0, s.size(), false});
      return;
    }
    std::size_t prev = 0;
    for (std::size_t pos = s.find(literal_); pos != std::string_view::npos; pos = s.find(literal_, pos)) {
      if (prev != pos) out.push_back({prev, pos, false});
      out.push_back({pos, pos + literal_.size(), true});
      pos += literal_.size();
      prev = pos;
    }
    if (prev != s.size()) out.push_back({prev, s.size(), false});
  }

 private:
  std::string literal_;
};

class CharPattern final : public Pattern {
 public:
  explicit CharPattern(bool (*pred)(char32_t)) : pred_(pred) {}
  void find_matches(std::string_view s, std::vector<Span>& out) const override {
    if (s.empty()) {
      out.push_back({0, 0, false});
      return;
    }
    std::size_t last = 0;
    int len = 0;
    for (std::size_t i = 0; i < s.size(); i += len) {
      const char32_t c = decode_utf8(s, i, len);
      if (pred_(c)) {
        if (last < i) out.push_back({last, i, false});
        out.push_back({i, i + len, true});
        last = i + len;
      }
    }
    if (last < s.size()) out.push_back({last, s.size(), false});
  }

 private:
  bool (*pred_)(char32_t);
};

// ---- hand-written regexes -----------------------------------------------
// Each matcher returns the length of the leftmost-first match starting at byte
// `i` (0 = none); RegexPattern turns that into Oniguruma's find_iter.

using MatchAt = std::size_t (*)(std::string_view s, std::size_t i);

template <class Pred>
std::size_t run_while(std::string_view s, std::size_t i, Pred pred) {
  std::size_t j = i;
  int len = 0;
  while (j < s.size() && pred(decode_utf8(s, j, len))) j += len;
  return j;
}

bool is_gpt2_other(char32_t c) { return !is_regex_space(c) && !is_regex_letter(c) && !is_regex_number(c); }

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::size_t gpt2_match_at(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
  if (s[i] == '\'' && i + 1 < n) {
    const char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 < n) {
      const char b = s[i + 2];
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
  }
  const std::size_t j = s[i] == ' ' ? i + 1 : i;
  if (j < n) {
    int len = 0;
    const char32_t c = decode_utf8(s, j, len);
    if (is_regex_letter(c)) return run_while(s, j, is_regex_letter) - i;
    if (is_regex_number(c)) return run_while(s, j, is_regex_number) - i;
    if (is_gpt2_other(c)) return run_while(s, j, is_gpt2_other) - i;
  }
  // \s+(?!\S): a run of spaces that leaves its last one to a following word; else \s+.
  const std::size_t end = run_while(s, i, is_regex_space);
  if (end == i) return 0;
  if (end == n) return end - i;
  std::size_t last = end - 1;
  while ((static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) --last;
  return last > i ? last - i : end - i;
}

bool is_not_word_or_space(char32_t c) { return !is_regex_word(c) && !is_regex_space(c); }

// \w+|[^\w\s]+
std::size_t word_match_at(std::string_view s, std::size_t i) {
  int len = 0;
  const char32_t c = decode_utf8(s, i, len);
  if (is_regex_word(c)) return run_while(s, i, is_regex_word) - i;
  if (!is_regex_space(c)) return run_while(s, i, is_not_word_or_space) - i;
  return 0;
}

// CLIP's pre-tokenizer (transformers' CLIPTokenizer):
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// Digits one at a time; spaces match nothing (Split with invert drops them).
std::size_t clip_match_at(std::string_view s, std::size_t i) {
  for (std::string_view special : {std::string_view("<|startoftext|>"), std::string_view("<|endoftext|>")})
    if (s.substr(i, special.size()) == special) return special.size();
  const std::size_t n = s.size();
  if (s[i] == '\'' && i + 1 < n) {
    const char a = s[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 < n) {
      const char b = s[i + 2];
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
  }
  int len = 0;
  const char32_t c = decode_utf8(s, i, len);
  if (is_regex_letter(c)) return run_while(s, i, is_regex_letter) - i;
  if (is_regex_number(c)) return static_cast<std::size_t>(len);
  if (is_gpt2_other(c)) return run_while(s, i, is_gpt2_other) - i;
  return 0;
}

// \s+
std::size_t spaces_match_at(std::string_view s, std::size_t i) { return run_while(s, i, is_regex_space) - i; }

class RegexPattern final : public Pattern {
 public:
  explicit RegexPattern(MatchAt match_at) : match_at_(match_at) {}
  void find_matches(std::string_view s, std::vector<Span>& out) const override {
    if (s.empty()) {
      out.push_back({0, 0, false});
      return;
    }
    std::size_t prev = 0, i = 0;
    while (i < s.size()) {
      const std::size_t len = match_at_(s, i);
      if (len == 0) {
        i += utf8_length(static_cast<unsigned char>(s[i]));
        continue;
      }
      if (prev != i) out.push_back({prev, i, false});
      out.push_back({i, i + len, true});
      i += len;
      prev = i;
    }
    if (prev != s.size()) out.push_back({prev, s.size(), false});
  }

 private:
  MatchAt match_at_;
};

struct KnownRegex {
  std::string_view source;
  MatchAt match_at;
};
constexpr KnownRegex kKnownRegexes[] = {
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", gpt2_match_at},
    {R"(\w+|[^\w\s]+)", word_match_at},
    {R"(\s+)", spaces_match_at},
    {R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+)",
     clip_match_at},
};

}  // namespace

std::shared_ptr<const Pattern> make_string_pattern(std::string literal) {
  return std::make_shared<StringPattern>(std::move(literal));
}
std::shared_ptr<const Pattern> make_char_pattern(bool (*pred)(char32_t)) { return std::make_shared<CharPattern>(pred); }
std::shared_ptr<const Pattern> make_gpt2_pattern() { return std::make_shared<RegexPattern>(gpt2_match_at); }
std::shared_ptr<const Pattern> make_word_pattern() { return std::make_shared<RegexPattern>(word_match_at); }

std::shared_ptr<const Pattern> parse_pattern(const Json& j, const ParseContext& ctx) {
  if (!j.is_object()) throw_malformed(ctx, "pattern must be {\"String\": ...} or {\"Regex\": ...}");
  if (auto it = j.find("String"); it != j.end() && it->is_string()) return make_string_pattern(it->get<std::string>());
  if (auto it = j.find("Regex"); it != j.end() && it->is_string()) {
    const auto source = it->get<std::string>();
    for (const auto& known : kKnownRegexes)
      if (known.source == source) return std::make_shared<RegexPattern>(known.match_at);
    std::string supported;
    for (const auto& known : kKnownRegexes) supported += detail::concat(supported.empty() ? "" : ", ", "'", known.source, "'");
    throw NotSupportedError(detail::concat(ctx.origin, ": regex pattern '", io::text_excerpt(source), "' at '", ctx.path,
                                           "' is not supported (supported regexes: ", supported, ")"));
  }
  throw_malformed(ctx, "pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + excerpt(j));
}

SplitBehavior parse_split_behavior(const Json& j, const ParseContext& ctx) {
  const std::string b = j.is_string() ? j.get<std::string>() : std::string();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  throw_malformed(ctx, "behavior must be Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous, got " +
                           excerpt(j));
}

void split_spans(std::string_view text, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Span>& kept) {
  // The matches, reused across calls: a split runs once per word.
  thread_local std::vector<Span> spans;
  spans.clear();
  kept.clear();
  pattern.find_matches(text, spans);
  if (invert)
    for (auto& s : spans) s.is_match = !s.is_match;

  // is_match in `kept` only matters for Removed.
  switch (behavior) {
    case SplitBehavior::Removed:
      for (const auto& s : spans)
        if (!s.is_match) kept.push_back(s);
      break;
    case SplitBehavior::Isolated:
      kept.assign(spans.begin(), spans.end());
      break;
    case SplitBehavior::MergedWithPrevious: {
      bool previous_match = false;
      for (const auto& s : spans) {
        if (s.is_match && !previous_match && !kept.empty())
          kept.back().end = s.end;
        else
          kept.push_back(s);
        previous_match = s.is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool previous_match = false;
      for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
        if (it->is_match && !previous_match && !kept.empty())
          kept.back().begin = it->begin;
        else
          kept.push_back(*it);
        previous_match = it->is_match;
      }
      std::reverse(kept.begin(), kept.end());
      break;
    }
    case SplitBehavior::Contiguous: {
      bool previous_match = false;
      for (const auto& s : spans) {
        if (s.is_match && previous_match && !kept.empty())
          kept.back().end = s.end;
        else
          kept.push_back(s);
        previous_match = s.is_match;
      }
      break;
    }
  }
}

void split_piece(const Piece& piece, const Pattern& pattern, SplitBehavior behavior, bool invert,
                 std::vector<Piece>& out) {
  thread_local std::vector<Span> kept;
  split_spans(piece.text, pattern, behavior, invert, kept);
  for (const auto& s : kept)
    if (s.end > s.begin)
      out.push_back({piece.text.substr(s.begin, s.end - s.begin), piece.at_origin && s.begin == 0});
}

}  // namespace emb::tokenizers
