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

}  // namespace

std::vector<std::string> read_jsonl_labels(const std::filesystem::path& path, const std::string& label_field) {
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), path.string(), ": cannot open the file");
  std::vector<std::string> labels;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    const json record = io::parse_json(line, where, io::JsonSource::Input);
    const json* value = find_field(record, label_field);
    EMB_CHECK(value != nullptr, where, ": no field '", label_field, "'");
    if (value->is_string()) {
      labels.push_back(value->get<std::string>());
    } else {
      EMB_CHECK(value->is_number() || value->is_boolean(), where, ": field '", label_field, "' is ",
                value->type_name(), "; expected a string, number or boolean label");
      labels.push_back(value->dump());
    }
  }
  return labels;
}

}  // namespace emb::cli
