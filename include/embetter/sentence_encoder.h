#pragma once
/// @file sentence_encoder.h
/// SentenceEncoder: sentence-transformers models run natively (no PyTorch, no
/// ONNX). Loads a sentence-transformers folder (or a hub id resolved through
/// the Hugging Face cache, see hub.h) holding model.safetensors (else
/// pytorch_model.bin, read without running its pickle), config.json,
/// tokenizer.json (or vocab.txt), modules.json and its Pooling, Dense and
/// Normalize modules. Supported encoders: BERT (MiniLM, BERT-base), RoBERTa /
/// XLM-RoBERTa, MPNet, DistilBERT.
///
/// Each text is encoded on its own (no padding is ever attended to), so its
/// embedding is bitwise the same whatever else is in its batch and whatever
/// the thread count. Embeddings agree with sentence-transformers within 1e-4.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/matrix.h"
#include "embetter/progress.h"

namespace emb {

struct SentenceEncoderOptions {
  /// Texts per batch (of similar length, longest first, as sentence-transformers).
  int batch_size = 32;
  /// L2-normalise each embedding (after truncate_dim), as encode(normalize_embeddings=True).
  bool normalize_embeddings = false;
  /// Tokens per text, special tokens included; 0 = the model's own maximum
  /// (sentence_bert_config.json, else tokenizer_config.json, capped by the
  /// positions the encoder has). Larger than the encoder allows: InvalidArgument.
  int max_seq_length = 0;
  /// Keep the first truncate_dim values of each embedding (Matryoshka models); 0 = all.
  int truncate_dim = 0;
  /// How the transformer's matrix products run: "fp32" (default; within 1e-4
  /// of sentence-transformers) or "int8" (weights quantized to int8 at load,
  /// each token's activations to uint8 on the fly; AVX-512 VNNI, AVX2 or a
  /// portable integer path, all giving the same products; 1.5–2.4× fp32 with
  /// VNNI, ~1.2× on AVX2 (measured); embeddings keep cosine ≥ 0.999 to fp32 on
  /// all-MiniLM-L6-v2 and stay independent of the batch). Anything else: InvalidArgument; "bf16":
  /// NotSupportedError (not built).
  std::string precision = "fp32";
  /// Threads over the texts of a batch; 0 = emb::num_threads().
  int num_threads = 0;
  /// A progress bar on stderr ("Batches: [###...] k/n", as sentence-transformers
  /// draws), also when `progress` is set (Python sets it to check for Ctrl-C).
  bool show_progress_bar = false;
  /// Called after each batch with (texts done, total); returning false stops with Interrupted.
  ProgressFn progress;
};

class SentenceEncoder {
 public:
  /// A local folder, or a hub id such as "all-MiniLM-L6-v2" (resolve_model).
  /// ModelLoadError / NotSupportedError naming the file and what was expected.
  static SentenceEncoder load(const std::string& name_or_path, SentenceEncoderOptions opts = {});

  /// n × dim() embeddings, row i for texts[i]. Thread-safe. Texts are
  /// tokenised a window of 2048 at a time (so only that window's token ids are
  /// held, and `progress` is first called early even for a huge list).
  Matrix encode(const std::vector<std::string>& texts) const;

  /// Texts [begin, end) of a list that lives elsewhere (Python strings, a
  /// file), valid until the next call.
  using TextWindow = std::function<std::span<const std::string>(std::size_t begin, std::size_t end)>;
  /// encode() of n texts that `window` hands over a window at a time, so that
  /// only one window of them is ever copied; the same rows as encode(texts).
  Matrix encode(std::size_t n, const TextWindow& window) const;
  /// The token ids the model sees for one text (truncated to max_seq_length()).
  std::vector<std::int32_t> token_ids(std::string_view text) const;

  std::size_t dim() const;
  std::size_t max_seq_length() const;
  const SentenceEncoderOptions& options() const;
  /// The folder the model was loaded from.
  const std::string& model_path() const;

  struct Impl;

 private:
  explicit SentenceEncoder(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace emb
