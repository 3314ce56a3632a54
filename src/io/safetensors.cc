#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "embetter/error.h"
#include "io/atomic_file.h"
#include "io/json_input.h"

namespace emb::io {

// Tensor bytes are little-endian; reading them with memcpy relies on a matching host.
static_assert(std::endian::native == std::endian::little, "embetter assumes a little-endian host");

namespace {

using nlohmann::json;

// The reference implementation refuses larger headers (MAX_HEADER_SIZE).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  std::size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::BOOL, "BOOL", 1},
};

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& e : kDTypes)
    if (e.name == name) return e.dtype;
  return std::nullopt;
}

std::string supported_dtypes() {
  std::string s;
  for (const auto& e : kDTypes) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

// Exact, including subnormals (m · 2^-24), infinities and NaN payloads.
float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  const std::uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -magnitude : magnitude;
  }
  const std::uint32_t bits =
      exp == 0x1f ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112u) << 23) | (mant << 13));
  return std::bit_cast<float>(bits);
}

float bf16_to_f32(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string offsets_text(const TensorInfo& t) {
  return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e.name;
  return "?";
}

std::size_t dtype_size(DType dtype) {
  for (const auto& e : kDTypes)
    if (e.dtype == dtype) return e.size;
  return 0;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Either a read-only mapping of a file or bytes owned in memory.
struct SafetensorsFile::Storage {
  std::string owned;
  void* mapping = nullptr;
  std::size_t mapping_size = 0;
  std::span<const std::byte> bytes;

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (mapping) ::munmap(mapping, mapping_size);
  }
};

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EMB_CHECK_AS(ModelLoadError, fd >= 0, file, ": cannot open: ", std::strerror(errno));
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  if (!stat_ok || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ModelLoadError(file + ": not a regular file");
  }
  auto storage = std::make_shared<Storage>();
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > 0) {  // mmap refuses empty files; parse() reports those as too short
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    EMB_CHECK_AS(ModelLoadError, p != MAP_FAILED, file, ": cannot memory-map: ", std::strerror(err));
    storage->mapping = p;
    storage->mapping_size = size;
    storage->bytes = {static_cast<const std::byte*>(p), size};
  } else {
    ::close(fd);
  }
  return parse(std::move(storage), path);
}

SafetensorsFile open_safetensors_bytes(std::string bytes, std::filesystem::path name) {
  auto storage = std::make_shared<SafetensorsFile::Storage>();
  storage->owned = std::move(bytes);
  storage->bytes = std::as_bytes(std::span(storage->owned));
  return SafetensorsFile::parse(std::move(storage), std::move(name));
}

