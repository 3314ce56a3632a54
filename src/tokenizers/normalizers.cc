// Normalizers of HF tokenizers (normalizers/*.rs), on plain strings: we only
// need ids and token strings, never offsets, so no alignment is tracked.
#include <utility>

#include "embetter/error.h"
#include "tokenizers/components.h"
#include "tokenizers/patterns.h"
#include "tokenizers/unicode.h"

namespace emb::tokenizers {
namespace {

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase) {}

  void normalize(std::string& s) const override {
    std::string out;
    out.reserve(s.size() + 8);
    // HF's order is clean_text, CJK spacing, strip_accents (NFD, drop Mn),
    // lowercase. ASCII characters are starters that NFD leaves alone and never
    // reorders around, so they are cleaned and lowercased in this first pass;
    // runs of other characters are only cleaned here and finished below.
    bool non_ascii = false;
    int len = 0;
    for (std::size_t i = 0; i < s.size(); i += len) {
      const auto b = static_cast<unsigned char>(s[i]);
      if (b < 0x80) {
        len = 1;
        const std::uint8_t k = ascii_class(b);
        if (clean_text_ && (b == 0 || (k & kAsciiBertControl))) continue;
        if (clean_text_ && (k & kAsciiWhitespace)) {
          out.push_back(' ');
        } else {
          out.push_back(static_cast<char>(lowercase_ && (k & kAsciiLetter) ? (b | 0x20) : b));
        }
        continue;
      }
      const char32_t c = decode_utf8(s, i, len);
      if (clean_text_) {
        if (c == 0xFFFD || is_bert_control(c)) continue;
        if (is_whitespace(c)) {
          out.push_back(' ');
          continue;
        }
      }
      non_ascii = true;
      if (chinese_ && is_chinese_char(c)) {
        out.push_back(' ');
        out.append(s, i, len);
        out.push_back(' ');
        continue;
      }
      out.append(s, i, len);
    }
    if (!non_ascii || (!strip_accents_ && !lowercase_)) {
      s = std::move(out);
      return;
    }
    s.clear();
    for (std::size_t i = 0; i < out.size();) {
      if (static_cast<unsigned char>(out[i]) < 0x80) {
        s.push_back(out[i++]);
        continue;
      }
      std::size_t end = i;
      while (end < out.size() && static_cast<unsigned char>(out[end]) >= 0x80) ++end;
      finish_run(std::string_view(out).substr(i, end - i), s);
      i = end;
    }
  }

 private:
  // Accent stripping and lowercasing of a run of non-ASCII characters. NFD of
  // the run equals that part of NFD of the whole text: the ASCII neighbours
  // are starters without decomposition.
  void finish_run(std::string_view run, std::string& s) const {
    std::string nfd;
    if (strip_accents_) {
      nfd = normalize_text(run, NormalForm::NFD);
      run = nfd;
    }
    int len = 0;
    for (std::size_t i = 0; i < run.size(); i += len) {
      const char32_t c = decode_utf8(run, i, len);
      if (strip_accents_ && is_mark_nonspacing(c)) continue;
      if (lowercase_)
        append_lowercase(s, c);
      else
        s.append(run, i, len);
    }
  }

  static std::string normalize_text(std::string_view s, NormalForm f) { return tokenizers::normalize(s, f); }

 protected:
  // The first character dropped: a control character cleaned away, or a
  // nonspacing mark stripped (a precomposed first letter keeps its base).
  bool keeps_first(std::string_view s) const override {
    int len = 0;
    const char32_t c = decode_utf8(s, 0, len);
    if (clean_text_ && (c == 0 || c == 0xFFFD || is_bert_control(c))) return false;
    return !(strip_accents_ && is_mark_nonspacing(c));
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void normalize(std::string& s) const override { s = tokenizers::normalize(s, form_); }

 private:
  NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    std::string out;
    out.reserve(s.size());
    int len = 0;
    for (std::size_t i = 0; i < s.size(); i += len) append_lowercase(out, decode_utf8(s, i, len));
    s = std::move(out);
  }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s) const override {
    std::size_t begin = 0, end = s.size();
    int len = 0;
    if (left_)
      while (begin < end && is_whitespace(decode_utf8(s, begin, len))) begin += len;
    if (right_)
      while (end > begin) {
        std::size_t last = end - 1;
        while ((static_cast<unsigned char>(s[last]) & 0xC0) == 0x80) --last;
        if (!is_whitespace(decode_utf8(s, last, len))) break;
        end = last;
      }
    s = s.substr(begin, end - begin);
  }

 protected:
  bool keeps_first(std::string_view s) const override {
    int len = 0;
    return !left_ || !is_whitespace(decode_utf8(s, 0, len));
  }

 private:
  bool left_, right_;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    std::string out;
    out.reserve(s.size());
    int len = 0;
    for (std::size_t i = 0; i < s.size(); i += len) {
      const char32_t c = decode_utf8(s, i, len);
      if (!is_combining_mark(c)) out.append(s, i, len);
    }
    s = std::move(out);
  }

 protected:
  bool keeps_first(std::string_view s) const override {
    int len = 0;
    return !is_combining_mark(decode_utf8(s, 0, len));
  }
};

