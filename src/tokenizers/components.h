#pragma once
// The stages of the tokenizer pipeline (private to src/tokenizers). Each stage
// mirrors one HF `tokenizers` component family and is built from its JSON.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "embetter/tokenizer.h"

namespace emb::tokenizers {

using Json = nlohmann::json;

/// A span of text on its way through pre-tokenization. `at_origin`: the span
/// starts at the beginning of the original text (Metaspace's prepend_scheme "first").
struct Piece {
  std::string text;
  bool at_origin = false;
};

/// One token from a model or an added token: its id and its string.
struct Token {
  std::int32_t id = 0;
  std::string value;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  /// Rewrites `s` in place (valid UTF-8 in, valid UTF-8 out).
  virtual void normalize(std::string& s) const = 0;
  /// normalize(), also keeping `at_origin` true only while the result's first
  /// character still maps to the start of the original text, as the Rust
  /// library's alignments say (Metaspace's prepend_scheme "first" asks): a
  /// removed first character or a multi-character match replaced at the start
  /// (aligned to the match's last character) moves it.
  virtual void normalize_from_origin(std::string& s, bool& at_origin) const {
    if (at_origin && !s.empty()) at_origin = keeps_first(s);
    normalize(s);
  }

 protected:
  /// Whether normalizing `s` keeps its first character's place at the start.
  virtual bool keeps_first(std::string_view) const { return true; }
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits every piece of `pieces` further (in place); empty pieces are dropped.
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
  /// True when this pre-tokenizer only cuts text and never rewrites it (every
  /// one but ByteLevel and Metaspace): then cut() gives what pre_tokenize()
  /// gives, as views into the text and without allocating a string per word.
  virtual bool cuts_only() const { return false; }
  /// Appends the non-empty pieces of `text` to `out` (only when cuts_only()).
  virtual void cut(std::string_view text, std::vector<std::string_view>& out) const;
};

class Model {
 public:
  virtual ~Model() = default;
  /// Appends the tokens of one pre-tokenized word (non-empty) to `out`.
  virtual void tokenize(std::string_view word, std::vector<Token>& out) const = 0;
  virtual std::optional<std::int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(std::int32_t id) const = 0;
  /// Largest id + 1.
  virtual std::size_t id_bound() const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// How many tokens process() adds to a single sequence.
  virtual std::size_t added_tokens() const = 0;
  /// Turns the (truncated) tokens of one sequence into the final encoding.
  virtual void process(Encoding& enc) const = 0;
};

/// What tokenizer.json components are parsed with: the origin (file name) for
/// messages and the JSON path of the component ("normalizer.normalizers[1]").
struct ParseContext {
  std::string origin;
  std::string path;
  ParseContext child(const std::string& suffix) const { return {origin, path + suffix}; }
};

/// Each returns nullptr for JSON null; throws ModelLoadError / NotSupportedError.
std::shared_ptr<const Normalizer> parse_normalizer(const Json& j, const ParseContext& ctx);
std::shared_ptr<const PreTokenizer> parse_pre_tokenizer(const Json& j, const ParseContext& ctx);
std::shared_ptr<const Model> parse_model(const Json& j, const ParseContext& ctx);
std::shared_ptr<const PostProcessor> parse_post_processor(const Json& j, const ParseContext& ctx);

// Direct constructors used by Tokenizer::from_vocab_txt.
std::shared_ptr<const Normalizer> make_bert_normalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase);
std::shared_ptr<const PreTokenizer> make_bert_pre_tokenizer();
std::shared_ptr<const Model> make_wordpiece(std::vector<std::string> vocab, std::string unk, std::string prefix,
                                            std::size_t max_chars);
std::shared_ptr<const PostProcessor> make_bert_processing(Token cls, Token sep);

// JSON access helpers that name the file and key when something is missing or mistyped.
const Json& require(const Json& j, const char* key, const ParseContext& ctx);
std::string get_string(const Json& j, const char* key, const ParseContext& ctx);
bool get_bool(const Json& j, const char* key, bool fallback, const ParseContext& ctx);
/// `v` as a token id in [0, io::kMaxTokenId]; `what` names it in the error ("vocab['a']").
std::int32_t get_id(const Json& v, const std::string& what, const ParseContext& ctx);
/// A short excerpt of `v` for an error message (io::json_excerpt).
std::string excerpt(const Json& v);
std::string type_of(const Json& j, const ParseContext& ctx);
[[noreturn]] void throw_unsupported(const ParseContext& ctx, const std::string& kind, const std::string& type,
                                    const char* supported);
[[noreturn]] void throw_malformed(const ParseContext& ctx, const std::string& what);

}  // namespace emb::tokenizers
