#pragma once
// word2vec's binary vector format (as written by word2vec -binary 1 and read by
// gensim's KeyedVectors.load_word2vec_format(binary=True)):
//   "<count> <dim>\n", then per word: the word's UTF-8 bytes, ' ', dim little-endian
//   float32 values, and an optional '\n' (tolerated before the next word).
#include <filesystem>
#include <string>
#include <vector>

#include "embetter/matrix.h"

namespace emb::encoders {

struct Word2VecVectors {
  std::vector<std::string> words;  ///< row order of `vectors`
  Matrix vectors;                  ///< count × dim
};

/// Throws ModelLoadError naming the file, the record and what was expected.
Word2VecVectors read_word2vec_binary(const std::filesystem::path& path);

}  // namespace emb::encoders
