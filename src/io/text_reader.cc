#include "io/text_reader.h"

#include <utf8proc.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::io {
namespace {

using nlohmann::json;

// Byte offset of the first invalid UTF-8 sequence, if any.
std::optional<std::size_t> invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) return i;
    i += static_cast<std::size_t>(n);
  }
  return std::nullopt;
}

// Nothing but separators (Zs, Zl, Zp) and control or format characters (Cc,
// Cf): what a tokenizer drops before it finds a word. Called on valid UTF-8.
bool is_blank(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) return false;
    switch (utf8proc_category(cp)) {
      case UTF8PROC_CATEGORY_ZS:
      case UTF8PROC_CATEGORY_ZL:
      case UTF8PROC_CATEGORY_ZP:
      case UTF8PROC_CATEGORY_CC:
      case UTF8PROC_CATEGORY_CF:
        break;
      default:
        return false;
    }
    i += static_cast<std::size_t>(n);
  }
  return true;
}

// Walks a dotted path; at each level a key equal to the whole remaining path wins,
// so keys that contain dots stay reachable.
const json* find_field(const json& obj, std::string_view path) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(path); it != obj.end()) return &*it;
  for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    if (auto it = obj.find(path.substr(0, dot)); it != obj.end())
      if (const json* found = find_field(*it, path.substr(dot + 1))) return found;
  }
  return nullptr;
}

std::string keys_of(const json& obj) {
  std::string s;
  for (const auto& [k, v] : obj.items()) s += (s.empty() ? "" : ", ") + k;
  return s.empty() ? "none" : s;
}

}  // namespace

TextReader::TextReader(std::filesystem::path path, std::string text_field, std::string label_field)
    : path_(std::move(path)), text_field_(std::move(text_field)), label_field_(std::move(label_field)) {
  std::error_code ec;
  EMB_CHECK_AS(ModelLoadError, std::filesystem::exists(path_, ec), path_.string(), ": no such file");
  EMB_CHECK_AS(ModelLoadError, !std::filesystem::is_directory(path_, ec), path_.string(),
               ": is a directory; expected a file");
  in_.open(path_, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in_.is_open(), path_.string(), ": cannot open for reading");
}

bool TextReader::read(std::size_t max_texts, JsonlColumns& out) {
  out.texts.clear();
  out.labels.clear();
  // std::getline splits as read_lines promises: no piece after a final '\n'.
  while (out.texts.size() < max_texts && std::getline(in_, line_)) {
    std::string_view line = line_;
    if (++line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 byte order mark
    if (line.ends_with('\r')) line.remove_suffix(1);
    const bool jsonl = !text_field_.empty();
    if (jsonl && line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = path_.string() + ":" + std::to_string(line_no_);
    const auto bad_byte = invalid_utf8_at(line);
    EMB_CHECK(!bad_byte, where, ": not valid UTF-8 (byte ", bad_byte.value_or(0) + 1, " of the line)");
    if (jsonl) {
      add_record(line, where, out);
    } else {
      out.texts.emplace_back(line);
    }
  }
  EMB_CHECK_AS(ModelLoadError, !in_.bad(), path_.string(), ": read error after line ", line_no_);
  texts_ += out.texts.size();
  blank_ += static_cast<std::size_t>(std::count_if(out.texts.begin(), out.texts.end(), is_blank));
  return !out.texts.empty();
}

void TextReader::add_record(std::string_view line, const std::string& where, JsonlColumns& out) const {
  const json record = parse_json(line, where, JsonSource::Input);
  EMB_CHECK(record.is_object(), where, ": expected a JSON object, found ", record.type_name());

  const json* text = find_field(record, text_field_);
  EMB_CHECK(text, where, ": no field '", text_field_, "' (keys: ", keys_of(record), ")");
  EMB_CHECK(text->is_string(), where, ": field '", text_field_, "' is ", text->type_name(), "; expected a string");
  out.texts.push_back(text->get<std::string>());

  if (label_field_.empty()) return;
  const json* label = find_field(record, label_field_);
  EMB_CHECK(label, where, ": no field '", label_field_, "' (keys: ", keys_of(record), ")");
  EMB_CHECK(label->is_string() || label->is_number() || label->is_boolean(), where, ": field '", label_field_,
            "' is ", label->type_name(), "; expected a string, number or boolean label");
  out.labels.push_back(label->is_string() ? label->get<std::string>() : label->dump());
}

}  // namespace emb::io
