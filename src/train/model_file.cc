#include "train/model_file.h"

#include <cmath>
#include <limits>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::train {

io::SafetensorsWriter model_writer(const std::string& kind, const nlohmann::json& params) {
  io::SafetensorsWriter writer;
  writer.set_metadata(kKindKey, kind);
  writer.set_metadata(kFormatKey, kFormatVersion);
  writer.set_metadata("params", params.dump());
  return writer;
}

nlohmann::json random_state_json(const RandomState& state) {
  return state ? nlohmann::json(*state) : nlohmann::json(nullptr);
}

ModelReader ModelReader::open(const std::filesystem::path& path, const std::string& kind) {
  return ModelReader(io::SafetensorsFile::open(path), kind);
}

ModelReader ModelReader::from_bytes(std::string bytes, const std::string& kind) {
  return ModelReader(io::open_safetensors_bytes(std::move(bytes), "<" + kind + " bytes>"), kind);
}

ModelReader::ModelReader(io::SafetensorsFile file, const std::string& kind) : file_(std::move(file)) {
  const auto& meta = file_.metadata();
  const auto found = meta.find(kKindKey);
  if (found == meta.end())
    fail(detail::concat("not an embetter model file (no '", kKindKey, "' in its metadata); expected a ", kind));
  if (found->second != kind) fail(detail::concat("holds a ", found->second, "; expected a ", kind));
  if (metadata(kFormatKey) != kFormatVersion)
    fail(detail::concat(kind, " file format '", metadata(kFormatKey), "' is not supported (expected '",
                        kFormatVersion, "')"));
  params_ = io::parse_json(metadata("params"), file_.path().string() + ": metadata 'params'");
  if (!params_.is_object()) fail("metadata 'params' is not a JSON object");
}

void ModelReader::fail(const std::string& message) const {
  throw ModelLoadError(detail::concat(file_.path().string(), ": ", message));
}

const std::string& ModelReader::metadata(const std::string& key) const {
  const auto found = file_.metadata().find(key);
  if (found == file_.metadata().end()) fail(detail::concat("metadata '", key, "' is missing"));
  return found->second;
}

const nlohmann::json& ModelReader::param(const std::string& name) const {
  const auto found = params_.find(name);
  if (found == params_.end()) fail(detail::concat("metadata 'params' has no '", name, "'"));
  return *found;
}

std::string ModelReader::param_string_or(const std::string& name, const std::string& absent) const {
  const auto found = params_.find(name);
  if (found == params_.end()) return absent;
  if (!found->is_string()) fail(detail::concat("params '", name, "' is ", io::json_excerpt(*found), "; expected a string"));
  return found->get<std::string>();
}

int ModelReader::param_int(const std::string& name, int min_value) const {
  const auto& v = param(name);
  if (!v.is_number_integer() || v.get<std::int64_t>() < min_value ||
      v.get<std::int64_t>() > std::numeric_limits<int>::max())
    fail(detail::concat("params '", name, "' is ", io::json_excerpt(v), "; expected an integer >= ", min_value));
  return v.get<int>();
}

float ModelReader::param_positive_float(const std::string& name) const {
  const auto& v = param(name);
  if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
    fail(detail::concat("params '", name, "' is ", io::json_excerpt(v), "; expected a positive number"));
  return v.get<float>();
}

RandomState ModelReader::param_random_state(const std::string& name) const {
  const auto& v = param(name);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_unsigned()) fail(detail::concat("params '", name, "' is ", io::json_excerpt(v), "; expected null or a seed"));
  return v.get<std::uint64_t>();
}

std::vector<std::string> ModelReader::string_list(const std::string& key) const {
  const auto v = io::parse_json(metadata(key), detail::concat(file_.path().string(), ": metadata '", key, "'"));
  if (!v.is_array()) fail(detail::concat("metadata '", key, "' is not a JSON list"));
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string()) fail(detail::concat("metadata '", key, "' holds ", io::json_excerpt(item), "; expected strings"));
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::int64_t ModelReader::count(const std::string& key) const {
  const auto v = io::parse_json(metadata(key), detail::concat(file_.path().string(), ": metadata '", key, "'"));
  if (!v.is_number_unsigned())
    fail(detail::concat("metadata '", key, "' is '", io::text_excerpt(metadata(key)), "'; expected a count"));
  return v.get<std::int64_t>();
}

std::vector<std::int64_t> ModelReader::shape(const std::string& name, std::size_t rank) const {
  if (!file_.contains(name)) fail(detail::concat("tensor '", name, "' is missing"));
  const auto& info = file_.info(name);
  if (info.shape.size() != rank)
    fail(detail::concat("'", name, "' has shape ", io::shape_text(info.shape), "; expected ", rank, " dimensions"));
  return info.shape;
}

std::vector<float> ModelReader::tensor(const std::string& name, std::vector<std::int64_t> expected_shape) const {
  const auto actual = shape(name, expected_shape.size());
  if (actual != expected_shape)
    fail(detail::concat("'", name, "' has shape ", io::shape_text(actual), "; expected ",
                        io::shape_text(expected_shape)));
  if (file_.info(name).dtype != io::DType::F32)
    fail(detail::concat("'", name, "' is ", io::dtype_name(file_.info(name).dtype), "; expected F32"));
  std::vector<float> values = file_.floats(name);
  for (float v : values)
    if (!std::isfinite(v)) fail(detail::concat("'", name, "' holds a non-finite value (", v, ")"));
  return values;
}

}  // namespace emb::train
