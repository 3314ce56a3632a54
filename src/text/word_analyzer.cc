#include "text/word_analyzer.h"

#include <array>

#include "text/python_unicode.h"

namespace emb::text {
namespace {

// Tokens shorter than this are dropped (the pattern is \w\w+).
constexpr std::size_t kMinTokenChars = 2;

constexpr std::array<bool, 128> make_ascii_word_table() {
  std::array<bool, 128> t{};
  for (int c = 0; c < 128; ++c)
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return t;
}
constexpr std::array<bool, 128> kAsciiWord = make_ascii_word_table();

bool is_ascii(std::string_view text) {
  for (char ch : text)
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  return true;
}

}  // namespace

bool WordAnalyzer::analyze(std::string_view text, std::vector<std::string_view>& tokens) {
  tokens.clear();
  buffer_.clear();
  bounds_.clear();
  if (is_ascii(text)) {
    analyze_ascii(text, tokens);
    return true;
  }
  return analyze_unicode(text, tokens);
}

void WordAnalyzer::analyze_ascii(std::string_view text, std::vector<std::string_view>& tokens) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && !kAsciiWord[static_cast<unsigned char>(text[i])]) ++i;
    const std::size_t begin = i;
    while (i < n && kAsciiWord[static_cast<unsigned char>(text[i])]) ++i;
    if (i - begin < kMinTokenChars) continue;
    const std::size_t at = buffer_.size();
    buffer_.append(text.substr(begin, i - begin));
    if (lowercase_)
      for (std::size_t k = at; k < buffer_.size(); ++k)
        if (buffer_[k] >= 'A' && buffer_[k] <= 'Z') buffer_[k] = static_cast<char>(buffer_[k] + ('a' - 'A'));
    bounds_.push_back(at);
    bounds_.push_back(buffer_.size());
  }
  tokens.reserve(bounds_.size() / 2);
  for (std::size_t t = 0; t < bounds_.size(); t += 2)
    tokens.emplace_back(buffer_.data() + bounds_[t], bounds_[t + 1] - bounds_[t]);
}

bool WordAnalyzer::analyze_unicode(std::string_view text, std::vector<std::string_view>& tokens) {
  decoded_.clear();
  if (decode_utf8(text, decoded_) != std::string_view::npos) return false;
  std::u32string_view chars = decoded_;
  if (lowercase_) {
    lowered_.clear();
    append_python_lower(decoded_, lowered_);
    chars = lowered_;
  }
  const std::size_t n = chars.size();
  std::size_t i = 0;
  while (i < n) {
    while (i < n && !is_word_char(chars[i])) ++i;
    const std::size_t begin = i;
    while (i < n && is_word_char(chars[i])) ++i;
    if (i - begin < kMinTokenChars) continue;
    bounds_.push_back(buffer_.size());
    for (std::size_t k = begin; k < i; ++k) append_utf8(chars[k], buffer_);
    bounds_.push_back(buffer_.size());
  }
  tokens.reserve(bounds_.size() / 2);
  for (std::size_t t = 0; t < bounds_.size(); t += 2)
    tokens.emplace_back(buffer_.data() + bounds_[t], bounds_[t + 1] - bounds_[t]);
  return true;
}

}  // namespace emb::text
