#pragma once
/// @file static_encoders.h
/// Static (non-contextual) text encoders: a text's embedding is an aggregate of
/// fixed per-token vectors. No neural network runs, so they are very fast.
///
///  - TextEncoder: model2vec models (the original embetter's TextEncoder), e.g.
///    minishlab/potion-base-8M: tokenizer.json + an `embeddings` tensor.
///  - BytePairEncoder: BPEmb subword embeddings (the original embetter's
///    BytePairEncoder): a sentencepiece model + word2vec binary vectors.
///
/// Both return a Matrix of n_texts × dim(), row-major, in input order. They are
/// immutable after loading, so encode() may be called from several threads.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"

namespace emb {

/// How BytePairEncoder reduces a text's subword vectors to one.
enum class BpeAggregation { Mean, Max, Both /* mean then max, 2 × dim columns */ };

/// BPEmb subword embeddings (Heinzerling & Strube, 2018). encode() follows BPEmb.embed:
/// lowercase the text (Python's str.lower), replace every decimal digit with '0',
/// encode it with the sentencepiece model, look the ids up as rows of the vectors
/// (unknown pieces use the <unk> row, as BPEmb does) and aggregate. A text without
/// pieces (empty or whitespace) gets zeros, where BPEmb would return NaN.
class BytePairEncoder {
 public:
  /// e.g. ("en.wiki.bpe.vs1000.model", "en.wiki.bpe.vs1000.d25.w2v.bin").
  /// Throws ModelLoadError naming the file if either cannot be read, or when the
  /// vectors do not cover every piece of the model.
  BytePairEncoder(const std::filesystem::path& model_path, const std::filesystem::path& vectors_path,
                  BpeAggregation aggregation = BpeAggregation::Mean);
  BytePairEncoder(BytePairEncoder&&) noexcept;
  BytePairEncoder& operator=(BytePairEncoder&&) noexcept;
  ~BytePairEncoder();

  /// n × dim(); InvalidArgument for text that is not valid UTF-8.
  Matrix encode(const std::vector<std::string>& texts) const;
  /// BPEmb's preprocessing: str.lower() and every Unicode decimal digit → '0'.
  static std::string preprocess(std::string_view text);
  /// The sentencepiece ids of preprocess(text) (BPEmb.encode_ids).
  std::vector<int> encode_ids(std::string_view text) const;
  std::vector<std::string> encode_pieces(std::string_view text) const;
  /// Output width: the vector size, or twice it for BpeAggregation::Both.
  std::size_t dim() const;
  std::size_t vocab_size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emb
