// Pre-tokenizers of HF tokenizers (pre_tokenizers/*.rs).
#include <utility>

#include "embetter/error.h"
#include "tokenizers/byte_level.h"
#include "tokenizers/components.h"
#include "tokenizers/patterns.h"
#include "tokenizers/unicode.h"

namespace emb::tokenizers {

const std::array<std::string, 256>& byte_level_table() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      append_utf8(t[b], printable ? static_cast<char32_t>(b) : next++);
    }
    return t;
  }();
  return table;
}

void PreTokenizer::cut(std::string_view, std::vector<std::string_view>&) const {
  throw NotSupportedError("PreTokenizer::cut: this pre-tokenizer rewrites text; use pre_tokenize()");
}

namespace {

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) return ascii_class(c) & kAsciiBertPunctuation;
  return is_punctuation(c);
}

bool is_numeric(char32_t c) { return is_regex_number(c); }

/// Applies `split` to every piece, replacing the list.
template <class F>
void split_each(std::vector<Piece>& pieces, F split) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  for (const auto& p : pieces) split(p, out);
  pieces = std::move(out);
}

class BertPreTokenizer final : public PreTokenizer {
 public:
  bool cuts_only() const override { return true; }
  // Whitespace removed, then every punctuation character isolated: in one pass.
  void cut(std::string_view text, std::vector<std::string_view>& out) const override {
    std::size_t start = 0;
    auto flush = [&](std::size_t end) {
      if (end > start) out.push_back(text.substr(start, end - start));
    };
    int len = 1;
    for (std::size_t i = 0; i < text.size(); i += len) {
      const auto b = static_cast<unsigned char>(text[i]);
      bool space = false, punct = false;
      if (b < 0x80) {
        len = 1;
        const std::uint8_t k = ascii_class(b);
        space = k & kAsciiWhitespace;
        punct = k & kAsciiBertPunctuation;
      } else {
        const char32_t c = decode_utf8(text, i, len);
        space = is_whitespace(c);
        punct = !space && is_bert_punctuation(c);
      }
      if (space) {
        flush(i);
        start = i + len;
      } else if (punct) {
        flush(i);
        out.push_back(text.substr(i, len));
        start = i + len;
      }
    }
    flush(text.size());
  }

  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_each(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, *whitespace_, SplitBehavior::Removed, false, out);
    });
    split_each(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      split_piece(p, *punctuation_, SplitBehavior::Isolated, false, out);
    });
  }

 private:
  std::shared_ptr<const Pattern> whitespace_ = make_char_pattern(is_whitespace);
  std::shared_ptr<const Pattern> punctuation_ = make_char_pattern(is_bert_punctuation);
};

/// One pattern split: Whitespace, WhitespaceSplit, Punctuation, Digits and Split.
class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(std::shared_ptr<const Pattern> pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_each(pieces, [&](const Piece& p, std::vector<Piece>& out) { split_piece(p, *pattern_, behavior_, invert_, out); });
  }
  bool cuts_only() const override { return true; }
  void cut(std::string_view text, std::vector<std::string_view>& out) const override {
    thread_local std::vector<Span> kept;
    split_spans(text, *pattern_, behavior_, invert_, kept);
    for (const auto& s : kept)
      if (s.end > s.begin) out.push_back(text.substr(s.begin, s.end - s.begin));
  }

 private:
  std::shared_ptr<const Pattern> pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_each(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      Piece q = p;
      if (add_prefix_space_ && (q.text.empty() || q.text[0] != ' ')) q.text.insert(0, 1, ' ');
      if (use_regex_)
        split_piece(q, *regex_, SplitBehavior::Isolated, false, out);
      else if (!q.text.empty())
        out.push_back(std::move(q));
    });
    const auto& table = byte_level_table();
    for (auto& p : pieces) {
      std::string mapped;
      mapped.reserve(p.text.size() * 2);
      for (unsigned char b : p.text) mapped += table[b];
      p.text = std::move(mapped);
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
  std::shared_ptr<const Pattern> regex_ = make_gpt2_pattern();
};

