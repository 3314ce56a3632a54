#include "jsonl_labels.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::cli {
namespace {

using nlohmann::json;

const json* find_field(const json& obj, std::string_view path) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(path); it != obj.end()) return &*it;
  for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    if (auto it = obj.find(path.substr(0, dot)); it != obj.end()) {
      if (const json* found = find_field(*it, path.substr(dot + 1))) return found;
    }
  }
  return nullptr;
}

std::string label_of(const json& record, const std::string& label_field, const std::string& where) {
  const json* value = find_field(record, label_field);
  EMB_CHECK(value != nullptr, where, ": no field '", label_field, "'");
  if (value->is_string()) return value->get<std::string>();
  EMB_CHECK(value->is_number() || value->is_boolean(), where, ": field '", label_field, "' is ", value->type_name(),
            "; expected a string, number or boolean label");
  return value->dump();
}

/// Calls fn(record, "file:line") for every non-blank line.
template <class Fn>
void for_each_record(const std::filesystem::path& path, Fn&& fn) {
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), path.string(), ": cannot open the file");
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    fn(io::parse_json(line, where, io::JsonSource::Input), where);
  }
}

}  // namespace

std::vector<std::string> read_jsonl_labels(const std::filesystem::path& path, const std::string& label_field) {
  std::vector<std::string> labels;
  for_each_record(path, [&](const json& record, const std::string& where) {
    labels.push_back(label_of(record, label_field, where));
  });
  return labels;
}

RowLabels read_jsonl_row_labels(const std::filesystem::path& path, const std::string& label_field,
                                const std::string& row_field) {
  RowLabels out;
  for_each_record(path, [&](const json& record, const std::string& where) {
    std::string label = label_of(record, label_field, where);
    const json* row = find_field(record, row_field);
    EMB_CHECK(row != nullptr, where, ": no field '", row_field, "' (the row of the embeddings this label is for)");
    EMB_CHECK(row->is_number_unsigned() || (row->is_number_integer() && row->get<std::int64_t>() >= 0), where,
              ": field '", row_field, "' is ", row->dump(), "; expected a row index (an integer >= 0)");
    if (label.empty()) return;  // an unlabelled row
    out.rows.push_back(row->get<std::size_t>());
    out.labels.push_back(std::move(label));
  });
  return out;
}

}  // namespace emb::cli
