// Post-processors (processors/*.rs) for single sequences: add the special
// tokens around the text's tokens and set the type ids.
#include <utility>

#include "embetter/error.h"
#include "tokenizers/components.h"

namespace emb::tokenizers {

std::shared_ptr<const Model> parse_wordpiece(const Json& j, const ParseContext& ctx);
std::shared_ptr<const Model> parse_bpe(const Json& j, const ParseContext& ctx);
std::shared_ptr<const Model> parse_unigram(const Json& j, const ParseContext& ctx);

std::shared_ptr<const Model> parse_model(const Json& j, const ParseContext& ctx) {
  if (j.is_null()) throw_malformed(ctx, "a model is required");
  const std::string type = type_of(j, ctx);
  if (type == "WordPiece") return parse_wordpiece(j, ctx);
  if (type == "BPE") return parse_bpe(j, ctx);
  if (type == "Unigram") return parse_unigram(j, ctx);
  throw_unsupported(ctx, "model", type, "WordPiece, BPE, Unigram");
}

namespace {

/// One element of a template: a special token (its ids/tokens) or the sequence.
struct TemplateItem {
  bool is_sequence = false;
  std::int32_t type_id = 0;
  std::vector<Token> special;
};

class Template final : public PostProcessor {
 public:
  explicit Template(std::vector<TemplateItem> items) : items_(std::move(items)) {
    for (const auto& it : items_) added_ += it.special.size();
  }
  std::size_t added_tokens() const override { return added_; }
  void process(Encoding& enc) const override {
    Encoding out;
    const std::size_t n = enc.ids.size() + added_;
    out.ids.reserve(n);
    out.tokens.reserve(n);
    out.type_ids.reserve(n);
    out.special_tokens_mask.reserve(n);
    for (const auto& it : items_) {
      if (it.is_sequence) {
        for (std::size_t i = 0; i < enc.ids.size(); ++i) {
          out.ids.push_back(enc.ids[i]);
          out.tokens.push_back(std::move(enc.tokens[i]));
          out.type_ids.push_back(it.type_id);
          out.special_tokens_mask.push_back(enc.special_tokens_mask[i]);
        }
      } else {
        for (const auto& t : it.special) {
          out.ids.push_back(t.id);
          out.tokens.push_back(t.value);
          out.type_ids.push_back(it.type_id);
          out.special_tokens_mask.push_back(1);
        }
      }
    }
    enc = std::move(out);
  }

 private:
  std::vector<TemplateItem> items_;
  std::size_t added_ = 0;
};

class Identity final : public PostProcessor {
 public:
  std::size_t added_tokens() const override { return 0; }
  void process(Encoding&) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::shared_ptr<const PostProcessor>> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_) added_ += p->added_tokens();
  }
  std::size_t added_tokens() const override { return added_; }
  void process(Encoding& enc) const override {
    for (const auto& p : parts_) p->process(enc);
  }

 private:
  std::vector<std::shared_ptr<const PostProcessor>> parts_;
  std::size_t added_ = 0;
};

Token parse_token_pair(const Json& j, const char* key, const ParseContext& ctx) {
  const Json& v = require(j, key, ctx);
  if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
    throw_malformed(ctx, detail::concat("'", key, "' must be [token, id], got ", excerpt(v)));
  return {get_id(v[1], detail::concat("'", key, "'"), ctx), v[0].get<std::string>()};
}

std::shared_ptr<const PostProcessor> around(Token cls, Token sep) {
  std::vector<TemplateItem> items(3);
  items[0].special = {std::move(cls)};
  items[1].is_sequence = true;
  items[2].special = {std::move(sep)};
  return std::make_shared<Template>(std::move(items));
}

std::shared_ptr<const PostProcessor> parse_template(const Json& j, const ParseContext& ctx) {
  const Json& single = require(j, "single", ctx);
  if (!single.is_array()) throw_malformed(ctx, "TemplateProcessing 'single' must be a list");
  const Json& specials = j.contains("special_tokens") ? j["special_tokens"] : Json::object();
  std::vector<TemplateItem> items;
  for (const auto& piece : single) {
    TemplateItem item;
    if (piece.contains("Sequence")) {
      item.is_sequence = true;
      item.type_id = piece["Sequence"].value("type_id", 0);
    } else if (piece.contains("SpecialToken")) {
      const Json& st = piece["SpecialToken"];
      const std::string name = get_string(st, "id", ctx);
      item.type_id = st.value("type_id", 0);
      auto it = specials.find(name);
      if (it == specials.end()) throw_malformed(ctx, "template uses special token '" + name + "' missing from special_tokens");
      const Json& ids = require(*it, "ids", ctx);
      const Json& toks = require(*it, "tokens", ctx);
      if (!ids.is_array() || !toks.is_array() || ids.size() != toks.size())
        throw_malformed(ctx, "special_tokens['" + name + "'] needs 'ids' and 'tokens' lists of the same length");
      for (std::size_t k = 0; k < ids.size(); ++k) item.special.push_back({get_id(ids[k], "special_tokens['" + name + "'].ids", ctx), toks[k].get<std::string>()});
    } else {
      throw_malformed(ctx, "template pieces are {\"Sequence\": ...} or {\"SpecialToken\": ...}, got " + excerpt(piece));
    }
    items.push_back(std::move(item));
  }
  return std::make_shared<Template>(std::move(items));
}

}  // namespace

std::shared_ptr<const PostProcessor> make_bert_processing(Token cls, Token sep) { return around(std::move(cls), std::move(sep)); }

std::shared_ptr<const PostProcessor> parse_post_processor(const Json& j, const ParseContext& ctx) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, ctx);
  if (type == "TemplateProcessing") return parse_template(j, ctx);
  if (type == "BertProcessing" || type == "RobertaProcessing")  // they differ only for pairs and offsets
    return around(parse_token_pair(j, "cls", ctx), parse_token_pair(j, "sep", ctx));
  if (type == "ByteLevel") return std::make_shared<Identity>();  // it only trims offsets
  if (type == "Sequence") {
    const Json& list = require(j, "processors", ctx);
    if (!list.is_array()) throw_malformed(ctx, "'processors' must be a list");
    std::vector<std::shared_ptr<const PostProcessor>> parts;
    for (std::size_t i = 0; i < list.size(); ++i)
      if (auto p = parse_post_processor(list[i], ctx.child(detail::concat(".processors[", i, "]")))) parts.push_back(p);
    return std::make_shared<SequenceProcessor>(std::move(parts));
  }
  throw_unsupported(ctx, "post_processor", type, "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace emb::tokenizers
