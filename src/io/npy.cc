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
#include "io/json_input.h"
#include "io/npy_writer.h"

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
    // Quote the header near the fault only: a 50 MB header went to stderr whole.
    const std::size_t from = pos_ > io::kExcerptChars / 2 ? pos_ - io::kExcerptChars / 2 : 0;
    throw InvalidArgument(file_ + ": cannot parse the .npy header (" + std::string(what) + " at offset " +
                          std::to_string(pos_) + "): " + (from ? "…" : "") +
                          io::text_excerpt(text_.substr(std::min(from, text_.size()))));
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
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i == 8) return s + ", … " + std::to_string(shape.size()) + " dimensions)";
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
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
  EMB_CHECK(*descr == "<f4" || *descr == "<f8", file, ": dtype '", io::text_excerpt(*descr),
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
  io::NpyWriter writer(path, m.cols());
  writer.append(m);
  writer.commit();
}

namespace io {
namespace {

// The header numpy.save writes for a '<f4' C-order rows × cols array, spaces
// for a 21-digit row count included (numpy leaves them so that a header can
// be rewritten in place when the array grows): its size does not depend on
// `rows`, so the count can be patched in once the rows are written.
std::string npy_header(std::size_t rows, std::size_t cols) {
  constexpr std::size_t kGrowthAxisMaxDigits = 21;
  const std::string count = std::to_string(rows);
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + count + ", " + std::to_string(cols) +
                     "), }";
  dict.append(kGrowthAxisMaxDigits - count.size(), ' ');
  // Magic, version and a 2-byte length, then the dict padded with spaces and
  // ended with '\n' so that the data starts 64-byte aligned (numpy's formula,
  // which pads a whole 64 bytes when already aligned).
  const std::size_t prefix = kMagic.size() + 2 + 2;
  const std::size_t padded = dict.size() + 1;
  const std::size_t pad = kAlign - (prefix + padded) % kAlign;
  const std::size_t len = padded + pad;
  EMB_CHECK(len <= 0xffff, "npy: header of ", len, " bytes does not fit format version 1.0");
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

}  // namespace

NpyWriter::NpyWriter(const std::filesystem::path& target, std::size_t cols) : file_(target), cols_(cols) {
  const std::string header = npy_header(0, cols_);
  header_size_ = header.size();
  file_.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
}

void NpyWriter::append(const Matrix& rows) {
  EMB_CHECK(rows.cols() == cols_, file_.target().string(), ": rows of ", rows.cols(), " columns appended to a .npy of ",
            cols_, " columns");
  file_.stream().write(reinterpret_cast<const char*>(rows.data()),
                       static_cast<std::streamsize>(rows.size() * sizeof(float)));
  rows_ += rows.rows();
}

void NpyWriter::prepare() {
  const std::string header = npy_header(rows_, cols_);
  EMB_CHECK_AS(Error, header.size() == header_size_, file_.target().string(), ": .npy header grew to ", header.size(),
               " bytes from ", header_size_);
  file_.stream().seekp(0);
  file_.stream().write(header.data(), static_cast<std::streamsize>(header.size()));
  file_.prepare();
  prepared_ = true;
}

void NpyWriter::commit() {
  if (!prepared_) prepare();
  file_.commit();
}

}  // namespace io
}  // namespace emb