enum class PrependScheme { Always, First, Never };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split), pattern_(make_string_pattern(replacement_)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_each(pieces, [&](const Piece& p, std::vector<Piece>& out) {
      Piece q{std::string(), p.at_origin};
      q.text.reserve(p.text.size() + replacement_.size());
      for (char ch : p.text) {
        if (ch == ' ')
          q.text += replacement_;
        else
          q.text.push_back(ch);
      }
      const bool starts = q.text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && q.at_origin)))
        q.text.insert(0, replacement_);
      if (split_)
        split_piece(q, *pattern_, SplitBehavior::MergedWithNext, false, out);
      else if (!q.text.empty())
        out.push_back(std::move(q));
    });
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  std::shared_ptr<const Pattern> pattern_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::shared_ptr<const PreTokenizer>> parts) : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }
  bool cuts_only() const override {
    for (const auto& p : parts_)
      if (!p->cuts_only()) return false;
    return true;
  }
  void cut(std::string_view text, std::vector<std::string_view>& out) const override {
    std::vector<std::string_view> current{text}, next;
    for (const auto& p : parts_) {
      next.clear();
      for (const auto piece : current) p->cut(piece, next);
      current.swap(next);
    }
    for (const auto piece : current)
      if (!piece.empty()) out.push_back(piece);
  }

 private:
  std::vector<std::shared_ptr<const PreTokenizer>> parts_;
};

constexpr const char* kSupported =
    "BertPreTokenizer, Whitespace, WhitespaceSplit, ByteLevel, Metaspace, Punctuation, Digits, Split, Sequence";

}  // namespace

std::shared_ptr<const PreTokenizer> make_bert_pre_tokenizer() { return std::make_shared<BertPreTokenizer>(); }

std::shared_ptr<const PreTokenizer> parse_pre_tokenizer(const Json& j, const ParseContext& ctx) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, ctx);
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "Whitespace")  // keeps the matches of \w+|[^\w\s]+
    return std::make_shared<SplitPreTokenizer>(make_word_pattern(), SplitBehavior::Removed, true);
  if (type == "WhitespaceSplit")
    return std::make_shared<SplitPreTokenizer>(make_char_pattern(is_whitespace), SplitBehavior::Removed, false);
  if (type == "Punctuation") {
    const auto behavior = j.contains("behavior") ? parse_split_behavior(j["behavior"], ctx) : SplitBehavior::Isolated;
    return std::make_shared<SplitPreTokenizer>(make_char_pattern(is_bert_punctuation), behavior, false);
  }
  if (type == "Digits") {
    const bool individual = get_bool(j, "individual_digits", false, ctx);
    return std::make_shared<SplitPreTokenizer>(make_char_pattern(is_numeric),
                                               individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous, false);
  }
  if (type == "Split")
    return std::make_shared<SplitPreTokenizer>(parse_pattern(require(j, "pattern", ctx), ctx.child(".pattern")),
                                               parse_split_behavior(require(j, "behavior", ctx), ctx),
                                               get_bool(j, "invert", false, ctx));
  if (type == "ByteLevel")
    return std::make_shared<ByteLevel>(get_bool(j, "add_prefix_space", true, ctx), get_bool(j, "use_regex", true, ctx));
  if (type == "Metaspace") {
    const std::string replacement = j.contains("replacement") ? get_string(j, "replacement", ctx) : "\xE2\x96\x81";
    PrependScheme scheme = get_bool(j, "add_prefix_space", true, ctx) ? PrependScheme::Always : PrependScheme::Never;
    if (j.contains("prepend_scheme")) {
      const std::string s = get_string(j, "prepend_scheme", ctx);
      if (s == "always") scheme = PrependScheme::Always;
      else if (s == "first") scheme = PrependScheme::First;
      else if (s == "never") scheme = PrependScheme::Never;
      else throw_malformed(ctx, "prepend_scheme must be always, first or never, got '" + s + "'");
    }
    return std::make_shared<Metaspace>(replacement, scheme, get_bool(j, "split", true, ctx));
  }
  if (type == "Sequence") {
    const Json& list = require(j, "pretokenizers", ctx);
    if (!list.is_array()) throw_malformed(ctx, "'pretokenizers' must be a list");
    std::vector<std::shared_ptr<const PreTokenizer>> parts;
    for (std::size_t i = 0; i < list.size(); ++i)
      if (auto p = parse_pre_tokenizer(list[i], ctx.child(detail::concat(".pretokenizers[", i, "]")))) parts.push_back(p);
    return std::make_shared<SequencePreTokenizer>(std::move(parts));
  }
  throw_unsupported(ctx, "pre_tokenizer", type, kSupported);
}

}  // namespace emb::tokenizers
