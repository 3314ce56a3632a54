#pragma once
/// @file tokenizer.h
/// Text → token ids, matching the Hugging Face `tokenizers` library (Rust, 0.23)
/// on `tokenizer.json` files.
///
/// Pipeline (as in HF): added tokens are split off the raw text (those with
/// `normalized: false`), the rest is normalized, added tokens with
/// `normalized: true` are split off the normalized text, the remainder is
/// pre-tokenized and each piece goes through the model (WordPiece, BPE or
/// Unigram); the sequence is truncated, then the post-processor adds the
/// special tokens.
///
/// Supported components — normalizers: BertNormalizer, NFC, NFD, NFKC, NFKD,
/// Lowercase, Strip, Replace, Prepend, Sequence; pre-tokenizers:
/// BertPreTokenizer, Whitespace, WhitespaceSplit, ByteLevel, Metaspace,
/// Punctuation, Split, Sequence; models: WordPiece, BPE, Unigram;
/// post-processors: TemplateProcessing, BertProcessing, RobertaProcessing,
/// ByteLevel, Sequence. Anything else throws NotSupportedError naming the
/// component and its type. Split and Replace accept a string pattern or one of
/// the regexes the common tokenizers use (GPT-2's, `\w+|[^\w\s]+`, `\s+`, ...);
/// another regex throws NotSupportedError quoting it.
///
/// Input text must be valid UTF-8: encode() throws InvalidArgument naming the
/// byte offset of the first invalid sequence (the Python library cannot even
/// receive such a string, so there is nothing to match).
///
/// The `truncation` and `padding` sections of tokenizer.json are not applied:
/// callers choose truncation with set_truncation() and pad themselves with pad_id().
///
/// A Tokenizer is immutable after loading apart from set_truncation(); encode()
/// is const and safe to call from several threads at once.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emb {

/// One encoded text: parallel arrays, one entry per token.
struct Encoding {
  std::vector<std::int32_t> ids;
  /// The token strings as HF reports them (byte-level BPE shows Ġ for spaces, an
  /// added token with lstrip includes the spaces it absorbed, Unigram's unknown
  /// token shows the original text).
  std::vector<std::string> tokens;
  std::vector<std::int32_t> type_ids;
  /// 1 for the tokens the post-processor added ([CLS], [SEP], <s>, ...).
  std::vector<std::uint8_t> special_tokens_mask;
};

class Tokenizer {
 public:
  /// Loads a HF `tokenizer.json`. Throws ModelLoadError (unreadable or malformed
  /// file, naming the file and the key) or NotSupportedError (unknown component).
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  /// Parses the contents of a `tokenizer.json`; `origin` names it in error messages.
  static Tokenizer from_json(std::string_view json, const std::string& origin = "tokenizer.json");
  /// A BERT tokenizer from an old-style `vocab.txt` (one token per line, id = line
  /// number): BertNormalizer(lowercase) + BertPreTokenizer + WordPiece("[UNK]", "##")
  /// + [CLS] … [SEP], with the [PAD]/[UNK]/[CLS]/[SEP]/[MASK] found in the vocabulary
  /// as special added tokens — what transformers' BertTokenizerFast builds.
  static Tokenizer from_vocab_txt(const std::filesystem::path& vocab_txt, bool lowercase);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&);
  Tokenizer& operator=(const Tokenizer&);
  ~Tokenizer();

  /// Truncation like HF `truncation=True, max_length=N`: the special tokens the
  /// post-processor adds count within N, and the text's tokens are cut at the
  /// end. 0 = no truncation (the default).
  void set_truncation(std::size_t max_length);
  std::size_t truncation() const;

  /// Encodes one text. Throws InvalidArgument for invalid UTF-8 (with the byte offset).
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  /// encode() over many texts, in order.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens = true) const;

  /// The id of a token (added tokens first, then the model's vocabulary).
  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  /// The token of an id; InvalidArgument when the id is unknown.
  std::string id_to_token(std::int32_t id) const;
  /// Number of ids: the largest id of the model or the added tokens, plus one.
  std::size_t vocab_size() const;
  /// The padding id: tokenizer.json's `padding.pad_id` when set, else the id of
  /// [PAD], <pad> or <PAD> when one exists, else 0.
  std::int32_t pad_id() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace emb
