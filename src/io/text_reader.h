#pragma once
// Texts of a .jsonl or plain text file read a chunk at a time, so that a
// command over a large file holds one chunk, not the file. read_jsonl and
// read_lines (embetter/jsonl.h) are this reader run to the end; the rules and
// the errors (file:line: what is wrong) are theirs.
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

#include "embetter/jsonl.h"

namespace emb::io {

class TextReader {
 public:
  /// text_field "" reads one text per line (read_lines); otherwise the value at
  /// text_field (and label_field unless "") of every non-blank line (read_jsonl).
  /// ModelLoadError naming the file when it does not exist or cannot be opened.
  explicit TextReader(std::filesystem::path path, std::string text_field = "", std::string label_field = "");

  /// Replaces `out`'s texts (and labels) with the next at most `max_texts`
  /// ones; false once the file holds no more. InvalidArgument naming the file
  /// and line on invalid UTF-8 or JSON, a missing field or a wrong type.
  bool read(std::size_t max_texts, JsonlColumns& out);

  /// Texts returned so far.
  std::size_t texts_read() const { return texts_; }
  /// Of those, texts with nothing but white space (Unicode's): a model sees
  /// no word of them.
  std::size_t blank_texts_read() const { return blank_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void add_record(std::string_view line, const std::string& where, JsonlColumns& out) const;

  std::filesystem::path path_;
  std::string text_field_, label_field_;
  std::ifstream in_;
  std::string line_;
  std::size_t line_no_ = 0;
  std::size_t texts_ = 0;
  std::size_t blank_ = 0;
};

}  // namespace emb::io
