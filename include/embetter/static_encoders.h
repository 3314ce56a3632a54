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
/// encode() tells `progress` (texts done, texts) every 1024 texts; returning
/// false stops it with Interrupted (Ctrl-C from Python).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb {

/// Options of TextEncoder::load; unset values come from the model's config.json,
/// as in model2vec's StaticModel.from_pretrained.
struct TextEncoderOptions {
  std::optional<bool> normalize;  ///< L2-normalise each row; default: config "normalize", else false
  /// Token budget per text; default: config "max_length", else 512. 0 = no limit.
  std::optional<std::size_t> max_length;
  std::string revision = "main";  ///< hub revision when loading by id
  bool show_progress = false;     ///< download progress bar
};

/// A model2vec static model. encode() follows StaticModel.encode: tokenize
/// without special tokens, truncate to max_length tokens (after cutting the text
/// to max_length × the median token length in characters), drop the unknown
/// token, average the token vectors (a text with no tokens gets zeros) and
/// L2-normalise when asked. Vocabulary-quantized models (`mapping`, `weights`
/// tensors) are supported.
class TextEncoder {
 public:
  /// A model folder or a hub id (resolved with resolve_model, so the HF cache is shared).
  /// Throws ModelLoadError naming the file when the folder is not a model2vec model.
  static TextEncoder load(const std::string& name_or_path, const TextEncoderOptions& opts = {});

  TextEncoder(TextEncoder&&) noexcept;
  TextEncoder& operator=(TextEncoder&&) noexcept;
  ~TextEncoder();

  /// n × dim(); InvalidArgument for text that is not valid UTF-8.
  Matrix encode(const std::vector<std::string>& texts, const ProgressFn& progress = {}) const;
  /// The token ids that encode() averages for `text` (after truncation and unk removal).
  std::vector<std::int32_t> token_ids(std::string_view text) const;
  std::size_t dim() const;
  bool normalize() const;
  std::size_t max_length() const;  ///< 0 = no limit
  const std::filesystem::path& folder() const;

 private:
  struct Impl;
  explicit TextEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

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
  Matrix encode(const std::vector<std::string>& texts, const ProgressFn& progress = {}) const;
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
