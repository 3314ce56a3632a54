#pragma once
// The safetensors format (https://github.com/huggingface/safetensors):
//   8-byte little-endian header length N | N bytes of JSON header | data buffer.
// SafetensorsFile memory-maps a file and validates the whole layout once at
// open(), so later accessors only look up names. SafetensorsWriter writes
// float32 tensors in the same byte layout as the reference Python library.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"

namespace emb::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

/// "F32", "BF16", ... as written in safetensors headers.
std::string_view dtype_name(DType dtype);
/// Bytes per element.
std::size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::size_t begin = 0, end = 0;  // byte offsets in the data buffer, end exclusive
};

/// "[384, 768]"
std::string shape_text(std::span<const std::int64_t> shape);

/// A validated, read-only safetensors file. Cheap to copy (the mapping is shared);
/// every accessor is const and thread-safe. Errors are ModelLoadError naming the
/// file and, where there is one, the tensor.
class SafetensorsFile {
 public:
  /// Maps and validates `path`: header JSON, known dtypes, shape × dtype size ==
  /// extent, tensors inside the buffer with no overlap and no hole, 8 + N + end == file size.
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  bool contains(std::string_view name) const;
  const TensorInfo& info(std::string_view name) const;
  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// The tensor's raw little-endian bytes, zero-copy; valid while any copy of this object lives.
  std::span<const std::byte> bytes(std::string_view name) const;
  /// Values converted to float32 (from F32, F16, BF16 or F64), row-major.
  std::vector<float> floats(std::string_view name) const;
  /// floats(), refusing NaN and infinity (ModelLoadError naming the tensor):
  /// what every model weight is read through, because one NaN weight made
  /// every embedding NaN, with exit 0. (F64 values beyond float's range
  /// become infinity, and are refused too.)
  std::vector<float> finite_floats(std::string_view name) const;
  /// A 2-D tensor as rows × cols (a 1-D tensor of n values as 1 × n).
  Matrix matrix(std::string_view name) const;
  /// As matrix(name), after checking the shape: ModelLoadError
  /// "FILE: 'NAME' has shape [a, b]; expected [c, d]". A 1-D expected shape gives 1 × n.
  Matrix matrix(std::string_view name, std::vector<std::int64_t> expected_shape) const;

 private:
  friend SafetensorsFile open_safetensors_bytes(std::string bytes, std::filesystem::path name);
  struct Storage;
  static SafetensorsFile parse(std::shared_ptr<const Storage> storage, std::filesystem::path path);

  std::shared_ptr<const Storage> storage_;
  std::filesystem::path path_;
  std::span<const std::byte> data_;  // the buffer after the header
  std::map<std::string, TensorInfo, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// Parses a whole safetensors file held in memory (e.g. from a pickle);
/// `name` stands for the file in error messages.
SafetensorsFile open_safetensors_bytes(std::string bytes, std::filesystem::path name = "<safetensors bytes>");

/// Collects float32 tensors and writes them as one safetensors file: header keys
/// "__metadata__" first, then tensors by name, compact JSON padded with spaces to
/// a multiple of 8 bytes, data in the same order (as safetensors' save_file does).
class SafetensorsWriter {
 public:
  /// Shape [rows, cols].
  void add(std::string name, const Matrix& m);
  /// Copies `values`; their count must equal the product of `shape`.
  void add(std::string name, std::vector<std::int64_t> shape, std::span<const float> values);
  void set_metadata(std::string key, std::string value);

  /// The whole file.
  std::string to_bytes() const;
  /// Writes to_bytes() atomically (temporary file + rename).
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
  };
  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace emb::io