SafetensorsFile SafetensorsFile::parse(std::shared_ptr<const Storage> storage, std::filesystem::path path) {
  SafetensorsFile f;
  f.path_ = std::move(path);
  const std::string file = f.path_.string();
  const std::span<const std::byte> all = storage->bytes;

  EMB_CHECK_AS(ModelLoadError, all.size() >= 8, file, ": ", all.size(),
               " bytes is too short for a safetensors file (it starts with an 8-byte header length)");
  const auto header_len = load<std::uint64_t>(all.data());
  EMB_CHECK_AS(ModelLoadError, header_len <= kMaxHeaderBytes, file, ": header length ", header_len,
               " exceeds the 100 MB limit (not a safetensors file?)");
  EMB_CHECK_AS(ModelLoadError, header_len <= all.size() - 8, file, ": header length ", header_len,
               " runs past the end of the ", all.size(), "-byte file (truncated?)");
  const std::string_view header(reinterpret_cast<const char*>(all.data() + 8), header_len);
  EMB_CHECK_AS(ModelLoadError, !header.empty() && header.front() == '{', file,
               ": header does not start with '{' (not a safetensors file?)");

  // nlohmann keeps the last of duplicate keys; the format forbids duplicates, so catch them here.
  std::set<std::string> seen;
  const json j = parse_json(header, file + ": header", JsonSource::ModelFile, [&](const std::string& key) {
    EMB_CHECK_AS(ModelLoadError, seen.insert(key).second, file, ": header names '", text_excerpt(key), "' twice");
  });
  EMB_CHECK_AS(ModelLoadError, j.is_object(), file, ": header is JSON but not an object");

  f.data_ = all.subspan(8 + header_len);
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") {
      EMB_CHECK_AS(ModelLoadError, value.is_object(), file, ": __metadata__ is not an object");
      for (const auto& [key, v] : value.items()) {
        EMB_CHECK_AS(ModelLoadError, v.is_string(), file, ": __metadata__ value of '", key,
                     "' is not a string (", v.type_name(), ")");
        f.metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = file + ": '" + text_excerpt(name) + "'";
    EMB_CHECK_AS(ModelLoadError, value.is_object(), where, " is not an object in the header");
    const auto dtype_it = value.find("dtype");
    const auto shape_it = value.find("shape");
    const auto offsets_it = value.find("data_offsets");
    EMB_CHECK_AS(ModelLoadError, dtype_it != value.end() && dtype_it->is_string(), where,
                 " has no string 'dtype'");
    EMB_CHECK_AS(ModelLoadError, shape_it != value.end() && shape_it->is_array(), where, " has no 'shape' array");
    EMB_CHECK_AS(ModelLoadError,
                 offsets_it != value.end() && offsets_it->is_array() && offsets_it->size() == 2 &&
                     (*offsets_it)[0].is_number_unsigned() && (*offsets_it)[1].is_number_unsigned(),
                 where, " has no 'data_offsets' pair of non-negative integers");

    TensorInfo t;
    t.name = name;
    const auto dtype_str = dtype_it->get<std::string>();
    const auto dtype = parse_dtype(dtype_str);
    EMB_CHECK_AS(ModelLoadError, dtype.has_value(), where, " has unsupported dtype '", text_excerpt(dtype_str),
                 "'; supported: ", supported_dtypes());
    t.dtype = *dtype;
    std::uint64_t numel = 1;
    for (const auto& d : *shape_it) {
      EMB_CHECK_AS(ModelLoadError, d.is_number_unsigned() && d.get<std::uint64_t>() <= INT64_MAX, where,
                   " has a shape entry that is not a non-negative integer: ", json_excerpt(d));
      const auto dim = d.get<std::uint64_t>();
      t.shape.push_back(static_cast<std::int64_t>(dim));
      EMB_CHECK_AS(ModelLoadError, !__builtin_mul_overflow(numel, dim, &numel), where, " has an absurd shape ",
                   json_excerpt(*shape_it));
    }
    const auto begin = (*offsets_it)[0].get<std::uint64_t>();
    const auto end = (*offsets_it)[1].get<std::uint64_t>();
    t.begin = begin;
    t.end = end;
    EMB_CHECK_AS(ModelLoadError, begin <= end, where, " has data_offsets ", offsets_text(t),
                 " that end before they begin");
    EMB_CHECK_AS(ModelLoadError, end <= f.data_.size(), where, " has data_offsets ", offsets_text(t),
                 " beyond the ", f.data_.size(), "-byte data buffer (file truncated?)");
    std::uint64_t nbytes = 0;
    EMB_CHECK_AS(ModelLoadError,
                 !__builtin_mul_overflow(numel, dtype_size(t.dtype), &nbytes) && nbytes == end - begin, where,
                 " has shape ", shape_text(t.shape), " of ", dtype_str, " (", numel, " values) but data_offsets ",
                 offsets_text(t), " span ", end - begin, " bytes");
    f.tensors_.emplace(name, std::move(t));
  }

  // The tensors must tile the buffer exactly: no hole, no overlap, nothing after the last.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& [name, t] : f.tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  std::size_t covered = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo* t : by_offset) {
    EMB_CHECK_AS(ModelLoadError, t->begin >= covered, file, ": '", text_excerpt(t->name), "' (data_offsets ", offsets_text(*t),
                 ") overlaps '", previous ? text_excerpt(previous->name) : "", "' (data_offsets ",
                 previous ? offsets_text(*previous) : "", ")");
    EMB_CHECK_AS(ModelLoadError, t->begin == covered, file, ": data bytes [", covered, ", ", t->begin,
                 ") belong to no tensor (a hole before '", text_excerpt(t->name), "')");
    covered = t->end;
    previous = t;
  }
  EMB_CHECK_AS(ModelLoadError, covered == f.data_.size(), file, ": the tensors end at data byte ", covered,
               " but the file has ", f.data_.size() - covered, " more bytes (8 + header ", header_len,
               " + data ", covered, " != file size ", all.size(), ")");
  f.storage_ = std::move(storage);
  return f;
}

bool SafetensorsFile::contains(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }

const TensorInfo& SafetensorsFile::info(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it != tensors_.end()) return it->second;
  std::string some;
  int shown = 0;
  for (const auto& [n, t] : tensors_) {
    if (shown++ == 5) {
      some += ", ...";
      break;
    }
    some += (some.empty() ? "'" : ", '") + n + "'";
  }
  throw ModelLoadError(path_.string() + ": no tensor named '" + std::string(name) + "' (it holds " +
                       std::to_string(tensors_.size()) + " tensors" + (some.empty() ? "" : ": " + some) + ")");
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) out.push_back(name);
  return out;
}

