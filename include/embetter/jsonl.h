#pragma once
/// @file jsonl.h
/// Text datasets: JSON Lines files (one object per line) and plain .txt files.
#include <filesystem>
#include <string>
#include <vector>

namespace emb {

/// The texts (and labels, when asked for) of a JSON Lines file, in file order.
struct JsonlColumns {
  std::vector<std::string> texts;
  std::vector<std::string> labels;  ///< empty unless a label field was given
};

/// Reads `text_field` (and `label_field` unless "") from every non-blank line.
/// Fields may be dotted paths into nested objects ("meta.text", "cats.new-dataset");
/// a key that itself contains dots is matched as a whole first. Texts must be JSON
/// strings; labels may be strings, numbers or booleans, which become their JSON
/// text ("1", "2.5", "true"). InvalidArgument names the file, the line number and
/// the field on invalid JSON or UTF-8, a missing field or a wrong type, and when
/// the file has no records; an unreadable file throws ModelLoadError.
JsonlColumns read_jsonl(const std::filesystem::path& path, const std::string& text_field,
                        const std::string& label_field = "");

/// One text per line of a UTF-8 text file; a trailing "\r" is dropped (Windows
/// line ends) and so is a final empty line, blank lines in between are kept as
/// empty texts. InvalidArgument (naming file and line) on invalid UTF-8 or an empty file.
std::vector<std::string> read_lines(const std::filesystem::path& path);

}  // namespace emb
