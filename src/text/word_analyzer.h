#pragma once
// scikit-learn's default word analyzer for CountVectorizer/TfidfVectorizer:
// str.lower() (when `lowercase`), then re.findall(r"(?u)\b\w\w+\b"), which
// amounts to every maximal run of two or more word characters.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace emb::text {

class WordAnalyzer {
 public:
  explicit WordAnalyzer(bool lowercase) : lowercase_(lowercase) {}

  /// Replaces `tokens` with the tokens of `text`, as UTF-8 views into this
  /// analyzer's buffer (valid until the next call). Returns false when `text`
  /// is not valid UTF-8 (then `tokens` is empty). Not thread-safe: use one
  /// analyzer per thread.
  bool analyze(std::string_view text, std::vector<std::string_view>& tokens);

 private:
  void analyze_ascii(std::string_view text, std::vector<std::string_view>& tokens);
  bool analyze_unicode(std::string_view text, std::vector<std::string_view>& tokens);

  bool lowercase_;
  std::string buffer_;  // the tokens, back to back
  std::vector<std::size_t> bounds_;  // begin, end offsets of each token in buffer_
  std::u32string decoded_, lowered_;
};

}  // namespace emb::text