class Replace final : public Normalizer {
 public:
  Replace(std::shared_ptr<const Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& s) const override {
    bool unused = false;
    replace(s, unused);
  }
  void normalize_from_origin(std::string& s, bool& at_origin) const override { replace(s, at_origin); }

 private:
  // One search serves both the rewrite and the origin: a match at the start
  // moves it when removed, or when it spans several characters (the Rust
  // library aligns the replacement to the match's last one).
  void replace(std::string& s, bool& at_origin) const {
    std::vector<Span> spans;
    pattern_->find_matches(s, spans);
    if (at_origin && !spans.empty() && spans.front().is_match && spans.front().begin == 0) {
      int len = 0;
      if (!s.empty()) decode_utf8(s, 0, len);
      at_origin = !content_.empty() && spans.front().end <= static_cast<std::size_t>(len);
    }
    std::string out;
    out.reserve(s.size());
    for (const auto& sp : spans) {
      if (sp.is_match)
        out += content_;
      else
        out.append(s, sp.begin, sp.end - sp.begin);
    }
    s = std::move(out);
  }

  std::shared_ptr<const Pattern> pattern_;
  std::string content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& s) const override {
    if (!s.empty()) s.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::shared_ptr<const Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(std::string& s) const override {
    for (const auto& p : parts_) p->normalize(s);
  }
  void normalize_from_origin(std::string& s, bool& at_origin) const override {
    for (const auto& p : parts_) p->normalize_from_origin(s, at_origin);
  }

 private:
  std::vector<std::shared_ptr<const Normalizer>> parts_;
};

constexpr const char* kSupported =
    "BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, Sequence";

}  // namespace

std::shared_ptr<const Normalizer> make_bert_normalizer(bool clean_text, bool chinese, bool strip_accents,
                                                       bool lowercase) {
  return std::make_shared<BertNormalizer>(clean_text, chinese, strip_accents, lowercase);
}

std::shared_ptr<const Normalizer> parse_normalizer(const Json& j, const ParseContext& ctx) {
  if (j.is_null()) return nullptr;
  const std::string type = type_of(j, ctx);
  if (type == "BertNormalizer") {
    const bool lowercase = get_bool(j, "lowercase", true, ctx);
    // strip_accents: null means "do what lowercase does" (BERT's uncased models).
    return make_bert_normalizer(get_bool(j, "clean_text", true, ctx), get_bool(j, "handle_chinese_chars", true, ctx),
                                get_bool(j, "strip_accents", lowercase, ctx), lowercase);
  }
  if (type == "NFC") return std::make_shared<UnicodeNormalizer>(NormalForm::NFC);
  if (type == "NFD") return std::make_shared<UnicodeNormalizer>(NormalForm::NFD);
  if (type == "NFKC") return std::make_shared<UnicodeNormalizer>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_shared<UnicodeNormalizer>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_shared<Lowercase>();
  if (type == "StripAccents") return std::make_shared<StripAccents>();
  if (type == "Strip") return std::make_shared<Strip>(get_bool(j, "strip_left", true, ctx), get_bool(j, "strip_right", true, ctx));
  if (type == "Replace")
    return std::make_shared<Replace>(parse_pattern(require(j, "pattern", ctx), ctx.child(".pattern")),
                                     get_string(j, "content", ctx));
  if (type == "Prepend") return std::make_shared<Prepend>(get_string(j, "prepend", ctx));
  if (type == "Sequence") {
    const Json& list = require(j, "normalizers", ctx);
    if (!list.is_array()) throw_malformed(ctx, "'normalizers' must be a list");
    std::vector<std::shared_ptr<const Normalizer>> parts;
    for (std::size_t i = 0; i < list.size(); ++i)
      if (auto p = parse_normalizer(list[i], ctx.child(detail::concat(".normalizers[", i, "]")))) parts.push_back(p);
    return std::make_shared<SequenceNormalizer>(std::move(parts));
  }
  throw_unsupported(ctx, "normalizer", type, kSupported);
}

}  // namespace emb::tokenizers
