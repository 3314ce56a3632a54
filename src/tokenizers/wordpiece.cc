// WordPiece (models/wordpiece/mod.rs): greedy longest-match-first.
#include <utility>

#include "embetter/error.h"
#include "tokenizers/components.h"
#include "tokenizers/unicode.h"
#include "tokenizers/vocab.h"

namespace emb::tokenizers {
namespace {

class WordPiece final : public Model {
 public:
  WordPiece(Vocab vocab, std::string unk, std::string prefix, std::size_t max_chars, const std::string& origin)
      : vocab_(std::move(vocab)), unk_(std::move(unk)), prefix_(std::move(prefix)), max_chars_(max_chars) {
    auto id = vocab_.find(unk_);
    EMB_CHECK_AS(ModelLoadError, id.has_value(), origin, ": WordPiece unk_token '", unk_, "' is not in the vocabulary");
    unk_id_ = *id;
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    if (word.size() > max_chars_ && count_chars(word) > max_chars_) {  // bytes ≥ characters
      out.push_back({unk_id_, unk_});
      return;
    }
    const std::size_t first = out.size();
    thread_local std::string candidate;
    std::size_t start = 0;
    while (start < word.size()) {
      std::size_t end = word.size();
      bool found = false;
      while (start < end) {
        const std::string_view sub = word.substr(start, end - start);
        std::optional<std::int32_t> id;
        if (start == 0) {
          id = vocab_.find(sub);
        } else {
          candidate.assign(prefix_);
          candidate.append(sub);
          id = vocab_.find(candidate);
        }
        if (id) {
          out.push_back({*id, start == 0 ? std::string(sub) : candidate});
          found = true;
          break;
        }
        // Step back one character.
        --end;
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
      }
      if (!found) {  // one unmatchable piece makes the whole word unknown
        out.resize(first);
        out.push_back({unk_id_, unk_});
        return;
      }
      start = end;
    }
  }

  std::optional<std::int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  std::optional<std::string> id_to_token(std::int32_t id) const override {
    if (const auto* t = vocab_.token(id)) return *t;
    return std::nullopt;
  }
  std::size_t id_bound() const override { return vocab_.id_bound(); }

 private:
  Vocab vocab_;
  std::string unk_, prefix_;
  std::size_t max_chars_;
  std::int32_t unk_id_ = 0;
};

}  // namespace

std::shared_ptr<const Model> make_wordpiece(std::vector<std::string> tokens, std::string unk, std::string prefix,
                                            std::size_t max_chars) {
  Vocab vocab;
  for (std::size_t i = 0; i < tokens.size(); ++i) vocab.add(std::move(tokens[i]), static_cast<std::int32_t>(i));
  return std::make_shared<WordPiece>(std::move(vocab), std::move(unk), std::move(prefix), max_chars, "vocab.txt");
}

Vocab parse_vocab_map(const Json& j, const ParseContext& ctx) {
  if (!j.is_object()) throw_malformed(ctx, "model.vocab must be an object {token: id}");
  Vocab vocab;
  for (auto it = j.begin(); it != j.end(); ++it) {
    vocab.add(it.key(), get_id(it.value(), detail::concat("model.vocab[", excerpt(Json(it.key())), "]"), ctx));
  }
  return vocab;
}

std::shared_ptr<const Model> parse_wordpiece(const Json& j, const ParseContext& ctx) {
  const std::string unk = j.contains("unk_token") ? get_string(j, "unk_token", ctx) : "[UNK]";
  const std::string prefix =
      j.contains("continuing_subword_prefix") ? get_string(j, "continuing_subword_prefix", ctx) : "##";
  std::size_t max_chars = 100;
  if (auto it = j.find("max_input_chars_per_word"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) throw_malformed(ctx, "max_input_chars_per_word must be a non-negative integer");
    max_chars = it->get<std::size_t>();
  }
  return std::make_shared<WordPiece>(parse_vocab_map(require(j, "vocab", ctx), ctx.child(".vocab")), unk, prefix,
                                     max_chars, ctx.origin);
}

}  // namespace emb::tokenizers
