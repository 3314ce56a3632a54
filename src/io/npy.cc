#include "embetter/npy.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "embetter/error.h"
#include "io/atomic_file.h"

namespace emb {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kAlign = 64;  // numpy pads the header so the data starts 64-byte aligned

// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// This reads just the subset numpy writes: strings, True/False and tuples of ints.
using HeaderValue = std::variant<std::string, bool, std::vector<std::uint64_t>>;

class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  std::vector<std::pair<std::string, HeaderValue>> dict() {
    std::vector<std::pair<std::string, HeaderValue>> out;
    expect('{');
    while (!eat('}')) {
      std::string key = string();
      expect(':');
      out.emplace_back(std::move(key), value());
      if (!eat(',')) {
        expect('}');
        break;
      }
    }
    return out;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw InvalidArgument(file_ + ": cannot parse the .npy header (" + std::string(what) + " at offset " +
                          std::to_string(pos_) + "): " + std::string(text_));
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) fail("expected a string");
    const char quote = text_[pos_++];
    const auto end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return s;
  }
  std::uint64_t integer() {
    skip_space();
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      if (v > (UINT64_MAX - 9) / 10) fail("integer too large");
      v = v * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
    }
    if (pos_ == start) fail("expected a non-negative integer");
    eat('L');  // Python 2 long suffix, written by very old numpy
    return v;
  }
  HeaderValue value() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (text_.substr(pos_, 5) == "False") return pos_ += 5, false;
    if (eat('(')) {
      std::vector<std::uint64_t> dims;
      while (!eat(')')) {
        dims.push_back(integer());
        if (!eat(',')) {
          expect(')');
          break;
        }
      }
      return dims;
    }
    if (pos_ < text_.size() && text_[pos_] == '[') fail("structured dtypes are not supported");
    return string();
  }

  std::string_view text_;
  std::string file_;
  std::size_t pos_ = 0;
};

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

Matrix read_npy(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string bytes = io::read_file(path);
  EMB_CHECK(bytes.size() >= 10 && std::string_view(bytes).substr(0, 6) == kMagic, file,
            ": not a .npy file (it does not start with \\x93NUMPY)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  EMB_CHECK(major >= 1 && major <= 3, file, ": .npy format version ", int(major), " is not supported; expected 1, 2 or 3");
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4 (little-endian).
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  EMB_CHECK(bytes.size() >= 8 + len_bytes, file, ": truncated .npy header");
  std::size_t header_len = 0;
  for (std::size_t i = 0; i < len_bytes; ++i)
    header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t data_start = 8 + len_bytes + header_len;
  EMB_CHECK(data_start <= bytes.size(), file, ": .npy header of ", header_len, " bytes runs past the end of the ",
            bytes.size(), "-byte file (truncated?)");

  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<std::uint64_t>> shape;
  for (auto& [key, value] : HeaderParser(std::string_view(bytes).substr(8 + len_bytes, header_len), file).dict()) {
    if (key == "descr" && std::holds_alternative<std::string>(value)) descr = std::get<std::string>(value);
    if (key == "fortran_order" && std::holds_alternative<bool>(value)) fortran_order = std::get<bool>(value);
    if (key == "shape" && std::holds_alternative<std::vector<std::uint64_t>>(value))
      shape = std::get<std::vector<std::uint64_t>>(value);
  }
  EMB_CHECK(descr && fortran_order && shape, file,
            ": .npy header lacks 'descr', 'fortran_order' or 'shape' (or has them with the wrong type)");
  EMB_CHECK(*descr == "<f4" || *descr == "<f8", file, ": dtype '", *descr,
            "' is not supported; expected float32 ('<f4') or float64 ('<f8') in C order");
  EMB_CHECK(!*fortran_order, file,
            ": array is in Fortran order; expected C order (save np.ascontiguousarray(X) instead)");
  EMB_CHECK(shape->size() == 1 || shape->size() == 2, file, ": ", shape->size(), "-D array of shape ",
            shape_text(*shape), " is not supported; expected a 1-D or 2-D array");

  const std::size_t rows = (*shape)[0];
  const std::size_t cols = shape->size() == 2 ? (*shape)[1] : 1;
  const std::size_t item = *descr == "<f4" ? 4 : 8;
  std::size_t nbytes = 0;
  EMB_CHECK(!__builtin_mul_overflow(rows, cols, &nbytes) && !__builtin_mul_overflow(nbytes, item, &nbytes), file,
            ": shape ", shape_text(*shape), " is too large");
  EMB_CHECK(bytes.size() - data_start == nbytes, file, ": shape ", shape_text(*shape), " of ", *descr, " needs ",
            nbytes, " data bytes but the file holds ", bytes.size() - data_start,
            bytes.size() - data_start < nbytes ? " (truncated?)" : "");

  std::vector<float> values(rows * cols);
  const char* data = bytes.data() + data_start;
  if (item == 4) {
    if (nbytes) std::memcpy(values.data(), data, nbytes);
  } else {
    for (std::size_t i = 0; i < values.size(); ++i) {
      double v;
      std::memcpy(&v, data + 8 * i, 8);
      values[i] = static_cast<float>(v);
    }
  }
  return Matrix(rows, cols, std::move(values));
}

void write_npy(const std::filesystem::path& path, const Matrix& m) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(m.rows()) + ", " +
                       std::to_string(m.cols()) + "), }";
  // Pad with spaces and end with '\n' so that magic + version + length + header is 64-byte aligned.
  const std::size_t unpadded = kMagic.size() + 2 + 2 + header.size() + 1;
  header.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  header += '\n';
  const auto len = static_cast<std::uint16_t>(header.size());

  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(m.data()), m.size() * sizeof(float));
  io::write_file_atomic(path, out);
}

}  // namespace emb
