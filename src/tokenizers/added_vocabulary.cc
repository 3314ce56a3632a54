#include "tokenizers/added_vocabulary.h"

#include <algorithm>

#include "tokenizers/unicode.h"

namespace emb::tokenizers {
namespace {

// The regex crate's \w, as HF's `^\w` / `\w$` tests use it.
bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  int len = 0;
  return is_regex_word(decode_utf8(s, 0, len));
}
bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  std::size_t last = s.size() - 1;
  while (last > 0 && (static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) --last;
  int len = 0;
  return is_regex_word(decode_utf8(s, last, len));
}
/// Start of the run of whitespace that ends `s`.
std::size_t space_leftmost_at_end(std::string_view s) {
  std::size_t end = s.size();
  int len = 0;
  while (end > 0) {
    std::size_t last = end - 1;
    while (last > 0 && (static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) --last;
    if (!is_whitespace(decode_utf8(s, last, len))) break;
    end = last;
  }
  return end;
}
/// Length of the run of whitespace that starts `s`.
std::size_t space_rightmost_at_start(std::string_view s) {
  std::size_t i = 0;
  int len = 0;
  while (i < s.size() && is_whitespace(decode_utf8(s, i, len))) i += len;
  return i;
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    std::string pattern = t.content;
    if (t.normalized && normalizer != nullptr) normalizer->normalize(pattern);
    if (pattern.empty()) continue;
    Matcher& m = t.normalized ? normalized_ : raw_;
    m.first_byte[static_cast<unsigned char>(pattern[0])] = true;
    m.by_first_byte[static_cast<unsigned char>(pattern[0])].push_back({std::move(pattern), i});
    m.empty = false;
  }
  for (Matcher* m : {&raw_, &normalized_})
    for (auto& bucket : m->by_first_byte)
      std::stable_sort(bucket.begin(), bucket.end(),
                       [](const Matcher::Entry& a, const Matcher::Entry& b) { return a.pattern.size() > b.pattern.size(); });
}

void AddedVocabulary::split(Section&& section, const Matcher& matcher, std::vector<Section>& out) const {
  const std::string_view s = section.text;
  std::size_t i = 0;
  if (!matcher.empty)
    while (i < s.size() && !matcher.first_byte[static_cast<unsigned char>(s[i])]) ++i;
  if (i == s.size()) {  // nothing to split off: the common case, without copying
    if (!s.empty()) out.push_back(std::move(section));
    return;
  }
  std::size_t start_offset = 0;
  auto push_text = [&](std::size_t b, std::size_t e) {
    if (e > b) out.push_back({std::string(s.substr(b, e - b)), std::nullopt, section.at_origin && b == 0});
  };
  while (i < s.size()) {
    if (!matcher.first_byte[static_cast<unsigned char>(s[i])]) {
      ++i;
      continue;
    }
    const Matcher::Entry* hit = nullptr;
    for (const auto& e : matcher.by_first_byte[static_cast<unsigned char>(s[i])])
      if (s.compare(i, e.pattern.size(), e.pattern) == 0) {
        hit = &e;
        break;
      }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    std::size_t start = i, stop = i + hit->pattern.size();
    i = stop;  // matches never overlap, even when one is discarded below
    const AddedToken& t = tokens_[hit->token];
    if (t.single_word) {
      const bool start_space = start == 0 || !ends_with_word(s.substr(0, start));
      const bool stop_space = stop == s.size() || !starts_with_word(s.substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (t.lstrip) start = std::max(space_leftmost_at_end(s.substr(0, start)), start_offset);
    if (t.rstrip) stop += space_rightmost_at_start(s.substr(stop));
    push_text(start_offset, start);
    out.push_back({std::string(s.substr(start, stop - start)), t.id, section.at_origin && start == 0});
    start_offset = stop;  // HF keeps searching from the match's own end, not past the stripped spaces
  }
  push_text(start_offset, s.size());
}

void AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer,
                                            std::vector<Section>& out) const {
  thread_local std::vector<Section> raw;
  raw.clear();
  split(Section{std::string(text), std::nullopt, true}, raw_, raw);
  for (auto& section : raw) {
    if (section.token) {
      out.push_back(std::move(section));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize_from_origin(section.text, section.at_origin);
    split(std::move(section), normalized_, out);
  }
}

std::optional<std::int32_t> AddedVocabulary::token_to_id(std::string_view token) const {
  for (const auto& t : tokens_)
    if (t.content == token) return t.id;
  return std::nullopt;
}

const std::string* AddedVocabulary::id_to_token(std::int32_t id) const {
  for (const auto& t : tokens_)
    if (t.id == id) return &t.content;
  return nullptr;
}

std::size_t AddedVocabulary::id_bound() const {
  std::size_t bound = 0;
  for (const auto& t : tokens_) bound = std::max(bound, static_cast<std::size_t>(t.id) + 1);
  return bound;
}

}  // namespace emb::tokenizers
