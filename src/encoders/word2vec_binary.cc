#include "encoders/word2vec_binary.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "embetter/error.h"
#include "io/json_input.h"

namespace emb::encoders {

Word2VecVectors read_word2vec_binary(const std::filesystem::path& path) {
  static_assert(std::endian::native == std::endian::little, "word2vec files are little-endian float32");
  std::ifstream in(path, std::ios::binary);
  EMB_CHECK_AS(ModelLoadError, in, "cannot open the word2vec file ", path.string());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = path.string();

  const auto newline = bytes.find('\n');
  EMB_CHECK_AS(ModelLoadError, newline != std::string::npos && newline < 64, name,
               ": expected a word2vec binary header '<count> <dim>\\n'");
  std::istringstream header(bytes.substr(0, newline));
  long long count = -1, dim = -1;
  header >> count >> dim;
  EMB_CHECK_AS(ModelLoadError, header && count > 0 && dim > 0, name, ": bad word2vec header '",
               io::text_excerpt(bytes.substr(0, newline)), "'; expected two positive integers '<count> <dim>'");

  // The header's numbers size nothing before the records back them: a
  // record takes at least a one-byte word, a space and its floats, so the
  // file bounds what is reserved, and a short file ends at the record that
  // is cut off.
  const std::size_t body = bytes.size() - newline - 1;
  EMB_CHECK_AS(ModelLoadError, static_cast<unsigned long long>(dim) <= body / sizeof(float), name, ": the header's ",
               dim, " values per vector are more than the file's ", body, " bytes hold");
  const std::size_t row_bytes = static_cast<std::size_t>(dim) * sizeof(float);
  const std::size_t reserve = std::min<std::size_t>(static_cast<std::size_t>(count), body / (row_bytes + 2));
  Word2VecVectors out;
  out.words.reserve(reserve);
  std::vector<float> values;
  values.reserve(reserve * static_cast<std::size_t>(dim));
  std::size_t pos = newline + 1;
  for (long long i = 0; i < count; ++i) {
    while (pos < bytes.size() && bytes[pos] == '\n') ++pos;  // gensim strips a leading newline
    const auto space = bytes.find(' ', pos);
    EMB_CHECK_AS(ModelLoadError, space != std::string::npos, name, ": record ", i, " of ", count,
                 " has no word (the file ends early or is not in binary format)");
    out.words.push_back(bytes.substr(pos, space - pos));
    pos = space + 1;
    EMB_CHECK_AS(ModelLoadError, bytes.size() - pos >= row_bytes, name, ": record ", i, " of ", count, " ('",
                 io::text_excerpt(out.words.back()), "') is truncated: expected ", dim, " float32 values");
    values.resize(values.size() + static_cast<std::size_t>(dim));
    std::memcpy(values.data() + values.size() - dim, bytes.data() + pos, row_bytes);
    pos += row_bytes;
  }
  out.vectors = Matrix(static_cast<std::size_t>(count), static_cast<std::size_t>(dim), std::move(values));
  EMB_CHECK_AS(ModelLoadError, out.vectors.all_finite(), name, ": the vectors contain NaN or infinity");
  return out;
}

}  // namespace emb::encoders