std::span<const std::byte> SafetensorsFile::bytes(std::string_view name) const {
  const TensorInfo& t = info(name);
  return data_.subspan(t.begin, t.end - t.begin);
}

std::vector<float> SafetensorsFile::floats(std::string_view name) const {
  const TensorInfo& t = info(name);
  const std::span<const std::byte> raw = bytes(name);
  const std::size_t n = raw.size() / dtype_size(t.dtype);
  std::vector<float> out(n);
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(out.data(), raw.data(), raw.size());
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) out[i] = f16_to_f32(load<std::uint16_t>(raw.data() + 2 * i));
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load<std::uint16_t>(raw.data() + 2 * i));
      break;
    case DType::F64:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<double>(raw.data() + 8 * i));
      break;
    default:
      throw ModelLoadError(path_.string() + ": '" + t.name + "' has dtype " + std::string(dtype_name(t.dtype)) +
                           "; expected a floating-point tensor (F32, F16, BF16 or F64)");
  }
  return out;
}

std::vector<float> SafetensorsFile::finite_floats(std::string_view name) const {
  std::vector<float> out = floats(name);
  const auto bad = std::find_if(out.begin(), out.end(), [](float x) { return !std::isfinite(x); });
  EMB_CHECK_AS(ModelLoadError, bad == out.end(), path_.string(), ": '", text_excerpt(info(name).name), "' holds ",
               *bad, " at index ", bad - out.begin(), " of ", out.size(), "; weights must be finite (a corrupt file?)");
  return out;
}

Matrix SafetensorsFile::matrix(std::string_view name) const {
  const TensorInfo& t = info(name);
  EMB_CHECK_AS(ModelLoadError, t.shape.size() == 1 || t.shape.size() == 2, path_.string(), ": '", t.name,
               "' has shape ", shape_text(t.shape), "; expected a 1-D or 2-D tensor");
  const auto rows = t.shape.size() == 2 ? static_cast<std::size_t>(t.shape[0]) : 1;
  const auto cols = static_cast<std::size_t>(t.shape.back());
  return Matrix(rows, cols, floats(name));
}

Matrix SafetensorsFile::matrix(std::string_view name, std::vector<std::int64_t> expected_shape) const {
  const TensorInfo& t = info(name);
  EMB_CHECK_AS(ModelLoadError, t.shape == expected_shape, path_.string(), ": '", t.name, "' has shape ",
               shape_text(t.shape), "; expected ", shape_text(expected_shape));
  return matrix(name);
}

void SafetensorsWriter::add(std::string name, const Matrix& m) {
  add(std::move(name), {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())},
      std::span<const float>(m.data(), m.size()));
}

void SafetensorsWriter::add(std::string name, std::vector<std::int64_t> shape, std::span<const float> values) {
  EMB_CHECK(!name.empty() && name != "__metadata__", "SafetensorsWriter: invalid tensor name '", name, "'");
  EMB_CHECK(!tensors_.contains(name), "SafetensorsWriter: tensor '", name, "' added twice");
  std::size_t numel = 1;
  for (const auto d : shape) {
    EMB_CHECK(d >= 0, "SafetensorsWriter: '", name, "' has a negative dimension in shape ", shape_text(shape));
    numel *= static_cast<std::size_t>(d);
  }
  EMB_CHECK(numel == values.size(), "SafetensorsWriter: '", name, "' has shape ", shape_text(shape), " (", numel,
            " values) but ", values.size(), " values were given");
  tensors_.emplace(std::move(name), Entry{std::move(shape), {values.begin(), values.end()}});
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::string SafetensorsWriter::to_bytes() const {
  // ordered_json keeps insertion order: "__metadata__" first, then tensors by name,
  // which is how the reference library lays out files of a single dtype.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    auto& meta = header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata_) meta[k] = v;
  }
  std::size_t offset = 0;
  for (const auto& [name, e] : tensors_) {
    const std::size_t nbytes = e.values.size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", e.shape}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned

  std::string out(8 + text.size() + offset, '\0');
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  char* data = out.data() + 8 + text.size();
  for (const auto& [name, e] : tensors_) {
    const std::size_t nbytes = e.values.size() * sizeof(float);
    if (nbytes) std::memcpy(data, e.values.data(), nbytes);
    data += nbytes;
  }
  return out;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const { write_file_atomic(path, to_bytes()); }

}  // namespace emb::io
