#include "embetter/jsonl.h"

#include <utf8proc.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "embetter/error.h"
#include "io/atomic_file.h"

namespace emb {
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

// Splits on '\n', dropping one trailing '\r' per line and the empty piece after a final '\n'.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
  }
  return lines;
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

JsonlColumns read_jsonl(const std::filesystem::path& path, const std::string& text_field,
                        const std::string& label_field) {
  const std::string file = path.string();
  EMB_CHECK(!text_field.empty(), file, ": no text field given");
  const std::string bytes = io::read_file(path);
  JsonlColumns out;
  std::size_t line_no = 0;
  for (std::string_view line : split_lines(bytes)) {
    ++line_no;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = file + ":" + std::to_string(line_no);
    const auto bad_byte = invalid_utf8_at(line);
    EMB_CHECK(!bad_byte, where, ": not valid UTF-8 (byte ", bad_byte.value_or(0) + 1, " of the line)");
    json record;
    try {
      record = json::parse(line);
    } catch (const json::parse_error& e) {
      throw InvalidArgument(where + ": invalid JSON: " + e.what());
    }
    EMB_CHECK(record.is_object(), where, ": expected a JSON object, found ", record.type_name());

    const json* text = find_field(record, text_field);
    EMB_CHECK(text, where, ": no field '", text_field, "' (keys: ", keys_of(record), ")");
    EMB_CHECK(text->is_string(), where, ": field '", text_field, "' is ", text->type_name(),
              "; expected a string");
    out.texts.push_back(text->get<std::string>());

    if (label_field.empty()) continue;
    const json* label = find_field(record, label_field);
    EMB_CHECK(label, where, ": no field '", label_field, "' (keys: ", keys_of(record), ")");
    EMB_CHECK(label->is_string() || label->is_number() || label->is_boolean(), where, ": field '", label_field,
              "' is ", label->type_name(), "; expected a string, number or boolean label");
    out.labels.push_back(label->is_string() ? label->get<std::string>() : label->dump());
  }
  EMB_CHECK(!out.texts.empty(), file, ": no records (the file is empty or blank); expected one JSON object per line");
  return out;
}

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string bytes = io::read_file(path);
  std::vector<std::string> out;
  for (std::string_view line : split_lines(bytes)) {
    const auto bad_byte = invalid_utf8_at(line);
    EMB_CHECK(!bad_byte, file, ":", out.size() + 1, ": not valid UTF-8 (byte ", bad_byte.value_or(0) + 1,
              " of the line)");
    out.emplace_back(line);
  }
  EMB_CHECK(!out.empty(), file, ": the file is empty; expected one text per line");
  return out;
}

}  // namespace emb
