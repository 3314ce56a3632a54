#include "encoders/word2vec_binary.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "embetter/error.h"

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
               bytes.substr(0, newline), "'; expected two positive integers '<count> <dim>'");

  Word2VecVectors out;
  out.words.reserve(static_cast<std::size_t>(count));
  out.vectors = Matrix(static_cast<std::size_t>(count), static_cast<std::size_t>(dim));
  const std::size_t row_bytes = static_cast<std::size_t>(dim) * sizeof(float);
  std::size_t pos = newline + 1;
  for (long long i = 0; i < count; ++i) {
    while (pos < bytes.size() && bytes[pos] == '\n') ++pos;  // gensim strips a leading newline
    const auto space = bytes.find(' ', pos);
    EMB_CHECK_AS(ModelLoadError, space != std::string::npos, name, ": record ", i, " of ", count,
                 " has no word (the file ends early or is not in binary format)");
    out.words.push_back(bytes.substr(pos, space - pos));
    pos = space + 1;
    EMB_CHECK_AS(ModelLoadError, bytes.size() - pos >= row_bytes, name, ": record ", i, " of ", count, " ('",
                 out.words.back(), "') is truncated: expected ", dim, " float32 values");
    std::memcpy(out.vectors.row(static_cast<std::size_t>(i)).data(), bytes.data() + pos, row_bytes);
    pos += row_bytes;
  }
  EMB_CHECK_AS(ModelLoadError, out.vectors.all_finite(), name, ": the vectors contain NaN or infinity");
  return out;
}

}  // namespace emb::encoders
