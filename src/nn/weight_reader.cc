#include "nn/weight_reader.h"

#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "embetter/error.h"

namespace emb::nn {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      std::uint32_t m = mant;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400u) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

// Interim reader (whole file in memory, F32/F16/BF16) until the io module's
// memory-mapped SafetensorsFile is on main; the public surface stays the same.
struct WeightReader::File {
  struct Entry {
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::size_t begin = 0, end = 0;
  };
  std::filesystem::path path;
  std::string bytes;
  std::size_t data_start = 0;
  std::map<std::string, Entry, std::less<>> entries;
};

WeightReader::WeightReader(const std::filesystem::path& safetensors) : file_(std::make_unique<File>()) {
  file_->path = safetensors;
  std::ifstream in(safetensors, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in.good(), safetensors.string(), ": cannot open the weights file");
  std::ostringstream ss;
  ss << in.rdbuf();
  file_->bytes = ss.str();
  const auto& b = file_->bytes;
  EMB_CHECK_AS(ModelLoadError, b.size() >= 8, safetensors.string(), ": too short for a safetensors file");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(b[static_cast<std::size_t>(i)]);
  EMB_CHECK_AS(ModelLoadError, n <= b.size() - 8, safetensors.string(), ": header length ", n,
               " exceeds the file size");
  file_->data_start = 8 + n;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(b.substr(8, n));
  } catch (const std::exception& e) {
    throw ModelLoadError(safetensors.string() + ": invalid safetensors header: " + e.what());
  }
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") continue;
    File::Entry e;
    e.dtype = v.at("dtype").get<std::string>();
    e.shape = v.at("shape").get<std::vector<std::int64_t>>();
    e.begin = v.at("data_offsets").at(0).get<std::size_t>();
    e.end = v.at("data_offsets").at(1).get<std::size_t>();
    EMB_CHECK_AS(ModelLoadError, e.begin <= e.end && file_->data_start + e.end <= b.size(), safetensors.string(),
                 ": tensor '", name, "' lies outside the file");
    file_->entries.emplace(name, std::move(e));
  }
}

WeightReader::~WeightReader() = default;
WeightReader::WeightReader(WeightReader&&) noexcept = default;
WeightReader& WeightReader::operator=(WeightReader&&) noexcept = default;

const std::filesystem::path& WeightReader::path() const noexcept { return file_->path; }

void WeightReader::choose_prefix(std::string_view probe, std::span<const std::string> prefixes) {
  std::string tried;
  for (const auto& p : prefixes) {
    if (file_->entries.count(p + std::string(probe))) {
      prefix_ = p;
      return;
    }
    tried += (tried.empty() ? "'" : ", '") + p + std::string(probe) + "'";
  }
  throw ModelLoadError(path().string() + ": no tensor named " + tried +
                       "; is this a checkpoint of the architecture config.json names?");
}

bool WeightReader::contains(std::string_view name) const {
  return file_->entries.count(prefix_ + std::string(name)) > 0;
}

namespace {
std::vector<float> read_tensor(const WeightReader& reader, const std::string& full, const std::string& bytes,
                               std::size_t data_start, const std::string& dtype, std::size_t begin, std::size_t n) {
  std::vector<float> out(n);
  const char* p = bytes.data() + data_start + begin;
  if (dtype == "F32") {
    std::memcpy(out.data(), p, n * 4);
  } else if (dtype == "F16" || dtype == "BF16") {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      if (dtype == "F16") {
        out[i] = half_to_float(h);
      } else {
        const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
    }
  } else {
    throw ModelLoadError(reader.path().string() + ": tensor '" + full + "' has dtype " + dtype +
                         "; expected F32, F16 or BF16");
  }
  return out;
}
}  // namespace

Matrix WeightReader::matrix(std::string_view name, std::size_t rows, std::size_t cols, std::string_view why) const {
  const std::string full = prefix_ + std::string(name);
  const std::vector<std::int64_t> expected{static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)};
  auto it = file_->entries.find(full);
  EMB_CHECK_AS(ModelLoadError, it != file_->entries.end(), path().string(), ": missing tensor '", full,
               "' (expected shape ", shape_text(expected), ")");
  EMB_CHECK_AS(ModelLoadError, it->second.shape == expected, path().string(), ": '", full, "' has shape ",
               shape_text(it->second.shape), "; expected ", shape_text(expected), " (", why, ")");
  return Matrix(rows, cols,
                read_tensor(*this, full, file_->bytes, file_->data_start, it->second.dtype, it->second.begin,
                            rows * cols));
}

std::vector<float> WeightReader::vector(std::string_view name, std::size_t n, std::string_view why) const {
  const std::string full = prefix_ + std::string(name);
  const std::vector<std::int64_t> expected{static_cast<std::int64_t>(n)};
  auto it = file_->entries.find(full);
  EMB_CHECK_AS(ModelLoadError, it != file_->entries.end(), path().string(), ": missing tensor '", full,
               "' (expected shape ", shape_text(expected), ")");
  EMB_CHECK_AS(ModelLoadError, it->second.shape == expected, path().string(), ": '", full, "' has shape ",
               shape_text(it->second.shape), "; expected ", shape_text(expected), " (", why, ")");
  return read_tensor(*this, full, file_->bytes, file_->data_start, it->second.dtype, it->second.begin, n);
}

}  // namespace emb::nn
